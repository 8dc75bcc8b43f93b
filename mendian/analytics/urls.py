from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/<int:segment_id>/", views.segment_detail, name="segment"),
    path("segments/<int:segment_id>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/delete/", views.segment_delete, name="segment_delete"),
    path("segments/tags/new/", views.tag_rule_new, name="tag_rule_new"),
    path("segments/tags/<int:rule_id>/run/", views.tag_rule_run, name="tag_rule_run"),
    path("segments/presets/", views.preset_on, name="preset_on"),
    path("rfm/", views.rfm_page, name="rfm"),
    path("rfm/run/", views.rfm_run, name="rfm_run"),
    path("rfm/members/", views.rfm_members_page, name="rfm_members"),
    path("finance/", views.finance, name="finance"),
]
