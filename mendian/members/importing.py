"""Member import from CSV or XLSX, as a merchant moving from another system needs it.

The file is read as a table; each column maps to a member field. A check (dry run) reads every row and
reports what is wrong with which row, writing nothing. The import reads the rows again and writes the
valid ones in bulk inside one transaction: members, their loyalty accounts (level, opening points as
``import`` ledger entries) and stored-value accounts (opening principal and bonus as ``import`` entries).
A row that fails stops the whole import (nothing is written) unless the user chose to skip bad rows.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zipfile import BadZipFile

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mendian.core.bulk import (
    Reserve,
    Table,
    foreign_keys_checked_in_bulk,
    insert_rows,
    made_by_worker,
    reserve_ids,
    write_tables,
)
from mendian.core.errors import DomainError, InvalidInput
from mendian.core.money import parse_yuan
from mendian.core.phones import normalize_phone
from mendian.core.time import local_today
from mendian.loyalty.models import Level
from mendian.loyalty.services import points_rule_get
from mendian.tenancy.models import AuditEntry, Store
from mendian.tenancy.services.audit import audit_record

from .bulk import TABLES, NewMember, register_tables
from .fields import clean_value
from .models import CustomField, ImportJob, Member, MemberTag, Tag

CHUNK = 5000
# Rows from which a worker process reads, checks and builds them while this one writes them (PostgreSQL).
PARALLEL_FROM = 50_000
MAX_ERRORS_KEPT = 1000
MAX_FILE_BYTES = 100 * 1024 * 1024

TARGETS: dict[str, Any] = {
    "phone": gettext_lazy("Phone"),
    "name": gettext_lazy("Name"),
    "gender": gettext_lazy("Gender"),
    "birthday": gettext_lazy("Date of birth"),
    "level": gettext_lazy("Level"),
    "points": gettext_lazy("Points"),
    "principal": gettext_lazy("Stored value: principal (yuan)"),
    "bonus": gettext_lazy("Stored value: bonus (yuan)"),
    "store": gettext_lazy("Registered store (code)"),
    "notes": gettext_lazy("Notes"),
    "tags": gettext_lazy("Tags"),
}
_GUESSES = {
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "联系电话"),
    "name": ("name", "姓名", "名字", "会员姓名", "客户姓名"),
    "gender": ("gender", "sex", "性别"),
    "birthday": ("birthday", "birth", "生日", "出生日期"),
    "level": ("level", "等级", "会员等级", "级别"),
    "points": ("points", "积分", "当前积分", "可用积分"),
    "principal": ("principal", "balance", "本金", "储值余额", "余额", "储值本金"),
    "bonus": ("bonus", "赠送金", "赠送余额", "赠金"),
    "store": ("store", "门店", "门店编码", "开卡门店"),
    "notes": ("notes", "备注"),
    "tags": ("tags", "标签"),
}
_GENDERS = {"男": "male", "m": "male", "male": "male", "1": "male", "女": "female", "f": "female",
            "female": "female", "2": "female"}


class ImportFileError(InvalidInput):
    default_code = "invalid_import_file"


# --- reading the table ----------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(content: bytes, file_format: str) -> Iterator[list[str]]:
    """Rows of cells as text, the header first."""
    if file_format == "xlsx":
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(message=_("This is not a readable Excel file (.xlsx).")) from exc
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
        workbook.close()
        return
    encoding = _text_encoding(content)
    try:
        for row in csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")):
            yield [c.strip() for c in row]
    except csv.Error as exc:
        raise ImportFileError(message=_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _text_encoding(content: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (Excel on Chinese Windows), checked without a second copy."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            view = memoryview(content)
            for start in range(0, len(view), 1 << 20):
                decoder.decode(view[start:start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(message=_("The file is neither UTF-8 nor GB18030 text."))


def stored_form(content: bytes, file_format: str) -> bytes:
    """How an uploaded file is kept in the job: CSV as gzip of UTF-8 (a fifth of the size, and read back
    as a stream, never whole), XLSX as it is (already compressed)."""
    if file_format != "csv":
        return content
    encoding = _text_encoding(content)
    if encoding != "utf-8-sig":
        content = content.decode(encoding).encode("utf-8")
    return gzip.compress(content, compresslevel=3)


def read_stored(stored: bytes, file_format: str) -> Iterator[list[str]]:
    """Rows of a job's file (as kept by ``stored_form``), the header first."""
    if file_format != "csv":
        yield from read_table(stored, file_format)
        return
    try:
        stream = io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(stored)), encoding="utf-8-sig", newline="")
        for row in csv.reader(stream):
            yield [c.strip() for c in row]
    except (csv.Error, OSError, EOFError) as exc:
        raise ImportFileError(message=_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def header_of(content: bytes, file_format: str) -> list[str]:
    rows = read_table(content, file_format)
    header = next(rows, None)
    if not header or not any(header):
        raise ImportFileError(message=_("The file is empty."))
    return header


def count_rows(content: bytes, file_format: str) -> int:
    if file_format == "csv":
        return max(0, content.count(b"\n") - 1 + (0 if content.endswith(b"\n") else 1))
    return sum(1 for _row in read_table(content, file_format)) - 1


def guess_mapping(header: list[str], custom_fields: list[CustomField]) -> dict[str, str]:
    mapping = {}
    for index, title in enumerate(header):
        key = title.strip().lower()
        for target, names in _GUESSES.items():
            if key in names and target not in mapping.values():
                mapping[str(index)] = target
        for custom in custom_fields:
            if key in (custom.key, custom.label.lower()):
                mapping[str(index)] = f"custom:{custom.key}"
    return mapping


# --- checking rows --------------------------------------------------------------------------
@dataclass
class Row(NewMember):
    number: int = 0
    tags: list[str] = field(default_factory=list)


def _phone_key(phone: str) -> int | str:
    return int(phone) if phone.isdigit() else phone


class RowChecker:
    """Turns cells into a ``Row`` or a list of reasons, and remembers phones seen in the file."""

    def __init__(self, job: ImportJob) -> None:
        merchant = job.merchant
        self.mapping = {int(k): v for k, v in job.mapping.items() if v}
        if "phone" not in self.mapping.values():
            raise ImportFileError(message=_("Choose which column holds the phone number."))
        self.levels = {lv.name.lower(): lv.pk for lv in Level.objects.filter(merchant=merchant)}
        self.lowest_level = Level.objects.filter(merchant=merchant).order_by("rank").values_list("pk", flat=True)\
            .first()
        self.stores = {s.code.lower(): s.pk for s in Store.objects.filter(merchant=merchant)}
        self.default_store = job.store_id
        self.customs = {f.key: f for f in CustomField.objects.filter(merchant=merchant)}
        self.merchant_id = merchant.pk
        self.existing: set[int | str] = set()
        self.seen: dict[int | str, int] = {}
        self.today = local_today(merchant.timezone)

    def know_members(self, cursor: Any) -> set[int]:
        """Learn the merchant's members as they are now (``cursor``: Django's, or a worker's own psycopg
        cursor): their phones, to refuse the rows of members already there; returns their card numbers.
        Both kept as integers where they are digits: a million of each then fit in tens of megabytes."""
        cards: set[int] = set()
        table, last = connection.ops.quote_name(Member._meta.db_table), 0
        while True:  # by pages of the primary key: never the whole list in memory at once
            cursor.execute(f"SELECT id, phone, card_no FROM {table} WHERE merchant_id = %s AND id > %s "
                           "ORDER BY id LIMIT 20000", [self.merchant_id, last])
            page = cursor.fetchall()
            if not page:
                return cards
            for _pk, phone, card in page:
                self.existing.add(_phone_key(phone))
                cards.add(int(card))
            last = page[-1][0]

    def phone(self, raw: str) -> str:
        return normalize_phone(raw.replace(" ", "").replace("-", ""))

    def check(self, number: int, cells: list[str]) -> tuple[Row | None, list[str]]:
        errors: list[str] = []
        values = {target: (cells[i] if i < len(cells) else "") for i, target in self.mapping.items()}
        row = Row(phone="", number=number, store_id=self.default_store, level_id=self.lowest_level)
        try:
            row.phone = self.phone(values["phone"])
        except InvalidInput:
            errors.append(_("bad phone number “%(value)s”") % {"value": values["phone"]})
        else:
            key = _phone_key(row.phone)
            if key in self.seen:
                errors.append(_("phone repeats row %(row)s") % {"row": self.seen[key]})
            elif key in self.existing:
                errors.append(_("already a member"))
        for target, text in values.items():
            if target == "phone" or not text:
                continue
            try:
                self._set(row, target, text)
            except (ValueError, DomainError) as exc:
                errors.append(f"{TARGETS.get(target, target)}: {getattr(exc, 'message', exc)}")
        if errors:
            return None, errors
        self.seen[_phone_key(row.phone)] = number
        return row, []

    def _set(self, row: Row, target: str, text: str) -> None:
        if target == "name":
            row.name = text[:60]
        elif target == "gender":
            if text.lower() not in _GENDERS:
                raise ValueError(_("unknown gender “%(value)s”") % {"value": text})
            row.gender = _GENDERS[text.lower()]
        elif target == "birthday":
            row.birthday = _parse_date(text)
            if row.birthday > self.today or row.birthday.year < 1900:
                raise ValueError(_("not a real date of birth"))
        elif target == "level":
            if text.lower() not in self.levels:
                raise ValueError(_("unknown level “%(value)s”") % {"value": text})
            row.level_id = self.levels[text.lower()]
        elif target == "points":
            if not text.isdigit():
                raise ValueError(_("points are a whole number, not negative"))
            row.points = int(text)
        elif target in ("principal", "bonus"):
            fen = parse_yuan(text)
            if fen < 0:
                raise ValueError(_("cannot be negative"))
            setattr(row, f"{target}_fen", fen)
        elif target == "store":
            if text.lower() not in self.stores:
                raise ValueError(_("unknown store code “%(value)s”") % {"value": text})
            row.store_id = self.stores[text.lower()]
        elif target == "notes":
            row.notes = text[:2000]
        elif target == "tags":
            row.tags = [t for t in re.split(r"[,，;；\s]+", text) if t][:20]
        elif target.startswith("custom:"):
            definition = self.customs.get(target.removeprefix("custom:"))
            if definition is None:
                raise ValueError(_("unknown field"))
            row.custom[definition.key] = clean_value(definition.kind, text, choices=definition.choices,
                                                     field=definition.key)


def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    if re.fullmatch(r"\d{8}", cleaned):
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", cleaned)
    if not match:
        raise ValueError(_("dates are written YYYY-MM-DD"))
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


# --- running --------------------------------------------------------------------------------
def progress_key(job_id: int) -> str:
    return f"member-import:{job_id}:done"


def _progress(job_id: int, done: int) -> None:
    cache.set(progress_key(job_id), done, timeout=24 * 3600)


def import_check(*, job: ImportJob) -> ImportJob:
    """The dry run: read and check every row, write nothing but the report."""
    checker = RowChecker(job)
    with connection.cursor() as cursor:
        checker.know_members(cursor)
    errors, valid, invalid = [], 0, 0
    for number, cells in _body(_content(job), job.file_format):
        row, reasons = checker.check(number, cells)
        if row is None:
            invalid += 1
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append({"row": number, "errors": reasons})
        else:
            valid += 1
        if (valid + invalid) % CHUNK == 0:
            _progress(job.pk, valid + invalid)
    _progress(job.pk, valid + invalid)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKED, valid_rows=valid,
                                               invalid_rows=invalid, total_rows=valid + invalid, errors=errors,
                                               finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _content(job: ImportJob) -> bytes:
    content = job.content if isinstance(job.content, bytes) else bytes(job.content)
    job.content = b""  # one copy of the file in memory, not two
    return content


def _body(content: bytes, file_format: str) -> Iterator[tuple[int, list[str]]]:
    rows = read_stored(content, file_format)
    next(rows, None)
    for number, cells in enumerate(rows, start=2):
        if any(cells):
            yield number, cells


class _StopImport(Exception):
    def __init__(self, row: int, reasons: list[str]) -> None:
        super().__init__(row, reasons)  # so that it comes back whole from a worker process
        self.row, self.reasons = row, reasons


@dataclass
class _Batch:
    """Up to ``CHUNK`` valid rows as the rows of ``TABLES``, with what the import reports of them."""

    tables: list[Table]
    links: list[tuple[int, str]]  # (member id, tag name) to tag them with
    imported: int
    read: int  # rows of the file read so far, valid or not
    skipped: int
    errors: list[dict[str, Any]]  # the rows left out in this batch (while fewer than MAX_ERRORS_KEPT)


def import_run(*, job: ImportJob, progress: Callable[[int], None] | None = None) -> ImportJob:
    """The import: every valid row in bulk, in one transaction. Any bad row stops it (nothing written)
    unless ``job.skip_invalid``; the report lists the rows left out.

    A large file on PostgreSQL is read, checked and turned into rows by a worker process while this one
    writes the rows before (``made_by_worker``); the worker learns the members as they are when it
    starts, and the unique keys (phone, card number) hold against anyone registering meanwhile."""
    checker = RowChecker(job)  # the merchant's levels, stores and fields: read here, before any fork
    merchant = job.merchant
    expire_after_days = points_rule_get(merchant=merchant).expire_after_days
    tags = {t.name: t.pk for t in Tag.objects.filter(merchant=merchant)}
    content, when = _content(job), timezone.now()
    errors, imported, skipped = [], 0, 0
    report = progress or (lambda n: _progress(job.pk, n))

    batches = partial(_batches, job, checker, content, when=when, expire_after_days=expire_after_days)
    try:
        with transaction.atomic(), foreign_keys_checked_in_bulk([*TABLES, MemberTag, Tag, AuditEntry]):
            with _made(job, batches) as made:
                for batch in made:
                    write_tables(batch.tables)
                    _write_tags(job, batch.links, tags)
                    imported += batch.imported
                    skipped += batch.skipped
                    errors += batch.errors
                    report(batch.read)
            audit_record(merchant=merchant, actor=job.created_by, action="member.import_finished", target=job,
                         store=job.store, changes={"imported": imported, "skipped": skipped})
    except _StopImport as stop:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, imported_rows=0, errors=[{"row": stop.row, "errors": stop.reasons}],
            failure=_("Row %(row)s is wrong, so nothing was imported. Fix it, or choose to skip bad rows.")
            % {"row": stop.row}, finished_at=timezone.now())
        job.refresh_from_db()
        return job
    _progress(job.pk, imported + skipped)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, imported_rows=imported,
                                               invalid_rows=skipped, errors=errors, finished_at=timezone.now())
    job.refresh_from_db()
    return job


