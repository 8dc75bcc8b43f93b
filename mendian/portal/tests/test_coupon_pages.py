"""The member's coupon pages on their phone: my coupons with their codes, and the claim centre."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from mendian.core.qr import qr_svg
from mendian.members.testing import make_member
from mendian.portal.views import SESSION_KEY
from mendian.promotions.coupons import issue_coupons, template_create
from mendian.promotions.models import Coupon, CouponStock

pytestmark = pytest.mark.django_db


def as_member(member):
    client = Client(headers={"Accept-Language": "zh-hans"})
    session = client.session
    session[SESSION_KEY] = member.pk
    session.save()
    return client


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def flash(response):
    """The messages shown at the top of the page after a redirect."""
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<div class="alert alert-(?:\w+)[^>]*>(.*?)<button',
                                                               response.content.decode(), re.S)]


def template(world, **fields):
    fields = {"name": "领券中心券", "kind": "voucher", "amount_fen": 800, "min_spend_fen": 0, "claimable": True,
              **fields}
    return template_create(access=world.access(), **fields)


def give_to(world, member, tpl):
    result = issue_coupons(template=tpl, member_ids=[member.pk], when=timezone.now(), tz_name=world.merchant.timezone)
    return Coupon.objects.get(pk=result.coupon_ids[0])


def claim(client, tpl, **extra):
    return client.post("/m/coupons/claim/", {"template_id": tpl.pk, "once": uuid.uuid4().hex, **extra}, follow=True)


def test_my_coupons_show_each_usable_code_as_text_and_qr_and_the_card_links_to_them(world):
    member = make_member(world)
    later = give_to(world, member, template(world, name="满100减20", kind="amount_off", amount_fen=2000,
                                            min_spend_fen=10000, claimable=False))
    sooner = give_to(world, member, template(world, name="九折券", kind="percent_off", percent=90, amount_fen=None,
                                             valid_until=datetime(2099, 6, 30, 15, 59, tzinfo=UTC)))
    used = give_to(world, member, template(world, name="旧券"))
    Coupon.objects.filter(pk=used.pk).update(status="used", used_at=timezone.now())
    client = as_member(member)
    card = client.get("/m/card/")
    assert re.search(r'href="/m/coupons/" data-testid="coupons-link">.*?(\d+) 张可用', card.content.decode(),
                     re.S).group(1) == "2"
    page = client.get("/m/coupons/")
    assert page.status_code == 200
    html = page.content.decode()
    mine = html[html.index('data-testid="my-coupons"'):html.index('data-testid="past-coupons"')]
    # expiring first comes first; each with its whole code in groups of six and its QR code
    assert re.findall(r'data-coupon="(\d+)"', mine) == [str(sooner.pk), str(later.pk)]
    for coupon in (sooner, later):
        assert f"{coupon.code[:6]} {coupon.code[6:12]} {coupon.code[12:]}" in mine
        assert qr_svg(coupon.code, scale=4) in mine
    assert "有效期至 2099-06-30 23:59" in text(page)
    past = html[html.index('data-testid="past-coupons"'):html.index('id="claim"')]
    assert re.findall(r'data-coupon="(\d+)"', past) == [str(used.pk)] and "已使用" in past
    assert used.code not in html and qr_svg(used.code, scale=4) not in html


def test_the_claim_centre_claims_once_per_tap_and_shows_what_is_left(world):
    member = make_member(world)
    tpl = template(world, name="新客券", total_quantity=10, per_member_limit=2, valid_days=30)
    template(world, name="不公开券", claimable=False)
    client = as_member(member)
    centre = client.get("/m/coupons/")
    listed = re.findall(r'data-template="(\d+)"', centre.content.decode())
    assert listed == [str(tpl.pk)] and "领取后 30 天内有效 · 剩余 10 张" in text(centre)
    once = uuid.uuid4().hex
    claimed = client.post("/m/coupons/claim/", {"template_id": tpl.pk, "once": once}, follow=True)
    assert claimed.redirect_chain == [("/m/coupons/", 302)]
    assert flash(claimed) == ["已领取 新客券，可在“我的优惠券”中查看。"]
    [coupon] = Coupon.objects.filter(member=member)
    assert (coupon.template_id, coupon.source, coupon.status) == (tpl.pk, "claim", "unused")
    assert f'data-coupon="{coupon.pk}"' in claimed.content.decode()
    assert "剩余 9 张 · 已领 1 张" in text(claimed)
    # the same tap twice (double tap, or the back button): one coupon
    twice = client.post("/m/coupons/claim/", {"template_id": tpl.pk, "once": once}, follow=True)
    assert flash(twice) == ["您已领取过这张券。"]
    assert Coupon.objects.filter(member=member).count() == 1 and CouponStock.objects.get(template=tpl).issued == 1


@pytest.mark.parametrize("case", ["limit", "stock"])
def test_a_refused_claim_says_why_and_claims_nothing(world, case):
    member, someone = make_member(world), make_member(world)
    tpl = template(world, name="限量券", total_quantity=1) if case == "stock" else \
        template(world, name="限领券", per_member_limit=1)
    give_to(world, someone if case == "stock" else member, tpl)
    client = as_member(member)
    page = client.get("/m/coupons/")
    state = re.search(r'data-testid="claim-state">([^<]*)<', page.content.decode()).group(1)
    assert state == ("已领完" if case == "stock" else "已领取")
    assert 'data-testid="claim"' not in page.content.decode()
    before = (Coupon.objects.filter(member=member).count(), CouponStock.objects.get(template=tpl).issued)
    refused = claim(client, tpl)
    assert flash(refused) == ["该券已被领完。" if case == "stock" else "您领取的数量已达上限。"]
    assert (Coupon.objects.filter(member=member).count(), CouponStock.objects.get(template=tpl).issued) == before


def test_a_member_claims_only_for_themselves_and_only_their_merchants_coupons(world, other_world):
    member, neighbour = make_member(world), make_member(world)
    tpl = template(world)
    hidden = template(world, name="不公开券", claimable=False)
    theirs = template(other_world, name="乙的券")
    client = as_member(member)
    # another member's id in the form changes nothing: the coupon goes to the member of the session
    assert claim(client, tpl, member_id=neighbour.pk).status_code == 200
    assert Coupon.objects.filter(member=member, template=tpl).count() == 1
    assert Coupon.objects.filter(member=neighbour).count() == 0
    # a coupon that is not in the claim centre, or another merchant's, is not found
    assert client.post("/m/coupons/claim/", {"template_id": hidden.pk}).status_code == 404
    assert client.post("/m/coupons/claim/", {"template_id": theirs.pk}).status_code == 404
    assert client.post("/m/coupons/claim/", {"template_id": "x"}).status_code == 404
    assert Coupon.objects.filter(template__in=[hidden, theirs]).count() == 0
    # another merchant's member sees their own claim centre, not this one
    stranger = as_member(make_member(other_world))
    assert re.findall(r'data-template="(\d+)"', stranger.get("/m/coupons/").content.decode()) == [str(theirs.pk)]
    assert stranger.post("/m/coupons/claim/", {"template_id": tpl.pk}).status_code == 404
    # without a member session there is nothing to see or claim
    anonymous = Client()
    assert anonymous.get("/m/coupons/").status_code == 404
    assert anonymous.post("/m/coupons/claim/", {"template_id": tpl.pk}).status_code == 404
    assert CouponStock.objects.get(template=tpl).issued == 1


def test_claiming_needs_a_post_with_the_csrf_token(world):
    member = make_member(world)
    tpl = template(world)
    client = as_member(member)
    assert client.get(f"/m/coupons/claim/?template_id={tpl.pk}").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    session = strict.session
    session[SESSION_KEY] = member.pk
    session.save()
    assert strict.post("/m/coupons/claim/", {"template_id": tpl.pk}).status_code == 403
    page = strict.get("/m/coupons/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    ok = strict.post("/m/coupons/claim/", {"template_id": tpl.pk, "csrfmiddlewaretoken": token})
    assert ok.status_code == 302 and Coupon.objects.filter(member=member).count() == 1
