"""Every change of levels, the points rule and points. The counter and recharge call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.db import guarded_add
from mendian.core.errors import Conflict, InvalidInput
from mendian.core.time import local_date
from mendian.core.validation import required_text
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.audit import diff
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .errors import InsufficientPoints
from .models import Level, LoyaltyAccount, PointsEntry, PointsLot, PointsLotUse, PointsRule

MAX_POINTS_CHANGE = 10**9


# --- the points rule -------------------------------------------------------------------------
RULE_FIELDS = ("points_per_yuan", "redeem_points", "redeem_fen", "max_redeem_pct", "expire_after_days",
               "register_points", "birthday_points")


def points_rule_get(*, merchant: Merchant) -> PointsRule:
    """The merchant's rule; merchants that never set one earn 1 point per yuan and redeem 100 points for ¥1."""
    rule = PointsRule.objects.filter(merchant=merchant).first()
    return rule or PointsRule(merchant=merchant)


def points_rule_set(*, access: Access, **fields: Any) -> PointsRule:
    access.require("loyalty.settings")
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    for name, value in fields.items():
        if value is None and name == "expire_after_days":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput("invalid_points_rule", _("Points rule values are whole numbers, not negative."),
                               field=name)
    if fields.get("redeem_points", 1) <= 0 or fields.get("redeem_fen", 1) <= 0:
        raise InvalidInput("invalid_points_rule", _("A redeem unit needs points and a value above zero."),
                           field="redeem_points")
    if fields.get("max_redeem_pct", 0) > 100:
        raise InvalidInput("invalid_points_rule", _("Points can pay at most the whole bill."), field="max_redeem_pct")
    if fields.get("expire_after_days") == 0:
        raise InvalidInput("invalid_points_rule", _("Points expire after at least one day (or never)."),
                           field="expire_after_days")
    with transaction.atomic():
        rule = PointsRule.objects.select_for_update().filter(merchant=access.merchant).first()
        before = {f: getattr(rule, f) for f in RULE_FIELDS} if rule else {}
        rule = rule or PointsRule(merchant=access.merchant)
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.save()
        audit_record(merchant=access.merchant, actor=access, action="points_rule.changed", target=rule,
                     target_label=str(_("Points rule")),
                     changes=diff(before, {f: getattr(rule, f) for f in RULE_FIELDS}))
    return rule


# --- levels ----------------------------------------------------------------------------------
LEVEL_FIELDS = ("name", "rank", "upgrade_by", "threshold", "discount_pct", "points_multiplier_pct", "benefits")


