"""Import pages: upload, map columns, check with a row-by-row report, import with a progress bar."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.core.forms import StyledForm
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page

from . import import_jobs, importing
from .models import CustomField, ImportJob


class UploadForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("Member file (.csv or .xlsx)"))
    store = forms.TypedChoiceField(label=gettext_lazy("Store for rows without a store code"), coerce=int)


@staff_page("members.import")
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    access = request.access
    stores = list(tenancy_selectors.store_choices(access=access))
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["store"].choices = [(s.pk, f"{s.name} ({s.code})") for s in stores]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            store = tenancy_selectors.store_get(access=access, store_id=form.cleaned_data["store"])
            if upload.size > importing.MAX_FILE_BYTES:
                raise DomainError("invalid_import_file", _("The file is larger than 100 MB; split it."), field="file")
            job = import_jobs.import_job_create(access=access, filename=upload.name, content=upload.read(),
                                                store=store)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect("members:import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(merchant=access.merchant).select_related("created_by").defer("content")\
        .order_by("-created_at")[:20]
    return render(request, "members/import.html", {"form": form, "jobs": jobs})


def _targets(request: HttpRequest) -> list[tuple[str, str]]:
    customs = CustomField.objects.filter(merchant=request.access.merchant, is_active=True)
    return [("", _("(ignore)"))] + [(k, str(v)) for k, v in importing.TARGETS.items()] + [
        (f"custom:{f.key}", f.label) for f in customs]


@staff_page()
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    access = request.access
    job = import_jobs.import_job_get(access=access, job_id=job_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "import":
                import_jobs.import_job_start(access=access, job=job, skip_invalid=bool(request.POST.get("skip")))
            else:
                mapping = {str(i): request.POST.get(f"column_{i}", "") for i in range(len(job.columns))}
                import_jobs.import_job_check(access=access, job=job, mapping=mapping)
        except DomainError as error:
            messages.error(request, str(error.message))
        return redirect("members:import_job", job_id=job.pk)
    sample = []
    for index, cells in enumerate(importing.read_stored(bytes(job.content), job.file_format)):
        if index == 0:
            continue
        sample.append(cells)
        if len(sample) == 3:
            break
    columns = [{"index": i, "title": title, "target": job.mapping.get(str(i), ""),
                "samples": [row[i] if i < len(row) else "" for row in sample]} for i, title in enumerate(job.columns)]
    context = {"job": job, "columns": columns, "targets": _targets(request),
               "progress": import_jobs.import_progress(job)}
    return render(request, "members/import_job.html", context)


@staff_page()
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = import_jobs.import_job_get(access=request.access, job_id=job_id)
    response = render(request, "members/import_job.html#progress",
                      {"job": job, "progress": import_jobs.import_progress(job)})
    if job.status not in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING):
        response["HX-Refresh"] = "true"  # finished: reload to show the report
    return response


@staff_page()
@require_POST
def import_remap(request: HttpRequest, job_id: int) -> HttpResponse:
    """Back to the column mapping after a check or a failure."""
    job = import_jobs.import_job_get(access=request.access, job_id=job_id)
    if job.status in (ImportJob.Status.CHECKED, ImportJob.Status.FAILED):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.UPLOADED)
    return redirect("members:import_job", job_id=job.pk)
