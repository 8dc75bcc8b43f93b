"""Products from an Excel sheet (.xlsx): a header row, one product per row; matched to existing products
by barcode, else by name. Every row is checked before anything is written; one bad row and nothing is
imported (the report says which rows and why)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from zipfile import BadZipFile

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mendian.core.errors import DomainError, InvalidInput
from mendian.core.money import parse_yuan
from mendian.tenancy.access import Access
from mendian.tenancy.services.audit import audit_record

from .models import Category, Product
from .services import product_create, product_update

MAX_ROWS = 5000
COLUMNS = {
    "name": (gettext_lazy("Name"), ("name", "名称", "商品名称", "品名")),
    "kind": (gettext_lazy("Kind (goods or service)"), ("kind", "类型")),
    "category": (gettext_lazy("Category"), ("category", "分类")),
    "barcode": (gettext_lazy("Barcode"), ("barcode", "条码")),
    "unit": (gettext_lazy("Unit"), ("unit", "单位")),
    "price": (gettext_lazy("Price (yuan)"), ("price", "价格", "售价", "零售价")),
    "member_price": (gettext_lazy("Member price (yuan)"), ("member price", "member_price", "会员价")),
    "cost": (gettext_lazy("Cost (yuan)"), ("cost", "成本", "成本价", "进价")),
    "duration": (gettext_lazy("Duration (minutes)"), ("duration", "时长", "服务时长")),
}
_KINDS = {"goods": "goods", "商品": "goods", "service": "service", "服务": "service", "项目": "service"}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        return [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput("invalid_import_file", _("This is not a readable Excel file (.xlsx).")) from exc


def _mapping(header: list[str]) -> dict[str, int]:
    mapping = {}
    for index, title in enumerate(header):
        for key, (_label, names) in COLUMNS.items():
            if title.strip().lower() in names:
                mapping.setdefault(key, index)
    if "name" not in mapping or "price" not in mapping:
        raise InvalidInput("invalid_import_file", _("The sheet needs at least a name and a price column."))
    return mapping


def _row_fields(cells: dict[str, str]) -> tuple[dict[str, Any], str]:
    fields: dict[str, Any] = {"name": cells["name"], "kind": "goods"}
    if not cells["name"]:
        raise ValueError(_("the name is empty"))
    if cells.get("kind"):
        if cells["kind"].lower() not in _KINDS:
            raise ValueError(_("the kind is goods (商品) or service (服务)"))
        fields["kind"] = _KINDS[cells["kind"].lower()]
    for column, target in (("price", "price_fen"), ("member_price", "member_price_fen"), ("cost", "cost_fen")):
        if cells.get(column):
            try:
                fields[target] = parse_yuan(cells[column])
            except DomainError as exc:
                raise ValueError(f"{COLUMNS[column][0]}: {exc.message}") from exc
    if "price_fen" not in fields:
        raise ValueError(_("the price is empty"))
    if cells.get("duration"):
        if not cells["duration"].isdigit():
            raise ValueError(_("the duration is a whole number of minutes"))
        fields["duration_min"] = int(cells["duration"])
    for column in ("barcode", "unit"):
        if cells.get(column):
            fields[column] = cells[column]
    return fields, cells.get("category", "")


def import_products(*, access: Access, content: bytes, filename: str) -> ImportReport:
    access.require("catalog.manage")
    if not filename.lower().endswith(".xlsx"):
        raise InvalidInput("invalid_import_file", _("Upload a .xlsx file."))
    rows = _read(content)
    if not rows:
        raise InvalidInput("invalid_import_file", _("The file is empty."))
    mapping = _mapping(rows[0])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(r)]
    if len(body) > MAX_ROWS:
        raise InvalidInput("invalid_import_file", _("At most 5,000 products per file."))
    report = ImportReport(rows=len(body))
    parsed = []
    for number, row in body:
        cells = {key: (row[index] if index < len(row) else "") for key, index in mapping.items()}
        try:
            parsed.append((number, *_row_fields(cells)))
        except ValueError as exc:
            report.errors.append({"row": number, "error": str(exc)})
    if report.errors:
        return report
    try:
        with transaction.atomic():
            _write(access, parsed, report)
            if report.errors:
                raise _Abort
            audit_record(merchant=access.merchant, actor=access, action="products.imported",
                         changes={"created": report.created, "updated": report.updated})
    except _Abort:
        report.created = report.updated = 0
    return report


class _Abort(Exception):
    pass


def _write(access: Access, parsed: list[tuple[int, dict[str, Any], str]], report: ImportReport) -> None:
    categories = {c.name: c for c in Category.objects.filter(merchant=access.merchant)}
    by_barcode = {p.barcode: p for p in Product.objects.filter(merchant=access.merchant).exclude(barcode="")}
    by_name = {p.name: p for p in Product.objects.filter(merchant=access.merchant)}
    for number, fields, category_name in parsed:
        if category_name:
            if category_name not in categories:
                categories[category_name] = Category.objects.create(merchant=access.merchant, name=category_name[:60])
            fields["category_id"] = categories[category_name].pk
        existing = by_barcode.get(fields.get("barcode", "")) or by_name.get(fields["name"])
        try:
            with transaction.atomic():
                if existing is not None:
                    product_update(access=access, product=existing, **fields)
                    report.updated += 1
                else:
                    product = product_create(access=access, **fields)
                    by_name[product.name] = product
                    report.created += 1
        except DomainError as error:
            report.errors.append({"row": number, "error": str(error.message)})
