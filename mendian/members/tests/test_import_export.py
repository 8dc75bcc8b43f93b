import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook, load_workbook

from mendian.core.errors import DomainError
from mendian.loyalty.models import Level, LoyaltyAccount, PointsEntry, PointsRule
from mendian.members.import_jobs import import_job_check, import_job_create, import_job_execute, import_job_start
from mendian.members.models import ImportJob, Member, MemberTag
from mendian.members.testing import make_member
from mendian.wallet.models import WalletAccount, WalletEntry

HEADER = "手机,姓名,性别,生日,等级,积分,本金,赠送金,门店,标签\n"


def job_for(world, text, *, fmt="csv", store=0):
    content = text.encode("utf-8") if fmt == "csv" else text
    return import_job_create(access=world.access(), filename=f"members.{fmt}", content=content,
                             store=world.stores[store])


def check(world, job):
    job = import_job_check(access=world.access(), job=job, mapping=job.mapping)
    return import_job_execute(job_id=job.pk, dry_run=True)


def run(world, job, *, skip=False):
    job = import_job_start(access=world.access(), job=job, skip_invalid=skip)
    return import_job_execute(job_id=job.pk, dry_run=False)


@pytest.fixture
def setup(world):
    Level.objects.create(merchant=world.merchant, name="普通", rank=0)
    Level.objects.create(merchant=world.merchant, name="金卡", rank=2)
    PointsRule.objects.create(merchant=world.merchant, expire_after_days=365)
    make_member(world, phone="13800000009")
    return world


def test_headers_are_recognised(setup):
    job = job_for(setup, HEADER + "13900000001,张三,女,1990-01-02,金卡,100,300,150,S002,VIP 老客\n")
    assert job.mapping == {"0": "phone", "1": "name", "2": "gender", "3": "birthday", "4": "level", "5": "points",
                           "6": "principal", "7": "bonus", "8": "store", "9": "tags"}
    assert job.total_rows == 1


def test_dry_run_reports_every_bad_row_and_writes_nothing(setup):
    text = HEADER + "\n".join([
        "13900000001,张三,女,1990-01-02,金卡,100,300,150,S002,VIP",
        "12345,坏号码,,,,,,,,",
        "13900000001,重复,,,,,,,,",
        "13800000009,已是会员,,,,,,,,",
        "13900000002,未知等级,,,钻石,,,,,",
        "13900000003,坏金额,,,,,3.001,,,",
        "13900000004,负积分,,,,-5,,,,",
        "13900000005,坏日期,,1990-13-45,,,,,,",
        "13900000006,坏门店,,,,,,,NOPE,",
    ]) + "\n"
    members_before = Member.objects.count()
    job = check(setup, job_for(setup, text))
    assert job.status == "checked" and (job.valid_rows, job.invalid_rows) == (1, 8)
    rows = {e["row"]: " ".join(e["errors"]) for e in job.errors}
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "12345" in rows[3]
    assert "2" in rows[4]  # repeats row 2
    assert Member.objects.count() == members_before
    with pytest.raises(DomainError) as refused:
        import_job_start(access=setup.access(), job=job, skip_invalid=False)
    assert refused.value.code == "import_has_errors"


def test_import_writes_members_levels_points_and_balances_to_the_ledgers(setup):
    text = HEADER + ("13900000001,张三,女,1990-01-02,金卡,100,300,150,S002,VIP 老客\n"
                     "13900000002,李四,男,,,,0.5,,,\n"
                     "12345,坏号码,,,,,,,,\n")
    job = check(setup, job_for(setup, text))
    job = run(setup, job, skip=True)
    assert job.status == "done" and (job.imported_rows, job.invalid_rows) == (2, 1)
    zhang = Member.objects.get(merchant=setup.merchant, phone="13900000001")
    assert (zhang.name, zhang.gender, zhang.source_channel) == ("张三", "female", "import")
    assert zhang.registered_store == setup.stores[1]
    account = LoyaltyAccount.objects.get(member=zhang)
    assert (account.level.name, account.points) == ("金卡", 100)
    [[expires_on, remaining]] = account.lots
    assert expires_on is not None and remaining == 100 and account.next_expiry_on.isoformat() == expires_on
    assert PointsEntry.objects.get(member=zhang).reason == "import"
    wallet = WalletAccount.objects.get(member=zhang)
    assert (wallet.principal_fen, wallet.bonus_fen) == (30000, 15000)
    assert wallet.pools == {str(setup.stores[1].pk): [30000, 15000]}
    assert WalletEntry.objects.get(member=zhang).reason == "import"
    assert sorted(MemberTag.objects.filter(member=zhang).values_list("tag__name", flat=True)) == ["VIP", "老客"]
    li = Member.objects.get(merchant=setup.merchant, phone="13900000002")
    assert LoyaltyAccount.objects.get(member=li).level.name == "普通"
    assert WalletAccount.objects.get(member=li).principal_fen == 50
    assert len({m.card_no for m in Member.objects.filter(merchant=setup.merchant)}) == 3
    call_command("check_ledgers")
    # the imported members work like any other
    response = setup.api().get(f"/members/{zhang.pk}")
    assert response.data["balance_fen"] == 45000 and response.data["points"] == 100


