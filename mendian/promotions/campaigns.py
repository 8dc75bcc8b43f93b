"""Event promotions (营销活动): set up, pushed to stores, and turned into what the pricing engine, recharge
and sign-up need. Budgets are spent in the same transaction as the sale or recharge that uses them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.generation import cached, generation
from mendian.core.money import div_half_up, percent_of
from mendian.core.validation import required_text
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record

from .models import GiftPack, Promotion, PromotionSpend, PromotionStore

PRICE_KINDS = (Promotion.Kind.LIMITED_PRICE, Promotion.Kind.NEW_CUSTOMER)
GIFT_KINDS = (Promotion.Kind.WELCOME_GIFT, Promotion.Kind.FIRST_VISIT_GIFT, Promotion.Kind.BIRTHDAY_GIFT)
FIELDS = ("name", "kind", "starts_at", "ends_at", "product_ids", "price_fen", "percent", "per_member_qty", "repeat",
          "days", "extra_discount_pct", "points_multiplier_pct", "bonus_pct", "min_pay_fen", "gift_pack_id",
          "store_ids", "stores_opt_in", "store_min_percent", "store_max_percent", "budget_fen")


# --- set-up ----------------------------------------------------------------------------------
def _int(value: Any, name: str, low: int, high: int, message: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"invalid_{name}", message, field=name)
    return value


def _clean(access: Access, data: dict[str, Any]) -> dict[str, Any]:
    kinds = Promotion.Kind
    cleaned = {name: data.get(name) for name in FIELDS}
    cleaned["name"] = required_text(data.get("name"), field="name", message=_("Name the promotion."), max_length=60)
    kind = data.get("kind")
    if kind not in kinds.values:
        raise InvalidInput("invalid_kind", _("Choose a kind of promotion."), field="kind")
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        raise InvalidInput("invalid_period", _("The promotion ends before it starts."), field="ends_at")
    for name in ("product_ids", "days", "store_ids"):
        cleaned[name] = list(data.get(name) or [])
    if kind in PRICE_KINDS:
        ids = cleaned["product_ids"]
        if not ids:
            raise InvalidInput("products_required", _("Choose the products on promotion."), field="product_ids")
        found = set(Product.objects.filter(merchant=access.merchant, pk__in=ids).values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise NotFound("product_not_found", _("Product not found."), field="product_ids", detail={"ids": missing})
        cleaned["product_ids"] = sorted(set(ids))
        price, percent = data.get("price_fen"), data.get("percent")
        if (price is None) == (percent is None):
            raise InvalidInput("price_or_percent", _("Give either a promotion price or a percent of the price."),
                               field="price_fen")
        if price is not None:
            _int(price, "price_fen", 0, 10**9, _("The promotion price is a whole number of fen, not negative."))
        else:
            _int(percent, "percent", 1, 99, _("The percent of the price is between 1 and 99 (80 means 8折)."))
        if data.get("per_member_qty") is not None:
            _int(data["per_member_qty"], "per_member_qty", 1, 10**6, _("Units per member start at 1."))
    if kind == kinds.MEMBER_DAY:
        if data.get("repeat") not in Promotion.Repeat.values:
            raise InvalidInput("invalid_repeat", _("A member day repeats every week or every month."), field="repeat")
        high = 7 if data["repeat"] == Promotion.Repeat.WEEKLY else 31
        days = cleaned["days"]
        if not days or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= high for d in days):
            raise InvalidInput("invalid_days", _("Choose the days: 1–7 for weekdays (Monday is 1), 1–31 in a month."),
                               field="days")
        cleaned["days"] = sorted(set(days))
        extra, points = data.get("extra_discount_pct"), data.get("points_multiplier_pct")
        if extra is None and points is None:
            raise InvalidInput("member_day_empty", _("Give an extra discount, a points multiplier or both."),
                               field="extra_discount_pct")
        if extra is not None:
            _int(extra, "extra_discount_pct", 1, 99, _("The extra discount is a percent paid between 1 and 99."))
        if points is not None:
            _int(points, "points_multiplier_pct", 101, 1000, _("The points multiplier is from 101 to 1,000 "
                                                               "(200 = double points)."))
    if kind == kinds.RECHARGE_BONUS:
        _int(data.get("bonus_pct"), "bonus_pct", 1, 100, _("The extra bonus is 1 to 100 percent of the recharge."))
        cleaned["min_pay_fen"] = _int(data.get("min_pay_fen") or 0, "min_pay_fen", 0, 10**10,
                                      _("The amount is a whole number of fen, not negative."))
    if kind in GIFT_KINDS:
        pack = GiftPack.objects.filter(merchant=access.merchant, pk=data.get("gift_pack_id")).first()
        if pack is None:
            raise NotFound("gift_pack_not_found", _("Gift pack not found."), field="gift_pack_id")
    else:
        cleaned["gift_pack_id"] = None
    ids = cleaned["store_ids"]
    if ids:
        found = set(Store.objects.filter(merchant=access.merchant, pk__in=ids).values_list("pk", flat=True))
        if set(ids) - found:
            raise NotFound("store_not_found", _("Store not found."), field="store_ids")
        cleaned["store_ids"] = sorted(set(ids))
    low, high = data.get("store_min_percent"), data.get("store_max_percent")
    if (low is not None or high is not None) and (cleaned.get("percent") is None or low is None or high is None
                                                  or not 1 <= low <= cleaned["percent"] <= high <= 99):
        raise InvalidInput("invalid_store_limits", _("Stores' limits are two percents around the promotion's own."),
                           field="store_min_percent")
    if data.get("budget_fen") is not None:
        _int(data["budget_fen"], "budget_fen", 1, 10**12, _("The budget is a whole number of fen above zero."))
    cleaned["stores_opt_in"] = bool(data.get("stores_opt_in"))
    cleaned["min_pay_fen"] = cleaned.get("min_pay_fen") or 0
    cleaned["repeat"] = cleaned.get("repeat") or ""
    if kind not in PRICE_KINDS:
        cleaned.update(product_ids=[], price_fen=None, percent=None, per_member_qty=None)
    if kind != kinds.MEMBER_DAY:
        cleaned.update(repeat="", days=[], extra_discount_pct=None, points_multiplier_pct=None)
    if kind != kinds.RECHARGE_BONUS:
        cleaned.update(bonus_pct=None, min_pay_fen=0)
    return cleaned


def promotion_save(*, access: Access, promotion: Promotion | None = None, **fields: Any) -> Promotion:
    """Create or change a promotion (head office)."""
    access.require("promotions.manage")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise InvalidInput("unknown_fields", _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = {name: getattr(promotion, name) for name in FIELDS} if promotion else {}
    cleaned = _clean(access, {**current, **fields})
    with transaction.atomic():
        creating = promotion is None
        promotion = promotion or Promotion(merchant=access.merchant)
        for name, value in cleaned.items():
            setattr(promotion, name, value)
        promotion.save()
        PromotionSpend.objects.get_or_create(promotion=promotion)
        audit_record(merchant=access.merchant, actor=access,
                     action="promotion.created" if creating else "promotion.updated", target=promotion,
                     changes={name: str(value) for name, value in cleaned.items()
                              if creating or current.get(name) != value})
    return promotion


def promotion_set_status(*, access: Access, promotion: Promotion, status: str) -> Promotion:
    access.require("promotions.manage")
    if status not in Promotion.Status.values:
        raise InvalidInput("invalid_status", _("Choose active, paused or ended."), field="status")
    if promotion.status == Promotion.Status.ENDED and status != promotion.status:
        raise Conflict("promotion_ended", _("An ended promotion cannot be started again; copy it instead."))
    with transaction.atomic():
        old, promotion.status = promotion.status, status
        promotion.save(update_fields=["status", "updated_at"])
        audit_record(merchant=access.merchant, actor=access, action="promotion.status", target=promotion,
                     changes={"status": [old, status]})
    return promotion


def promotion_store_set(*, access: Access, promotion: Promotion, store: Store, enabled: bool,
                        percent: int | None = None) -> PromotionStore:
    """A store takes part in a promotion head office pushed to it (or not), at its own percent within
    head office's limits."""
    access.require("promotions.store")
    access.require_store(store.pk)
    if promotion.store_ids and store.pk not in promotion.store_ids:
        raise NotFound("promotion_not_found", _("Promotion not found."))
    if percent is not None:
        low, high = promotion.store_min_percent, promotion.store_max_percent
        if low is None or high is None or not isinstance(percent, int) or not low <= percent <= high:
            raise InvalidInput("percent_out_of_limits", _("Head office allows stores %(low)s–%(high)s percent.")
                               % {"low": low, "high": high}, field="percent")
    with transaction.atomic():
        row, _created = PromotionStore.objects.update_or_create(
            promotion=promotion, store=store,
            defaults={"merchant": access.merchant, "enabled": enabled, "percent": percent,
                      "changed_by": access.staff})
        audit_record(merchant=access.merchant, actor=access, action="promotion.store", target=promotion, store=store,
                     changes={"enabled": enabled, "percent": percent})
    return row


