"""My account: password, language, my log-in tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError

from .. import selectors
from ..forms import ChangePasswordForm
from ..models import ApiToken
from ..services.staff import account_change_password
from ..services.tokens import token_revoke
from .decorators import staff_page


@staff_page()
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    access = request.access
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_change_password(access=access, old_password=form.cleaned_data["old_password"],
                                    new_password=form.cleaned_data["password"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            update_session_auth_hash(request, access.staff)
            messages.success(request, _("Password changed. Your other log-ins to the API were ended."))
            return redirect("account")
    tokens = ApiToken.objects.filter(staff=access.staff, kind=ApiToken.Kind.LOGIN, revoked_at__isnull=True).order_by(
        "-created_at")[:20]
    live = [t for t in tokens if t.is_live]
    return render(request, "tenancy/account.html", {"form": form, "tokens": live, "languages": settings.LANGUAGES})


@staff_page()
@require_POST
def account_language(request: HttpRequest) -> HttpResponse:
    """Switch the page language and remember it on the account."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    staff = request.access.staff
    staff.language = language
    staff.save(update_fields=["language"])
    translation.activate(language)
    response = redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/") else "account")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 86400)
    return response


@staff_page()
@require_POST
def account_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.token_get(access=request.access, token_id=token_id)
    token_revoke(access=request.access, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("account")
