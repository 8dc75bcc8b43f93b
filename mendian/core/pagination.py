"""Cursor (keyset) pagination for API lists: ``{"items": [...], "next_cursor": "..." | null}``.

The cursor is an opaque token holding the ordering values of the last item returned; the next page
starts strictly after it, so pages stay stable while rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T", bound=Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _invalid_cursor() -> BadRequest:
    return BadRequest("invalid_cursor", _("The cursor is not valid for this list."), field="cursor")


class _CursorEncoder(json.JSONEncoder):
    """Full precision: DjangoJSONEncoder cuts microseconds, which would skip rows between pages."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date | time):
            return o.isoformat()
        if isinstance(o, Decimal | UUID):
            return str(o)
        return super().default(o)


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, cls=_CursorEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc
    if not isinstance(values, list) or len(values) != count:
        raise _invalid_cursor()
    return values


def paginate(
    queryset: QuerySet[T], *, cursor: str | None, limit: int | None, order: tuple[str, ...] = ("-id",)
) -> Page[T]:
    """One page of ``queryset`` ordered by ``order`` (all ascending or all descending; the last field unique)."""
    limit = DEFAULT_LIMIT if limit is None else max(1, min(int(limit), MAX_LIMIT))
    descending = order[0].startswith("-")
    if any(field.startswith("-") != descending for field in order):
        raise ValueError("all ordering fields must share one direction")
    fields = [field.lstrip("-") for field in order]
    queryset = queryset.order_by(*order)
    if cursor:
        values = _decode(cursor, len(fields))
        model = queryset.model
        try:
            values = [model._meta.get_field(f).to_python(v) for f, v in zip(fields, values, strict=True)]
        except (DjangoValidationError, TypeError, ValueError) as exc:
            raise _invalid_cursor() from exc
        queryset = queryset.filter(_after(fields, values, descending))
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, f if not _is_fk(last, f) else f + "_id") for f in fields])
    return Page(items=rows, next_cursor=next_cursor)


def _is_fk(obj: Model, field: str) -> bool:
    return obj._meta.get_field(field).is_relation


def _after(fields: list[str], values: list[Any], descending: bool) -> Q:
    """Rows strictly after ``values`` in lexicographic order of ``fields``."""
    lookup = "lt" if descending else "gt"
    condition = Q()
    for index, field in enumerate(fields):
        equal = Q(**{f: values[i] for i, f in enumerate(fields[:index])})
        condition |= equal & Q(**{f"{field}__{lookup}": values[index]})
    return condition
