"""Every write on members: registration (one path for the counter, self sign-up, checkout, import and
the API), profile edits, tags, records, custom fields and erasure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.phones import mask_phone, normalize_phone
from mendian.core.time import local_today
from mendian.core.validation import required_text
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .birthdays import to_lunar
from .codes import new_card_no
from .errors import MemberExists
from .fields import KINDS, clean_values
from .models import CustomField, Member, MemberTag, ProfileRecord, RecordType, Tag, TagGroup

PROFILE_FIELDS = ("phone", "name", "gender", "birthday", "birthday_is_lunar", "notes", "custom_fields")


def custom_field_definitions(merchant: Merchant) -> list[dict[str, Any]]:
    return [
        {"key": f.key, "kind": f.kind, "choices": f.choices, "required": f.required}
        for f in CustomField.objects.filter(merchant=merchant, is_active=True).order_by("sort_order", "id")
    ]


def _clean_profile(merchant: Merchant, fields: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned = dict(fields)
    if "phone" in cleaned:
        cleaned["phone"] = normalize_phone(cleaned["phone"] or "")
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if len(cleaned["name"]) > 60:
            raise InvalidInput("name_too_long", _("The name is too long."), field="name")
    if "gender" in cleaned:
        cleaned["gender"] = cleaned["gender"] or Member.Gender.UNKNOWN
        if cleaned["gender"] not in Member.Gender.values:
            raise InvalidInput("invalid_gender", _("Gender is female, male or not given."), field="gender")
    if cleaned.get("birthday") is not None:
        birthday = cleaned["birthday"]
        if not isinstance(birthday, date) or birthday > local_today(merchant.timezone) or birthday.year < 1900:
            raise InvalidInput("invalid_birthday", _("Enter a real date of birth."), field="birthday")
    if "notes" in cleaned:
        cleaned["notes"] = (cleaned["notes"] or "").strip()[:2000]
    if "custom_fields" in cleaned:
        cleaned["custom_fields"] = clean_values(custom_field_definitions(merchant), cleaned["custom_fields"],
                                                prefix="custom_fields", partial=partial)
    return cleaned


def _set_lunar(member: Member) -> None:
    if member.birthday is not None and member.birthday_is_lunar:
        lunar = to_lunar(member.birthday)
        member.lunar_birthday_month, member.lunar_birthday_day = lunar.month, lunar.day
        member.lunar_birthday_leap = lunar.leap
    else:
        member.lunar_birthday_month = member.lunar_birthday_day = None
        member.lunar_birthday_leap = False


def _exists(merchant: Merchant, phone: str) -> MemberExists:
    existing = Member.objects.filter(merchant=merchant, phone=phone).values_list("id", flat=True).first()
    return MemberExists(field="phone", detail={"member_id": existing} if existing else {})


def register_member(
    *,
    merchant: Merchant,
    store: Store,
    phone: str,
    channel: str,
    actor: Access | None = None,
    name: str = "",
    gender: str = Member.Gender.UNKNOWN,
    birthday: date | None = None,
    birthday_is_lunar: bool = False,
    staff: Staff | None = None,
    referrer: Member | None = None,
    leaflet_code: str = "",
    notes: str = "",
    custom_fields: dict[str, Any] | None = None,
    when: datetime | None = None,
) -> Member:
    """The one way a member comes to be: profile, card number, loyalty account (lowest level and
    registration points) and stored-value account. ``actor`` is the staff acting (None: self sign-up)."""
    from mendian.loyalty.services import loyalty_enroll
    from mendian.promotions.campaigns import give_gifts
    from mendian.wallet.services import wallet_open

    if actor is not None:
        actor.require("members.manage")
        actor.require_store(store.pk)
        staff = staff or actor.staff
    if store.merchant_id != merchant.pk or (referrer is not None and referrer.merchant_id != merchant.pk):
        raise NotFound("store_not_found", _("Store not found."), field="store_id")
    if store.status == Store.Status.CLOSED:
        raise Conflict("store_closed", _("This store is closed."), field="store_id")
    if channel not in Member.Channel.values:
        raise InvalidInput("invalid_channel", _("Unknown sign-up channel."), field="source")
    profile = _clean_profile(merchant, {"phone": phone, "name": name, "gender": gender, "birthday": birthday,
                                        "notes": notes, "custom_fields": custom_fields or {}}, partial=False)
    member = Member(merchant=merchant, registered_store=store, source_channel=channel, source_staff=staff,
                    referrer=referrer, leaflet_code=(leaflet_code or "")[:40], birthday_is_lunar=birthday_is_lunar,
                    **profile)
    if when is not None:
        member.created_at = when
    _set_lunar(member)
    for _attempt in range(5):
        member.card_no = new_card_no()
        try:
            with transaction.atomic():
                member.save()
                if when is not None:
                    Member.objects.filter(pk=member.pk).update(created_at=when)
                loyalty_enroll(member=member, store=store, staff=staff)
                wallet_open(member=member)
                give_gifts(kind="welcome_gift", merchant=merchant, store=store, member_ids=[member.pk])  # 注册有礼
                audit_record(merchant=merchant, actor=actor, action="member.registered", target=member, store=store,
                             target_label=member.name or mask_phone(member.phone),
                             changes={"phone": mask_phone(member.phone), "channel": channel})
            return member
        except IntegrityError as exc:
            member.pk, member._state.adding = None, True
            if Member.objects.filter(merchant=merchant, phone=profile["phone"]).exists():
                raise _exists(merchant, profile["phone"]) from exc
    raise Conflict("card_number_unavailable", _("Could not give a card number; please try again."))


def member_update(*, access: Access, member: Member, **fields: Any) -> Member:
    access.require("members.manage")
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if member.erased_at is not None:
        raise Conflict("member_erased", _("This member's data was erased."))
    cleaned = _clean_profile(access.merchant, fields, partial=True)
    if "custom_fields" in cleaned:
        cleaned["custom_fields"] = {**member.custom_fields, **cleaned["custom_fields"]}
    before = {f: getattr(member, f) for f in cleaned}
    for name, value in cleaned.items():
        setattr(member, name, value)
    _set_lunar(member)
    changes = {k: [before[k], v] for k, v in cleaned.items() if before[k] != v}
    if "phone" in changes:
        changes["phone"] = [mask_phone(before["phone"]), mask_phone(member.phone)]
    if not changes:
        return member
    try:
        with transaction.atomic():
            member.save()
            audit_record(merchant=access.merchant, actor=access, action="member.updated", target=member,
                         target_label=member.name or mask_phone(member.phone),
                         changes={k: [str(a) if isinstance(a, date) else a, str(b) if isinstance(b, date) else b]
                                  for k, (a, b) in changes.items()})
    except IntegrityError as exc:
        member.refresh_from_db()
        raise _exists(access.merchant, cleaned["phone"]) from exc
    return member


def member_erase(*, access: Access, member: Member) -> Member:
    """Erase a member's personal data on request (PIPL); balances and ledgers stay for the accounts."""
    access.require("members.erase")
    if member.erased_at is not None:
        return member
    with transaction.atomic():
        member.phone = f"erased-{member.pk}"
        member.name, member.birthday, member.notes, member.custom_fields = "", None, "", {}
        member.birthday_is_lunar, member.leaflet_code = False, ""
        member.gender = Member.Gender.UNKNOWN
        _set_lunar(member)
        member.erased_at = timezone.now()
        member.save()
        ProfileRecord.objects.filter(member=member).delete()
        MemberTag.objects.filter(member=member).delete()
        audit_record(merchant=access.merchant, actor=access, action="member.erased", target=member,
                     target_label=member.card_no)
    return member


