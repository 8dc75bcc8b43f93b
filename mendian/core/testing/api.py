"""A JSON API client for tests: ``client.post("/stores", {...}, key="...")`` → response with ``.data``."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


class ApiClient:
    def __init__(self, token: str | None = None, *, language: str = "zh-hans") -> None:
        self.client = Client()
        self.token = token
        self.language = language

    def _headers(self, key: str | None, language: str | None) -> dict[str, str]:
        headers = {"Accept-Language": language or self.language}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = None,
             language: str | None = None, raw: str | bytes | None = None) -> Any:
        url = "/api/v1" + path
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": self._headers(key, language)}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        response = getattr(self.client, method.lower())(url, **kwargs)
        content = response.content
        response.data = json.loads(content) if content and response["Content-Type"].startswith("application/json") \
            else None
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


def error_code(response: Any) -> str | None:
    try:
        return response.data["error"]["code"]
    except (TypeError, KeyError):
        return None
