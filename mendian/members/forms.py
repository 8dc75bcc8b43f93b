"""Forms of the member pages."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.core.forms import StyledForm, YuanField, date_input

from .models import CustomField, Member


class OnceField(forms.CharField):
    """A hidden key made when the form is shown, so a double click changes money only once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.HiddenInput, required=False, max_length=64, **kwargs)


def new_form_key() -> str:
    return uuid.uuid4().hex


def _custom_field(definition: CustomField) -> forms.Field:
    common = {"label": definition.label, "required": definition.required}
    if definition.kind == CustomField.Kind.NUMBER:
        return forms.DecimalField(**common)
    if definition.kind == CustomField.Kind.DATE:
        return forms.DateField(widget=date_input(), **common)
    if definition.kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in definition.choices)], **common)
    return forms.CharField(max_length=500, **common)


class MemberForm(StyledForm):
    phone = forms.CharField(label=_("Phone"), max_length=32,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Member.Gender.choices, initial=Member.Gender.UNKNOWN)
    birthday = forms.DateField(label=_("Date of birth"), required=False,
                               widget=date_input())
    birthday_is_lunar = forms.BooleanField(label=_("Celebrates the lunar birthday (农历)"), required=False)
    store = forms.TypedChoiceField(label=_("Registered at"), coerce=int)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, stores: list[Any] | None, custom_fields: list[CustomField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if stores is None:
            del self.fields["store"]
        else:
            self.fields["store"].choices = [(s.pk, s.name) for s in stores]
        self.custom_keys = []
        for definition in custom_fields:
            name = f"cf_{definition.key}"
            self.fields[name] = _custom_field(definition)
            self.fields[name].widget.attrs["class"] = "form-select" if definition.kind == "choice" else "form-control"
            self.custom_keys.append((name, definition.key))

    def custom_values(self) -> dict[str, Any]:
        values = {}
        for name, key in self.custom_keys:
            value = self.cleaned_data.get(name)
            values[key] = value.isoformat() if hasattr(value, "isoformat") else (
                str(value) if value not in (None, "") and not isinstance(value, str) else value)
        return values

    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"phone": data["phone"], "name": data["name"], "gender": data["gender"], "birthday": data["birthday"],
                "birthday_is_lunar": data["birthday_is_lunar"], "notes": data["notes"],
                "custom_fields": self.custom_values()}


class RechargeForm(StyledForm):
    store = forms.TypedChoiceField(label=_("Store"), coerce=int)
    plan = forms.TypedChoiceField(label=_("Plan"), coerce=int, required=False, empty_value=None)
    pay_fen = YuanField(label=_("Amount paid (yuan)"), required=False,
                        help_text=_("For a free amount; a plan sets its own amount."))
    payment_method = forms.ChoiceField(label=_("Paid with"))
    once = OnceField()

    def __init__(self, *args: Any, stores: list[Any], plans: list[Any], methods: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [(s.pk, s.name) for s in stores]
        from mendian.core.money import format_fen

        self.fields["plan"].choices = [("", _("Free amount"))] + [
            (p.pk, f"{p.name}（{format_fen(p.pay_fen)} → +{format_fen(p.bonus_fen)}）") for p in plans]
        self.fields["payment_method"].choices = methods

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("plan") and not data.get("pay_fen"):
            self.add_error("pay_fen", _("Choose a plan or enter an amount."))
        return data


class PointsAdjustForm(StyledForm):
    delta = forms.IntegerField(label=_("Points (+ to add, − to take)"), min_value=-10**9, max_value=10**9)
    note = forms.CharField(label=_("Reason"), max_length=200)
    once = OnceField()

    def clean_delta(self) -> int:
        if self.cleaned_data["delta"] == 0:
            raise forms.ValidationError(_("Enter a number other than zero."))
        return self.cleaned_data["delta"]


class LevelChangeForm(StyledForm):
    level = forms.TypedChoiceField(label=_("New level"), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, levels: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(lv.pk, lv.name) for lv in levels]


class RecordForm(StyledForm):
    record_type = forms.TypedChoiceField(label=_("Record"), coerce=int)
    date = forms.DateField(label=_("Date"), widget=date_input())
    values = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One line per field: key: value"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)

    def __init__(self, *args: Any, record_types: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [(t.pk, t.name) for t in record_types]

    def parsed_values(self) -> dict[str, str]:
        values = {}
        for line in (self.cleaned_data.get("values") or "").splitlines():
            if ":" in line:
                key, value = line.split(":", 1)
                values[key.strip()] = value.strip()
        return values


class TagForm(StyledForm):
    name = forms.CharField(label=_("Tag"), max_length=40)
    group = forms.TypedChoiceField(label=_("Group"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, groups: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("No group")), *((g.pk, g.name) for g in groups)]


class CustomFieldForm(StyledForm):
    key = forms.SlugField(label=_("Key"), max_length=40, help_text=_("e.g. skin_type; used by the API and imports"))
    label = forms.CharField(label=_("Label"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomField.Kind.choices)
    choices = forms.CharField(label=_("Choices"), required=False, help_text=_("For a choice field: one per line"),
                              widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(label=_("Required"), required=False)

    def choice_list(self) -> list[str]:
        return [c.strip() for c in (self.cleaned_data.get("choices") or "").splitlines() if c.strip()]


class RecordTypeForm(StyledForm):
    name = forms.CharField(label=_("Record type"), max_length=60, help_text=_("e.g. 宠物疫苗, 皮肤检测"))
    fields_text = forms.CharField(
        label=_("Fields"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: key, label, kind (text / number / date / choice), choices separated by |"),
    )

    def field_definitions(self) -> list[dict[str, Any]]:
        definitions = []
        for line in (self.cleaned_data.get("fields_text") or "").splitlines():
            parts = [p.strip() for p in line.split(",")]
            if not parts or not parts[0]:
                continue
            kind = parts[2] if len(parts) > 2 and parts[2] else "text"
            choices = [c.strip() for c in parts[3].split("|")] if len(parts) > 3 else []
            definitions.append({"key": parts[0], "label": parts[1] if len(parts) > 1 else parts[0], "kind": kind,
                                "choices": choices})
        return definitions
