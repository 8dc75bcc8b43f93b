from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.product_list, name="list"),
    path("catalog/new/", views.product_create_view, name="create"),
    path("catalog/<int:product_id>/", views.product_edit, name="edit"),
    path("catalog/categories/new/", views.category_create_view, name="category_create"),
]
