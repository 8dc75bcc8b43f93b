"""Error pages; under ``/api/`` the same errors in the API's JSON format."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError, NotFound, PermissionDenied
from mendian.core.idempotency import error_response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(NotFound())
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(PermissionDenied())
    return render(request, "errors/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response(
            DomainError("internal_error", _("Something went wrong on our side. Please try again."), status=500)
        )
    # No context processors here: the error may come from the database they read.
    return HttpResponse(loader.get_template("errors/500.html").render({}), status=500)
