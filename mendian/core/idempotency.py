"""``Idempotency-Key`` for API writes (ARCHITECTURE.md rule 3), and all-or-nothing API writes.

``api_write`` wraps a ninja operation (``@decorate_view(api_write)``). Every write runs in one
transaction that is rolled back when the answer is an error, so a refused request leaves nothing
behind. With an ``Idempotency-Key`` header, the first answer is stored per merchant: the same key
with the same request returns that answer again and does nothing; the same key with another request
is refused with 409 ``idempotency_key_reused``. Concurrent requests with one key give one result:
the unique constraint makes the loser roll back its work and return the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .errors import BadRequest, Conflict, DomainError
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# Answers that depend on who asks or when, not on the request: never stored, never replayed.
_NOT_STORED = {401, 403, 429}


class _Rollback(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def request_fingerprint(request: HttpRequest) -> str:
    """Hash of method, path, query and body (JSON bodies compared by content, not by spacing)."""
    body = request.body or b""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode() + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        error = Conflict(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
        )
        return error_response(error)
    response = HttpResponse(bytes(record.response_body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def error_response(error: DomainError) -> HttpResponse:
    return HttpResponse(
        json.dumps(error.as_body(), ensure_ascii=False), status=error.status, content_type="application/json"
    )


def _find(merchant_id: int, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(merchant_id=merchant_id, key=key).first()


def make_api_write(resolve_merchant_id: Callable[[HttpRequest], int | None]) -> Callable:
    """Build the ``api_write`` decorator; ``resolve_merchant_id`` authenticates the caller (or gives None)."""

    def api_write(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(run)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key = request.headers.get(HEADER)
            merchant_id = resolve_merchant_id(request) if key else None
            if not key or merchant_id is None:
                return _atomic(run, request, *args, **kwargs)
            if len(key) > MAX_KEY_LENGTH or not key.strip():
                return error_response(
                    BadRequest("invalid_idempotency_key", _("The Idempotency-Key must be 1 to 200 characters."))
                )
            fingerprint = request_fingerprint(request)
            existing = _find(merchant_id, key)
            if existing is not None:
                return _replay(existing, fingerprint)
            try:
                return _run_and_store(run, request, merchant_id, key, fingerprint, *args, **kwargs)
            except IntegrityError:
                winner = _find(merchant_id, key)
                if winner is None:
                    raise
                return _replay(winner, fingerprint)

        wrapper.api_write = True  # type: ignore[attr-defined]
        return wrapper

    return api_write


def _atomic(run: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    try:
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            if response.status_code >= 400:
                raise _Rollback(response)
            return response
    except _Rollback as rollback:
        return rollback.response


def _run_and_store(
    run: Callable[..., HttpResponse],
    request: HttpRequest,
    merchant_id: int,
    key: str,
    fingerprint: str,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    """A success is stored in the write's own transaction; a refusal after that transaction was rolled
    back (so the same key gets the same refusal). A concurrent twin fails on the unique key and replays."""

    def store(response: HttpResponse) -> None:
        IdempotencyRecord.objects.create(
            merchant_id=merchant_id,
            key=key,
            request_hash=fingerprint,
            method=request.method or "",
            path=request.path[:500],
            status_code=response.status_code,
            response_body=response.content,
            content_type=response.get("Content-Type", "application/json"),
        )

    try:
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            if response.status_code >= 400:
                raise _Rollback(response)
            store(response)
            return response
    except _Rollback as rollback:
        response = rollback.response
    if response.status_code in _NOT_STORED or response.status_code >= 500:
        return response
    with transaction.atomic():
        store(response)
    return response


def claim_form_key(*, merchant_id: int, key: str, path: str) -> bool:
    """Page forms carry a hidden key made when the form was shown: True the first time it arrives, False
    on a double submit. Call inside the transaction of the change it guards."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return True
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(merchant_id=merchant_id, key=f"form:{key}", request_hash="",
                                             method="POST", path=path[:500], status_code=303, response_body=b"")
    except IntegrityError:
        return False
    return True
