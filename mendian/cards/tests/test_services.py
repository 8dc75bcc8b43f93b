"""Cards through their services: selling, using, caps, validity, giving back, transfer, refund value."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from mendian.cards.models import CardBalance, CardUse, MemberCard
from mendian.cards.reconcile import card_balance_differences
from mendian.cards.services import ItemIn, card_transfer, card_use, card_use_reverse, template_create
from mendian.core.errors import DomainError
from mendian.members.testing import make_member
from mendian.pos.models import Order
from mendian.tenancy.models import AuditEntry

from .factories import make_template, sell


def ledger_matches(card):
    for balance in CardBalance.objects.filter(card=card):
        entries = CardUse.objects.filter(balance=balance)
        total = entries.aggregate(s=Sum("delta"))["s"] or 0
        uses = entries.filter(kind__in=["use", "reverse"]).aggregate(s=Sum("delta"))["s"] or 0
        if balance.uses_left is not None:
            assert balance.uses_left == total
        assert balance.used == -uses
    assert list(card_balance_differences()) == []


def refused(code, call):
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    return caught.value


def test_a_punch_card_sold_at_checkout_holds_its_uses_and_its_price(shop):
    # given
    template = make_template(shop, price_fen=68000, items=[(shop.cut, 10)])
    # when
    card = sell(shop, template, shop.member)
    # then
    order = Order.objects.get(pk=card.order_id)
    assert order.payable_fen == 68000 and order.member_id == shop.member.pk
    assert card.paid_fen == 68000 and card.status == "active" and card.member_id == shop.member.pk
    balance = CardBalance.objects.get(card=card)
    assert (balance.product_id, balance.uses_total, balance.uses_left, balance.used) == (shop.cut.pk, 10, 10, 0)
    assert card.valid_until > timezone.now() + timedelta(days=363)
    ledger_matches(card)


def test_card_use_takes_one_use_and_records_who_where_and_why(shop):
    template = make_template(shop, items=[(shop.cut, 3)])
    card = sell(shop, template, shop.member)
    stylist = shop.staff("cashier")
    use = card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk,
                   store_id=shop.stores[0].pk, staff_id=stylist.pk, note="王师傅", ref_type="booking", ref_id=77)
    assert (use.kind, use.delta, use.qty, use.uses_left_after) == ("use", -1, 1, 2)
    assert (use.served_by_id, use.store_id, use.ref_type, use.ref_id, use.note) == (
        stylist.pk, shop.stores[0].pk, "booking", 77, "王师傅")
    assert CardBalance.objects.get(card=card).uses_left == 2
    assert AuditEntry.objects.filter(action="card.used", target_id=card.pk).count() == 1
    ledger_matches(card)


def test_a_card_with_no_uses_left_is_exhausted_and_nothing_changes(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 1)]), shop.member)
    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    entries = CardUse.objects.count()
    refused("card_exhausted", lambda: card_use(access=shop.access(), member_card_id=card.pk,
                                               product_id=shop.cut.pk, store_id=shop.stores[0].pk))
    refused("card_exhausted", lambda: card_use(access=shop.access(), member_card_id=card.pk,
                                               product_id=shop.cut.pk, store_id=shop.stores[0].pk, qty=2))
    assert CardUse.objects.count() == entries and CardBalance.objects.get(card=card).uses_left == 0
    ledger_matches(card)


def test_bad_uses_are_refused_with_their_codes(shop, other_world):
    template = make_template(shop, items=[(shop.cut, 5)], store_ids=[shop.stores[0].pk])
    card = sell(shop, template, shop.member)
    access = shop.access()
    entries = CardUse.objects.count()
    store, other_store = shop.stores[0].pk, shop.stores[1].pk
    refused("card_not_valid_here", lambda: card_use(access=access, member_card_id=card.pk, product_id=shop.cut.pk,
                                                    store_id=other_store))
    refused("product_not_on_card", lambda: card_use(access=access, member_card_id=card.pk, product_id=shop.care.pk,
                                                    store_id=store))
    refused("invalid_quantity", lambda: card_use(access=access, member_card_id=card.pk, product_id=shop.cut.pk,
                                                 store_id=store, qty=0))
    refused("invalid_quantity", lambda: card_use(access=access, member_card_id=card.pk, product_id=shop.cut.pk,
                                                 store_id=store, qty=-1))
    refused("card_not_found", lambda: card_use(access=access, member_card_id=card.pk + 999, product_id=shop.cut.pk,
                                               store_id=store))
    refused("card_not_found", lambda: card_use(access=access, member_card_id=card.pk, product_id=shop.cut.pk,
                                               store_id=store, member_id=make_member(shop).pk))
    # another merchant's staff: the card does not exist for them
    refused("store_not_found", lambda: card_use(access=other_world.access(), member_card_id=card.pk,
                                          product_id=shop.cut.pk, store_id=store))
    refused("card_not_found", lambda: card_use(access=other_world.access(), member_card_id=card.pk,
                                               product_id=shop.cut.pk, store_id=other_world.stores[0].pk))
    assert CardUse.objects.count() == entries and CardBalance.objects.get(card=card).uses_left == 5


def test_an_expired_card_is_refused(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    MemberCard.objects.filter(pk=card.pk).update(valid_until=timezone.now() - timedelta(minutes=1))
    refused("card_expired", lambda: card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk,
                                             store_id=shop.stores[0].pk))
    assert CardBalance.objects.get(card=card).uses_left == 5


def test_a_period_card_is_unlimited_but_capped_per_day(shop):
    template = make_template(shop, kind="period", items=[(shop.cut, None), (shop.care, None)], daily_limit=2,
                             valid_days=30)
    card = sell(shop, template, shop.member)
    use = lambda product, qty=1: card_use(access=shop.access(), member_card_id=card.pk,  # noqa: E731
                                          product_id=product.pk, store_id=shop.stores[0].pk, qty=qty)
    first = use(shop.cut)
    assert first.uses_left_after is None and first.delta == -1
    use(shop.care)
    error = refused("card_daily_limit", lambda: use(shop.cut))
    assert error.detail["used_today"] == 2 and error.status == 409
    # a use given back frees its place of the day
    card_use_reverse(access=shop.access(), card_use_id=first.pk, reason="扫错了")
    use(shop.cut)
    # yesterday's uses do not count today
    CardUse.objects.filter(card=card, kind="use").update(created_at=timezone.now() - timedelta(days=1))
    use(shop.care, qty=2)
    refused("card_daily_limit", lambda: use(shop.care))
    assert sorted(CardBalance.objects.filter(card=card).values_list("used", flat=True)) == [1, 3]
    ledger_matches(card)


def test_a_period_card_is_capped_per_week(shop):
    template = make_template(shop, kind="period", items=[(shop.cut, None)], weekly_limit=3, valid_days=90)
    card = sell(shop, template, shop.member)
    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk, qty=3)
    error = refused("card_weekly_limit", lambda: card_use(access=shop.access(), member_card_id=card.pk,
                                                          product_id=shop.cut.pk, store_id=shop.stores[0].pk))
    assert error.detail == {"weekly_limit": 3, "used_this_week": 3}
    assert CardBalance.objects.get(card=card).used == 3


def test_validity_from_first_use_starts_at_the_first_use(shop):
    template = make_template(shop, kind="period", items=[(shop.cut, None)], validity="from_first_use", valid_days=30)
    card = sell(shop, template, shop.member)
    assert card.valid_until is None and card.starts_on_first_use
    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    card.refresh_from_db()
    assert card.valid_from is not None and timedelta(days=29) < card.valid_until - card.valid_from <= timedelta(30)


def test_fixed_dates_bound_the_card(shop):
    start = timezone.now() + timedelta(days=2)
    template = make_template(shop, validity="fixed", valid_days=None, valid_from=start,
                             valid_until=start + timedelta(days=10))
    card = sell(shop, template, shop.member)
    assert card.valid_from == start
    refused("card_not_yet_valid", lambda: card_use(access=shop.access(), member_card_id=card.pk,
                                                   product_id=shop.cut.pk, store_id=shop.stores[0].pk))


def test_a_use_given_back_returns_to_the_card_once(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 2)]), shop.member)
    use = card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk,
                   qty=2)
    back = card_use_reverse(access=shop.access(), card_use_id=use.pk, reason="顾客取消", qty=1)
    assert (back.kind, back.delta, back.uses_left_after, back.reverses_id) == ("reverse", 1, 1, use.pk)
    card_use_reverse(access=shop.access(), card_use_id=use.pk, reason="顾客取消")
    refused("card_use_already_reversed", lambda: card_use_reverse(access=shop.access(), card_use_id=use.pk,
                                                                  reason="again"))
    assert CardBalance.objects.get(card=card).uses_left == 2
    ledger_matches(card)


def test_a_transferable_card_moves_to_another_member_with_its_uses(shop, other_world):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)], transferable=True), shop.member)
    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    friend = make_member(shop)
    card_transfer(access=shop.access(), member_card_id=card.pk, to_member_id=friend.pk, note="送给朋友")
    card.refresh_from_db()
    assert card.member_id == friend.pk and CardBalance.objects.get(card=card).uses_left == 4
    assert AuditEntry.objects.get(action="card.transferred").changes["member_id"] == [shop.member.pk, friend.pk]
    stranger = make_member(other_world)
    refused("member_not_found", lambda: card_transfer(access=shop.access(), member_card_id=card.pk,
                                                      to_member_id=stranger.pk))
    ledger_matches(card)


def test_a_card_that_is_not_transferable_stays(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    refused("card_not_transferable", lambda: card_transfer(access=shop.access(), member_card_id=card.pk,
                                                           to_member_id=make_member(shop).pk))
    card.refresh_from_db()
    assert card.member_id == shop.member.pk


def test_a_cashier_cannot_manage_templates_but_uses_cards(shop):
    cashier = shop.access(shop.staff("cashier"))
    refused("permission_denied", lambda: template_create(access=cashier, name="x", kind="punch", price_fen=1,
                                                         items=[ItemIn(shop.cut.pk, 1)]))
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    card_use(access=cashier, member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    refused("store_not_found", lambda: card_use(access=cashier, member_card_id=card.pk, product_id=shop.cut.pk,
                                          store_id=shop.stores[1].pk))


def test_check_ledgers_finds_a_balance_that_drifted(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    call_command("check_ledgers")
    CardBalance.objects.filter(card=card).update(uses_left=4)
    assert len(list(card_balance_differences())) == 1
    with pytest.raises(Exception, match="ledger differences"):
        call_command("check_ledgers")


def test_a_template_edit_leaves_cards_already_sold_as_they_were(shop):
    from mendian.cards.services import template_update

    template = make_template(shop, items=[(shop.cut, 10)], price_fen=50000)
    card = sell(shop, template, shop.member)
    template = template_update(access=shop.access(), template=template, price_fen=40000,
                               items=[ItemIn(shop.cut.pk, 8)], transferable=True)
    card.refresh_from_db()
    assert (card.paid_fen, card.transferable) == (50000, False)
    assert CardBalance.objects.get(card=card).uses_total == 10
    assert sell(shop, template, make_member(shop)).balances.get().uses_total == 8


def test_selling_and_refunding_a_card_are_audited(shop):
    card = sell(shop, make_template(shop, price_fen=30000), shop.member)
    sold = AuditEntry.objects.get(action="card.sold", target_id=card.pk)
    assert (sold.changes["paid_fen"], sold.changes["order_id"], sold.store_id) == (30000, card.order_id,
                                                                                   shop.stores[0].pk)
    from mendian.pos.services.refunds import order_refund

    order_refund(access=shop.access(), order=Order.objects.get(pk=card.order_id), reason="退卡")
    refunded = AuditEntry.objects.get(action="card.refunded", target_id=card.pk)
    assert refunded.changes["refunded_fen"] == 30000 and refunded.changes["rule"] == "pro_rata"


def test_cards_expiring_are_the_active_ones_with_something_left(shop):
    from mendian.cards.selectors import cards_expiring

    template = make_template(shop, items=[(shop.cut, 1)])
    soon, later, used_up = (sell(shop, template, make_member(shop)) for _ in range(3))
    now = timezone.now()
    MemberCard.objects.filter(pk__in=[soon.pk, used_up.pk]).update(valid_until=now + timedelta(days=3))
    card_use(access=shop.access(), member_card_id=used_up.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    assert [c.pk for c in cards_expiring(merchant_id=shop.merchant.pk, now=now, within_days=7)] == [soon.pk]
    assert later.pk in [c.pk for c in cards_expiring(merchant_id=shop.merchant.pk, now=now, within_days=400)]
