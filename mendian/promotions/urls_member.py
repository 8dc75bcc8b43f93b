"""The coupons section of a member's profile (its own namespace: ``promotions/urls.py`` is the coupon pages')."""

from django.urls import path

from . import views_member

app_name = "member_coupons"
urlpatterns = [
    path("members/<int:member_id>/coupons/", views_member.member_coupons, name="list"),
    path("members/<int:member_id>/coupons/give/", views_member.member_coupon_give, name="give"),
]
