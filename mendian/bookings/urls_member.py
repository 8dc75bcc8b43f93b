"""The appointments section of a member's profile (its own namespace, like the coupons section)."""

from django.urls import path

from . import views_plans

app_name = "member_bookings"
urlpatterns = [
    path("members/<int:member_id>/bookings/", views_plans.member_bookings, name="list"),
    path("members/<int:member_id>/bookings/plan/", views_plans.member_plan_assign, name="assign"),
]
