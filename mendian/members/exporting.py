"""Export of the filtered member list to CSV (streamed) or XLSX (openpyxl, write-only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mendian.core.money import format_fen
from mendian.core.phones import mask_phone

from .models import CustomField, Member

BATCH = 2000


def header(custom_fields: list[CustomField]) -> list[str]:
    return [_("Card number"), _("Name"), _("Phone"), _("Gender"), _("Date of birth"), _("Level"), _("Points"),
            _("Principal (yuan)"), _("Bonus (yuan)"), _("Total spent (yuan)"), _("Orders"), _("Registered at"),
            _("Channel"), _("Tags"), _("Joined")] + [f.label for f in custom_fields]


def rows(members: QuerySet[Member], *, full_phone: bool, custom_fields: list[CustomField]) -> Iterator[list[Any]]:
    """One list of cells per member, read in batches (keyset by id) so memory stays flat."""
    queryset = members.select_related("loyalty__level", "wallet", "registered_store").prefetch_related(
        "member_tags__tag").order_by("id")
    last_id = 0
    while True:
        batch = list(queryset.filter(id__gt=last_id)[:BATCH])
        if not batch:
            return
        for m in batch:
            yield [
                m.card_no, m.name, m.phone if full_phone else mask_phone(m.phone), m.get_gender_display(),
                m.birthday.isoformat() if m.birthday else "",
                m.loyalty.level.name if m.loyalty.level else "", m.loyalty.points,
                format_fen(m.wallet.principal_fen, symbol=False).replace(",", ""),
                format_fen(m.wallet.bonus_fen, symbol=False).replace(",", ""),
                format_fen(m.total_spent_fen, symbol=False).replace(",", ""), m.order_count,
                m.registered_store.code, m.get_source_channel_display(),
                " ".join(mt.tag.name for mt in m.member_tags.all()), m.created_at.date().isoformat(),
                *(m.custom_fields.get(f.key, "") for f in custom_fields),
            ]
        last_id = batch[-1].pk


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(head: list[str], body: Iterator[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that Excel opens the UTF-8 file with its Chinese intact
    yield writer.writerow(head)
    for row in body:
        yield writer.writerow(row)


def xlsx_bytes(head: list[str], body: Iterator[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Members"))
    sheet.append(head)
    for row in body:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
