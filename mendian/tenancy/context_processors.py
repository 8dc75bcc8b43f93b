from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .navigation import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "access", None)
    return {"access": access, "nav_items": nav_for(access, request.path)}