# --- what a sale gets ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Running:
    """A promotion as the counter reads it (from the settings cache), with the stores' answers."""

    promotion: Promotion
    stores: dict[int, tuple[bool, int | None]]  # store id → (taking part, its own percent)

    def in_store(self, store_id: int) -> bool:
        p = self.promotion
        if p.store_ids and store_id not in p.store_ids:
            return False
        enabled, _percent = self.stores.get(store_id, (not p.stores_opt_in, None))
        return enabled

    def percent_in(self, store_id: int) -> int | None:
        return self.stores.get(store_id, (True, None))[1] or self.promotion.percent


def running_promotions(*, merchant_id: int, generation: int | None) -> list[Running]:
    """The merchant's active promotions (whatever their dates: the caller checks the time)."""

    def load() -> list[Running]:
        promotions = list(Promotion.objects.filter(merchant_id=merchant_id, status=Promotion.Status.ACTIVE))
        answers: dict[int, dict[int, tuple[bool, int | None]]] = {}
        for row in PromotionStore.objects.filter(promotion__in=promotions):
            answers.setdefault(row.promotion_id, {})[row.store_id] = (row.enabled, row.percent)
        return [Running(p, answers.get(p.pk, {})) for p in promotions]

    return load() if generation is None else cached(merchant_id, generation, "promotions", load)


