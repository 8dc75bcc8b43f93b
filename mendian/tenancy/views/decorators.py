from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from mendian.core.errors import NotFound, PermissionDenied


def staff_page(permission: str | None = None) -> Callable:
    """A merchant staff page: logged in, with ``request.access``, holding ``permission`` if named.

    A ``NotFound`` from a selector becomes the 404 page and a ``PermissionDenied`` the 403 page, so
    another merchant's or another store's object looks exactly like a missing one.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = getattr(request, "access", None)
            if access is None:
                raise DjangoPermissionDenied
            try:
                if permission:
                    access.require(permission)
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(str(exc.message)) from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc

        return wrapper

    return decorator
