"""Members (会员) of a merchant, usable in every store of the chain, and what is known about them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mendian.core.models import MerchantOwned, TimeStamped


def new_code_secret() -> str:
    """Base32 secret of the member's rotating code (TOTP, 60 s)."""
    import pyotp

    return pyotp.random_base32()


class Member(MerchantOwned, TimeStamped):
    class Gender(models.TextChoices):
        UNKNOWN = "unknown", _("Not given")
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("At the counter")
        SELF_SIGNUP = "self_signup", _("Self sign-up (QR code)")
        ACTIVITY = "activity", _("Activity")
        IMPORT = "import", _("Import")
        CHECKOUT = "checkout", _("At checkout")
        API = "api", _("API")

    phone = models.CharField(_("phone"), max_length=20)
    name = models.CharField(_("name"), max_length=60, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # Celebrated on the lunar date (农历) of ``birthday``: month, day and leap month as converted.
    birthday_is_lunar = models.BooleanField(_("lunar birthday"), default=False)
    lunar_birthday_month = models.PositiveSmallIntegerField(null=True, blank=True)
    lunar_birthday_day = models.PositiveSmallIntegerField(null=True, blank=True)
    lunar_birthday_leap = models.BooleanField(default=False)
    # Indexed by (merchant, registered_store, created_at) below; no single-column index to maintain.
    registered_store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("registered at"), db_index=False)
    source_channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.COUNTER)
    source_staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("registered by"), db_index=False)
    referrer = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals",
                                 verbose_name=_("referred by"), db_index=False)
    leaflet_code = models.CharField(_("leaflet code"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    card_no = models.CharField(_("card number"), max_length=16)
    code_secret = models.CharField(max_length=32, default=new_code_secret, editable=False)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Statistics kept by checkout (first/last visit, orders, spend net of refunds); reports read them.
    first_visit_at = models.DateTimeField(_("first visit"), null=True, blank=True)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    total_spent_fen = models.BigIntegerField(_("total spent (fen)"), default=0)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "phone"], name="member_merchant_phone"),
            models.UniqueConstraint(fields=["merchant", "card_no"], name="member_merchant_card"),
        ]
        indexes = [
            models.Index(fields=["merchant", "registered_store", "created_at"], name="member_merchant_store"),
            models.Index(fields=["merchant", "created_at"], name="member_merchant_created"),
            models.Index(fields=["merchant", "name"], name="member_merchant_name"),
            # Few members have a referrer: the index holds only them (an import or the scale demo writes
            # a million members without one, and an index entry for each would be a tenth of the work).
            models.Index(fields=["referrer"], condition=models.Q(referrer__isnull=False), name="member_referrer"),
        ]

    def __str__(self) -> str:
        return self.name or self.card_no


class CustomField(MerchantOwned, TimeStamped):
    """A merchant-defined member field (text, number, date or choice)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="customfield_merchant_key")]

    def __str__(self) -> str:
        return self.label


class RecordType(MerchantOwned, TimeStamped):
    """A kind of dated profile record (档案记录), e.g. a pet's vaccine, with its own fields."""

    name = models.CharField(_("name"), max_length=60)
    # [{"key": "vaccine", "label": "疫苗", "kind": "text|number|date|choice", "choices": [...]}]
    fields = models.JSONField(_("fields"), default=list, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("record type")
        verbose_name_plural = _("record types")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="recordtype_merchant_name")]

    def __str__(self) -> str:
        return self.name


class ProfileRecord(MerchantOwned):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="records")
    record_type = models.ForeignKey(RecordType, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    values = models.JSONField(_("values"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    store = models.ForeignKey("tenancy.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "member", "-date"], name="record_member_date")]


class TagGroup(MerchantOwned, TimeStamped):
    name = models.CharField(_("name"), max_length=40)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("tag group")
        verbose_name_plural = _("tag groups")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="taggroup_merchant_name")]

    def __str__(self) -> str:
        return self.name


class Tag(MerchantOwned, TimeStamped):
    group = models.ForeignKey(TagGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="tags",
                              verbose_name=_("group"))
    name = models.CharField(_("name"), max_length=40)
    color = models.CharField(_("colour"), max_length=16, default="secondary")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="tag_merchant_name")]

    def __str__(self) -> str:
        return self.name


class MemberTag(MerchantOwned):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="member_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="member_tags")
    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="membertag_unique")]
        indexes = [models.Index(fields=["merchant", "tag"], name="membertag_merchant_tag")]


class ImportJob(MerchantOwned):
    """A member import (from CSV or XLSX): the file, how its columns map, the check and the result."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, related_name="+")
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("default store"))
    filename = models.CharField(max_length=200)
    file_format = models.CharField(max_length=8)
    content = models.BinaryField()
    columns = models.JSONField(default=list)
    # column index (as text) → target field ("phone", "name", "custom:skin_type", …)
    mapping = models.JSONField(default=dict)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at"], name="importjob_merchant_time")]

    def __str__(self) -> str:
        return self.filename