def _now_in(running: Running, now: datetime) -> bool:
    p = running.promotion
    return (p.starts_at is None or p.starts_at <= now) and (p.ends_at is None or now < p.ends_at)


@dataclass
class SaleOffers:
    """What the running promotions give one sale."""

    prices: dict[int, tuple[int, int]] = field(default_factory=dict)  # product → (unit price, promotion)
    limits: dict[int, int] = field(default_factory=dict)  # promotion → units the member may still buy
    extra_discount_pct: int = 100
    extra_promotion_id: int | None = None
    points_multiplier_pct: int = 100
    budgets: dict[int, int] = field(default_factory=dict)  # promotion → budget left (fen)
    budget_totals: dict[int, int] = field(default_factory=dict)  # promotion → its whole budget (fen)


def sale_offers(*, running: Sequence[Running], store: Store, now: datetime, unit_prices: dict[int, int],
                member_id: int | None, member_orders: int) -> SaleOffers:
    """Prices, member-day discount and points multiplier the sale gets, after the stores' answers,
    the member's unit limits and the budgets left (a query each only when some promotion has them)."""
    offers = SaleOffers()
    today = now.astimezone(ZoneInfo(store.timezone))
    live = [r for r in running if _now_in(r, now) and r.in_store(store.pk)]
    with_budget = [r.promotion.pk for r in live if r.promotion.budget_fen is not None]
    spent = dict(PromotionSpend.objects.filter(promotion_id__in=with_budget).values_list("promotion_id", "spent_fen")) \
        if with_budget else {}
    for r in live:
        p = r.promotion
        if p.budget_fen is not None:
            offers.budgets[p.pk] = p.budget_fen - spent.get(p.pk, 0)
            offers.budget_totals[p.pk] = p.budget_fen
            if offers.budgets[p.pk] <= 0:
                continue
        if p.kind in PRICE_KINDS:
            if p.kind == Promotion.Kind.NEW_CUSTOMER and (member_id is None or member_orders > 0):
                continue
            percent = r.percent_in(store.pk)
            for product_id in p.product_ids:
                if product_id not in unit_prices:
                    continue
                price = p.price_fen if p.price_fen is not None else percent_of(unit_prices[product_id], percent)
                if product_id not in offers.prices or price < offers.prices[product_id][0]:
                    offers.prices[product_id] = (price, p.pk)
        elif p.kind == Promotion.Kind.MEMBER_DAY and member_id is not None:
            day = today.isoweekday() if p.repeat == Promotion.Repeat.WEEKLY else today.day
            if day not in p.days:
                continue
            if p.extra_discount_pct and p.extra_discount_pct < offers.extra_discount_pct:
                offers.extra_discount_pct, offers.extra_promotion_id = p.extra_discount_pct, p.pk
            if p.points_multiplier_pct:
                offers.points_multiplier_pct = max(offers.points_multiplier_pct, p.points_multiplier_pct)
    limited = {pid for _price, pid in offers.prices.values()
               if next(r for r in live if r.promotion.pk == pid).promotion.per_member_qty is not None}
    if limited:
        if member_id is None:
            # A unit limit per member needs a member: walk-ins pay the regular price.
            offers.prices = {product: offer for product, offer in offers.prices.items() if offer[1] not in limited}
        else:
            from mendian.pos.models import OrderLine

            bought = dict(OrderLine.objects.filter(promotion_id__in=limited, order__member_id=member_id)
                          .values("promotion_id").annotate(n=Sum(F("qty") - F("refunded_qty")))
                          .values_list("promotion_id", "n"))
            for r in live:
                if r.promotion.pk in limited:
                    offers.limits[r.promotion.pk] = max(r.promotion.per_member_qty - (bought.get(r.promotion.pk) or 0),
                                                        0)
    return offers


