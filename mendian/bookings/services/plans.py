"""Service plans (服务计划/疗程): a template of N sessions every D days, assigned to a member with a staff
member; sessions are booked like any service and are done when the booking is checked in."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.tenancy.access import Access
from mendian.tenancy.models import Staff
from mendian.tenancy.services.audit import audit_record

from ..models import PlanSession, PlanTemplate, ServicePlan
from .common import bookable_product, member_of, store_of


def plan_template_create(*, access: Access, name: str, product_id: int, sessions: int,
                         interval_days: int) -> PlanTemplate:
    access.require("bookings.manage")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput("invalid_name", _("Enter a name of 1 to 60 characters."), field="name")
    if not 1 <= sessions <= 100:
        raise InvalidInput("invalid_sessions", _("A plan has 1 to 100 sessions."), field="sessions")
    if not 1 <= interval_days <= 365:
        raise InvalidInput("invalid_interval", _("Sessions are 1 to 365 days apart."), field="interval_days")
    product = bookable_product(access.merchant, product_id)
    try:
        with transaction.atomic():
            template = PlanTemplate.objects.create(merchant=access.merchant, name=name, product=product,
                                                   sessions=sessions, interval_days=interval_days)
            audit_record(merchant=access.merchant, actor=access, action="plan_template.created", target=template,
                         changes={"sessions": sessions, "interval_days": interval_days})
    except IntegrityError as exc:
        raise Conflict("plan_template_exists", _("A plan with this name already exists."), field="name") from exc
    return template


def plan_assign(*, access: Access, member_id: int, template_id: int, staff_id: int, store_id: int,
                start_date: date) -> ServicePlan:
    """Give a member a plan: its sessions are due from ``start_date`` every ``interval_days`` days."""
    access.require("bookings.book")
    member = member_of(access, member_id)
    store = store_of(access, store_id)
    template = PlanTemplate.objects.filter(merchant=access.merchant, pk=template_id, is_active=True).first()
    if template is None:
        raise NotFound("plan_template_not_found", _("Plan not found."), field="template_id")
    staff = Staff.objects.filter(merchant=access.merchant, pk=staff_id, is_active=True).first()
    if staff is None:
        raise NotFound("staff_not_found", _("Staff member not found."), field="staff_id")
    today = timezone.localdate()
    if not today - timedelta(days=366) <= start_date <= today + timedelta(days=366):
        raise InvalidInput("invalid_start_date", _("The first session is within a year of today."),
                           field="start_date")
    with transaction.atomic():
        plan = ServicePlan.objects.create(merchant=access.merchant, template=template, member=member, store=store,
                                          staff=staff, start_date=start_date, created_by=access.staff)
        PlanSession.objects.bulk_create([
            PlanSession(plan=plan, number=n + 1, due_date=start_date + timedelta(days=n * template.interval_days))
            for n in range(template.sessions)])
        audit_record(merchant=access.merchant, actor=access, store=store, action="plan.assigned", target=plan,
                     target_label=template.name, changes={"member_id": member.pk, "staff_id": staff.pk})
    return plan


def plan_session_done(*, session_id: int, when: datetime) -> None:
    """Mark a session done (inside the check-in's transaction); the plan completes with its last session."""
    session = PlanSession.objects.select_for_update().get(pk=session_id)
    if session.done_at is None:
        session.done_at = when
        session.save(update_fields=["done_at"])
    if not PlanSession.objects.filter(plan_id=session.plan_id, done_at__isnull=True).exists():
        ServicePlan.objects.filter(pk=session.plan_id).update(status=ServicePlan.Status.COMPLETED,
                                                             updated_at=timezone.now())


def plan_cancel(*, access: Access, plan_id: int) -> ServicePlan:
    access.require("bookings.book")
    with transaction.atomic():
        rows = ServicePlan.objects.filter(merchant=access.merchant, pk=plan_id)
        if access.store_ids is not None:
            rows = rows.filter(store_id__in=access.store_ids)
        plan = rows.select_for_update().first()
        if plan is None:
            raise NotFound("plan_not_found", _("Service plan not found."))
        if plan.status != ServicePlan.Status.ACTIVE:
            raise Conflict("plan_not_active", _("This plan is not in progress."))
        plan.status = ServicePlan.Status.CANCELLED
        plan.save(update_fields=["status", "updated_at"])
        audit_record(merchant=access.merchant, actor=access, store=plan.store_id, action="plan.cancelled",
                     target=plan)
    return plan
