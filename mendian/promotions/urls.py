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
    path("coupons/<int:template_id>/results/", views.template_results_page, name="template_results"),
    path("promotions/", views.promotion_list, name="promotions"),
    path("promotions/new/", views.promotion_new, name="promotion_new"),
    path("promotions/<int:promotion_id>/", views.promotion_detail, name="promotion"),
    path("promotions/<int:promotion_id>/edit/", views.promotion_edit, name="promotion_edit"),
    path("promotions/<int:promotion_id>/status/", views.promotion_status, name="promotion_status"),
    path("promotions/<int:promotion_id>/stores/<int:store_id>/", views.promotion_store, name="promotion_store"),
]
