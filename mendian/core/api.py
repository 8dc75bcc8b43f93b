"""Shared pieces of the REST API: input schemas that refuse unknown fields, list pages, and the
error format of API.md (``{"error": {"code", "message", "detail"}}``) for every kind of failure."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from pydantic import ConfigDict, Field, create_model

from .errors import DomainError
from .pagination import DEFAULT_LIMIT, MAX_LIMIT

logger = logging.getLogger("mendian.api")


class Utf8JSONRenderer(JSONRenderer):
    """JSON with Chinese as UTF-8 text rather than ``\\uXXXX`` escapes."""

    json_dumps_params = {"ensure_ascii": False}


class InSchema(Schema):
    """Base of every request body: an unknown field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorDetail(Schema):
    code: str
    message: str
    detail: dict[str, Any] = {}


class ErrorOut(Schema):
    error: ErrorDetail


class ListParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


_page_models: dict[type, type] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """``{"items": [item_schema], "next_cursor": str | None}`` as a named schema."""
    if item_schema not in _page_models:
        name = item_schema.__name__.removesuffix("Out") + "Page"
        _page_models[item_schema] = create_model(
            name, __base__=Schema, items=(list[item_schema], ...), next_cursor=(str | None, None)
        )
    return _page_models[item_schema]


# Readable messages for the validation failures people actually cause.
_FIELD_MESSAGES = {
    "missing": _("This field is required."),
    "extra_forbidden": _("This field is not allowed here."),
    "int_type": _("Enter a whole number."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "bool_type": _("Enter true or false."),
    "bool_parsing": _("Enter true or false."),
    "string_type": _("Enter text."),
    "string_too_short": _("This value is too short."),
    "string_too_long": _("This value is too long."),
    "greater_than": _("This value is too small."),
    "greater_than_equal": _("This value is too small."),
    "less_than": _("This value is too large."),
    "less_than_equal": _("This value is too large."),
    "literal_error": _("This value is not one of the allowed choices."),
    "enum": _("This value is not one of the allowed choices."),
    "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
    "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
    "date_type": _("Enter a valid date (YYYY-MM-DD)."),
    "datetime_parsing": _("Enter a valid date and time (ISO 8601)."),
    "datetime_from_date_parsing": _("Enter a valid date and time (ISO 8601)."),
    "datetime_type": _("Enter a valid date and time (ISO 8601)."),
    "list_type": _("Enter a list."),
    "dict_type": _("Enter an object."),
    "model_type": _("Enter an object."),
    "model_attributes_type": _("Enter an object."),
    "decimal_parsing": _("Enter a number."),
    "float_parsing": _("Enter a number."),
    "too_long": _("Too many items."),
    "too_short": _("Too few items."),
}


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fields = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        # ninja prefixes ("body", "<param name>") or ("query", ...); people want the field path.
        if location[:1] == ["body"] and len(location) > 1:
            location = location[2:] if len(location) > 2 else []
        elif location[:1] in (["query"], ["path"], ["header"]):
            location = location[1:]
        code = error.get("type", "invalid")
        message = _FIELD_MESSAGES.get(code)
        fields.append({
            "field": ".".join(location),
            "code": code,
            "message": str(message) if message else error.get("msg", ""),
        })
    return fields


def _respond(api: NinjaAPI, request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_body(), status=error.status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Every failure the API can produce leaves in API.md's error format; no input gives a 500."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return _respond(api, request, exc)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = _field_errors(exc.errors)
        error = DomainError(
            "validation_error",
            _("Some fields are missing or invalid."),
            detail={"fields": fields},
            status=422,
        )
        return _respond(api, request, error)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        error = DomainError("not_authenticated", _("Please log in first."), status=401)
        response = _respond(api, request, error)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            error = DomainError("malformed_json", _("The request body is not valid JSON."), status=400)
        elif exc.status_code == 429:
            error = DomainError("too_many_requests", _("Too many requests. Please wait and try again."), status=429)
        else:
            error = DomainError("http_error", gettext("The request could not be processed."), status=exc.status_code)
        return _respond(api, request, error)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, DomainError("not_found", _("Not found."), status=404))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unexpected error in %s %s", request.method, request.path)
        error = DomainError("internal_error", _("Something went wrong on our side. Please try again."), status=500)
        return _respond(api, request, error)
