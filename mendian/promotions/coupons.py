"""Every change of coupons: templates, issuing (one member or a million), claims, use at checkout and
the return of used coupons by a full refund."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Category, Product, ProductGroup
from mendian.core.bulk import insert_rows, reserve_ids
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.time import day_bounds, local_date
from mendian.core.validation import required_text
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .engine import CouponIn
from .models import Coupon, CouponStock, CouponTemplate

CODE_DIGITS = 18
MAX_AMOUNT_FEN = 10**9
SCOPE_FIELDS = {
    "include_product_ids": Product, "exclude_product_ids": Product,
    "include_category_ids": Category, "exclude_category_ids": Category,
    "include_group_ids": ProductGroup, "exclude_group_ids": ProductGroup,
}
TEMPLATE_FIELDS = (
    "name", "description", "kind", "amount_fen", "percent", "max_discount_fen", "min_spend_fen", "item_mode",
    "item_price_fen", *SCOPE_FIELDS, "store_ids", "valid_from", "valid_until", "valid_days", "total_quantity",
    "per_member_limit", "stackable", "stack_group", "at_counter", "online", "claimable", "cost_bearer",
)


# --- templates -------------------------------------------------------------------------------
def _amount(value: Any, field_name: str, *, required: bool, allow_zero: bool = False) -> int | None:
    if value is None:
        if required:
            raise InvalidInput("amount_required", _("Give the amount."), field=field_name)
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero) \
            or value > MAX_AMOUNT_FEN:
        raise InvalidInput("invalid_amount", _("Amounts are whole numbers of fen above zero."), field=field_name)
    return value


def _percent(value: Any, field_name: str = "percent") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 99:
        raise InvalidInput("invalid_percent", _("The percent paid is between 1 and 99 (80 means 8折)."),
                           field=field_name)
    return value


def _ids(merchant: Merchant, model: type, values: Any, field_name: str) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise InvalidInput("invalid_ids", _("Give a list of ids."), field=field_name)
    wanted = sorted(set(values))
    found = set(model.objects.filter(merchant=merchant, pk__in=wanted).values_list("pk", flat=True))
    missing = [v for v in wanted if v not in found]
    if missing:
        raise NotFound(f"{model._meta.model_name}_not_found", _("Not found: %(ids)s.") % {"ids": missing},
                       field=field_name, detail={"ids": missing})
    return wanted


def _clean(access: Access, data: dict[str, Any]) -> dict[str, Any]:
    """The whole template checked (the merged old and new values on an update)."""
    kinds = CouponTemplate.Kind
    cleaned = dict(data)
    cleaned["name"] = required_text(data.get("name"), field="name", message=_("Name the coupon."), max_length=60)
    cleaned["description"] = (data.get("description") or "").strip()[:200]
    kind = data.get("kind")
    if kind not in kinds.values:
        raise InvalidInput("invalid_kind", _("Choose a kind of coupon."), field="kind")
    min_spend = _amount(data.get("min_spend_fen") or 0, "min_spend_fen", required=True, allow_zero=True)
    cleaned["min_spend_fen"] = min_spend
    for name in ("amount_fen", "percent", "max_discount_fen", "item_price_fen"):
        cleaned.setdefault(name, None)
    if kind in (kinds.AMOUNT_OFF, kinds.VOUCHER):
        amount = _amount(data.get("amount_fen"), "amount_fen", required=True)
        if kind == kinds.AMOUNT_OFF and 0 < min_spend < amount:
            raise InvalidInput("threshold_below_amount",
                               _("The minimum spend of an amount-off coupon cannot be below its amount."),
                               field="min_spend_fen")
        if kind == kinds.VOUCHER and min_spend:
            raise InvalidInput("voucher_has_no_threshold", _("A voucher has no minimum spend."),
                               field="min_spend_fen")
        cleaned.update(amount_fen=amount, percent=None, max_discount_fen=None, item_mode="", item_price_fen=None)
    elif kind == kinds.PERCENT_OFF:
        cleaned.update(percent=_percent(data.get("percent")), amount_fen=None, item_mode="", item_price_fen=None,
                       max_discount_fen=_amount(data.get("max_discount_fen"), "max_discount_fen", required=False))
    else:
        mode = data.get("item_mode")
        if mode not in CouponTemplate.ItemMode.values:
            raise InvalidInput("invalid_item_mode", _("Say what the item coupon gives: free, a price or a percent."),
                               field="item_mode")
        cleaned.update(amount_fen=None,
                       percent=_percent(data.get("percent")) if mode == "percent" else None,
                       item_price_fen=_amount(data.get("item_price_fen"), "item_price_fen", required=True,
                                              allow_zero=True) if mode == "price" else None,
                       max_discount_fen=_amount(data.get("max_discount_fen"), "max_discount_fen", required=False))
    for name, model in SCOPE_FIELDS.items():
        cleaned[name] = _ids(access.merchant, model, data.get(name), name)
    cleaned["store_ids"] = _ids(access.merchant, Store, data.get("store_ids"), "store_ids")
    valid_from, valid_until, days = data.get("valid_from"), data.get("valid_until"), data.get("valid_days")
    if days is not None and (valid_from is not None or valid_until is not None):
        raise InvalidInput("validity_twice", _("Give either fixed dates or a number of days after issue, not both."),
                           field="valid_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650):
        raise InvalidInput("invalid_valid_days", _("Valid for 1 to 3,650 days."), field="valid_days")
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise InvalidInput("invalid_period", _("The validity ends before it starts."), field="valid_until")
    for name in ("total_quantity", "per_member_limit"):
        value = data.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10**8):
            raise InvalidInput("invalid_quantity", _("Quantities are whole numbers above zero."), field=name)
    cleaned["stack_group"] = (data.get("stack_group") or "").strip()[:30]
    if data.get("cost_bearer", CouponTemplate.CostBearer.HQ) not in CouponTemplate.CostBearer.values:
        raise InvalidInput("invalid_cost_bearer", _("The cost is borne by head office or the store."),
                           field="cost_bearer")
    return cleaned


def template_create(*, access: Access, **fields: Any) -> CouponTemplate:
    access.require("coupons.manage")
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise InvalidInput("unknown_fields", _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    cleaned = _clean(access, fields)
    with transaction.atomic():
        template = CouponTemplate.objects.create(merchant=access.merchant, **cleaned)
        CouponStock.objects.create(template=template)
        audit_record(merchant=access.merchant, actor=access, action="coupon_template.created", target=template,
                     changes={"kind": template.kind, "name": template.name})
    return template


def template_update(*, access: Access, template: CouponTemplate, **fields: Any) -> CouponTemplate:
    """Change a template; coupons already issued keep their validity, the rest applies from now on."""
    access.require("coupons.manage")
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise InvalidInput("unknown_fields", _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = {name: getattr(template, name) for name in TEMPLATE_FIELDS}
    cleaned = _clean(access, {**current, **fields})
    with transaction.atomic():
        issued = CouponStock.objects.select_for_update().get(template=template).issued
        if cleaned["total_quantity"] is not None and cleaned["total_quantity"] < issued:
            raise Conflict("quantity_below_issued", _("%(issued)s coupons were already issued.") % {"issued": issued},
                           field="total_quantity", detail={"issued": issued})
        changes = {name: [str(current[name]), str(value)] for name, value in cleaned.items() if current[name] != value}
        for name, value in cleaned.items():
            setattr(template, name, value)
        template.save()
        audit_record(merchant=access.merchant, actor=access, action="coupon_template.updated", target=template,
                     changes=changes)
    return template


def template_set_status(*, access: Access, template: CouponTemplate, status: str) -> CouponTemplate:
    access.require("coupons.manage")
    if status not in CouponTemplate.Status.values:
        raise InvalidInput("invalid_status", _("Choose active, paused or ended."), field="status")
    if template.status == CouponTemplate.Status.ENDED and status != template.status:
        raise Conflict("template_ended", _("An ended coupon cannot be started again; copy it instead."))
    with transaction.atomic():
        old, template.status = template.status, status
        template.save(update_fields=["status", "updated_at"])
        audit_record(merchant=access.merchant, actor=access, action="coupon_template.status", target=template,
                     changes={"status": [old, status]})
    return template


# --- issuing -----------------------------------------------------------------------------------
def coupon_window(template: CouponTemplate, issued_at: datetime,
                  tz_name: str) -> tuple[datetime | None, datetime | None]:
    """When a coupon issued at ``issued_at`` can be used: the template's dates, or N days from the issue
    day (to the end of the Nth local day)."""
    if template.valid_days:
        last_day = local_date(issued_at, tz_name) + timedelta(days=template.valid_days - 1)
        return issued_at, day_bounds(last_day, tz_name)[1] - timedelta(microseconds=1)
    return template.valid_from, template.valid_until


def new_codes(count: int) -> list[str]:
    """Redeem codes (核销码): 18 random digits, hard to guess, distinct within the batch."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}")
    return list(codes)


