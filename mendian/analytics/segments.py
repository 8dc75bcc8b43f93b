"""Segments (会员分群) and rule tags (智能标签): saved definitions over the condition language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.db import analytic_queries
from mendian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mendian.members.models import Member, MemberTag, Tag, TagGroup
from mendian.tenancy.access import Access
from mendian.tenancy.services.audit import audit_record

from .conditions import Group, Scope, as_json, check_stores, matching_members, parse
from .models import Segment, TagRule

NAME_MAX = 60


def scope_for(access: Access, now: datetime | None = None) -> Scope:
    return Scope(merchant_id=access.merchant.pk, tz_name=access.merchant.timezone, now=now or timezone.now(),
                 store_ids=access.store_ids)


def checked(access: Access, definition: Any) -> Group:
    group = parse(definition, merchant_id=access.merchant.pk)
    check_stores(group, access.store_ids)
    return group


def segment_preview(*, access: Access, definition: Any) -> int:
    access.require("segments.view")
    with analytic_queries():
        return matching_members(checked(access, definition), scope_for(access)).count()


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name_required", _("Give the segment a name."), field="name")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise InvalidInput("name_too_long", _("The name is too long (at most 60 characters)."), field="name")
    return name


def segment_save(*, access: Access, name: Any, definition: Any, description: str = "",
                 segment: Segment | None = None) -> Segment:
    """Create or change a segment; counted at once."""
    access.require("segments.manage")
    name = _name(name)
    group = checked(access, definition)
    scope = scope_for(access)
    with analytic_queries():
        count = matching_members(group, scope).count()
    creating = segment is None
    segment = segment or Segment(merchant=access.merchant, created_by=access.staff)
    segment.name, segment.definition, segment.description = name, as_json(group), (description or "")[:200]
    segment.member_count, segment.counted_at = count, scope.now
    try:
        with transaction.atomic():
            segment.save()
            audit_record(merchant=access.merchant, actor=access,
                         action="segment.created" if creating else "segment.updated", target=segment,
                         target_label=name, changes={"definition": segment.definition, "count": count})
    except IntegrityError:
        raise Conflict("segment_name_taken", _("A segment with this name exists."), field="name") from None
    return segment


def segment_get(*, access: Access, segment_id: int) -> Segment:
    access.require("segments.view")
    segment = Segment.objects.filter(merchant=access.merchant, pk=segment_id).first()
    if segment is None:
        raise NotFound("segment_not_found", _("Segment not found."))
    return segment


def segment_delete(*, access: Access, segment: Segment) -> None:
    access.require("segments.manage")
    with transaction.atomic():
        audit_record(merchant=access.merchant, actor=access, action="segment.deleted", target=segment,
                     target_label=segment.name)
        segment.delete()


def segment_members(*, access: Access, segment: Segment, now: datetime | None = None) -> QuerySet[Member]:
    """The segment's members now (the definition is evaluated again: a segment stays current)."""
    access.require("segments.view")
    return matching_members(parse(segment.definition, merchant_id=access.merchant.pk), scope_for(access, now))


def segment_recount(*, access: Access, segment: Segment) -> Segment:
    with analytic_queries():
        count = segment_members(access=access, segment=segment).count()
    Segment.objects.filter(pk=segment.pk).update(member_count=count, counted_at=timezone.now())
    segment.member_count = count
    return segment


def segment_member_ids(*, merchant_id: int, segment_id: int) -> list[int]:
    """Every member of a segment (the whole chain), for issuing coupons to it in the background."""
    segment = Segment.objects.select_related("merchant").filter(merchant_id=merchant_id, pk=segment_id).first()
    if segment is None:
        raise NotFound("segment_not_found", _("Segment not found."))
    scope = Scope(merchant_id=merchant_id, tz_name=segment.merchant.timezone, now=timezone.now())
    group = parse(segment.definition, merchant_id=merchant_id)
    return list(matching_members(group, scope).order_by("id").values_list("id", flat=True))


# --- rule tags ------------------------------------------------------------------------------------

