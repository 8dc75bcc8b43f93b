import re

import pytest
from django.test import Client

from mendian.catalog.models import Product
from mendian.tenancy.models import AuditEntry, Merchant, Role, Staff, Store
from mendian.tenancy.services.merchants import merchant_create
from mendian.tenancy.testing import PASSWORD


def logged_in(staff, language="zh-hans"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(staff)
    return client


def test_login_page_logs_in_and_audits(world):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    response = client.post("/login/", {"username": world.owner.username, "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(merchant=world.merchant, action="auth.login").exists()
    assert client.get("/stores/").status_code == 200


def test_wrong_password_and_lockout_on_the_login_page(world):
    client = Client(headers={"Accept-Language": "en"})
    response = client.post("/login/", {"username": world.owner.username, "password": "nope-nope"})
    assert response.status_code == 200 and "Wrong username or password." in response.content.decode()
    for _ in range(4):
        response = client.post("/login/", {"username": world.owner.username, "password": "nope-nope"})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()


def test_pages_need_a_login():
    response = Client().get("/stores/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_navigation_shows_only_what_the_role_may_open(world):
    owner_page = logged_in(world.owner).get("/stores/").content.decode()
    for href in ('href="/staff/"', 'href="/roles/"', 'href="/audit/"', 'href="/api-tokens/"'):
        assert href in owner_page
    cashier_page = logged_in(world.staff("cashier")).get("/stores/").content.decode()
    assert 'href="/stores/"' in cashier_page
    for href in ('href="/staff/"', 'href="/roles/"', 'href="/audit/"', 'href="/api-tokens/"'):
        assert href not in cashier_page
    assert logged_in(world.staff("cashier")).get("/staff/").status_code == 403
    assert logged_in(world.staff("cashier")).get("/stores/new/").status_code == 403


def test_create_edit_and_close_a_store_through_the_pages(world):
    client = logged_in(world.owner)
    form = {"name": "湖滨店", "code": "HB01", "city": "杭州", "address": "湖滨路 1 号", "phone": "",
            "latitude": "30.25", "longitude": "120.16", "timezone": "Asia/Shanghai",
            "open_0": "09:00", "close_0": "21:00"}
    response = client.post("/stores/new/", form)
    store = Store.objects.get(merchant=world.merchant, code="HB01")
    assert response.status_code == 302 and response["Location"] == f"/stores/{store.pk}/"
    assert store.opening_hours == [{"weekday": 0, "start": "09:00", "end": "21:00"}]
    detail = client.get(f"/stores/{store.pk}/").content.decode()
    assert "湖滨路 1 号" in detail and store.signup_code in detail
    bad = client.post(f"/stores/{store.pk}/edit/", {**form, "code": "S001"})
    assert bad.status_code == 200 and "已有门店使用此编码" in bad.content.decode()
    missing_close = client.post(f"/stores/{store.pk}/edit/", {**form, "close_0": ""})
    assert missing_close.status_code == 200
    store.refresh_from_db()
    assert store.code == "HB01" and store.opening_hours
    client.post(f"/stores/{store.pk}/status/", {"status": "closed"})
    store.refresh_from_db()
    assert store.status == "closed"


def test_store_list_filters_with_htmx(world):
    client = logged_in(world.owner)
    response = client.get("/stores/?q=门店2", headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "<html" not in content and world.stores[1].name in content and world.stores[0].name not in content


def test_poster_has_the_signup_qr_code(world):
    store = world.stores[0]
    content = logged_in(world.owner).get(f"/stores/{store.pk}/poster/").content.decode()
    assert "<svg" in content and f"/join/{store.signup_code}/" in content


def test_join_page_shows_the_store(world):
    store = world.stores[0]
    assert store.name in Client().get(f"/join/{store.signup_code}/").content.decode()
    assert Client().get("/join/not-a-code/").status_code == 404
    store.status = Store.Status.CLOSED
    store.save()
    assert Client().get(f"/join/{store.signup_code}/").status_code == 404


def test_add_staff_and_reset_password_through_the_pages(world):
    client = logged_in(world.owner)
    store = world.stores[0]
    cashier_role = Role.objects.get(merchant=world.merchant, code="cashier")
    response = client.post("/staff/new/", {"username": "page_cashier", "name": "页面收银", "phone": "",
                                           "role": cashier_role.pk, "stores": [store.pk],
                                           "password": "Page-pass-2026"})
    assert response.status_code == 302
    person = Staff.objects.get(username="page_cashier")
    assert list(person.stores.all()) == [store]
    weak = client.post(f"/staff/{person.pk}/password/", {"password": "1234", "password_again": "1234"})
    assert weak.status_code == 422
    ok = client.post(f"/staff/{person.pk}/password/", {"password": "Newer-pass-2026",
                                                      "password_again": "Newer-pass-2026"})
    assert ok.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Newer-pass-2026")


def test_store_manager_sees_only_roles_they_may_give(world):
    manager = world.staff("store_manager", stores=[world.stores[0]])
    content = logged_in(manager).get("/staff/new/").content.decode()
    options = re.findall(r'<option value="(\d+)"', content)
    role_codes = set(Role.objects.filter(pk__in=options).values_list("code", flat=True))
    assert role_codes == {"cashier", "store_manager"}


def test_custom_role_through_the_pages(world):
    client = logged_in(world.owner)
    response = client.post("/roles/new/", {"name": "前台", "permissions": ["stores.view", "catalog.view"],
                                           "store_bound": "on"})
    assert response.status_code == 302
    role = Role.objects.get(merchant=world.merchant, name="前台")
    assert role.store_bound and role.permissions == {"stores.view", "catalog.view"}
    assert "前台" in client.get("/roles/").content.decode()
    client.post(f"/roles/{role.pk}/delete/")
    assert not Role.objects.filter(pk=role.pk).exists()


def test_audit_page_filters_and_loads_more(world):
    client = logged_in(world.owner)
    for i in range(60):
        AuditEntry.objects.create(merchant=world.merchant, action="store.updated", target_label=f"行{i}")
    first = client.get("/audit/?action=store.updated").content.decode()
    assert "行59" in first and "行0<" not in first and "cursor=" in first
    cursor = re.search(r"cursor=([A-Za-z0-9_-]+)", first).group(1)
    more = client.get(f"/audit/?action=store.updated&cursor={cursor}", headers={"HX-Request": "true"})
    assert "行0" in more.content.decode() and "<html" not in more.content.decode()
    bad = client.get("/audit/?date_from=2026-02-01&date_to=2026-01-01").content.decode()
    assert "结束日期早于开始日期" in bad


def test_account_password_and_language(world):
    client = logged_in(world.owner)
    bad = client.post("/account/", {"old_password": "wrong", "password": "Another-pass-1", "password_again":
                                    "Another-pass-1"})
    assert "当前密码错误" in bad.content.decode()
    ok = client.post("/account/", {"old_password": PASSWORD, "password": "Another-pass-1",
                                   "password_again": "Another-pass-1"})
    assert ok.status_code == 302
    assert client.get("/account/").status_code == 200  # still logged in after the change
    response = client.post("/account/language/", {"language": "en", "next": "/stores/"})
    assert response.status_code == 302 and response.cookies["mendian_language"].value == "en"
    world.owner.refresh_from_db()
    assert world.owner.language == "en"
    assert "Stores" in client.get("/stores/").content.decode()


def test_english_and_chinese_pages(world):
    zh = logged_in(world.owner, "zh-hans").get("/stores/").content.decode()
    en = logged_in(world.owner, "en").get("/stores/").content.decode()
    assert "门店" in zh and "新建门店" in zh
    assert "New store" in en and "新建门店" not in en


@pytest.mark.django_db
def test_onboarding_walks_a_new_owner_through_three_steps():
    created = merchant_create(name="新店老板", owner_username="fresh_owner", owner_password=PASSWORD)
    client = logged_in(created.owner)
    assert client.get("/")["Location"] == "/onboarding/store/"
    step1 = client.post("/onboarding/store/", {"name": "第一家店", "code": "S001", "city": "苏州",
                                               "address": "观前街 1 号", "timezone": "Asia/Shanghai"})
    assert step1["Location"] == "/onboarding/products/"
    store = Store.objects.get(merchant=created.merchant)
    step2 = client.post("/onboarding/products/", {"name": "洗剪吹", "kind": "service", "price_fen": "88",
                                                  "member_price_fen": "68.5", "is_active": "on"})
    assert step2["Location"] == "/onboarding/products/"
    product = Product.objects.get(merchant=created.merchant)
    assert (product.price_fen, product.member_price_fen) == (8800, 6850)
    step3 = client.get("/onboarding/promote/").content.decode()
    assert "<svg" in step3 and f"/join/{store.signup_code}/" in step3
    assert client.post("/onboarding/finish/")["Location"] == "/"
    assert Merchant.objects.get(pk=created.merchant.pk).onboarding_completed_at is not None
    assert client.get("/").status_code == 200
