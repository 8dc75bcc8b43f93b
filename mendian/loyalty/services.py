"""Every change of levels, the points rule and points. The counter and recharge call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput
from mendian.core.time import local_date
from mendian.core.validation import required_text
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.audit import diff
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .errors import InsufficientPoints
from .models import Level, LoyaltyAccount, PointsEntry, PointsRule

MAX_POINTS_CHANGE = 10**9


# --- the points rule -------------------------------------------------------------------------
RULE_FIELDS = ("points_per_yuan", "redeem_points", "redeem_fen", "max_redeem_pct", "expire_after_days",
               "register_points", "birthday_points")


def points_rule_get(*, merchant: Merchant | None = None, merchant_id: int | None = None) -> PointsRule:
    """The merchant's rule; merchants that never set one earn 1 point per yuan and redeem 100 points for ¥1."""
    merchant_id = merchant.pk if merchant is not None else merchant_id
    rule = PointsRule.objects.filter(merchant_id=merchant_id).first()
    return rule or PointsRule(merchant_id=merchant_id)


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


def level_reached(*, account: LoyaltyAccount, levels: list[Level], figures: Figures) -> Level | None:
    """The highest level above the account's that ``figures`` reach (levels never go down), or None."""
    current_rank = next((lv.rank for lv in levels if lv.pk == account.level_id), -1)
    for level in sorted(levels, key=lambda lv: -lv.rank):
        if level.rank <= current_rank:
            return None
        if figures.of(level.upgrade_by) >= level.threshold:
            return level
    return None


def level_change_audit(*, member: Member, old: Level | None, new: Level) -> None:
    audit_record(merchant=member.merchant, action="level.changed", target=member,
                 changes={"level": [old.name if old else None, new.name], "reason": "upgrade"})


def level_upgrade(*, member: Member, account: LoyaltyAccount, recharged_total_fen: int | None = None,
                  levels: list[Level] | None = None) -> Level | None:
    """Raise the member to the highest level whose threshold their figure now reaches (never down).

    Called by refunds and recharge after they changed the member's figures (checkout folds the same
    rule into its one update of the account). Returns the new level when it changed, else None.
    """
    from mendian.wallet.selectors import recharged_total_fen as recharged_total

    levels = levels if levels is not None else list(Level.objects.filter(merchant_id=member.merchant_id))
    figures = Figures(spend_fen=member.total_spent_fen,
                      recharge_fen=recharged_total(member=member) if recharged_total_fen is None
                      else recharged_total_fen,
                      points_earned=account.points_earned_total)
    level = level_reached(account=account, levels=levels, figures=figures)
    if level is None:
        return None
    old = next((lv for lv in levels if lv.pk == account.level_id), None)
    now = timezone.now()
    LoyaltyAccount.objects.filter(pk=account.pk).update(level=level, level_changed_at=now)
    account.level, account.level_changed_at = level, now
    level_change_audit(member=member, old=old, new=level)
    return level


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


def expiry_for(rule: PointsRule, earned_on: date) -> date | None:
    return earned_on + timedelta(days=rule.expire_after_days) if rule.expire_after_days else None


def _lot_order(lot: list) -> tuple[bool, str]:
    return lot[0] is None, lot[0] or ""


def lots_add(lots: list[list], expires_on: date | None, points: int) -> tuple[list[list], list[list]]:
    """``points`` into the lot of their expiry date; returns the new lots and the movement."""
    key = expires_on.isoformat() if expires_on else None
    result = [list(lot) for lot in lots]
    for lot in result:
        if lot[0] == key:
            lot[1] += points
            break
    else:
        result.append([key, points])
        result.sort(key=_lot_order)
    return result, [[key, points]]


def lots_take(lots: list[list], points: int) -> tuple[list[list], list[list]]:
    """``points`` out, soonest-expiring first; returns the new lots and the movement (negative)."""
    result, moved, left = [], [], points
    for key, remaining in lots:
        take = min(remaining, left)
        if take:
            moved.append([key, -take])
            left -= take
        if remaining - take:
            result.append([key, remaining - take])
    if left:
        # The balance covered it, so the lots must; anything else is a broken ledger.
        raise RuntimeError(f"points lots {lots} are short by {left}")
    return result, moved


def _next_expiry(lots: list[list]) -> date | None:
    return date.fromisoformat(lots[0][0]) if lots and lots[0][0] else None


@dataclass(frozen=True)
class PointsMove:
    """One change of points for ``points_post``: an entry of the ledger."""

    delta: int
    reason: str
    ref_type: str = ""
    ref_id: int | None = None
    note: str = ""
    operation_key: str | None = None
    counts_as_earned: bool | None = None  # default: earned when the reason is "earn"
    lots: tuple[tuple[str | None, int], ...] | None = None  # exact lots (expiry run), else by the rule