def tag_rule_save(*, access: Access, name: Any, definition: Any, preset: str = "", group: TagGroup | None = None,
                  rule: TagRule | None = None) -> TagRule:
    """Create or change a rule tag (head office); its members are computed at once."""
    access.require("segments.manage")
    if access.store_ids is not None:
        raise PermissionDenied("hq_only", _("Rule tags are set by head office."))
    name = _name(name)
    checked_group = checked(access, definition)
    try:
        with transaction.atomic():
            if rule is None:
                tag = Tag.objects.create(merchant=access.merchant, name=name, group=group, color="info")
                rule = TagRule(merchant=access.merchant, tag=tag)
            else:
                Tag.objects.filter(pk=rule.tag_id).update(name=name)
            rule.definition, rule.preset = as_json(checked_group), preset
            rule.save()
            audit_record(merchant=access.merchant, actor=access, action="tag_rule.saved", target=rule.tag,
                         target_label=name, changes={"definition": rule.definition})
    except IntegrityError:
        raise Conflict("tag_name_taken", _("A tag with this name exists."), field="name") from None
    return tag_rule_run(rule=rule)


def tag_rule_get(*, access: Access, rule_id: int) -> TagRule:
    access.require("segments.view")
    rule = TagRule.objects.select_related("tag", "merchant").filter(merchant=access.merchant, pk=rule_id).first()
    if rule is None:
        raise NotFound("tag_rule_not_found", _("Rule tag not found."))
    return rule


def tag_rule_run(*, rule: TagRule, now: datetime | None = None) -> TagRule:
    """Make the tag's members exactly the members the rule matches now (the whole chain)."""
    merchant = rule.merchant
    scope = Scope(merchant_id=merchant.pk, tz_name=merchant.timezone, now=now or timezone.now())
    wanted = matching_members(parse(rule.definition, merchant_id=merchant.pk), scope)
    with analytic_queries():
        MemberTag.objects.filter(tag_id=rule.tag_id).exclude(member_id__in=wanted.values("id")).delete()
        new = wanted.exclude(id__in=MemberTag.objects.filter(tag_id=rule.tag_id).values("member_id")).values("id")
        # INSERT … SELECT: the new members are tagged without passing through Python.
        select, params = new.query.sql_with_params()
        table = connection.ops.quote_name(MemberTag._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (merchant_id, member_id, tag_id, created_at) "
                           f"SELECT %s, new.id, %s, %s FROM ({select}) new",
                           [merchant.pk, rule.tag_id, scope.now, *params])
        count = MemberTag.objects.filter(tag_id=rule.tag_id).count()
        TagRule.objects.filter(pk=rule.pk).update(last_run_at=scope.now, member_count=count)
    rule.last_run_at, rule.member_count = scope.now, count
    return rule


def tag_rules_run(*, merchant_id: int) -> int:
    """Recompute every rule tag of a merchant in use (the daily run); how many ran."""
    rules = list(TagRule.objects.filter(merchant_id=merchant_id, is_active=True).select_related("merchant"))
    for rule in rules:
        tag_rule_run(rule=rule)
    return len(rules)


def segments_recount(*, merchant) -> int:
    """Count every segment of a merchant again (the nightly run, whole chain); how many."""
    now = timezone.now()
    scope = Scope(merchant_id=merchant.pk, tz_name=merchant.timezone, now=now)
    segments = list(Segment.objects.filter(merchant=merchant))
    for segment in segments:
        with analytic_queries():
            count = matching_members(parse(segment.definition, merchant_id=merchant.pk), scope).count()
        Segment.objects.filter(pk=segment.pk).update(member_count=count, counted_at=now)
    return len(segments)


def segment_choices(access: Access) -> list[tuple[int, str]]:
    """The segments a caller may issue to, with their last count (for the issue forms)."""
    if not access.can("segments.view"):
        return []
    return [(s.pk, f"{s.name} ({s.member_count})")
            for s in Segment.objects.filter(merchant=access.merchant).order_by("name")]


def segment_audience(access: Access, segment_id: int) -> list[int]:
    """The segment's members now, in id order, within the caller's stores."""
    segment = segment_get(access=access, segment_id=segment_id)
    return list(segment_members(access=access, segment=segment).order_by("id").values_list("id", flat=True))
