from django.urls import path

from . import views, views_import, views_settings

app_name = "members"
urlpatterns = [
    path("members/", views.member_list, name="list"),
    path("members/new/", views.member_create, name="create"),
    path("members/export/", views.member_export, name="export"),
    path("members/tag/", views.member_bulk_tag, name="bulk_tag"),
    path("members/settings/", views_settings.member_settings, name="settings"),
    path("members/import/", views_import.import_start, name="import"),
    path("members/import/<int:job_id>/", views_import.import_job, name="import_job"),
    path("members/import/<int:job_id>/progress/", views_import.import_progress, name="import_progress"),
    path("members/import/<int:job_id>/remap/", views_import.import_remap, name="import_remap"),
    path("members/<int:member_id>/", views.member_detail, name="detail"),
    path("members/<int:member_id>/edit/", views.member_edit, name="edit"),
    path("members/<int:member_id>/card/", views.member_card, name="card"),
    path("members/<int:member_id>/recharge/", views.member_recharge, name="recharge"),
    path("members/<int:member_id>/points/", views.member_adjust_points, name="adjust_points"),
    path("members/<int:member_id>/level/", views.member_change_level, name="change_level"),
    path("members/<int:member_id>/records/", views.member_add_record, name="add_record"),
    path("members/<int:member_id>/tags/", views.member_tag, name="tag"),
    path("members/<int:member_id>/erase/", views.member_erase, name="erase"),
]
