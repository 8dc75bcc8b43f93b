from django.urls import path

from . import views

app_name = "wallet"
urlpatterns = [
    path("settings/recharge-plans/", views.plan_list, name="plans"),
    path("settings/recharge-plans/<int:plan_id>/", views.plan_edit, name="plan_edit"),
    path("recharges/<int:recharge_id>/refund/", views.refund_recharge, name="refund_recharge"),
    path("reports/stored-value/", views.reports, name="reports"),
]
