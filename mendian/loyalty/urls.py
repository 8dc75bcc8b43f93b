from django.urls import path

from . import views

app_name = "loyalty"
urlpatterns = [
    path("settings/loyalty/", views.loyalty_settings, name="settings"),
    path("settings/loyalty/levels/<int:level_id>/", views.level_edit, name="level_edit"),
    path("settings/loyalty/levels/<int:level_id>/delete/", views.level_delete, name="level_delete"),
]
