"""Demo catalogue of a hair and beauty chain: services and goods."""

from __future__ import annotations

from mendian.core.seeding import SeedContext

from .models import Category, Product

ORDER = 10
PRODUCTS = [
    # (category, name, kind, price, member price, cost, minutes)
    ("美发", "精致洗剪吹", "service", 8800, 6800, None, 45),
    ("美发", "时尚染发", "service", 39800, 32800, None, 120),
    ("美发", "造型烫发", "service", 49800, 42800, None, 150),
    ("护理", "头皮深层护理", "service", 19800, 16800, None, 60),
    ("护理", "补水面部护理", "service", 26800, None, None, 75),
    ("零售", "氨基酸洗发水", "goods", 10000, None, 4000, None),
    ("零售", "修护护发素", "goods", 8800, 7800, 3500, None),
    ("零售", "发圈", "goods", 333, None, 80, None),
]


def seed(ctx: SeedContext) -> None:
    merchant = ctx.data["merchant"]
    categories = {}
    for index, name in enumerate(dict.fromkeys(p[0] for p in PRODUCTS)):
        categories[name] = Category.objects.create(merchant=merchant, name=name, sort_order=index)
    products = [
        Product.objects.create(merchant=merchant, category=categories[cat], name=name, kind=kind, price_fen=price,
                               member_price_fen=member, cost_fen=cost, duration_min=minutes)
        for cat, name, kind, price, member, cost, minutes in PRODUCTS
    ]
    ctx.data["products"] = products
