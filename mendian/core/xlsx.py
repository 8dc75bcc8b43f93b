"""Excel (XLSX) downloads: one place for the file's type and name, and for money written into cells."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def yuan_cell(fen: int | None) -> Decimal | None:
    """Fen as an exact yuan number for a spreadsheet cell (never a float)."""
    return None if fen is None else Decimal(fen) / 100


def xlsx_response(workbook_or_bytes: Any, filename: str) -> HttpResponse:
    """A download of an openpyxl workbook (or of its saved bytes)."""
    if isinstance(workbook_or_bytes, bytes):
        content = workbook_or_bytes
    else:
        buffer = io.BytesIO()
        workbook_or_bytes.save(buffer)
        content = buffer.getvalue()
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