# --- tags -----------------------------------------------------------------------------------
def tag_group_create(*, access: Access, name: str) -> TagGroup:
    access.require("members.settings")
    name = required_text(name, field="name", message=_("Name the group."), max_length=40)
    try:
        with transaction.atomic():
            group = TagGroup.objects.create(merchant=access.merchant, name=name)
            audit_record(merchant=access.merchant, actor=access, action="member_settings.changed", target=group)
    except IntegrityError as exc:
        raise Conflict("tag_group_exists", _("A group with this name exists."), field="name") from exc
    return group


def tag_create(*, access: Access, name: str, group: TagGroup | None = None, color: str = "secondary") -> Tag:
    access.require("members.manage")
    name = required_text(name, field="name", message=_("Name the tag."), max_length=40)
    if group is not None and group.merchant_id != access.merchant.pk:
        raise NotFound("tag_group_not_found", _("Tag group not found."), field="group_id")
    try:
        with transaction.atomic():
            tag = Tag.objects.create(merchant=access.merchant, name=name, group=group, color=color[:16])
            audit_record(merchant=access.merchant, actor=access, action="member_settings.changed", target=tag)
    except IntegrityError as exc:
        raise Conflict("tag_exists", _("A tag with this name exists."), field="name") from exc
    return tag


def tags_add(*, access: Access, member_ids: Iterable[int], tags: Iterable[Tag]) -> int:
    """Put tags on many members at once (bulk tagging from a filtered list); returns the new links."""
    access.require("members.manage")
    tags = list(tags)
    if any(t.merchant_id != access.merchant.pk for t in tags):
        raise NotFound("tag_not_found", _("Tag not found."), field="tag_ids")
    ids = list(Member.objects.filter(merchant=access.merchant, pk__in=set(member_ids)).values_list("id", flat=True))
    if not ids or not tags:
        return 0
    existing = set(MemberTag.objects.filter(member_id__in=ids, tag__in=tags).values_list("member_id", "tag_id"))
    links = [MemberTag(merchant=access.merchant, member_id=m, tag=t, created_by=access.staff)
             for m in ids for t in tags if (m, t.pk) not in existing]
    with transaction.atomic():
        MemberTag.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
        audit_record(merchant=access.merchant, actor=access, action="member.tagged",
                     target_label=", ".join(t.name for t in tags),
                     changes={"members": len(ids), "tags": [t.name for t in tags], "added": len(links)})
    return len(links)


