from django.urls import path

from . import views, views_classes, views_plans, views_setup

app_name = "bookings"
urlpatterns = [
    path("bookings/", views.calendar, name="calendar"),
    path("bookings/book/", views.book, name="book"),
    path("bookings/slots/", views.slot_search, name="slots"),
    path("bookings/members/", views.member_search, name="member_search"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="detail"),
    path("bookings/<int:booking_id>/move/", views.booking_move, name="move"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="cancel"),
    path("bookings/<int:booking_id>/no-show/", views.booking_no_show, name="no_show"),
    path("bookings/<int:booking_id>/check-in/", views.booking_check_in, name="check_in"),
    path("bookings/resources/", views_setup.resources, name="resources"),
    path("bookings/resources/new/", views_setup.resource_new, name="resource_new"),
    path("bookings/resources/<int:resource_id>/", views_setup.resource_detail, name="resource"),
    path("bookings/resources/<int:resource_id>/edit/", views_setup.resource_edit, name="resource_edit"),
    path("bookings/resources/<int:resource_id>/schedule/", views_setup.resource_schedule, name="resource_schedule"),
    path("bookings/services/<int:product_id>/needs/", views_setup.requirements, name="requirements"),
    path("bookings/cut-off/", views_setup.policy_edit, name="policy"),
    path("bookings/classes/", views_classes.timetable, name="classes"),
    path("bookings/classes/new/", views_classes.class_new, name="class_new"),
    path("bookings/classes/<int:class_id>/", views_classes.class_detail, name="class"),
    path("bookings/classes/<int:class_id>/book/", views_classes.class_book, name="class_book"),
    path("bookings/class-places/<int:class_booking_id>/check-in/", views_classes.place_check_in,
         name="place_check_in"),
    path("bookings/class-places/<int:class_booking_id>/no-show/", views_classes.place_no_show, name="place_no_show"),
    path("bookings/class-places/<int:class_booking_id>/cancel/", views_classes.place_cancel, name="place_cancel"),
    path("bookings/plans/", views_plans.plans, name="plans"),
    path("bookings/plans/new/", views_plans.plan_template_new, name="plan_template_new"),
    path("bookings/plans/<int:service_plan_id>/", views_plans.plan_detail, name="plan"),
    path("bookings/plans/<int:service_plan_id>/cancel/", views_plans.plan_cancel, name="plan_cancel"),
]
