from django.urls import path

from . import views, views_store

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.product_list, name="list"),
    path("catalog/new/", views.product_create_view, name="create"),
    path("catalog/import/", views_store.import_products, name="import"),
    path("catalog/groups/", views_store.groups, name="groups"),
    path("catalog/link/", views_store.link_products, name="link"),
    path("catalog/<int:product_id>/", views.product_edit, name="edit"),
    path("catalog/categories/new/", views.category_create_view, name="category_create"),
    path("catalog/stores/<int:store_id>/", views_store.store_catalogue, name="store"),
    path("catalog/stores/<int:store_id>/<int:product_id>/price/", views_store.store_price, name="store_price"),
    path("catalog/stores/<int:store_id>/<int:product_id>/stock/", views_store.store_stock, name="store_stock"),
]
