from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("join/<str:signup_code>/", views.join, name="join"),
]
