"""Audit action names (each app registers its own in ``AppConfig.ready``) and the diff helper."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_ACTIONS: dict[str, str | Promise] = {}


def register_audit_actions(actions: dict[str, str | Promise]) -> None:
    _ACTIONS.update(actions)


def audit_action_label(code: str) -> str:
    label = _ACTIONS.get(code)
    return str(label) if label is not None else code


def audit_actions() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in _ACTIONS.items()), key=lambda item: item[0])


def describe_changes(changes: dict[str, Any]) -> list[str]:
    """``{"city": ["杭州", "宁波"]}`` → ``["city: 杭州 → 宁波"]``, for people reading the log."""
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = ("—" if v in (None, "", []) else v for v in value)
            lines.append(f"{key}: {old} → {new}")
        elif isinstance(value, dict):
            lines.append(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "", [])))
        else:
            lines.append(f"{key}: {value}")
    return lines


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


TENANCY_AUDIT_ACTIONS = {
    "auth.login": _("Logged in"),
    "auth.login_failed": _("Failed log-in"),
    "auth.logout": _("Logged out"),
    "auth.token_issued": _("API token issued at log-in"),
    "account.password_changed": _("Changed own password"),
    "merchant.created": _("Merchant created"),
    "merchant.onboarding_completed": _("Onboarding completed"),
    "store.created": _("Store created"),
    "store.updated": _("Store edited"),
    "store.status_changed": _("Store status changed"),
    "staff.created": _("Staff member added"),
    "staff.updated": _("Staff member edited"),
    "staff.password_reset": _("Staff password reset"),
    "role.created": _("Role created"),
    "role.updated": _("Role edited"),
    "role.deleted": _("Role deleted"),
    "token.created": _("Integration token created"),
    "token.revoked": _("API token revoked"),
}