def promotions_spend(*, spends: dict[int, int], budgets: dict[int, int]) -> None:
    """Count what each promotion gave in this sale or recharge; a budget (``budgets``: promotion → its
    whole budget) never goes over: 409 when a concurrent sale took the rest a moment ago, and the
    caller's transaction rolls back."""
    table = connection.ops.quote_name(PromotionSpend._meta.db_table)
    with connection.cursor() as cursor:
        for promotion_id, fen in spends.items():
            if promotion_id in budgets:
                budget = budgets[promotion_id]
                cursor.execute(f"UPDATE {table} SET spent_fen = spent_fen + %s, uses = uses + 1 "
                               f"WHERE promotion_id = %s AND spent_fen + %s <= %s",
                               [fen, promotion_id, fen, budget])
                if cursor.rowcount != 1:
                    raise Conflict("promotion_budget_used_up",
                                   _("A promotion of this order has just used up its budget; quote again."))
            else:
                cursor.execute(f"UPDATE {table} SET spent_fen = spent_fen + %s, uses = uses + 1 "
                               f"WHERE promotion_id = %s", [fen, promotion_id])


def recharge_bonus(*, running: Sequence[Running], store: Store, pay_fen: int,
                   now: datetime) -> tuple[Promotion | None, int]:
    """The best recharge-bonus promotion for this top-up, and the extra bonus it gives (half-up)."""
    best: tuple[Promotion | None, int] = (None, 0)
    for r in running:
        p = r.promotion
        if p.kind != Promotion.Kind.RECHARGE_BONUS or not _now_in(r, now) or not r.in_store(store.pk):
            continue
        if pay_fen < p.min_pay_fen:
            continue
        extra = div_half_up(pay_fen * p.bonus_pct, 100)
        if p.budget_fen is not None:
            left = p.budget_fen - PromotionSpend.objects.filter(promotion=p).values_list("spent_fen", flat=True)[0]
            if extra > left:
                continue
        if extra > best[1]:
            best = (p, extra)
    return best


def gift_promotions(*, running: Sequence[Running], kind: str, store_id: int, now: datetime) -> list[Promotion]:
    return [r.promotion for r in running if r.promotion.kind == kind and r.promotion.gift_pack_id
            and _now_in(r, now) and r.in_store(store_id)]


