"""REST endpoints of members: register, look up, edit, erase, tags, custom fields, profile records."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.errors import NotFound
from mendian.core.pagination import paginate
from mendian.core.phones import mask_phone
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors, services
from .models import CustomField, Member, ProfileRecord, RecordType, TagGroup
from .schemas import (
    BulkTagIn,
    BulkTagOut,
    CustomFieldIn,
    CustomFieldOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    RecordIn,
    RecordOut,
    RecordTypeIn,
    RecordTypeOut,
    TagGroupIn,
    TagGroupOut,
    TagIn,
    TagOut,
)

router = Router(tags=["members"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def shown_phone(access: Access, phone: str) -> str:
    """Full phone for roles that need it, ``138****1234`` for the others (PIPL)."""
    return phone if access.can("members.view_full_phone") else mask_phone(phone)


def member_out(member: Member, access: Access) -> dict[str, Any]:
    """A member with level, points and stored value (load with ``selectors.with_accounts``)."""
    loyalty, wallet = member.loyalty, member.wallet
    return {
        "id": member.pk, "phone": shown_phone(access, member.phone), "name": member.name, "gender": member.gender,
        "birthday": member.birthday, "birthday_is_lunar": member.birthday_is_lunar, "card_no": member.card_no,
        "level": {"id": loyalty.level.pk, "name": loyalty.level.name} if loyalty.level else None,
        "points": loyalty.points, "balance_fen": wallet.balance_fen, "principal_fen": wallet.principal_fen,
        "bonus_fen": wallet.bonus_fen, "total_spent_fen": member.total_spent_fen, "order_count": member.order_count,
        "first_visit_at": member.first_visit_at, "last_visit_at": member.last_visit_at,
        "tags": [{"id": mt.tag.pk, "name": mt.tag.name} for mt in member.member_tags.all()],
        "registered_store_id": member.registered_store_id,
        "source": {"channel": member.source_channel, "staff_id": member.source_staff_id,
                   "referrer_id": member.referrer_id, "leaflet_code": member.leaflet_code},
        "notes": member.notes, "custom_fields": member.custom_fields, "erased": member.erased_at is not None,
        "created_at": member.created_at,
    }


def load_member(access: Access, member_id: int) -> Member:
    member = selectors.member_get(access=access, member_id=member_id)
    return selectors.with_accounts(Member.objects.filter(pk=member.pk)).get()


@router.post("/members", response={201: MemberOut, **ERRORS})
@decorate_view(api_write)
def members_create(request: HttpRequest, payload: MemberIn) -> Status:
    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id)
    referrer = selectors.member_get(access=access, member_id=payload.referrer_id) if payload.referrer_id else None
    member = services.register_member(
        merchant=access.merchant, store=store, phone=payload.phone, channel=payload.source, actor=access,
        name=payload.name, gender=payload.gender, birthday=payload.birthday,
        birthday_is_lunar=payload.birthday_is_lunar, referrer=referrer, leaflet_code=payload.leaflet_code,
        notes=payload.notes, custom_fields=payload.custom_fields,
    )
    return Status(201, member_out(load_member(access, member.pk), access))


@router.get("/members", response={200: page_of(MemberOut), **ERRORS})
def members_list(request: HttpRequest, params: Query[ListParams], q: str = "", level_id: int | None = None,
                 tag_id: int | None = None, store_id: int | None = None, channel: str = "",
                 joined_from: date | None = None, joined_to: date | None = None):
    """Find members: ``q`` is a phone (or its last digits), a member code, a card number or a name."""
    access = _access(request)
    filters = selectors.MemberFilter(q=q[:100], level_id=level_id, tag_id=tag_id, store_id=store_id,
                                     channel=channel[:16], joined_from=joined_from, joined_to=joined_to)
    page = paginate(selectors.with_accounts(selectors.member_list(access=access, filters=filters)),
                    cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [member_out(m, access) for m in page.items], "next_cursor": page.next_cursor}


@router.get("/members/{int:member_id}", response={200: MemberOut, **ERRORS})
def members_get(request: HttpRequest, member_id: int) -> dict[str, Any]:
    access = _access(request)
    return member_out(load_member(access, member_id), access)


@router.patch("/members/{int:member_id}", response={200: MemberOut, **ERRORS})
@decorate_view(api_write)
def members_update(request: HttpRequest, member_id: int, payload: MemberPatch) -> dict[str, Any]:
    access = _access(request)
    member = selectors.member_get(access=access, member_id=member_id)
    services.member_update(access=access, member=member, **payload.model_dump(exclude_unset=True))
    return member_out(load_member(access, member_id), access)


@router.post("/members/{int:member_id}/erase", response={200: MemberOut, **ERRORS})
@decorate_view(api_write)
def members_erase(request: HttpRequest, member_id: int) -> dict[str, Any]:
    """Erase the member's personal data (PIPL). Balances and ledgers stay."""
    access = _access(request)
    services.member_erase(access=access, member=selectors.member_get(access=access, member_id=member_id))
    return member_out(load_member(access, member_id), access)


# --- tags -----------------------------------------------------------------------------------
@router.get("/tags", response={200: list[TagOut], **ERRORS})
def tags_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"id": t.pk, "name": t.name, "group_id": t.group_id, "color": t.color}
            for t in selectors.tag_list(access=_access(request))]