def tag_remove(*, access: Access, member: Member, tag: Tag) -> None:
    access.require("members.manage")
    with transaction.atomic():
        deleted, _rows = MemberTag.objects.filter(member=member, tag=tag).delete()
        if deleted:
            audit_record(merchant=access.merchant, actor=access, action="member.untagged", target=member,
                         changes={"tag": tag.name})


# --- custom fields and profile records --------------------------------------------------------
def _clean_definition(kind: str, choices: list[str]) -> list[str]:
    if kind not in KINDS:
        raise InvalidInput("invalid_field_kind", _("A field is text, a number, a date or a choice."), field="kind")
    choices = [str(c).strip() for c in choices or [] if str(c).strip()]
    if kind == "choice" and not choices:
        raise InvalidInput("choices_required", _("A choice field needs its choices."), field="choices")
    return choices if kind == "choice" else []


def custom_field_save(*, access: Access, field: CustomField | None = None, key: str, label: str, kind: str,
                      choices: list[str] | None = None, required: bool = False, sort_order: int = 0,
                      is_active: bool = True) -> CustomField:
    import re

    access.require("members.settings")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key or ""):
        raise InvalidInput("invalid_key", _("Keys use lower-case letters, digits and _ (e.g. skin_type)."),
                           field="key")
    label = required_text(label, field="label", message=_("Give the field a label."), max_length=60)
    choices = _clean_definition(kind, choices or [])
    field = field or CustomField(merchant=access.merchant)
    field.key, field.label, field.kind, field.choices = key, label, kind, choices
    field.required, field.sort_order, field.is_active = required, sort_order, is_active
    try:
        with transaction.atomic():
            field.save()
            audit_record(merchant=access.merchant, actor=access, action="member_settings.changed", target=field,
                         changes={"custom_field": key, "kind": kind})
    except IntegrityError as exc:
        raise Conflict("field_key_taken", _("Another field has this key."), field="key") from exc
    return field


def record_type_save(*, access: Access, record_type: RecordType | None = None, name: str,
                     fields: list[dict[str, Any]]) -> RecordType:
    import re

    access.require("members.settings")
    name = required_text(name, field="name", message=_("Name the record type."), max_length=60)
    cleaned, keys = [], set()
    for definition in fields or []:
        key = str(definition.get("key", ""))
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key) or key in keys:
            raise InvalidInput("invalid_key", _("Keys use lower-case letters, digits and _ (e.g. skin_type)."),
                               field="fields")
        keys.add(key)
        kind = str(definition.get("kind", "text"))
        cleaned.append({"key": key, "label": str(definition.get("label") or key)[:60], "kind": kind,
                        "choices": _clean_definition(kind, definition.get("choices") or [])})
    record_type = record_type or RecordType(merchant=access.merchant)
    record_type.name, record_type.fields = name, cleaned
    try:
        with transaction.atomic():
            record_type.save()
            audit_record(merchant=access.merchant, actor=access, action="member_settings.changed",
                         target=record_type)
    except IntegrityError as exc:
        raise Conflict("record_type_exists", _("A record type with this name exists."), field="name") from exc
    return record_type


def record_add(*, access: Access, member: Member, record_type: RecordType, day: date, values: dict[str, Any],
               notes: str = "", store: Store | None = None) -> ProfileRecord:
    """A dated profile record (档案记录), e.g. a pet's vaccine, with its type's own fields."""
    access.require("members.manage")
    if record_type.merchant_id != access.merchant.pk:
        raise NotFound("record_type_not_found", _("Record type not found."), field="record_type_id")
    if store is not None:
        access.require_store(store.pk)
    cleaned = clean_values(record_type.fields, values, prefix="values")
    with transaction.atomic():
        record = ProfileRecord.objects.create(merchant=access.merchant, member=member, record_type=record_type,
                                              date=day, values=cleaned, notes=(notes or "")[:2000], store=store,
                                              staff=access.staff)
        audit_record(merchant=access.merchant, actor=access, action="member.record_added", target=member,
                     store=store, changes={"record_type": record_type.name})
    return record


# --- statistics kept by checkout (reports and segments read them) ------------------------------
def member_record_purchase(*, member: Member, amount_fen: int, when: datetime) -> None:
    """One paid order: visits, order count and spend (one UPDATE, inside the checkout transaction)."""
    from django.db.models import F
    from django.db.models.functions import Coalesce, Greatest

    Member.objects.filter(pk=member.pk).update(
        order_count=F("order_count") + 1, total_spent_fen=F("total_spent_fen") + amount_fen,
        first_visit_at=Coalesce(F("first_visit_at"), when),
        last_visit_at=Greatest(Coalesce(F("last_visit_at"), when), when),
    )
    member.total_spent_fen += amount_fen


def member_record_refund(*, member: Member, amount_fen: int, order_fully_refunded: bool) -> None:
    """Spend net of refunds; a fully refunded order no longer counts as an order."""
    from django.db.models import F

    Member.objects.filter(pk=member.pk).update(
        total_spent_fen=F("total_spent_fen") - amount_fen,
        order_count=F("order_count") - (1 if order_fully_refunded else 0),
    )
    member.total_spent_fen -= amount_fen