@contextmanager
def _made(job: ImportJob, batches: Callable[..., Iterator[_Batch]]) -> Iterator[Iterator[_Batch]]:
    """The batches, from a worker process for a large file on PostgreSQL, else made here."""
    if connection.vendor == "postgresql" and job.total_rows >= PARALLEL_FROM:
        with made_by_worker(lambda cursor: batches(cursor=cursor, reserve=partial(reserve_ids, cursor=cursor))) \
                as made:
            yield made
        return
    with connection.cursor() as cursor:
        yield batches(cursor=cursor, reserve=reserve_ids)


def _batches(job: ImportJob, checker: RowChecker, content: bytes, *, cursor: Any,
             reserve: Reserve, when: datetime,
             expire_after_days: int | None) -> Iterator[_Batch]:
    """Read and check every row; the valid ones in batches of ``CHUNK``, as rows with their ids."""
    taken_cards = checker.know_members(cursor)
    chunk: list[Row] = []
    read = skipped = kept = 0
    errors: list[dict[str, Any]] = []

    def batch() -> _Batch:
        nonlocal skipped, errors
        member_ids, tables = register_tables(
            merchant_id=job.merchant_id, rows=chunk, channel=Member.Channel.IMPORT.value, when=when,
            today=checker.today, expire_after_days=expire_after_days, taken_cards=taken_cards,
            staff_id=job.created_by_id, reserve=reserve)
        links = [(member_id, name[:40]) for member_id, row in zip(member_ids, chunk, strict=True) for name in row.tags]
        made = _Batch(tables, links, len(chunk), read, skipped, errors)
        skipped, errors = 0, []
        return made

    for number, cells in _body(content, job.file_format):
        read += 1
        row, reasons = checker.check(number, cells)
        if row is None:
            if not job.skip_invalid:
                raise _StopImport(number, reasons)
            skipped += 1
            if kept < MAX_ERRORS_KEPT:
                kept += 1
                errors.append({"row": number, "errors": reasons})
            continue
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield batch()
            chunk = []
    if chunk or skipped:
        yield batch()


def _write_tags(job: ImportJob, links: list[tuple[int, str]], tags: dict[str, int]) -> None:
    """Tag the members (``links``: member id, tag name), creating the tags the merchant does not have yet."""
    rows = []
    for member_id, name in links:
        if name not in tags:
            tags[name] = Tag.objects.create(merchant_id=job.merchant_id, name=name).pk
        rows.append((job.merchant_id, member_id, tags[name], job.created_by_id, job.created_at))
    insert_rows(MemberTag, ("merchant_id", "member_id", "tag_id", "created_by_id", "created_at"), rows)