def _clean_level(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = required_text(cleaned["name"], field="name", message=_("Name the level."), max_length=40)
    if "upgrade_by" in cleaned and cleaned["upgrade_by"] not in Level.UpgradeBy.values:
        raise InvalidInput("invalid_upgrade_by", _("Levels upgrade by spend, recharge or points."),
                           field="upgrade_by")
    for name, low, high in (("rank", 0, 1000), ("threshold", 0, 10**13), ("discount_pct", 1, 100),
                            ("points_multiplier_pct", 0, 10000)):
        if name in cleaned:
            value = cleaned[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput("invalid_level", _("This value is out of range."), field=name,
                                   detail={"min": low, "max": high})
    return cleaned


def _level_conflict(merchant: Merchant, cleaned: dict[str, Any], exclude: int | None = None) -> None:
    levels = Level.objects.filter(merchant=merchant).exclude(pk=exclude)
    if "rank" in cleaned and levels.filter(rank=cleaned["rank"]).exists():
        raise Conflict("level_rank_taken", _("Another level has this rank."), field="rank")
    if "name" in cleaned and levels.filter(name=cleaned["name"]).exists():
        raise Conflict("level_name_taken", _("Another level has this name."), field="name")


def level_create(*, access: Access, **fields: Any) -> Level:
    access.require("loyalty.settings")
    cleaned = _clean_level(fields)
    _level_conflict(access.merchant, cleaned)
    try:
        with transaction.atomic():
            level = Level.objects.create(merchant=access.merchant, **cleaned)
            audit_record(merchant=access.merchant, actor=access, action="level.created", target=level,
                         changes={"created": {f: getattr(level, f) for f in LEVEL_FIELDS}})
    except IntegrityError as exc:
        raise Conflict("level_rank_taken", _("Another level has this rank."), field="rank") from exc
    return level


def level_update(*, access: Access, level: Level, **fields: Any) -> Level:
    access.require("loyalty.settings")
    cleaned = _clean_level(fields)
    _level_conflict(access.merchant, cleaned, exclude=level.pk)
    before = {f: getattr(level, f) for f in LEVEL_FIELDS}
    for name, value in cleaned.items():
        setattr(level, name, value)
    changes = diff(before, {f: getattr(level, f) for f in LEVEL_FIELDS})
    if changes:
        with transaction.atomic():
            level.save()
            audit_record(merchant=access.merchant, actor=access, action="level.updated", target=level,
                         changes=changes)
    return level


def level_delete(*, access: Access, level: Level) -> None:
    access.require("loyalty.settings")
    if LoyaltyAccount.objects.filter(merchant=access.merchant, level=level).exists():
        raise Conflict("level_in_use", _("Members hold this level; move them to another level first."))
    with transaction.atomic():
        audit_record(merchant=access.merchant, actor=access, action="level.deleted", target=level)
        level.delete()


def lowest_level(merchant: Merchant) -> Level | None:
    return Level.objects.filter(merchant=merchant).order_by("rank").first()


@dataclass(frozen=True)
class Figures:
    """What levels upgrade by: spend (net of refunds), principal recharged (net), points earned."""

    spend_fen: int
    recharge_fen: int
    points_earned: int

    def of(self, upgrade_by: str) -> int:
        return {"spend": self.spend_fen, "recharge": self.recharge_fen, "points": self.points_earned}[upgrade_by]


def level_upgrade(*, member: Member, account: LoyaltyAccount | None = None) -> Level | None:
    """Raise the member to the highest level whose threshold their figure now reaches (never down).

    Called by checkout, refunds and recharge after they changed the member's figures. Returns the new
    level when it changed, else None.
    """
    from mendian.wallet.selectors import recharged_total_fen

    account = account or LoyaltyAccount.objects.get(member=member)
    current_rank = -1
    levels = list(Level.objects.filter(merchant_id=member.merchant_id).order_by("-rank"))
    if account.level_id is not None:
        current_rank = next((lv.rank for lv in levels if lv.pk == account.level_id), -1)
    figures = Figures(spend_fen=member.total_spent_fen, recharge_fen=recharged_total_fen(member=member),
                      points_earned=account.points_earned_total)
    for level in levels:
        if level.rank <= current_rank:
            return None
        if figures.of(level.upgrade_by) >= level.threshold:
            now = timezone.now()
            LoyaltyAccount.objects.filter(pk=account.pk).update(level=level, level_changed_at=now)
            account.level, account.level_changed_at = level, now
            audit_record(merchant=member.merchant, action="level.changed", target=member,
                         changes={"level": [current_rank if current_rank >= 0 else None, level.name],
                                  "reason": "upgrade"})
            return level
    return None


def level_set(*, access: Access, member: Member, level: Level, reason: str) -> LoyaltyAccount:
    """Change a member's level by hand, with a reason (audited)."""
    access.require("loyalty.change_level")
    reason = required_text(reason, field="reason", message=_("Give a reason."), max_length=200)
    if level.merchant_id != access.merchant.pk:
        raise InvalidInput("level_not_found", _("Level not found."), field="level_id")
    with transaction.atomic():
        account = LoyaltyAccount.objects.select_for_update(of=("self",)).select_related("level").get(member=member)
        old = account.level.name if account.level else None
        account.level, account.level_changed_at = level, timezone.now()
        account.save(update_fields=["level", "level_changed_at"])
        audit_record(merchant=access.merchant, actor=access, action="level.changed", target=member,
                     changes={"level": [old, level.name], "reason": reason})
    return account


# --- points ----------------------------------------------------------------------------------
def loyalty_enroll(*, member: Member, store: Store, staff: Staff | None = None,
                   points: int = 0, level: Level | None = None) -> LoyaltyAccount:
    """Open a new member's loyalty account at the lowest level and give the registration points."""
    account = LoyaltyAccount.objects.create(merchant_id=member.merchant_id, member=member,
                                            level=level or lowest_level(member.merchant))
    register_points = points_rule_get(merchant=member.merchant).register_points
    if register_points:
        points_change(account=account, member=member, delta=register_points, reason=PointsEntry.Reason.EARN,
                      ref_type="registration", ref_id=member.pk, store=store, staff=staff)
    return account


def _expiry(merchant: Merchant, earned_on: date, rule: PointsRule | None) -> date | None:
    rule = rule or points_rule_get(merchant=merchant)
    return earned_on + timedelta(days=rule.expire_after_days) if rule.expire_after_days else None


def points_change(
    *,
    account: LoyaltyAccount,
    member: Member,
    delta: int,
    reason: str,
    store: Store | None = None,
    staff: Staff | None = None,
    ref_type: str = "",
    ref_id: int | None = None,
    note: str = "",
    operation_key: str | None = None,
    when: datetime | None = None,
    rule: PointsRule | None = None,
    counts_as_earned: bool | None = None,
) -> PointsEntry:
    """The one place points change: guarded balance update, ledger entry, lots (FIFO on the way out).

    Raises ``InsufficientPoints`` (and changes nothing) when the balance would go below zero. Must run
    inside the caller's transaction.
    """
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_POINTS_CHANGE:
        raise InvalidInput("invalid_points", _("Points change by a whole number other than zero."), field="points")
    when = when or timezone.now()
    if counts_as_earned is None:
        counts_as_earned = reason == PointsEntry.Reason.EARN
    deltas = {"points": delta}
    if counts_as_earned:
        deltas["points_earned_total"] = delta
    updated = guarded_add(LoyaltyAccount, account.pk, deltas, not_below_zero=("points",))
    if updated is None:
        raise InsufficientPoints(detail={"points": delta})
    account.points = updated["points"]
    entry = PointsEntry.objects.create(
        merchant_id=account.merchant_id, account=account, member=member, delta=delta,
        balance_after=updated["points"], reason=reason, ref_type=ref_type, ref_id=ref_id, note=note[:200],
        store=store, staff=staff, operation_key=operation_key, created_at=when,
    )
    if delta > 0:
        merchant = member.merchant
        earned_on = local_date(when, merchant.timezone)
        PointsLot.objects.create(merchant_id=account.merchant_id, account=account, entry=entry, points=delta,
                                 remaining=delta, earned_on=earned_on,
                                 expires_on=_expiry(merchant, earned_on, rule))
    else:
        _consume_lots(account=account, entry=entry, points=-delta)
    return entry


def _consume_lots(*, account: LoyaltyAccount, entry: PointsEntry, points: int) -> None:
    """Take ``points`` from the account's lots, those expiring first first (never-expiring last)."""
    lots = list(
        PointsLot.objects.select_for_update()
        .filter(account=account, remaining__gt=0)
        .order_by(F("expires_on").asc(nulls_last=True), "id")
    )
    uses = []
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        uses.append(PointsLotUse(lot=lot, entry=entry, points=take))
        left -= take
    if left:
        # The balance guard passed, so the lots must cover it; anything else is a broken ledger.
        raise RuntimeError(f"points lots of account {account.pk} are short by {left}")
    PointsLotUse.objects.bulk_create(uses)


def points_adjust(*, access: Access, member: Member, delta: int, note: str,
                  store: Store | None = None) -> PointsEntry:
    """Add or take points by hand, with a reason; never below zero."""
    access.require("loyalty.adjust_points")
    note = required_text(note, field="note", message=_("Give a reason."), max_length=200)
    if store is not None:
        access.require_store(store.pk)
    with transaction.atomic():
        account = LoyaltyAccount.objects.select_for_update().get(member=member)
        entry = points_change(account=account, member=member, delta=delta, reason=PointsEntry.Reason.ADJUST,
                              store=store, staff=access.staff, note=note, ref_type="manual")
        audit_record(merchant=access.merchant, actor=access, action="points.adjusted", target=member, store=store,
                     changes={"points": delta, "balance_after": entry.balance_after, "note": note})
    return entry


def points_expire_due(*, merchant: Merchant, today: date) -> int:
    """Expire what is left of every lot whose date has passed (daily task). Returns the points expired."""
    expired_total = 0
    lots = list(PointsLot.objects.filter(merchant=merchant, remaining__gt=0, expires_on__lt=today)
                .values_list("id", "account_id"))
    for lot_id, account_id in lots:
        with transaction.atomic():
            # The account first, then its lots: the same order as spending, so the two never deadlock.
            account = LoyaltyAccount.objects.select_for_update(of=("self",)).select_related("member").get(pk=account_id)
            lot = PointsLot.objects.select_for_update().get(pk=lot_id)
            if lot.remaining <= 0:
                continue
            amount = lot.remaining
            updated = guarded_add(LoyaltyAccount, account.pk, {"points": -amount}, not_below_zero=("points",))
            if updated is None:
                raise RuntimeError(f"account {account.pk} holds less than its lots")
            entry = PointsEntry.objects.create(
                merchant=merchant, account=account, member=account.member, delta=-amount,
                balance_after=updated["points"], reason=PointsEntry.Reason.EXPIRE, ref_type="lot", ref_id=lot.pk,
                operation_key=f"expire:{lot.pk}", created_at=timezone.now(),
            )
            PointsLot.objects.filter(pk=lot.pk).update(remaining=0)
            PointsLotUse.objects.create(lot=lot, entry=entry, points=amount)
            expired_total += amount
    return expired_total


def points_award_birthdays(*, merchant: Merchant, today: date) -> int:
    """Give the birthday points to members whose birthday (solar or lunar) is ``today``, once a year each."""
    from mendian.members.birthdays import birthday_filter

    points = points_rule_get(merchant=merchant).birthday_points
    if not points:
        return 0
    awarded = 0
    members = Member.objects.filter(birthday_filter(today), merchant=merchant, erased_at__isnull=True)
    for member in members.select_related("merchant", "registered_store").iterator(500):
        key = f"birthday:{member.pk}:{today.year}"
        try:
            with transaction.atomic():
                account = LoyaltyAccount.objects.select_for_update().get(member=member)
                points_change(account=account, member=member, delta=points, reason=PointsEntry.Reason.EARN,
                              ref_type="birthday", ref_id=today.year, operation_key=key,
                              store=member.registered_store, note=str(_("Birthday points")))
        except IntegrityError:
            continue  # already given this year
        awarded += 1
    return awarded
