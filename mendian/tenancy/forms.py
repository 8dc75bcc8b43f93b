"""Forms of the staff pages. They parse and show errors; the services decide."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.core.forms import StyledForm, date_input

from .permissions import permission_groups

WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
_COMMON_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Urumqi", "Asia/Singapore", "Asia/Tokyo"]


def timezone_choices() -> list[tuple[str, str]]:
    others = sorted(z for z in available_timezones() if "/" in z and z not in _COMMON_ZONES)
    return [(z, z) for z in _COMMON_ZONES + others]


class StoreForm(StyledForm):
    name = forms.CharField(label=_("Store name"), max_length=100)
    code = forms.CharField(label=_("Store code"), max_length=32, help_text=_("Letters, digits, - or _, e.g. HZ01."))
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Store phone"), max_length=32, required=False)
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=9, decimal_places=6, required=False,
                                  min_value=-90, max_value=90)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6, required=False,
                                   min_value=-180, max_value=180)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One open/close pair per weekday; an empty pair means closed that day.
        initial_hours = {p["weekday"]: p for p in (self.initial.get("opening_hours") or [])}
        for day in range(7):
            period = initial_hours.get(day, {})
            self.fields[f"open_{day}"] = forms.CharField(
                required=False, initial=period.get("start", ""), widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"close_{day}"] = forms.CharField(
                required=False, initial=period.get("end", ""), widget=forms.TimeInput(attrs={"type": "time"})
            )
            for name in (f"open_{day}", f"close_{day}"):
                self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def hour_rows(self) -> list[dict[str, Any]]:
        return [{"label": WEEKDAYS[d], "open": self[f"open_{d}"], "close": self[f"close_{d}"]} for d in range(7)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hours = []
        for day in range(7):
            start, end = data.get(f"open_{day}") or "", data.get(f"close_{day}") or ""
            if bool(start) != bool(end):
                self.add_error(f"open_{day}", _("Give both the opening and the closing time, or neither."))
            elif start:
                hours.append({"weekday": day, "start": start[:5], "end": end[:5]})
        data["opening_hours"] = hours
        return data

    def store_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data.get(key) for key in
                ("name", "code", "city", "address", "phone", "latitude", "longitude", "timezone", "opening_hours")}


class StaffForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False,
                            help_text=_("Staff can also log in with it."))
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)
    stores = forms.TypedMultipleChoiceField(label=_("Stores"), coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False),
                               strip=False, help_text=_("At least 8 characters, not only digits."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, roles: list[Any], stores: list[Any], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.pk, r.display_name) for r in roles]
        self.fields["stores"].choices = [(s.pk, f"{s.name} ({s.code})") for s in stores]
        if editing:
            del self.fields["username"]
            del self.fields["password"]
        else:
            del self.fields["is_active"]


class SetPasswordForm(StyledForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class ChangePasswordForm(SetPasswordForm):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput, strip=False)
    field_order = ["old_password", "password", "password_again"]


class RoleForm(StyledForm):
    name = forms.CharField(label=_("Role name"), max_length=60)
    store_bound = forms.BooleanField(
        label=_("Limited to assigned stores"), required=False,
        help_text=_("Staff with this role see and act only in the stores assigned to them."),
    )
    permissions = forms.MultipleChoiceField(label=_("Permissions"), required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = [
            (p.code, p.label) for _group, perms in permission_groups() for p in perms if not p.owner_only
        ]

    def grouped_permissions(self) -> list[tuple[str, list[dict[str, Any]]]]:
        chosen = set(self["permissions"].value() or [])
        return [
            (group, [{"code": p.code, "label": p.label, "checked": p.code in chosen}
                     for p in perms if not p.owner_only])
            for group, perms in permission_groups()
        ]


class TokenForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses it, e.g. 'Mini-program'."))
    staff = forms.TypedChoiceField(label=_("Acts as"), coerce=int,
                                   help_text=_("The token has this staff member's role and stores."))
    expires_at = forms.DateTimeField(label=_("Expires"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text=_("Leave empty for a token that lasts until revoked."))

    def __init__(self, *args: Any, staff_choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [(s.pk, f"{s.name or s.username} ({s.username})") for s in staff_choices]


class AuditFilterForm(StyledForm):
    action = forms.ChoiceField(label=_("Action"), required=False)
    staff = forms.TypedChoiceField(label=_("By"), coerce=int, required=False, empty_value=None)
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(label=_("From"), required=False, widget=date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=date_input())
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Object or person")}))

    def __init__(self, *args: Any, actions: list[tuple[str, str]], staff: list[Any], stores: list[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *actions]
        self.fields["staff"].choices = [("", _("Anyone")), *((s.pk, s.name or s.username) for s in staff)]
        self.fields["store"].choices = [("", _("All stores")), *((s.pk, s.name) for s in stores)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