def test_a_bad_row_stops_the_whole_import(setup):
    job = check(setup, job_for(setup, HEADER + "13900000001,张三,,,,,,,,\n"))
    make_member(setup, phone="13900000001")  # registered at the counter between the check and the import
    before = Member.objects.count()
    job = run(setup, job)
    assert job.status == "failed" and "2" in job.failure
    assert Member.objects.count() == before


def test_xlsx_import(setup):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["手机号码", "姓名", "积分"])
    sheet.append([13900000011, "表格", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = check(setup, job_for(setup, buffer.getvalue(), fmt="xlsx"))
    assert (job.valid_rows, job.invalid_rows) == (1, 0)
    assert run(setup, job).imported_rows == 1
    assert LoyaltyAccount.objects.get(member__phone="13900000011").points == 12


@pytest.mark.parametrize("filename,content,code", [
    ("members.xlsx", b"not a zip", "invalid_import_file"),
    ("members.txt", b"a,b\n", "invalid_import_file"),
    ("members.csv", b"", "invalid_import_file"),
    ("members.csv", b"\xff\xfe\x00garbage\x81\x82", "invalid_import_file"),
])
def test_malformed_files_are_refused_clearly(setup, filename, content, code):
    with pytest.raises(DomainError) as refused:
        import_job_create(access=setup.access(), filename=filename, content=content, store=setup.stores[0])
    assert refused.value.code == code and str(refused.value.message)
    assert not ImportJob.objects.exists()


def test_mapping_needs_a_phone_column(setup):
    job = job_for(setup, HEADER + "13900000001,张三,,,,,,,,\n")
    with pytest.raises(DomainError) as refused:
        import_job_check(access=setup.access(), job=job, mapping={"1": "name"})
    assert refused.value.code == "invalid_mapping"


def test_import_pages_walk_through_the_flow(setup):
    client = Client()
    client.force_login(setup.owner)
    upload = io.BytesIO((HEADER + "13900000021,页面,,,,,,,,\n").encode())
    upload.name = "members.csv"
    response = client.post("/members/import/", {"file": upload, "store": setup.stores[0].pk})
    job = ImportJob.objects.get()
    assert response["Location"] == f"/members/import/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "13900000021" in page and 'name="column_0"' in page
    client.post(f"/members/import/{job.pk}/", {"action": "check", "column_0": "phone", "column_1": "name"})
    job.refresh_from_db()
    assert job.status == "checking"
    progress = client.get(f"/members/import/{job.pk}/progress/").content.decode()
    assert "progress-bar" in progress
    import_job_execute(job_id=job.pk, dry_run=True)
    client.post(f"/members/import/{job.pk}/", {"action": "import"})
    import_job_execute(job_id=job.pk, dry_run=False)
    assert "1" in client.get(f"/members/import/{job.pk}/").content.decode()
    assert Member.objects.filter(phone="13900000021").exists()
    cashier = Client()
    cashier.force_login(setup.staff("cashier"))
    assert cashier.get("/members/import/").status_code == 403


def test_a_crash_in_the_middle_fails_the_job_and_writes_nothing(setup, monkeypatch):
    from django.utils.translation import gettext

    from mendian.members import importing

    job = check(setup, job_for(setup, HEADER + "13900000031,甲,,,,,500,,,VIP\n13900000032,乙,,,,,,,,\n"))
    members, entries = Member.objects.count(), WalletEntry.objects.count()

    def crash(*args, **kwargs):  # after the members and their accounts were written
        raise RuntimeError("connection lost")

    monkeypatch.setattr(importing, "_write_tags", crash)
    job = run(setup, job)
    assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
    assert job.failure == gettext("The import stopped on an unexpected error; nothing was imported. Try again.")
    assert (Member.objects.count(), WalletEntry.objects.count()) == (members, entries)


def test_export_csv_and_xlsx_mask_phones_for_roles_that_should_not_see_them(setup):
    member = make_member(setup, phone="13700001111", name="导出")
    owner = Client()
    owner.force_login(setup.owner)
    response = owner.get("/members/export/?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "卡号" and any(r[2] == "13700001111" for r in rows[1:])
    assert len(rows) == 1 + Member.objects.filter(merchant=setup.merchant).count()
    marketer = Client()
    marketer.force_login(setup.staff("marketer"))
    sheet = load_workbook(io.BytesIO(marketer.get("/members/export/?format=xlsx&q=导出").content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][0] == member.card_no and values[1][2] == "137****1111"
    cashier = Client()
    cashier.force_login(setup.staff("cashier"))
    assert cashier.get("/members/export/").status_code == 403


# --- a large file: read and checked by a worker process (PostgreSQL) -------------------------
def _levels(world):
    Level.objects.create(merchant=world.merchant, name="普通", rank=0)
    Level.objects.create(merchant=world.merchant, name="金卡", rank=2)
    PointsRule.objects.create(merchant=world.merchant, expire_after_days=365)


def _imported(world):
    """What an import left, without ids, card numbers or secrets."""
    members = Member.objects.filter(merchant=world.merchant, source_channel="import")
    return sorted(
        (m.phone, m.name, m.gender, m.birthday, m.registered_store.code, m.loyalty.level.name, m.loyalty.points,
         m.loyalty.lots, m.wallet.principal_fen, m.wallet.bonus_fen, m.wallet.pools and sorted(m.wallet.pools.values()),
         sorted(MemberTag.objects.filter(member=m).values_list("tag__name", flat=True)),
         sorted(PointsEntry.objects.filter(member=m).values_list("delta", "reason")),
         sorted(WalletEntry.objects.filter(member=m).values_list("principal_delta_fen", "bonus_delta_fen", "reason")))
        for m in members.select_related("loyalty__level", "wallet", "registered_store"))


LARGE = HEADER + "".join(
    f"1390000{n:04d},会员{n},{'女' if n % 2 else '男'},1990-01-{n % 28 + 1:02d},{'金卡' if n % 3 == 0 else ''},"
    f"{n * 10 if n % 4 else ''},{n % 5 * 100 if n % 5 else ''},{n % 5 * 50 if n % 5 else ''},"
    f"{'S002' if n % 2 else ''},{'VIP' if n % 6 == 0 else ''} {'老客' if n % 4 == 0 else ''}\n"
    for n in range(1, 24)) + "12345,坏号码,,,,,,,,\n" + "13900000007,重复,,,,,,,,\n"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_made_by_a_worker_process_is_the_import_made_in_process(world, other_world, monkeypatch):
    from mendian.members import importing

    monkeypatch.setattr(importing, "CHUNK", 4)  # several batches, the last one short
    workers, made_by_worker = [], importing.made_by_worker
    monkeypatch.setattr(importing, "made_by_worker", lambda produce: workers.append(1) or made_by_worker(produce))
    results = []
    for target, parallel in ((world, False), (other_world, True)):
        _levels(target)
        make_member(target, phone="13900000013")  # already a member: left out, reported
        monkeypatch.setattr(importing, "PARALLEL_FROM", 0 if parallel else 10**9)
        job = run(target, check(target, job_for(target, LARGE)), skip=True)
        assert job.status == "done", (job.failure, job.errors)
        results.append((job.imported_rows, job.invalid_rows, job.errors, _imported(target)))
    assert workers == [1]  # the second import only
    assert results[0] == results[1]
    imported, invalid, errors, rows = results[1]
    assert (imported, invalid) == (22, 3) and [e["row"] for e in errors] == [14, 25, 26]
    assert {row[0] for row in rows} == {f"1390000{n:04d}" for n in range(1, 24)} - {"13900000013"}
    assert any(row[11] == ["VIP", "老客"] for row in rows)
    assert len(set(Member.objects.values_list("card_no", flat=True))) == Member.objects.count()
    call_command("check_ledgers")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_bad_row_found_by_the_worker_stops_the_import_and_nothing_is_written(world, monkeypatch):
    from mendian.members import importing

    monkeypatch.setattr(importing, "CHUNK", 4)
    monkeypatch.setattr(importing, "PARALLEL_FROM", 0)
    _levels(world)
    job = check(world, job_for(world, LARGE.replace("12345,坏号码,,,,,,,,\n", "").replace(
        "13900000007,重复,,,,,,,,\n", "")))
    assert (job.valid_rows, job.invalid_rows) == (23, 0)
    make_member(world, phone="13900000022")  # registered at the counter after the check: row 23
    before = (Member.objects.count(), PointsEntry.objects.count(), WalletEntry.objects.count(),
              MemberTag.objects.count())
    job = run(world, job)
    assert job.status == "failed" and "23" in job.failure and job.errors[0]["row"] == 23
    assert (Member.objects.count(), PointsEntry.objects.count(), WalletEntry.objects.count(),
            MemberTag.objects.count()) == before
