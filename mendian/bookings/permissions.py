from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import CASHIER, FINANCE, HQ_ADMIN, MARKETER, STORE_MANAGER, Permission

_BOOKINGS = _("Appointments")

PERMISSIONS = (
    Permission("bookings.view", _("See calendars, classes and service plans"), _BOOKINGS,
               (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)),
    Permission("bookings.book", _("Book, move, cancel and check in appointments and classes"), _BOOKINGS,
               (HQ_ADMIN, STORE_MANAGER, CASHIER)),
    Permission("bookings.manage", _("Set up resources, schedules, classes and plans; override the cut-off"),
               _BOOKINGS, (HQ_ADMIN, STORE_MANAGER)),
)

AUDIT_ACTIONS = {
    "resource.created": _("Resource added"),
    "resource.updated": _("Resource edited"),
    "resource.schedule": _("Resource schedule changed"),
    "service.requirements": _("Resources a service needs changed"),
    "booking.policy": _("Booking cut-off changed"),
    "booking.created": _("Appointment booked"),
    "booking.rescheduled": _("Appointment moved"),
    "booking.cancelled": _("Appointment cancelled"),
    "booking.no_show": _("Appointment marked as a no-show"),
    "booking.checked_in": _("Appointment checked in"),
    "class.created": _("Class scheduled"),
    "class.booked": _("Class place booked"),
    "class.cancelled": _("Class place cancelled"),
    "class.attended": _("Class attendance taken"),
    "class.no_show": _("Class place marked as a no-show"),
    "plan_template.created": _("Service plan created"),
    "plan.assigned": _("Service plan given to a member"),
    "plan.cancelled": _("Service plan cancelled"),
}

NAV = (
    NavItem("bookings:calendar", _("Appointments"), "calendar-week", "bookings.view", 50),
    NavItem("bookings:classes", _("Classes"), "calendar-event", "bookings.view", 51),
    NavItem("bookings:resources", _("Resources"), "person-badge", "bookings.view", 52),
    NavItem("bookings:plans", _("Service plans"), "list-check", "bookings.view", 53),
)
