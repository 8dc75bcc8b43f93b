from __future__ import annotations

from typing import Any

from django.db.models import Model

from ..access import Access
from ..models import AuditEntry, Merchant, Staff, Store


def audit_record(
    *,
    merchant: Merchant,
    action: str,
    actor: Access | Staff | None = None,
    store: Store | int | None = None,
    target: Model | None = None,
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one audit entry. Callers pass no secrets: tokens and passwords never reach ``changes``."""
    staff = actor.staff if isinstance(actor, Access) else actor
    if isinstance(actor, Access) and ip_address is None:
        ip_address = actor.ip_address
    store_id = store.pk if isinstance(store, Store) else store
    return AuditEntry.objects.create(
        merchant=merchant,
        actor=staff,
        actor_name=(staff.name or staff.username) if staff else "",
        store_id=store_id,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=target.pk if target is not None else None,
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        changes=changes or {},
        ip_address=ip_address,
    )


def audit_login_failed(*, login: str, ip_address: str | None) -> None:
    """Record a failed log-in on the merchant whose account was named (unknown logins have no merchant)."""
    from django.db.models import Q

    staff = Staff.objects.filter(Q(username__iexact=login.strip()) | Q(phone=login.strip())).first()
    if staff is not None and staff.merchant_id is not None:
        audit_record(merchant=staff.merchant, action="auth.login_failed", actor=staff, target=staff,
                     ip_address=ip_address)
