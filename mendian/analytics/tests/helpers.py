"""Orders placed at chosen moments, for tests of periods and local days."""

from __future__ import annotations

from datetime import datetime

from mendian.members.models import Member
from mendian.pos.models import Order, Refund
from mendian.pos.services.refunds import order_refund
from mendian.pos.testing import make_order


def order_at(world, when: datetime, *, member: Member | None = None, **kwargs) -> Order:
    """A paid order moved to ``when`` (its member's last visit too, as checkout would have set it)."""
    order = make_order(world, member=member, **kwargs)
    Order.objects.filter(pk=order.pk).update(created_at=when)
    if member is not None:
        latest = Order.objects.filter(member=member).order_by("-created_at").values_list("created_at", flat=True)[0]
        first = Order.objects.filter(member=member).order_by("created_at").values_list("created_at", flat=True)[0]
        Member.objects.filter(pk=member.pk).update(last_visit_at=latest, first_visit_at=first)
    order.refresh_from_db()
    return order


def refund_at(world, order: Order, when: datetime, **kwargs) -> Refund:
    refund = order_refund(access=world.access(), order=order, reason="测试退款", **kwargs)
    Refund.objects.filter(pk=refund.pk).update(created_at=when)
    refund.refresh_from_db()
    return refund
