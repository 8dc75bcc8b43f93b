"""Log-in and log-out pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import TooManyRequests
from mendian.core.idempotency import error_response

from ..auth import client_ip
from ..services.audit import audit_login_failed, audit_record


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or phone"), max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "class": "form-control"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "form-control"}),
    )
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is deactivated."),
    }


class LoginView(auth_views.LoginView):
    template_name = "tenancy/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:
        response = super().form_valid(form)
        staff = form.get_user()
        if staff.merchant_id:
            audit_record(merchant=staff.merchant, action="auth.login", actor=staff, target=staff,
                         ip_address=client_ip(self.request))
        if staff.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, staff.language, samesite="Lax", max_age=365 * 86400)
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        login = self.request.POST.get("username", "")
        if login:
            audit_login_failed(login=login, ip_address=client_ip(self.request))
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access = getattr(request, "access", None)
        if access is not None:
            audit_record(merchant=access.merchant, action="auth.logout", actor=access, target=access.staff)
        return super().post(request, *args, **kwargs)


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """What a locked-out log-in gets (django-axes): the API's 429 error, or the log-in page with the reason."""
    error = TooManyRequests("too_many_attempts", _("Too many failed log-ins. Try again in 15 minutes."))
    if request.path.startswith("/api/"):
        return error_response(error)
    form = LoginForm(request)
    return render(request, "tenancy/login.html", {"form": form, "locked_message": error.message}, status=429)