@dataclass
class IssueResult:
    """What an issue did: the coupons' ids, and the members left out by reason ("limit", "stock")."""

    coupon_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=lambda: {"limit": [], "stock": []})


def _reserve_stock(template: CouponTemplate, wanted: int) -> int:
    """Take up to ``wanted`` coupons from the template's stock; returns how many were granted."""
    if wanted <= 0:
        return 0
    stock = CouponStock.objects.select_for_update().get(template_id=template.pk)
    granted = wanted if template.total_quantity is None else max(min(wanted, template.total_quantity - stock.issued), 0)
    if granted:
        CouponStock.objects.filter(template_id=template.pk).update(issued=stock.issued + granted)
    return granted


def issue_coupons(*, template: CouponTemplate, member_ids: Sequence[int], when: datetime, tz_name: str,
                  source: str = Coupon.Source.ISSUE, run_id: int | None = None, copies: int = 1,
                  staff_id: int | None = None) -> IssueResult:
    """Issue ``copies`` coupons of ``template`` to each member (inside the caller's transaction), within
    the per-member limit and the stock; the members are this merchant's and distinct. Bulk: a handful of
    statements whatever the number of members, the coupons written with ``COPY`` on PostgreSQL."""
    result = IssueResult()
    wanted: list[int] = []
    if template.per_member_limit is not None:
        held = dict(Coupon.objects.filter(merchant_id=template.merchant_id, template=template,
                                          member_id__in=member_ids).values("member_id")
                    .annotate(n=Count("id")).values_list("member_id", "n")) if len(member_ids) < 20_000 else \
            dict(Coupon.objects.filter(merchant_id=template.merchant_id, template=template).values("member_id")
                 .annotate(n=Count("id")).values_list("member_id", "n"))
        for member_id in member_ids:
            if held.get(member_id, 0) + copies > template.per_member_limit:
                result.skipped["limit"].append(member_id)
            else:
                wanted.append(member_id)
    else:
        wanted = list(member_ids)
    granted_members = _reserve_stock(template, len(wanted) * copies) // copies
    result.skipped["stock"] = wanted[granted_members:]
    wanted = wanted[:granted_members]
    if not wanted:
        return result
    valid_from, valid_until = coupon_window(template, when, tz_name)
    count = len(wanted) * copies
    ids = reserve_ids(Coupon, count)
    rows = ((cid, template.merchant_id, template.pk, member_id, code, Coupon.Status.UNUSED, valid_from, valid_until,
             source, run_id, copy_no, when, 0)
            for cid, (member_id, copy_no), code in zip(
                ids, ((m, c) for m in wanted for c in range(1, copies + 1)), new_codes(count), strict=True))
    columns = ("id", "merchant_id", "template_id", "member_id", "code", "status", "valid_from", "valid_until",
               "source", "issue_run_id", "copy_no", "issued_at", "discount_fen")
    try:
        with transaction.atomic():
            insert_rows(Coupon, columns, rows)
    except IntegrityError:
        # A redeem code met an existing one (about one chance in 10¹²): draw them again once.
        rows = ((cid, template.merchant_id, template.pk, member_id, code, Coupon.Status.UNUSED, valid_from,
                 valid_until, source, run_id, copy_no, when, 0)
                for cid, (member_id, copy_no), code in zip(
                    ids, ((m, c) for m in wanted for c in range(1, copies + 1)), new_codes(count), strict=True))
        insert_rows(Coupon, columns, rows)
    result.coupon_ids, result.member_ids = ids, wanted
    return result


