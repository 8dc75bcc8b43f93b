"""Form helpers for the pages: Bootstrap styling and domain errors shown on the right field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .money import format_fen, parse_yuan


class StyledForm(forms.Form):
    """Adds Bootstrap classes to every widget."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal next to the field it names, or above the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, str(error.message))


class YuanField(forms.Field):
    """A money input typed in yuan (``12.50``) and cleaned to integer fen (``1250``)."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "placeholder": "0.00", "maxlength": "16"})

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_fen(value, symbol=False).replace(",", "")
        return value

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            fen = parse_yuan(text)
        except DomainError as error:
            raise forms.ValidationError(str(error.message)) from error
        if fen < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return fen


def date_input() -> forms.DateInput:
    """A browser date picker; its value is always ISO (YYYY-MM-DD), whatever the page language."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
