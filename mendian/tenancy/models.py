"""Merchants (brand / HQ), their stores, staff, roles, API tokens and the audit log."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.generation import SettingsManager, SettingsQuerySet, settings_m2m, settings_model
from mendian.core.models import MerchantOwned, TimeStamped


@settings_model("id")
class Merchant(TimeStamped):
    """A brand and its head office (总部); owns stores, staff, members and everything else."""

    objects = SettingsManager()

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    onboarding_completed_at = models.DateTimeField(_("onboarding completed at"), null=True, blank=True)
    checkout_registers_members = models.BooleanField(
        _("checkout registers new phones as members"), default=False,
        help_text=_("消费即会员: a phone given at checkout that is not a member yet becomes one."))

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self) -> str:
        return self.name


def new_signup_code() -> str:
    return secrets.token_urlsafe(9)


@settings_model("merchant_id")
class Store(MerchantOwned, TimeStamped):
    """A store (门店) of a merchant's chain."""

    objects = SettingsManager()

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        ACTIVE = "active", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # [{"weekday": 0-6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}, ...]
    opening_hours = models.JSONField(_("opening hours"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    verify_member_payments = models.BooleanField(
        _("members confirm stored-value and points payments"), default=False,
        help_text=_("余额支付验证: the member's rotating code or a texted code is needed to pay with stored value "
                    "or points."))
    # The secret part of the store's member sign-up link (扫码入会).
    signup_code = models.CharField(max_length=32, unique=True, default=new_signup_code, editable=False)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="store_merchant_code")]
        indexes = [models.Index(fields=["merchant", "status"], name="store_merchant_status")]

    def __str__(self) -> str:
        return self.name


@settings_model("merchant_id")
class Role(MerchantOwned, TimeStamped):
    """A set of permissions. Built-in roles take their permissions from ``permissions.BUILTIN_ROLES``;
    custom roles keep their own list."""

    objects = SettingsManager()

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    is_builtin = models.BooleanField(_("built-in"), default=False)
    store_bound = models.BooleanField(
        _("limited to assigned stores"),
        default=False,
        help_text=_("Staff with this role see and act only in the stores assigned to them."),
    )
    custom_permissions = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="role_merchant_code")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        from .permissions import BUILTIN_ROLES

        if self.is_builtin and self.code in BUILTIN_ROLES:
            return str(BUILTIN_ROLES[self.code].name)
        return self.name

    @property
    def permissions(self) -> frozenset[str]:
        from .permissions import BUILTIN_ROLES, grantable_permissions

        if self.is_builtin and self.code in BUILTIN_ROLES:
            return BUILTIN_ROLES[self.code].permissions
        return frozenset(self.custom_permissions) & grantable_permissions()


class StaffManager(BaseUserManager.from_queryset(SettingsQuerySet)):  # type: ignore[misc]
    def create_user(self, username: str, password: str | None = None, **extra: Any) -> Staff:
        staff = self.model(username=username, **extra)
        staff.set_password(password)
        staff.save(using=self._db)
        return staff

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> Staff:
        """A platform operator: Django admin access, no merchant."""
        extra.setdefault("is_platform_admin", True)
        return self.create_user(username, password, **extra)

    def get_by_natural_key(self, username: str | None) -> Staff:
        return self.get(username__iexact=username)


@settings_model("merchant_id", ignore_fields={"last_login"})
class Staff(AbstractBaseUser):
    """A person who logs in: a merchant's employee, or (without merchant) a platform operator."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("merchant")
    )
    username = models.CharField(_("username"), max_length=60, unique=True)
    phone = models.CharField(_("phone"), max_length=32, null=True, blank=True, unique=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("role"))
    stores = models.ManyToManyField(Store, blank=True, related_name="staff", verbose_name=_("stores"))
    is_active = models.BooleanField(_("active"), default=True)
    is_platform_admin = models.BooleanField(_("platform operator"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = StaffManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        indexes = [models.Index(fields=["merchant", "username"], name="staff_merchant_username")]
        constraints = [models.UniqueConstraint(Lower("username"), name="staff_username_ci")]

    def __str__(self) -> str:
        return self.name or self.username

    # Django admin is for platform operators only.
    @property
    def is_staff(self) -> bool:
        return self.is_platform_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_platform_admin

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.is_platform_admin

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_platform_admin


class ApiToken(MerchantOwned):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""


    class Kind(models.TextChoices):
        LOGIN = "login", _("Login")
        INTEGRATION = "integration", _("Integration")

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("acts as"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["merchant", "kind", "created_at"], name="token_merchant_kind")]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class AuditEntry(MerchantOwned):
    """Who did what, when, in which store, and what changed. Never updated, never deleted."""

    actor = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(_("by"), max_length=60, blank=True)
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(_("object type"), max_length=40, blank=True)
    target_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="audit_merchant_time"),
            models.Index(fields=["merchant", "action", "-created_at"], name="audit_merchant_action"),
            models.Index(
                fields=["merchant", "store", "-created_at"], name="audit_merchant_store",
                condition=Q(store__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label}"


settings_m2m(Staff.stores.through, lambda row: row.merchant_id)
