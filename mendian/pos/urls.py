from django.urls import path

from . import views, views_cards

app_name = "pos"
urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/refund/", views.order_refund_view, name="refund"),
    path("orders/<int:order_id>/receipt/", views.receipt, name="receipt"),
    path("shifts/", views.shifts, name="shifts"),
    path("shifts/<int:shift_id>/", views.shift_detail, name="shift"),
    path("members/<int:member_id>/cards/sell/", views_cards.member_card_sell, name="member_card_sell"),
]