def _members_of(merchant: Merchant, member_ids: Iterable[Any]) -> list[int]:
    ids = list(member_ids or [])
    if not ids or not all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        raise InvalidInput("member_ids_required", _("Choose the members."), field="member_ids")
    wanted = list(dict.fromkeys(ids))
    found = set(Member.objects.filter(merchant=merchant, pk__in=wanted, erased_at__isnull=True)
                .values_list("pk", flat=True))
    missing = [m for m in wanted if m not in found]
    if missing:
        raise NotFound("member_not_found", _("Member not found."), field="member_ids", detail={"member_ids": missing})
    return wanted


def _require_issuable(template: CouponTemplate) -> None:
    if template.status != CouponTemplate.Status.ACTIVE:
        raise Conflict("template_not_active", _("This coupon is paused or ended."))
    if template.valid_until is not None and template.valid_until <= timezone.now():
        raise Conflict("template_expired", _("This coupon's validity has ended."))


MAX_DIRECT_ISSUE = 10_000


def coupons_issue_now(*, access: Access, template: CouponTemplate, member_ids: Sequence[int]) -> IssueResult:
    """Issue to a list of members at once (``POST /coupon-templates/{id}/issue``); larger audiences go
    through an issue run in the background."""
    access.require("coupons.issue")
    _require_issuable(template)
    wanted = _members_of(access.merchant, member_ids)
    if len(wanted) > MAX_DIRECT_ISSUE:
        raise InvalidInput("too_many_members", _("Issue to more than %(n)s members with an issue run.")
                           % {"n": MAX_DIRECT_ISSUE}, field="member_ids")
    with transaction.atomic():
        result = issue_coupons(template=template, member_ids=wanted, when=timezone.now(),
                               tz_name=access.merchant.timezone, staff_id=access.staff.pk)
        audit_record(merchant=access.merchant, actor=access, action="coupon.issued", target=template,
                     changes={"issued": len(result.coupon_ids), "skipped_limit": len(result.skipped["limit"]),
                              "skipped_stock": len(result.skipped["stock"])})
    return result


