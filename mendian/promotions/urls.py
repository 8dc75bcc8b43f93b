from django.urls import path

from . import views

app_name = "promotions"
urlpatterns = [
    path("coupons/", views.template_list, name="templates"),
    path("coupons/new/", views.template_new, name="template_new"),
    path("coupons/<int:template_id>/", views.template_detail, name="template"),
    path("coupons/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("coupons/<int:template_id>/issue/", views.template_issue, name="template_issue"),
    path("coupons/<int:template_id>/status/", views.template_status, name="template_status"),
    path("coupons/runs/<int:run_id>/", views.run_progress, name="run_progress"),
    path("coupons/packs/", views.gift_packs, name="packs"),
    path("coupons/packs/<int:pack_id>/", views.gift_pack_edit, name="pack_edit"),
]
