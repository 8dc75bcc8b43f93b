from mendian.catalog.models import Product
from mendian.core.testing.isolation import Param


def _product(world):
    return Product.objects.create(merchant=world.merchant, name=f"{world.merchant.name}洗发水", price_fen=100).pk


PARAMS = {"product_id": Param(own=_product)}
BODIES: dict = {}
REFERENCES = {
    "POST /api/v1/products": lambda w: {"name": "sweep", "price_fen": 100,
                                        "category_id": _category(w)},
}


def _category(world):
    from mendian.catalog.models import Category

    return Category.objects.get_or_create(merchant=world.merchant, name=f"{world.merchant.name}分类")[0].pk