def coupon_claim(*, merchant: Merchant, member: Member, template: CouponTemplate) -> Coupon:
    """The claim centre (领券中心): one coupon to the member, within the stock and their limit (409 beyond)."""
    if template.merchant_id != merchant.pk or member.merchant_id != merchant.pk:
        raise NotFound("coupon_template_not_found", _("Coupon not found."))
    if not template.claimable:
        raise NotFound("coupon_template_not_found", _("Coupon not found."))
    _require_issuable(template)
    with transaction.atomic():
        # The member's row lock makes their count and their claim one step (two taps claim once each).
        Member.objects.select_for_update().filter(pk=member.pk).first()
        result = issue_coupons(template=template, member_ids=[member.pk], when=timezone.now(),
                               tz_name=merchant.timezone, source=Coupon.Source.CLAIM)
        if result.skipped["limit"]:
            raise Conflict("claim_limit_reached", _("You already have as many of this coupon as allowed."))
        if result.skipped["stock"]:
            raise Conflict("coupon_out_of_stock", _("This coupon has all been claimed."))
    return Coupon.objects.get(pk=result.coupon_ids[0])


# --- at the counter ------------------------------------------------------------------------------
def coupon_inputs(*, member_id: int, merchant_id: int, templates: dict[int, CouponTemplate],
                  now: datetime) -> tuple[CouponIn, ...]:
    """The member's unused coupons that are still valid, as the pricing engine's inputs (one query;
    the templates come from the caller, usually the settings cache)."""
    rows = Coupon.objects.filter(merchant_id=merchant_id, member_id=member_id, status=Coupon.Status.UNUSED) \
        .exclude(valid_until__lt=now).values_list("id", "template_id", "valid_from", "valid_until")
    coupons = []
    for coupon_id, template_id, valid_from, valid_until in rows:
        template = templates.get(template_id)
        if template is None or template.status == CouponTemplate.Status.ENDED:
            continue
        coupons.append(coupon_in(template, coupon_id, valid_from, valid_until))
    return tuple(coupons)


