"""The coupons section of a member's profile: the list, giving one coupon, refusals, permissions, merchants."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from mendian.members.testing import make_member
from mendian.promotions.coupons import issue_coupons, template_create, template_set_status
from mendian.promotions.models import Coupon, CouponStock

pytestmark = pytest.mark.django_db


def logged_in(staff):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(staff)
    return client


def htmx(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def rows(response):
    """(coupon id, row text) of the listed coupons, in the order shown."""
    html = response.content.decode()
    return [(int(cid), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
            for cid, body in re.findall(r'<tr[^>]*data-coupon="(\d+)"[^>]*>(.*?)</tr>', html, re.S)]


def template(world, **fields):
    fields = {"name": "满100减20", "kind": "amount_off", "amount_fen": 2000, "min_spend_fen": 10000, **fields}
    return template_create(access=world.access(), **fields)


def give_to(world, member, tpl):
    result = issue_coupons(template=tpl, member_ids=[member.pk], when=timezone.now(), tz_name=world.merchant.timezone)
    return Coupon.objects.get(pk=result.coupon_ids[0])


def test_the_profile_lists_the_members_coupons_usable_first_with_the_code_shown_only_in_part(world):
    member = make_member(world, name="孙会员")
    used = give_to(world, member, template(world, name="旧券"))
    Coupon.objects.filter(pk=used.pk).update(status="used", used_at=datetime(2026, 2, 10, 4, tzinfo=UTC))
    expired = give_to(world, member, template(world, name="过期券", kind="voucher", amount_fen=500, min_spend_fen=0))
    Coupon.objects.filter(pk=expired.pk).update(valid_until=datetime(2026, 1, 31, 15, 59, tzinfo=UTC))
    usable = give_to(world, member, template(world, name="九折券", kind="percent_off", percent=90, min_spend_fen=0,
                                              valid_days=7))
    client = logged_in(world.owner)
    # the profile loads the section by its URL
    profile = client.get(f"/members/{member.pk}/")
    assert f'hx-get="/members/{member.pk}/coupons/"' in profile.content.decode()
    section = htmx(client, "get", f"/members/{member.pk}/coupons/")
    assert section.status_code == 200 and "<html" not in section.content.decode()
    assert rows(section) == [
        (usable.pk, f"九折券 90% 价 未使用 {timezone.localtime(usable.valid_until):%Y-%m-%d} 23:59 "
                    f"…{usable.code[-6:]}"),
        (expired.pk, f"过期券 减 ¥5.00 已过期 2026-01-31 23:59 …{expired.code[-6:]}"),
        (used.pk, f"旧券 满 ¥100.00 减 ¥20.00 已使用 2026-02-10 长期有效 …{used.code[-6:]}"),
    ]
    assert re.search(r'data-testid="usable-count">([^<]*)<', section.content.decode()).group(1) == "1 张可用"
    html = section.content.decode()
    assert all(c.code not in html for c in (used, expired, usable))
    # without JavaScript the same URL is a page of its own
    page = client.get(f"/members/{member.pk}/coupons/")
    assert "<html" in page.content.decode() and [cid for cid, _row in rows(page)] == [usable.pk, expired.pk, used.pk]


def test_staff_who_issue_coupons_give_one_and_a_double_click_gives_one(world):
    member = make_member(world)
    active = template(world, name="生日券", kind="voucher", amount_fen=1000, min_spend_fen=0, total_quantity=5)
    paused = template(world, name="暂停券", kind="voucher", amount_fen=800, min_spend_fen=0)
    template_set_status(access=world.access(), template=paused, status="paused")
    manager = world.staff("store_manager")
    client = logged_in(manager)
    section = htmx(client, "get", f"/members/{member.pk}/coupons/")
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', section.content.decode())
    assert options == [(str(active.pk), "生日券 · 减 ¥10.00 (剩余 5 张)")]
    once = uuid.uuid4().hex
    given = htmx(client, "post", f"/members/{member.pk}/coupons/give/", {"template_id": active.pk, "once": once})
    assert given.status_code == 200
    notice = re.search(r'data-testid="coupon-notice">([^<]*)<', given.content.decode()).group(1)
    assert notice == "已向会员发放 生日券。"
    [coupon] = Coupon.objects.filter(member=member)
    assert (coupon.template_id, coupon.status, coupon.source) == (active.pk, "unused", "issue")
    assert [cid for cid, _row in rows(given)] == [coupon.pk]
    again = htmx(client, "post", f"/members/{member.pk}/coupons/give/", {"template_id": active.pk, "once": once})
    assert "这张券已经发放过了。" in text(again)
    assert Coupon.objects.filter(member=member).count() == 1 and CouponStock.objects.get(template=active).issued == 1
    # without JavaScript: back to the member's coupons with the message
    plain = client.post(f"/members/{member.pk}/coupons/give/", {"template_id": active.pk, "once": uuid.uuid4().hex},
                        follow=True)
    assert plain.redirect_chain == [(f"/members/{member.pk}/coupons/", 302)]
    assert "已向会员发放 生日券。" in text(plain) and Coupon.objects.filter(member=member).count() == 2


@pytest.mark.parametrize("case", ["limit", "stock", "paused", "no_template"])
def test_a_refusal_is_said_in_words_and_gives_nothing(world, case):
    member, someone = make_member(world), make_member(world)
    limited = template(world, name="限领券", kind="voucher", amount_fen=500, min_spend_fen=0, per_member_limit=1)
    scarce = template(world, name="限量券", kind="voucher", amount_fen=500, min_spend_fen=0, total_quantity=1)
    give_to(world, member, limited)
    give_to(world, someone, scarce)
    if case == "paused":
        template_set_status(access=world.access(), template=limited, status="paused")
    template_id, message = {
        "limit": (limited.pk, "未发放：会员已持有 1 张 限领券，已达每人限领数量。"),
        "stock": (scarce.pk, "未发放：限量券 已发完（共 1 张）。"),
        "paused": (limited.pk, "该券已暂停或已结束。"),
        "no_template": ("", "请选择要发放的优惠券。"),
    }[case]
    before = (Coupon.objects.count(), CouponStock.objects.get(template=limited).issued,
              CouponStock.objects.get(template=scarce).issued)
    once = uuid.uuid4().hex
    client = logged_in(world.owner)
    for _attempt in range(2):  # a refusal frees the form's key: the same form refused again, not "already given"
        refused = htmx(client, "post", f"/members/{member.pk}/coupons/give/",
                       {"template_id": template_id, "once": once})
        assert refused.status_code == 200
        notice = re.search(r'<div class="alert alert-(\w+)[^"]*"[^>]*data-testid="coupon-notice">([^<]*)<',
                           refused.content.decode())
        assert notice.groups() == ("danger", message)
    assert (Coupon.objects.count(), CouponStock.objects.get(template=limited).issued,
            CouponStock.objects.get(template=scarce).issued) == before


def test_staff_without_the_permission_see_the_coupons_but_cannot_give(world):
    member = make_member(world)
    tpl = template(world, name="满减券")
    give_to(world, member, tpl)
    client = logged_in(world.staff("cashier"))
    section = htmx(client, "get", f"/members/{member.pk}/coupons/")
    assert section.status_code == 200 and len(rows(section)) == 1
    assert "/coupons/give/" not in section.content.decode()
    refused = client.post(f"/members/{member.pk}/coupons/give/", {"template_id": tpl.pk, "once": "x"})
    assert refused.status_code == 403 and Coupon.objects.filter(member=member).count() == 1


def test_another_merchants_member_or_coupon_is_not_found(world, other_world):
    mine, theirs = make_member(world), make_member(other_world)
    their_template = template(other_world, name="乙的券")
    give_to(other_world, theirs, their_template)
    client = logged_in(world.owner)
    assert htmx(client, "get", f"/members/{theirs.pk}/coupons/").status_code == 404
    assert client.get(f"/members/{theirs.pk}/coupons/").status_code == 404
    gone = htmx(client, "post", f"/members/{theirs.pk}/coupons/give/",
                {"template_id": their_template.pk, "once": uuid.uuid4().hex})
    assert gone.status_code == 404
    foreign = htmx(client, "post", f"/members/{mine.pk}/coupons/give/",
                   {"template_id": their_template.pk, "once": uuid.uuid4().hex})
    assert "请选择要发放的优惠券。" in text(foreign)
    assert Coupon.objects.filter(member=mine).count() == 0 and Coupon.objects.filter(member=theirs).count() == 1
