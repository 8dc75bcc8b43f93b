"""Appointments (智能预约): resources with schedules, bookings, classes with waitlists, service plans.

Times are stored in UTC; schedules are written in the store's local time (``HH:MM``, weekday Monday 0).
A booking occupies each of its resources from ``start_at`` to ``block_end_at`` (the service's end plus
its buffer); two bookings of one resource may not overlap beyond the resource's capacity.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mendian.core.models import MerchantOwned, TimeStamped


class Resource(MerchantOwned, TimeStamped):
    """Who or what a service needs: a staff member (stylist, coach), a room or a piece of equipment."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        ROOM = "room", _("Room")
        EQUIPMENT = "equipment", _("Equipment")

    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("staff account"), db_index=False)
    capacity = models.PositiveSmallIntegerField(_("bookings at once"), default=1)
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+", verbose_name=_("services"))
    # [{"weekday": 0-6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}], the store's local time.
    weekly = models.JSONField(_("weekly schedule"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        indexes = [models.Index(fields=["merchant", "store", "is_active"], name="resource_merchant_store")]
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="resource_capacity_positive")]

    def __str__(self) -> str:
        return self.name


class ResourceException(models.Model):
    """A day off (leave, holiday) or a part of a day when a resource is away."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    # Both empty: the whole day.
    start = models.CharField(_("from"), max_length=5, blank=True)
    end = models.CharField(_("until"), max_length=5, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["resource", "date"], name="resexception_resource_date")]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.date}"


class ServiceRequirement(MerchantOwned):
    """A service needs one resource of this kind at once (a stylist AND a room). A service without any
    requirement needs one resource of any kind that can do it."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Resource.Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "product", "kind"], name="servicereq_unique")]

    def __str__(self) -> str:
        return f"{self.product_id}:{self.kind}"


class BookingPolicy(MerchantOwned):
    """A merchant's booking rules."""

    cancel_cutoff_min = models.PositiveIntegerField(
        _("cancel or reschedule up to (minutes before)"), default=120)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant"], name="bookingpolicy_merchant")]


class Booking(MerchantOwned, TimeStamped):
    """An appointment of a member for a service."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        COUNTER = "counter", _("At the counter")
        API = "api", _("API")
        MEMBER = "member", _("By the member")

    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", db_index=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    start_at = models.DateTimeField(_("start"))
    end_at = models.DateTimeField(_("end"))
    block_end_at = models.DateTimeField(_("free again at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    source = models.CharField(_("booked"), max_length=16, choices=Source.choices, default=Source.COUNTER)
    resources = models.ManyToManyField(Resource, through="BookingResource", related_name="bookings")
    plan_session = models.OneToOneField("PlanSession", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="booking")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_index=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # The card use (mendian.cards) consumed at check-in; a plain id until the cards app is merged.
    card_use_id = models.BigIntegerField(_("card use"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["merchant", "store", "start_at"], name="booking_merchant_store_start"),
            models.Index(fields=["merchant", "member", "-start_at"], name="booking_merchant_member"),
            models.Index(fields=["status", "start_at"], name="booking_status_start"),
        ]
        constraints = [models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")) &
                                              Q(block_end_at__gte=models.F("end_at")), name="booking_times_ordered")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class BookingResource(models.Model):
    """One resource a booking holds, with the booking's block copied for the overlap search."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="holds")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="holds", db_index=False)
    start_at = models.DateTimeField()
    block_end_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "resource"], name="bookingresource_unique")]
        indexes = [models.Index(fields=["resource", "start_at"], name="bookingresource_busy",
                                condition=Q(is_active=True))]

    def __str__(self) -> str:
        return f"{self.booking_id}@{self.resource_id}"


class ClassSession(MerchantOwned, TimeStamped):
    """One class (团课) at a time, with a maximum number of participants."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    name = models.CharField(_("name"), max_length=60)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", db_index=False, verbose_name=_("service"))
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="classes",
                                 db_index=False, verbose_name=_("coach or room"))
    start_at = models.DateTimeField(_("start"))
    end_at = models.DateTimeField(_("end"))
    capacity = models.PositiveIntegerField(_("places"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        indexes = [models.Index(fields=["merchant", "store", "start_at"], name="class_merchant_store_start"),
                   models.Index(fields=["resource", "start_at"], name="class_resource_start")]
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="class_capacity_positive"),
                       models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")), name="class_times")]

    def __str__(self) -> str:
        return self.name


class ClassBooking(MerchantOwned, TimeStamped):
    """A member's place in a class, or their place on its waitlist."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waitlist")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(ClassSession, on_delete=models.PROTECT, related_name="bookings")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_index=False)
    promoted_at = models.DateTimeField(_("moved up from the waitlist at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    card_use_id = models.BigIntegerField(_("card use"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "member"], name="classbooking_merchant_member")]
        constraints = [models.UniqueConstraint(
            fields=["session", "member"], condition=Q(status__in=["confirmed", "waitlisted", "attended"]),
            name="classbooking_one_place")]


class Reminder(MerchantOwned):
    """That a reminder was sent: the unique key makes each one go out exactly once."""

    kind = models.CharField(max_length=20)  # day_before, two_hours, plan_due
    ref_type = models.CharField(max_length=20)  # booking, class_booking, plan_session
    ref_id = models.BigIntegerField()
    recipient = models.CharField(max_length=10)  # member, staff
    delivery_id = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "ref_type", "ref_id", "kind", "recipient"],
                                               name="reminder_once")]


class PlanTemplate(MerchantOwned, TimeStamped):
    """A service plan (服务计划/疗程): N sessions of a service, one every so many days."""

    name = models.CharField(_("name"), max_length=60)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", db_index=False,
                                verbose_name=_("service"))
    sessions = models.PositiveSmallIntegerField(_("sessions"))
    interval_days = models.PositiveSmallIntegerField(_("days between sessions"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="plantemplate_merchant_name")]

    def __str__(self) -> str:
        return self.name


class ServicePlan(MerchantOwned, TimeStamped):
    """A plan assigned to a member with the staff member who follows it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    template = models.ForeignKey(PlanTemplate, on_delete=models.PROTECT, related_name="plans")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.PROTECT, related_name="+", db_index=False,
                              verbose_name=_("staff member"))
    start_date = models.DateField(_("first session"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["merchant", "member"], name="serviceplan_merchant_member"),
                   models.Index(fields=["merchant", "store", "status"], name="serviceplan_merchant_store")]


class PlanSession(models.Model):
    """One session of a plan: when it is due, its booking, and when it was done."""

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plansession_unique")]
        indexes = [models.Index(fields=["due_date"], name="plansession_due", condition=Q(done_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.number}"