@router.post("/tags", response={201: TagOut, **ERRORS})
@decorate_view(api_write)
def tags_create(request: HttpRequest, payload: TagIn) -> Status:
    access = _access(request)
    group = None
    if payload.group_id:
        group = TagGroup.objects.filter(merchant=access.merchant, pk=payload.group_id).first()
        if group is None:
            raise NotFound("tag_group_not_found", _("Tag group not found."), field="group_id")
    tag = services.tag_create(access=access, name=payload.name, group=group, color=payload.color)
    return Status(201, {"id": tag.pk, "name": tag.name, "group_id": tag.group_id, "color": tag.color})


@router.get("/tag-groups", response={200: list[TagGroupOut], **ERRORS})
def tag_groups_list(request: HttpRequest) -> list[dict[str, Any]]:
    access = _access(request)
    access.require("members.view")
    return [{"id": g.pk, "name": g.name} for g in TagGroup.objects.filter(merchant=access.merchant)
            .order_by("sort_order", "name")]


@router.post("/tag-groups", response={201: TagGroupOut, **ERRORS})
@decorate_view(api_write)
def tag_groups_create(request: HttpRequest, payload: TagGroupIn) -> Status:
    group = services.tag_group_create(access=_access(request), name=payload.name)
    return Status(201, {"id": group.pk, "name": group.name})


@router.post("/tags/assign", response={200: BulkTagOut, **ERRORS})
@decorate_view(api_write)
def members_tag_bulk(request: HttpRequest, payload: BulkTagIn) -> dict[str, int]:
    """Put tags on many members (ids of other merchants are ignored)."""
    access = _access(request)
    tags = [selectors.tag_get(access=access, tag_id=t) for t in set(payload.tag_ids)]
    return {"added": services.tags_add(access=access, member_ids=payload.member_ids, tags=tags)}


@router.delete("/members/{int:member_id}/tags/{int:tag_id}", response={204: None, **ERRORS})
@decorate_view(api_write)
def members_untag(request: HttpRequest, member_id: int, tag_id: int) -> Status:
    access = _access(request)
    member = selectors.member_get(access=access, member_id=member_id)
    services.tag_remove(access=access, member=member, tag=selectors.tag_get(access=access, tag_id=tag_id))
    return Status(204, None)


# --- custom fields and records --------------------------------------------------------------
def field_out(field: CustomField) -> dict[str, Any]:
    return {name: getattr(field, name) for name in CustomFieldOut.model_fields} | {"id": field.pk}


@router.get("/member-fields", response={200: list[CustomFieldOut], **ERRORS})
def fields_list(request: HttpRequest) -> list[dict[str, Any]]:
    access = _access(request)
    access.require("members.view")
    return [field_out(f) for f in CustomField.objects.filter(merchant=access.merchant).order_by("sort_order", "id")]


@router.post("/member-fields", response={201: CustomFieldOut, **ERRORS})
@decorate_view(api_write)
def fields_create(request: HttpRequest, payload: CustomFieldIn) -> Status:
    return Status(201, field_out(services.custom_field_save(access=_access(request), **payload.model_dump())))


@router.put("/member-fields/{int:field_id}", response={200: CustomFieldOut, **ERRORS})
@decorate_view(api_write)
def fields_update(request: HttpRequest, field_id: int, payload: CustomFieldIn) -> dict[str, Any]:
    access = _access(request)
    field = CustomField.objects.filter(merchant=access.merchant, pk=field_id).first()
    if field is None:
        raise NotFound("field_not_found", _("Field not found."))
    return field_out(services.custom_field_save(access=access, field=field, **payload.model_dump()))


@router.get("/record-types", response={200: list[RecordTypeOut], **ERRORS})
def record_types_list(request: HttpRequest) -> list[dict[str, Any]]:
    access = _access(request)
    access.require("members.view")
    return [{"id": t.pk, "name": t.name, "fields": t.fields}
            for t in RecordType.objects.filter(merchant=access.merchant).order_by("name")]


@router.post("/record-types", response={201: RecordTypeOut, **ERRORS})
@decorate_view(api_write)
def record_types_create(request: HttpRequest, payload: RecordTypeIn) -> Status:
    record_type = services.record_type_save(access=_access(request), name=payload.name,
                                            fields=[f.model_dump() for f in payload.fields])
    return Status(201, {"id": record_type.pk, "name": record_type.name, "fields": record_type.fields})


def record_out(record: ProfileRecord) -> dict[str, Any]:
    return {"id": record.pk, "record_type_id": record.record_type_id, "record_type": record.record_type.name,
            "date": record.date, "values": record.values, "notes": record.notes, "store_id": record.store_id,
            "staff_id": record.staff_id, "created_at": record.created_at}


@router.get("/members/{int:member_id}/records", response={200: list[RecordOut], **ERRORS})
def records_list(request: HttpRequest, member_id: int) -> list[dict[str, Any]]:
    access = _access(request)
    member = selectors.member_get(access=access, member_id=member_id)
    return [record_out(r) for r in member.records.select_related("record_type").order_by("-date", "-id")[:500]]


@router.post("/members/{int:member_id}/records", response={201: RecordOut, **ERRORS})
@decorate_view(api_write)
def records_create(request: HttpRequest, member_id: int, payload: RecordIn) -> Status:
    access = _access(request)
    member = selectors.member_get(access=access, member_id=member_id)
    record_type = RecordType.objects.filter(merchant=access.merchant, pk=payload.record_type_id).first()
    if record_type is None:
        raise NotFound("record_type_not_found", _("Record type not found."), field="record_type_id")
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id) if payload.store_id else None
    record = services.record_add(access=access, member=member, record_type=record_type, day=payload.date,
                                 values=payload.values, notes=payload.notes, store=store)
    return Status(201, record_out(record))
