"""Reads, always scoped to the caller's merchant and, for store-bound roles, their stores."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.core.generation import cached

from .access import Access
from .models import ApiToken, AuditEntry, Role, Staff, Store


def store_list(*, access: Access, status: str | None = None, q: str | None = None) -> QuerySet[Store]:
    access.require("stores.view")
    stores = Store.objects.filter(merchant=access.merchant)
    if access.store_ids is not None:
        stores = stores.filter(pk__in=access.store_ids)
    if status:
        stores = stores.filter(status=status)
    if q:
        stores = stores.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(city__icontains=q))
    return stores


def store_get(*, access: Access, store_id: int) -> Store:
    """A store of the caller's merchant within their stores; anything else is 404 (cached per settings
    generation: see ``mendian.core.generation``)."""
    if not access.sees_store(store_id):
        raise NotFound("store_not_found", _("Store not found."))
    store = cached(access.merchant.pk, access.generation(), f"store:{store_id}",
                   lambda: Store.objects.filter(merchant=access.merchant, pk=store_id).first() or False)
    if not store:
        raise NotFound("store_not_found", _("Store not found."))
    return store


def store_choices(*, access: Access) -> QuerySet[Store]:
    """Stores the caller may pick in a form (open and pending ones first)."""
    stores = Store.objects.filter(merchant=access.merchant).order_by("status", "code")
    if access.store_ids is not None:
        stores = stores.filter(pk__in=access.store_ids)
    return stores


def _visible_staff(access: Access) -> QuerySet[Staff]:
    staff = Staff.objects.filter(merchant=access.merchant)
    if access.store_ids is not None:
        staff = staff.filter(role__store_bound=True, stores__in=access.store_ids).distinct()
    return staff


def staff_list(
    *, access: Access, q: str | None = None, role_id: int | None = None, store_id: int | None = None,
    active: bool | None = None,
) -> QuerySet[Staff]:
    access.require("staff.view")
    staff = _visible_staff(access).select_related("role").prefetch_related(
        Prefetch("stores", queryset=Store.objects.only("id", "name", "code"))
    )
    if q:
        staff = staff.filter(Q(username__icontains=q) | Q(name__icontains=q) | Q(phone__contains=q))
    if role_id:
        staff = staff.filter(role_id=role_id)
    if store_id:
        access.require_store(store_id)
        staff = staff.filter(stores=store_id)
    if active is not None:
        staff = staff.filter(is_active=active)
    return staff


def staff_get(*, access: Access, staff_id: int) -> Staff:
    staff = _visible_staff(access).select_related("role").filter(pk=staff_id).first()
    if staff is None:
        raise NotFound("staff_not_found", _("Staff member not found."))
    return staff


def role_list(*, access: Access) -> list[Role]:
    """Built-in roles in their fixed order, then custom roles by name."""
    from .permissions import BUILTIN_ROLE_ORDER

    roles = list(Role.objects.filter(merchant=access.merchant))
    order = {code: index for index, code in enumerate(BUILTIN_ROLE_ORDER)}
    return sorted(roles, key=lambda r: (not r.is_builtin, order.get(r.code, 99), r.name))


def role_get(*, access: Access, role_id: int) -> Role:
    role = Role.objects.filter(merchant=access.merchant, pk=role_id).first()
    if role is None:
        raise NotFound("role_not_found", _("Role not found."))
    return role


def assignable_roles(*, access: Access) -> list[Role]:
    """Roles the caller may give: within their own permissions (and store-bound if they are)."""
    return [
        role for role in role_list(access=access)
        if role.permissions <= access.permissions
        and not (role.is_builtin and role.code == "owner" and not access.is_owner)
        and (role.store_bound or not access.is_store_bound)
    ]


def token_list(*, access: Access, include_revoked: bool = False) -> QuerySet[ApiToken]:
    """Integration tokens of the merchant (``tokens.manage``)."""
    access.require("tokens.manage")
    tokens = ApiToken.objects.filter(merchant=access.merchant, kind=ApiToken.Kind.INTEGRATION).select_related("staff")
    if not include_revoked:
        tokens = tokens.filter(revoked_at__isnull=True)
    return tokens


def token_get(*, access: Access, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(merchant=access.merchant, pk=token_id).first()
    if token is None or (token.staff_id != access.staff.pk and not access.can("tokens.manage")):
        raise NotFound("token_not_found", _("Token not found."))
    return token


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def audit_list(
    *,
    access: Access,
    action: str | None = None,
    actor_id: int | None = None,
    store_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: str | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries, newest first. Dates are the merchant's local days, both inclusive.
    Store-bound roles see only entries of their stores."""
    access.require("audit.view")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("invalid_period", _("The period ends before it starts."), field="date_to")
    entries = AuditEntry.objects.filter(merchant=access.merchant)
    if access.store_ids is not None:
        entries = entries.filter(store__in=access.store_ids)
    if store_id:
        access.require_store(store_id)
        entries = entries.filter(store_id=store_id)
    if action:
        entries = entries.filter(action=action) if "." in action else entries.filter(action__startswith=action + ".")
    if actor_id:
        entries = entries.filter(actor_id=actor_id)
    tz = ZoneInfo(access.merchant.timezone)
    if date_from:
        entries = entries.filter(created_at__gte=_day_start(date_from, tz))
    if date_to:
        entries = entries.filter(created_at__lt=_day_start(date_to + timedelta(days=1), tz))
    if q:
        entries = entries.filter(Q(target_label__icontains=q) | Q(actor_name__icontains=q))
    return entries.select_related("store")
