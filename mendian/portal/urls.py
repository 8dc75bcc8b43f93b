from django.urls import path

from . import views, views_coupons

app_name = "portal"
urlpatterns = [
    path("join/<str:signup_code>/", views.join, name="join"),
    path("join/<str:signup_code>/code/", views.join_send_code, name="join_code"),
    path("m/card/", views.card, name="card"),
    path("m/card/code/", views.card_code, name="card_code"),
    path("m/coupons/", views_coupons.coupons, name="coupons"),
    path("m/coupons/claim/", views_coupons.claim, name="claim"),
    path("m/leave/", views.leave, name="leave"),
]