# --- gifts (注册有礼, 进店有礼, 生日礼) --------------------------------------------------------------
def give_pack(*, pack: GiftPack, member_ids: Sequence[int], tz_name: str, when: datetime,
              run_id: int | None = None) -> int:
    """Issue a gift pack's coupons to the members (inside the caller's transaction); coupons that are
    paused, ended or out of stock are left out. Returns how many members got something."""
    from .coupons import issue_coupons
    from .models import Coupon, CouponTemplate

    reached: set[int] = set()
    for item in pack.items.select_related("template"):
        template = item.template
        if template.status != CouponTemplate.Status.ACTIVE or (template.valid_until and template.valid_until <= when):
            continue
        result = issue_coupons(template=template, member_ids=member_ids, when=when, tz_name=tz_name,
                               source=Coupon.Source.GIFT, run_id=run_id, copies=item.quantity)
        reached.update(result.member_ids)
    return len(reached)


def give_gifts(*, kind: str, merchant: Any, store: Store, member_ids: Sequence[int],
               when: datetime | None = None) -> None:
    """The gift packs of the running promotions of ``kind`` for members registered or served in ``store``."""
    from django.utils import timezone

    when = when or timezone.now()
    from .models import IssueRun

    running = running_promotions(merchant_id=merchant.pk, generation=generation(merchant.pk))
    for promotion in gift_promotions(running=running, kind=kind, store_id=store.pk, now=when):
        # One run per promotion holds all it gave: its results count them, and nobody gets it twice.
        run, _created = IssueRun.objects.get_or_create(
            merchant=merchant, key=f"gift:{promotion.pk}",
            defaults={"target": IssueRun.Target.GIFT, "gift_pack_id": promotion.gift_pack_id, "promotion": promotion,
                      "status": IssueRun.Status.RUNNING})
        new = [m for m in member_ids if not run.coupons.filter(member_id=m).exists()]
        reached = give_pack(pack=promotion.gift_pack, member_ids=new, tz_name=merchant.timezone, when=when,
                            run_id=run.pk) if new else 0
        if reached:
            IssueRun.objects.filter(pk=run.pk).update(members_total=F("members_total") + len(new),
                                                      issued=F("issued") + reached)
            PromotionSpend.objects.filter(promotion=promotion).update(uses=F("uses") + reached)


def birthday_gifts_due(*, merchant: Any, today: Any) -> int:
    """生日礼: each running birthday-gift promotion gives its pack to the members whose birthday (solar or
    lunar, as each keeps it) is in this month, once per member and year, registered in its stores. Run
    daily, so members who join during their birthday month get it the next day."""
    from django.utils import timezone

    from mendian.members.birthdays import birthday_month_filter
    from mendian.members.models import Member

    from .models import IssueRun

    given = 0
    now = timezone.now()
    running = running_promotions(merchant_id=merchant.pk, generation=None)
    for r in running:
        promotion = r.promotion
        if promotion.kind != Promotion.Kind.BIRTHDAY_GIFT or not promotion.gift_pack_id or not _now_in(r, now):
            continue
        with transaction.atomic():
            run, _created = IssueRun.objects.get_or_create(
                merchant=merchant, key=f"birthday:{promotion.pk}:{today.year}",
                defaults={"target": IssueRun.Target.GIFT, "gift_pack_id": promotion.gift_pack_id,
                          "promotion": promotion, "status": IssueRun.Status.RUNNING})
            members = Member.objects.filter(birthday_month_filter(today.year, today.month), merchant=merchant,
                                            erased_at__isnull=True)
            if promotion.store_ids or promotion.stores_opt_in:
                stores = Store.objects.filter(merchant=merchant).values_list("pk", flat=True)
                members = members.filter(registered_store_id__in=[s for s in stores if r.in_store(s)])
            members = members.exclude(pk__in=run.coupons.values("member_id"))
            member_ids = list(members.values_list("pk", flat=True))
            if not member_ids:
                continue
            reached = give_pack(pack=promotion.gift_pack, member_ids=member_ids, tz_name=merchant.timezone,
                                when=now, run_id=run.pk)
            IssueRun.objects.filter(pk=run.pk).update(members_total=F("members_total") + len(member_ids),
                                                      issued=F("issued") + reached)
            PromotionSpend.objects.filter(promotion=promotion).update(uses=F("uses") + reached)
            given += reached
    return given
