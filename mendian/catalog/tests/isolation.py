from mendian.catalog.models import Category, Product, ProductGroup
from mendian.core.testing.isolation import Param


def _product(world):
    return Product.objects.create(merchant=world.merchant, name=f"{world.merchant.name}洗发水", price_fen=100).pk


def _category(world):
    return Category.objects.get_or_create(merchant=world.merchant, name=f"{world.merchant.name}分类")[0].pk


def _group(world):
    return ProductGroup.objects.get_or_create(merchant=world.merchant, name=f"{world.merchant.name}分组")[0].pk


PARAMS = {"product_id": Param(own=_product), "group_id": Param(own=_group)}
BODIES = {
    "POST /api/v1/stores/{store_id}/stock/{product_id}": lambda w: {"quantity": 5},
    "PUT /api/v1/product-groups/{group_id}": lambda w: {"name": "sweep"},
}
REFERENCES = {
    "POST /api/v1/products": lambda w: {"name": "sweep", "price_fen": 100, "category_id": _category(w)},
    "POST /api/v1/products/link": lambda w: {"product_ids": [_product(w)], "store_ids": [w.stores[0].pk]},
    "POST /api/v1/product-groups": lambda w: {"name": "sweep", "product_ids": [_product(w)]},
}
