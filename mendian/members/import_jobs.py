"""Member import jobs: upload, map the columns, check (dry run), import — each long step a task."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, DomainError, InvalidInput, NotFound
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record

from . import importing
from .models import CustomField, ImportJob

logger = logging.getLogger("mendian.members")


def import_job_create(*, access: Access, filename: str, content: bytes, store: Store) -> ImportJob:
    access.require("members.import")
    access.require_store(store.pk)
    name = (filename or "members").rsplit("/", 1)[-1][:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ("csv", "xlsx"):
        raise InvalidInput("invalid_import_file", _("Upload a .csv or .xlsx file."), field="file")
    if not content:
        raise InvalidInput("invalid_import_file", _("The file is empty."), field="file")
    if len(content) > importing.MAX_FILE_BYTES:
        raise InvalidInput("invalid_import_file", _("The file is larger than 100 MB; split it."), field="file")
    header = importing.header_of(content, extension)
    customs = list(CustomField.objects.filter(merchant=access.merchant))
    with transaction.atomic():
        job = ImportJob.objects.create(
            merchant=access.merchant, created_by=access.staff, store=store, filename=name, file_format=extension,
            content=importing.stored_form(content, extension), columns=header,
            mapping=importing.guess_mapping(header, customs),
            total_rows=importing.count_rows(content, extension),
        )
        audit_record(merchant=access.merchant, actor=access, action="member.import_started", target=job,
                     store=store, changes={"file": name, "rows": job.total_rows})
    return job


def _check_mapping(job: ImportJob, mapping: dict[str, str]) -> dict[str, str]:
    allowed = set(importing.TARGETS) | {f"custom:{f.key}" for f in CustomField.objects.filter(merchant=job.merchant)}
    cleaned = {}
    for index, target in mapping.items():
        if not target:
            continue
        if target not in allowed or not index.isdigit() or int(index) >= len(job.columns):
            raise InvalidInput("invalid_mapping", _("A column is mapped to an unknown field."), field="mapping")
        if target in cleaned.values():
            raise InvalidInput("invalid_mapping", _("Two columns are mapped to the same field."), field="mapping")
        cleaned[index] = target
    if "phone" not in cleaned.values():
        raise InvalidInput("invalid_mapping", _("Choose which column holds the phone number."), field="mapping")
    return cleaned


def import_job_check(*, access: Access, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Save the column mapping and start the check (dry run) in the background."""
    from .tasks import member_import_check

    access.require("members.import")
    if job.status in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING, ImportJob.Status.DONE):
        raise Conflict("import_busy", _("This import is running or finished."))
    with transaction.atomic():
        job.mapping = _check_mapping(job, mapping)
        job.status = ImportJob.Status.CHECKING
        job.save(update_fields=["mapping", "status"])
        cache.set(importing.progress_key(job.pk), 0, timeout=24 * 3600)
        member_import_check.enqueue(job.pk)
    return job


def import_job_start(*, access: Access, job: ImportJob, skip_invalid: bool) -> ImportJob:
    """Start the import of a checked file in the background."""
    from .tasks import member_import_run

    access.require("members.import")
    if job.status != ImportJob.Status.CHECKED:
        raise Conflict("import_not_checked", _("Check the file first."))
    if job.invalid_rows and not skip_invalid:
        raise Conflict("import_has_errors", _("Some rows are wrong: fix the file, or choose to skip them."))
    with transaction.atomic():
        job.skip_invalid, job.status = skip_invalid, ImportJob.Status.IMPORTING
        job.save(update_fields=["skip_invalid", "status"])
        cache.set(importing.progress_key(job.pk), 0, timeout=24 * 3600)
        member_import_run.enqueue(job.pk)
    return job


def import_job_execute(*, job_id: int, dry_run: bool) -> ImportJob:
    """The task body: check or import, recording a failure instead of raising it."""
    job = ImportJob.objects.select_related("merchant", "created_by", "store").get(pk=job_id)
    try:
        return importing.import_check(job=job) if dry_run else importing.import_run(job=job)
    except DomainError as error:
        failure = str(error.message)
    except Exception:  # a crash (a helper process killed, the database gone): the page must not wait forever
        logger.exception("member import %s stopped", job.pk)
        failure = str(_("The import stopped on an unexpected error; nothing was imported. Try again."))
    # the import's own transaction was rolled back: nothing of it is written
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, failure=failure,
                                               finished_at=timezone.now())
    job.refresh_from_db()
    return job


def import_job_get(*, access: Access, job_id: int) -> ImportJob:
    """An import of the caller's merchant and stores (404 otherwise), for those who may import."""
    job = ImportJob.objects.filter(merchant=access.merchant, pk=job_id).select_related("store").first()
    if job is None or not access.sees_store(job.store_id):
        raise NotFound("import_not_found", _("Import not found."))
    access.require("members.import")
    return job


def import_progress(job: ImportJob) -> dict[str, Any]:
    done = cache.get(importing.progress_key(job.pk)) or 0
    total = job.total_rows or 1
    return {"done": min(done, total), "total": job.total_rows, "percent": min(100, round(100 * done / total))}
