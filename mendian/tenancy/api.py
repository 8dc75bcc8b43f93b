"""REST endpoints: auth, stores, staff, roles, permissions, integration tokens, audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.errors import NotAuthenticated, NotFound, TooManyRequests
from mendian.core.pagination import paginate
from mendian.core.phones import mask_phone

from . import selectors
from .access import Access
from .audit import audit_action_label
from .auth import api_write, client_ip
from .models import ApiToken, AuditEntry, Staff, Store
from .permissions import all_permissions
from .schemas import (
    ApiTokenCreated,
    ApiTokenIn,
    ApiTokenOut,
    AuditOut,
    PasswordChangeIn,
    PermissionOut,
    RoleIn,
    RoleOut,
    RolePatch,
    StaffBrief,
    StaffIn,
    StaffOut,
    StaffPasswordIn,
    StaffPatch,
    StoreIn,
    StoreOut,
    StorePatch,
    StoreStatusIn,
    TokenIn,
    TokenOut,
)
from .services.audit import audit_login_failed
from .services.roles import role_create, role_delete, role_update
from .services.staff import account_change_password, staff_create, staff_set_password, staff_update
from .services.stores import store_create, store_set_status, store_update
from .services.tokens import token_create_integration, token_issue_login, token_revoke

router = Router(tags=["auth, stores, staff"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def staff_brief(access: Access) -> dict[str, Any]:
    return {
        "id": access.staff.pk,
        "username": access.staff.username,
        "name": access.staff.name,
        "role": access.role.code,
        "role_name": access.role.display_name,
        "store_ids": sorted(access.store_ids) if access.store_ids is not None else None,
        "merchant_id": access.merchant.pk,
        "merchant_name": access.merchant.name,
        "permissions": sorted(access.permissions),
    }


# --- auth ---------------------------------------------------------------------------------
@router.post("/auth/token", auth=None, response={200: TokenOut, **ERRORS}, tags=["auth"])
def auth_token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    """Exchange a username (or phone) and password for a bearer token."""
    staff = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise TooManyRequests("too_many_attempts", _("Too many failed log-ins. Try again in 15 minutes."))
    if staff is None:
        audit_login_failed(login=payload.username, ip_address=client_ip(request))
        raise NotAuthenticated("invalid_credentials", _("Wrong username or password."))
    raw, token = token_issue_login(staff=staff, ip_address=client_ip(request))
    access = Access.for_staff(staff, ip_address=client_ip(request))
    if access is None:
        raise NotAuthenticated("invalid_credentials", _("Wrong username or password."))
    return {"token": raw, "expires_at": token.expires_at, "staff": staff_brief(access)}


@router.get("/auth/me", response={200: StaffBrief, **ERRORS}, tags=["auth"])
def auth_me(request: HttpRequest) -> dict[str, Any]:
    return staff_brief(_access(request))


@router.post("/auth/logout", response={204: None, **ERRORS}, tags=["auth"])
@decorate_view(api_write)
def auth_logout(request: HttpRequest) -> Status:
    """Revoke the bearer token this request carries."""
    access = _access(request)
    if access.token_id is not None:
        token = selectors.token_get(access=access, token_id=access.token_id)
        token_revoke(access=access, token=token)
    return Status(204, None)


@router.post("/auth/password", response={204: None, **ERRORS}, tags=["auth"])
@decorate_view(api_write)
def auth_change_password(request: HttpRequest, payload: PasswordChangeIn) -> Status:
    account_change_password(access=_access(request), old_password=payload.old_password,
                            new_password=payload.new_password)
    return Status(204, None)


# --- stores -------------------------------------------------------------------------------
def store_out(store: Store) -> dict[str, Any]:
    return {
        "id": store.pk, "name": store.name, "code": store.code, "city": store.city, "address": store.address,
        "phone": store.phone,
        "latitude": float(store.latitude) if store.latitude is not None else None,
        "longitude": float(store.longitude) if store.longitude is not None else None,
        "timezone": store.timezone, "opening_hours": store.opening_hours, "status": store.status,
        "created_at": store.created_at,
    }


@router.get("/stores", response={200: page_of(StoreOut), **ERRORS}, tags=["stores"])
def stores_list(request: HttpRequest, params: Query[ListParams], status: str | None = None, q: str | None = None):
    stores = selectors.store_list(access=_access(request), status=status, q=q)
    page = paginate(stores, cursor=params.cursor, limit=params.limit, order=("id",))
    return {"items": [store_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.post("/stores", response={201: StoreOut, **ERRORS}, tags=["stores"])
@decorate_view(api_write)
def stores_create(request: HttpRequest, payload: StoreIn) -> Status:
    fields = payload.model_dump(exclude={"status"})
    fields["opening_hours"] = [p.model_dump() for p in payload.opening_hours]
    if fields["timezone"] is None:
        fields.pop("timezone")
    store = store_create(access=_access(request), status=payload.status, **fields)
    return Status(201, store_out(store))


@router.get("/stores/{int:store_id}", response={200: StoreOut, **ERRORS}, tags=["stores"])
def stores_get(request: HttpRequest, store_id: int) -> dict[str, Any]:
    access = _access(request)
    store = selectors.store_get(access=access, store_id=store_id)
    access.require("stores.view")
    return store_out(store)


@router.patch("/stores/{int:store_id}", response={200: StoreOut, **ERRORS}, tags=["stores"])
@decorate_view(api_write)
def stores_update(request: HttpRequest, store_id: int, payload: StorePatch) -> dict[str, Any]:
    access = _access(request)
    store = selectors.store_get(access=access, store_id=store_id)
    fields = payload.model_dump(exclude_unset=True)
    if "opening_hours" in fields:
        fields["opening_hours"] = fields["opening_hours"] or []
    return store_out(store_update(access=access, store=store, **fields))


@router.post("/stores/{int:store_id}/status", response={200: StoreOut, **ERRORS}, tags=["stores"])
@decorate_view(api_write)
def stores_set_status(request: HttpRequest, store_id: int, payload: StoreStatusIn) -> dict[str, Any]:
    """Approve a pending store or reopen a closed one (``active``), or close it (``closed``)."""
    access = _access(request)
    store = selectors.store_get(access=access, store_id=store_id)
    return store_out(store_set_status(access=access, store=store, status=payload.status))


# --- staff --------------------------------------------------------------------------------
def staff_out(staff: Staff, access: Access) -> dict[str, Any]:
    phone = staff.phone if access.can("staff.manage") else mask_phone(staff.phone)
    return {
        "id": staff.pk, "username": staff.username, "name": staff.name, "phone": phone or None,
        "role": staff.role.code if staff.role else "", "role_name": staff.role.display_name if staff.role else "",
        "store_ids": sorted(s.pk for s in staff.stores.all()), "is_active": staff.is_active,
        "last_login": staff.last_login, "date_joined": staff.date_joined,
    }


def _role_id(access: Access, code: str) -> int:
    for role in selectors.role_list(access=access):
        if role.code == code:
            return role.pk
    raise NotFound("role_not_found", _("Role not found."), field="role")


@router.get("/staff", response={200: page_of(StaffOut), **ERRORS}, tags=["staff"])
def staff_list(request: HttpRequest, params: Query[ListParams], q: str | None = None, store_id: int | None = None,
               active: bool | None = None):
    access = _access(request)
    staff = selectors.staff_list(access=access, q=q, store_id=store_id, active=active)
    page = paginate(staff, cursor=params.cursor, limit=params.limit, order=("id",))
    return {"items": [staff_out(s, access) for s in page.items], "next_cursor": page.next_cursor}


@router.post("/staff", response={201: StaffOut, **ERRORS}, tags=["staff"])
@decorate_view(api_write)
def staff_create_endpoint(request: HttpRequest, payload: StaffIn) -> Status:
    access = _access(request)
    access.require("staff.manage")
    staff = staff_create(
        access=access, username=payload.username, password=payload.password, role_id=_role_id(access, payload.role),
        name=payload.name, phone=payload.phone, store_ids=payload.store_ids,
    )
    return Status(201, staff_out(staff, access))


@router.get("/staff/{int:staff_id}", response={200: StaffOut, **ERRORS}, tags=["staff"])
def staff_get(request: HttpRequest, staff_id: int) -> dict[str, Any]:
    access = _access(request)
    staff = selectors.staff_get(access=access, staff_id=staff_id)
    access.require("staff.view")
    return staff_out(staff, access)


@router.patch("/staff/{int:staff_id}", response={200: StaffOut, **ERRORS}, tags=["staff"])
@decorate_view(api_write)
def staff_update_endpoint(request: HttpRequest, staff_id: int, payload: StaffPatch) -> dict[str, Any]:
    access = _access(request)
    staff = selectors.staff_get(access=access, staff_id=staff_id)
    fields = payload.model_dump(exclude_unset=True)
    role = fields.pop("role", None)
    staff = staff_update(access=access, staff=staff, role_id=_role_id(access, role) if role else None, **fields)
    return staff_out(staff, access)


@router.post("/staff/{int:staff_id}/password", response={204: None, **ERRORS}, tags=["staff"])
@decorate_view(api_write)
def staff_password(request: HttpRequest, staff_id: int, payload: StaffPasswordIn) -> Status:
    access = _access(request)
    staff = selectors.staff_get(access=access, staff_id=staff_id)
    staff_set_password(access=access, staff=staff, password=payload.password)
    return Status(204, None)


# --- roles and permissions ----------------------------------------------------------------
def role_out(role: Any) -> dict[str, Any]:
    return {"id": role.pk, "code": role.code, "name": role.display_name, "is_builtin": role.is_builtin,
            "store_bound": role.store_bound, "permissions": sorted(role.permissions)}


@router.get("/permissions", response={200: list[PermissionOut], **ERRORS}, tags=["roles"])
def permissions_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"code": p.code, "label": str(p.label), "group": str(p.group), "owner_only": p.owner_only}
            for p in all_permissions()]


@router.get("/roles", response={200: list[RoleOut], **ERRORS}, tags=["roles"])
def roles_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [role_out(r) for r in selectors.role_list(access=_access(request))]


@router.post("/roles", response={201: RoleOut, **ERRORS}, tags=["roles"])
@decorate_view(api_write)
def roles_create(request: HttpRequest, payload: RoleIn) -> Status:
    role = role_create(access=_access(request), name=payload.name, permissions=payload.permissions,
                       store_bound=payload.store_bound)
    return Status(201, role_out(role))


@router.get("/roles/{int:role_id}", response={200: RoleOut, **ERRORS}, tags=["roles"])
def roles_get(request: HttpRequest, role_id: int) -> dict[str, Any]:
    return role_out(selectors.role_get(access=_access(request), role_id=role_id))


@router.patch("/roles/{int:role_id}", response={200: RoleOut, **ERRORS}, tags=["roles"])
@decorate_view(api_write)
def roles_update(request: HttpRequest, role_id: int, payload: RolePatch) -> dict[str, Any]:
    access = _access(request)
    role = selectors.role_get(access=access, role_id=role_id)
    return role_out(role_update(access=access, role=role, **payload.model_dump(exclude_unset=True)))


@router.delete("/roles/{int:role_id}", response={204: None, **ERRORS}, tags=["roles"])
@decorate_view(api_write)
def roles_delete(request: HttpRequest, role_id: int) -> Status:
    access = _access(request)
    role_delete(access=access, role=selectors.role_get(access=access, role_id=role_id))
    return Status(204, None)


# --- integration tokens -------------------------------------------------------------------
def token_out(token: ApiToken) -> dict[str, Any]:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "kind": token.kind,
            "staff_id": token.staff_id, "created_at": token.created_at, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at, "last_used_at": token.last_used_at}


@router.get("/api-tokens", response={200: page_of(ApiTokenOut), **ERRORS}, tags=["tokens"])
def tokens_list(request: HttpRequest, params: Query[ListParams], include_revoked: bool = False):
    tokens = selectors.token_list(access=_access(request), include_revoked=include_revoked)
    page = paginate(tokens, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [token_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/api-tokens", response={201: ApiTokenCreated, **ERRORS}, tags=["tokens"])
@decorate_view(api_write)
def tokens_create(request: HttpRequest, payload: ApiTokenIn) -> Status:
    access = _access(request)
    access.require("tokens.manage")
    staff = selectors.staff_get(access=access, staff_id=payload.staff_id) if payload.staff_id else None
    raw, token = token_create_integration(access=access, name=payload.name, staff=staff,
                                          expires_at=payload.expires_at)
    return Status(201, {**token_out(token), "token": raw})


@router.post("/api-tokens/{int:token_id}/revoke", response={200: ApiTokenOut, **ERRORS}, tags=["tokens"])
@decorate_view(api_write)
def tokens_revoke(request: HttpRequest, token_id: int) -> dict[str, Any]:
    access = _access(request)
    token = selectors.token_get(access=access, token_id=token_id)
    return token_out(token_revoke(access=access, token=token))


# --- audit log ----------------------------------------------------------------------------
def audit_out(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.pk, "action": entry.action, "action_label": audit_action_label(entry.action),
            "actor_id": entry.actor_id, "actor_name": entry.actor_name, "store_id": entry.store_id,
            "target_type": entry.target_type, "target_id": entry.target_id, "target_label": entry.target_label,
            "changes": entry.changes, "ip_address": entry.ip_address, "created_at": entry.created_at}


@router.get("/audit-log", response={200: page_of(AuditOut), **ERRORS}, tags=["audit"])
def audit_log(request: HttpRequest, params: Query[ListParams], action: str | None = None, staff_id: int | None = None,
              store_id: int | None = None, date_from: date | None = None, date_to: date | None = None):
    entries = selectors.audit_list(access=_access(request), action=action, actor_id=staff_id, store_id=store_id,
                                   date_from=date_from, date_to=date_to)
    page = paginate(entries, cursor=params.cursor, limit=params.limit, order=("-created_at", "-id"))
    return {"items": [audit_out(e) for e in page.items], "next_cursor": page.next_cursor}

