"""Issue runs (派券): a template or a gift pack to chosen members or to a filter of the member list, in
the background, with progress, and never twice to a member for the same run (a run started again after
a crash picks up where it stopped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.audiences import MemberSource, member_source
from mendian.core.errors import Conflict, DomainError, InvalidInput
from mendian.members.selectors import MemberFilter, member_list
from mendian.tenancy.access import Access
from mendian.tenancy.services.audit import audit_record

from .coupons import _members_of, _require_issuable, issue_coupons
from .models import Coupon, CouponTemplate, GiftPack, IssueRun

CHUNK = 50_000
FILTER_FIELDS = {"q": str, "level_id": int, "tag_id": int, "store_id": int, "channel": str, "gender": str,
                 "birthday_month": int}


def progress_key(run_id: int) -> str:
    return f"issue-run:{run_id}:done"


def _clean_filters(filters: Any) -> dict[str, Any]:
    if not isinstance(filters, dict):
        raise InvalidInput("invalid_filters", _("The filter is not valid."), field="filters")
    cleaned = {}
    for name, value in filters.items():
        kind = FILTER_FIELDS.get(name)
        if kind is None or value in (None, ""):
            if kind is None:
                raise InvalidInput("invalid_filters", _("Unknown filter: %(name)s.") % {"name": name}, field="filters")
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidInput("invalid_filters", _("The filter is not valid."), field="filters")
        cleaned[name] = value
    return cleaned


def _templates(run: IssueRun) -> list[tuple[CouponTemplate, int]]:
    if run.template_id is not None:
        return [(run.template, 1)]
    return [(item.template, item.quantity) for item in run.gift_pack.items.select_related("template").order_by("id")]


def audience(run: IssueRun, access: Access) -> list[int]:
    """The members of the run, in id order (the same on every try)."""
    if run.target == IssueRun.Target.MEMBERS:
        return sorted(set(run.member_ids))
    if run.target == IssueRun.Target.SEGMENT:
        return _segments().members(access, int(run.filters["segment_id"]))
    members = member_list(access=access, filters=MemberFilter(**run.filters))
    return list(members.order_by("id").values_list("id", flat=True))


def _segments() -> MemberSource:
    source = member_source("segment")
    if source is None:  # the segments app is always installed; this guards a broken configuration
        raise InvalidInput("invalid_target", _("Segments are not available."), field="target")
    return source


def issue_run_create(*, access: Access, target: str, template: CouponTemplate | None = None,
                     gift_pack: GiftPack | None = None, member_ids: Sequence[int] | None = None,
                     filters: dict[str, Any] | None = None, segment_id: int | None = None) -> IssueRun:
    """Start issuing in the background; the answer says how many members it will reach."""
    from .tasks import coupon_issue_run

    access.require("coupons.issue")
    if (template is None) == (gift_pack is None):
        raise InvalidInput("template_or_pack", _("Issue either a coupon or a gift pack."), field="template_id")
    if template is not None:
        _require_issuable(template)
    else:
        if not gift_pack.is_active or not gift_pack.items.exists():
            raise Conflict("gift_pack_not_active", _("This gift pack is inactive or empty."))
        for item in gift_pack.items.select_related("template"):
            _require_issuable(item.template)
    if target == IssueRun.Target.MEMBERS:
        member_ids, filters = _members_of(access.merchant, member_ids or []), {}
    elif target == IssueRun.Target.FILTER:
        member_ids, filters = [], _clean_filters(filters or {})
    elif target == IssueRun.Target.SEGMENT:
        if segment_id is None:
            raise InvalidInput("segment_required", _("Choose a segment."), field="segment_id")
        _segments().members(access, segment_id)  # 404 when it is not the merchant's
        member_ids, filters = [], {"segment_id": segment_id}
    else:
        raise InvalidInput("invalid_target", _("Issue to chosen members, a filter of the member list or a segment."),
                           field="target")
    with transaction.atomic():
        run = IssueRun.objects.create(merchant=access.merchant, template=template, gift_pack=gift_pack, target=target,
                                      member_ids=list(member_ids), filters=filters, created_by=access.staff)
        run.members_total = len(audience(run, access))
        run.save(update_fields=["members_total"])
        cache.set(progress_key(run.pk), 0, timeout=24 * 3600)
        audit_record(merchant=access.merchant, actor=access, action="coupon.issue_run", target=run,
                     changes={"template": template.name if template else None,
                              "gift_pack": gift_pack.name if gift_pack else None, "members": run.members_total})
        coupon_issue_run.enqueue(run.pk)
    return run


def issue_run_execute(*, run_id: int) -> IssueRun:
    """The task body. Members the run already reached are left out, so running it twice issues once."""
    run = IssueRun.objects.select_related("merchant", "created_by", "template", "gift_pack").get(pk=run_id)
    if run.status == IssueRun.Status.DONE:
        return run
    IssueRun.objects.filter(pk=run.pk).update(status=IssueRun.Status.RUNNING)
    try:
        access = Access.for_staff(run.created_by) if run.created_by else None
        if access is None:
            raise Conflict("issuer_gone", _("The staff member who started this issue can no longer issue coupons."))
        members = audience(run, access)
        reached = set(Coupon.objects.filter(issue_run=run).values_list("member_id", flat=True))
        members = [m for m in members if m not in reached]
        issued, skipped = len(reached), dict(run.skipped or {})
        templates = _templates(run)
        source = Coupon.Source.GIFT if run.gift_pack_id else Coupon.Source.ISSUE
        for start in range(0, len(members), CHUNK):
            chunk = members[start:start + CHUNK]
            with transaction.atomic():
                reached_now: set[int] = set()
                for template, copies in templates:
                    result = issue_coupons(template=template, member_ids=chunk, when=timezone.now(),
                                           tz_name=run.merchant.timezone, source=source, run_id=run.pk,
                                           copies=copies, staff_id=run.created_by_id)
                    reached_now.update(result.member_ids)
                    for reason, left_out in result.skipped.items():
                        if left_out:
                            skipped[reason] = skipped.get(reason, 0) + len(left_out)
                issued += len(reached_now)
                IssueRun.objects.filter(pk=run.pk).update(issued=issued, skipped=skipped)
            cache.set(progress_key(run.pk), start + len(chunk), timeout=24 * 3600)
        IssueRun.objects.filter(pk=run.pk).update(status=IssueRun.Status.DONE, finished_at=timezone.now())
    except DomainError as error:
        IssueRun.objects.filter(pk=run.pk).update(status=IssueRun.Status.FAILED, failure=str(error.message),
                                                  finished_at=timezone.now())
    run.refresh_from_db()
    return run


def issue_run_progress(run: IssueRun) -> dict[str, Any]:
    done = run.members_total if run.status == IssueRun.Status.DONE else cache.get(progress_key(run.pk)) or 0
    total = run.members_total or 1
    return {"done": min(done, run.members_total), "total": run.members_total,
            "percent": 100 if run.status == IssueRun.Status.DONE else min(100, round(100 * done / total))}


def gift_pack_save(*, access: Access, name: str, items: Sequence[tuple[int, int]],
                   pack: GiftPack | None = None, is_active: bool = True) -> GiftPack:
    """A gift pack (礼包): (template id, quantity) pairs of this merchant's coupons."""
    from mendian.core.validation import required_text

    access.require("coupons.manage")
    name = required_text(name, field="name", message=_("Name the gift pack."), max_length=60)
    if not items:
        raise InvalidInput("gift_pack_empty", _("Put at least one coupon in the pack."), field="items")
    wanted: dict[int, int] = {}
    for template_id, quantity in items:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 20:
            raise InvalidInput("invalid_quantity", _("From 1 to 20 of each coupon."), field="items")
        wanted[template_id] = wanted.get(template_id, 0) + quantity
    templates = {t.pk: t for t in CouponTemplate.objects.filter(merchant=access.merchant, pk__in=wanted)}
    missing = [t for t in wanted if t not in templates]
    if missing:
        from mendian.core.errors import NotFound

        raise NotFound("coupon_template_not_found", _("Coupon not found."), field="items", detail={"ids": missing})
    with transaction.atomic():
        pack = pack or GiftPack(merchant=access.merchant)
        pack.name, pack.is_active = name, is_active
        pack.save()
        pack.items.all().delete()
        pack.items.bulk_create([pack.items.model(pack=pack, template_id=t, quantity=q) for t, q in wanted.items()])
        audit_record(merchant=access.merchant, actor=access, action="gift_pack.saved", target=pack,
                     changes={"items": {templates[t].name: q for t, q in wanted.items()}})
    return pack