def coupons_not_held(*, merchant_id: int, member_id: int | None, coupon_ids: set[int]) -> list[int]:
    """Of these ids, those that are not coupons of the member (another member's, another merchant's,
    or none at all), smallest first. One query, only for ids the sale could not use."""
    if not coupon_ids:
        return []
    held = set(Coupon.objects.filter(merchant_id=merchant_id, member_id=member_id, pk__in=coupon_ids)
               .values_list("pk", flat=True)) if member_id is not None else set()
    return sorted(coupon_ids - held)


def coupon_in(template: CouponTemplate, coupon_id: int, valid_from: datetime | None,
              valid_until: datetime | None) -> CouponIn:
    def ids(values: list[int]) -> frozenset[int] | None:
        return frozenset(values) if values else None

    return CouponIn(
        coupon_id=coupon_id, template_id=template.pk, kind=template.kind, amount_fen=template.amount_fen or 0,
        percent=template.percent or 100, max_discount_fen=template.max_discount_fen,
        min_spend_fen=template.min_spend_fen, include_product_ids=ids(template.include_product_ids),
        include_category_ids=ids(template.include_category_ids), include_group_ids=ids(template.include_group_ids),
        exclude_product_ids=frozenset(template.exclude_product_ids),
        exclude_category_ids=frozenset(template.exclude_category_ids),
        exclude_group_ids=frozenset(template.exclude_group_ids), store_ids=ids(template.store_ids),
        stackable=template.stackable, stack_group=template.stack_group, valid_from=valid_from,
        valid_until=valid_until, at_counter=template.at_counter, item_mode=template.item_mode,
        item_price_fen=template.item_price_fen,
    )


def coupons_use(*, merchant_id: int, member_id: int, discounts: dict[int, int], order_id: int, store_id: int,
                staff: Staff | None, when: datetime) -> None:
    """Mark the order's coupons used, in one guarded statement: a coupon another checkout used a moment
    ago makes this one fail with 409 ``coupon_unavailable`` (and the caller's transaction roll back)."""
    if not discounts:
        return
    table = connection.ops.quote_name(Coupon._meta.db_table)
    ids = list(discounts)
    cases = " ".join("WHEN %s THEN %s" for _ in ids)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, used_at = %s, order_id = %s, used_store_id = %s, used_by_id = %s, "
            f"discount_fen = CASE id {cases} END WHERE merchant_id = %s AND member_id = %s AND status = %s "
            f"AND id IN ({placeholders})",
            [Coupon.Status.USED, connection.ops.adapt_datetimefield_value(when), order_id, store_id,
             staff.pk if staff else None, *[v for pair in discounts.items() for v in pair], merchant_id, member_id,
             Coupon.Status.UNUSED, *ids])
        if cursor.rowcount != len(ids):
            raise Conflict("coupon_unavailable", _("A coupon of this order was used a moment ago; quote again."),
                           field="coupon_ids")


def coupons_give_back(*, order_id: int, merchant_id: int, now: datetime) -> list[int]:
    """A full refund makes the order's coupons usable again while they are still valid."""
    back = list(Coupon.objects.filter(merchant_id=merchant_id, order_id=order_id, status=Coupon.Status.USED)
                .exclude(valid_until__lt=now).values_list("id", flat=True))
    if back:
        Coupon.objects.filter(pk__in=back).update(status=Coupon.Status.UNUSED, used_at=None, order=None,
                                                  used_store=None, used_by=None, discount_fen=0)
    return back


def reason_text(reason: str | None, min_spend_fen: int, blocked_by: Sequence[str] = ()) -> str:
    """Why a coupon cannot be used on this order, in the cashier's words ("未满100元", "不适用于本门店")."""
    from mendian.core.money import format_fen

    if blocked_by:
        return str(_("Cannot be used together with %(names)s") % {"names": "、".join(blocked_by)})
    texts = {
        "expired": _("Expired"),
        "not_yet_valid": _("Not valid yet"),
        "not_in_store": _("Not valid in this store"),
        "not_at_counter": _("Only online"),
        "no_eligible_products": _("Not for these products"),
        "below_min_spend": _("Spend at least %(min)s") % {"min": format_fen(min_spend_fen)},
    }
    return str(texts.get(reason, "")) if reason else ""