def points_post(*, account: LoyaltyAccount, member: Member, moves: list[PointsMove], store: Store | None = None,
                staff: Staff | None = None, when: datetime | None = None, rule: PointsRule | None = None,
                merchant: Merchant | None = None, level: Level | None = None) -> list[PointsEntry]:
    """The one place points change: on an account the caller holds locked, apply ``moves`` in order
    (points in go to the lot of their expiry, points out leave the soonest-expiring lots first), write
    the account once (and its new ``level`` when given) and the entries in one insert.

    Raises ``InsufficientPoints`` (and changes nothing) when the balance would go below zero.
    """
    when = when or timezone.now()
    points, earned_total, lots = account.points, account.points_earned_total, account.lots
    entries = []
    for move in moves:
        delta = move.delta
        if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0 or abs(delta) > MAX_POINTS_CHANGE:
            raise InvalidInput("invalid_points", _("Points change by a whole number other than zero."),
                               field="points")
        if points + delta < 0:
            raise InsufficientPoints(detail={"points": delta, "balance": points})
        if move.lots is not None:
            lots, moved = _lots_exact(lots, move.lots)
        elif delta > 0:
            merchant = merchant or member.merchant
            rule = rule or points_rule_get(merchant=merchant)
            lots, moved = lots_add(lots, expiry_for(rule, local_date(when, merchant.timezone)), delta)
        else:
            lots, moved = lots_take(lots, -delta)
        points += delta
        if move.counts_as_earned if move.counts_as_earned is not None else move.reason == PointsEntry.Reason.EARN:
            earned_total += delta
        entries.append(PointsEntry(
            merchant_id=account.merchant_id, account=account, member=member, delta=delta, balance_after=points,
            reason=move.reason, ref_type=move.ref_type, ref_id=move.ref_id, note=move.note[:200], store=store,
            staff=staff, operation_key=move.operation_key, lots=moved, created_at=when,
        ))
    changes: dict[str, Any] = {"points": points, "points_earned_total": earned_total, "lots": lots,
                               "next_expiry_on": _next_expiry(lots)}
    if level is not None:
        changes.update(level=level, level_changed_at=when)
    if LoyaltyAccount.objects.filter(pk=account.pk, points=account.points).update(**changes) != 1:
        raise RuntimeError(f"points account {account.pk} changed under an unlocked writer")
    for name, value in changes.items():
        setattr(account, name, value)
    return PointsEntry.objects.bulk_create(entries) if entries else []


def _lots_exact(lots: list[list], moved: tuple[tuple[str | None, int], ...]) -> tuple[list[list], list[list]]:
    result = {key: remaining for key, remaining in lots}
    for key, points in moved:
        result[key] = result.get(key, 0) + points
        if result[key] < 0:
            raise RuntimeError(f"lot {key} would go below zero")
    ordered = sorted(([key, n] for key, n in result.items() if n), key=_lot_order)
    return ordered, [list(m) for m in moved]


def points_change(*, account: LoyaltyAccount, member: Member, delta: int, reason: str, store: Store | None = None,
                  staff: Staff | None = None, ref_type: str = "", ref_id: int | None = None, note: str = "",
                  operation_key: str | None = None, when: datetime | None = None, rule: PointsRule | None = None,
                  counts_as_earned: bool | None = None) -> PointsEntry:
    """One change of points (``points_post`` with one move), on an account the caller holds locked."""
    move = PointsMove(delta=delta, reason=reason, ref_type=ref_type, ref_id=ref_id, note=note,
                      operation_key=operation_key, counts_as_earned=counts_as_earned)
    return points_post(account=account, member=member, moves=[move], store=store, staff=staff, when=when,
                       rule=rule)[0]


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
    """Expire the lots whose date has passed (daily task), one entry per account. Returns the points expired."""
    expired_total = 0
    due = list(LoyaltyAccount.objects.filter(merchant=merchant, next_expiry_on__lt=today).values_list("id", flat=True))
    for account_id in due:
        with transaction.atomic():
            account = LoyaltyAccount.objects.select_for_update(of=("self",)).select_related("member").get(pk=account_id)
            gone = [(key, -remaining) for key, remaining in account.lots
                    if key is not None and date.fromisoformat(key) < today]
            amount = -sum(points for _key, points in gone)
            if not amount:
                continue
            points_post(account=account, member=account.member, merchant=merchant, moves=[PointsMove(
                delta=-amount, reason=PointsEntry.Reason.EXPIRE, ref_type="expiry",
                operation_key=f"expire:{account.pk}:{today.isoformat()}", lots=tuple(gone))])
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
