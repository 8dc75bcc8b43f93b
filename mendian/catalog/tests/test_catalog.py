import io

import pytest
from django.test import Client
from openpyxl import Workbook

from mendian.catalog.models import Category, Product, ProductGroup, StockEntry, StockLevel, StoreProduct
from mendian.core.testing.api import error_code


def test_products_api_with_groups_and_flags(world):
    client = world.api()
    group = client.post("/product-groups", {"name": "新品"}).data
    created = client.post("/products", {"name": "护发精油", "price_fen": 12800, "member_price_fen": 9900,
                                        "cost_fen": 3000, "barcode": "6901234567890", "group_ids": [group["id"]],
                                        "level_discount": False, "track_stock": True, "low_stock_threshold": 3})
    assert created.status_code == 201, created.data
    product = created.data
    assert (product["group_ids"], product["level_discount"], product["track_stock"]) == ([group["id"]], False, True)
    dup = client.post("/products", {"name": "x", "price_fen": 1, "barcode": "6901234567890"})
    assert dup.status_code == 409 and error_code(dup) == "barcode_taken"
    for bad in ({"name": "x", "price_fen": -1}, {"name": "x", "price_fen": 1.5}, {"name": "", "price_fen": 1},
                {"name": "x", "price_fen": 1, "group_ids": [999999]}):
        assert client.post("/products", bad).status_code in (404, 422)
    assert client.patch(f"/products/{product['id']}", {"is_active": False}).data["is_active"] is False
    assert world.api(world.staff("cashier")).post("/products", {"name": "x", "price_fen": 1}).status_code == 403


def test_store_prices_links_and_what_the_counter_may_sell(world):
    client = world.api()
    product = Product.objects.create(merchant=world.merchant, name="门店专供", price_fen=5000, all_stores=False)
    quote = {"store_id": world.stores[0].pk, "lines": [{"product_id": product.pk, "qty": 1}]}
    assert error_code(client.post("/orders/quote", quote)) == "product_not_sold_here"
    linked = client.post("/products/link", {"product_ids": [product.pk], "store_ids": [world.stores[0].pk]})
    assert linked.data == {"linked": 1}
    assert client.post("/orders/quote", quote).data["payable_fen"] == 5000
    price = client.put(f"/stores/{world.stores[0].pk}/prices/{product.pk}", {"price_fen": 4500})
    assert price.data == {"store_id": world.stores[0].pk, "product_id": product.pk, "price_fen": 4500,
                          "effective_price_fen": 4500, "is_available": True}
    assert client.post("/orders/quote", quote).data["payable_fen"] == 4500
    manager = world.api(world.staff("store_manager", stores=[world.stores[0]]))
    assert manager.put(f"/stores/{world.stores[0].pk}/prices/{product.pk}", {"price_fen": 4200}).status_code == 200
    assert manager.put(f"/stores/{world.stores[1].pk}/prices/{product.pk}", {"price_fen": 1}).status_code == 404
    assert client.put(f"/stores/{world.stores[0].pk}/prices/{product.pk}", {"price_fen": -5}).status_code == 422
    assert client.put(f"/stores/{world.stores[0].pk}/prices/{product.pk}", {"is_available": False}).status_code == 200
    assert error_code(client.post("/orders/quote", quote)) == "product_not_sold_here"


def test_stock_is_a_ledger_that_never_goes_below_zero(world):
    client = world.api()
    goods = Product.objects.create(merchant=world.merchant, name="洗发水", price_fen=100, track_stock=True,
                                   low_stock_threshold=5)
    service = Product.objects.create(merchant=world.merchant, name="剪发", kind="service", price_fen=100)
    store = world.stores[0]
    assert client.post(f"/stores/{store.pk}/stock/{goods.pk}", {"quantity": 10, "note": "进货"}).status_code == 201
    counted = client.post(f"/stores/{store.pk}/stock/{goods.pk}", {"quantity": -3, "adjustment": True, "note": "盘点"})
    assert counted.data["quantity_after"] == 7
    assert client.post(f"/stores/{store.pk}/stock/{goods.pk}", {"quantity": -3}).status_code == 422
    too_much = client.post(f"/stores/{store.pk}/stock/{goods.pk}", {"quantity": -8, "adjustment": True})
    assert too_much.status_code == 409 and error_code(too_much) == "insufficient_stock"
    assert error_code(client.post(f"/stores/{store.pk}/stock/{service.pk}", {"quantity": 1})) == "not_goods"
    assert client.get(f"/stores/{store.pk}/stock?low=true").data == []
    client.post(f"/stores/{store.pk}/stock/{goods.pk}", {"quantity": -2, "adjustment": True})
    assert [row["quantity"] for row in client.get(f"/stores/{store.pk}/stock?low=true").data] == [5]
    ledger = client.get(f"/stores/{store.pk}/stock/{goods.pk}/ledger").data["items"]
    assert [(e["delta"], e["quantity_after"], e["reason"]) for e in ledger] == \
        [(-2, 5, "adjust"), (-3, 7, "adjust"), (10, 10, "stock_in")]
    level = StockLevel.objects.get(store=store, product=goods)
    assert level.quantity == sum(StockEntry.objects.filter(level=level).values_list("delta", flat=True))
    cashier = world.api(world.staff("cashier"))
    assert cashier.post(f"/stores/{store.pk}/stock/{goods.pk}", {"quantity": 1}).status_code == 403


def xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "products.xlsx"
    return buffer


def test_import_products_from_excel_all_or_nothing(world):
    Product.objects.create(merchant=world.merchant, name="旧名字", price_fen=100, barcode="123")
    client = Client()
    client.force_login(world.owner)
    bad = client.post("/catalog/import/", {"file": xlsx([["名称", "类型", "分类", "条码", "价格", "会员价"],
                                                          ["染发", "服务", "美发", "", "398", "328"],
                                                          ["", "商品", "", "", "10", ""],
                                                          ["洗发水", "商品", "零售", "", "abc", ""]])})
    content = bad.content.decode()
    assert "3" in content and "4" in content and not Product.objects.filter(name="染发").exists()
    good = client.post("/catalog/import/", {"file": xlsx([["名称", "类型", "分类", "条码", "价格", "会员价", "成本"],
                                                           ["染发", "服务", "美发", "", "398", "328", ""],
                                                           ["新名字", "商品", "零售", "123", "12.5", "", "4"]])})
    assert good.status_code == 302
    dye = Product.objects.get(merchant=world.merchant, name="染发")
    assert (dye.kind, dye.price_fen, dye.member_price_fen, dye.category.name) == ("service", 39800, 32800, "美发")
    renamed = Product.objects.get(merchant=world.merchant, barcode="123")
    assert (renamed.name, renamed.price_fen, renamed.cost_fen) == ("新名字", 1250, 400)
    assert Category.objects.filter(merchant=world.merchant).count() == 2
    not_excel = client.post("/catalog/import/", {"file": io.BytesIO(b"garbage")})
    assert not_excel.status_code == 200


def test_store_catalogue_page_sets_prices_and_receives_stock(world):
    goods = Product.objects.create(merchant=world.merchant, name="洗发水", price_fen=10000, track_stock=True)
    manager = world.staff("store_manager", stores=[world.stores[0]])
    client = Client()
    client.force_login(manager)
    page = client.get(f"/catalog/stores/{world.stores[0].pk}/").content.decode()
    assert "洗发水" in page and "100.00" in page
    client.post(f"/catalog/stores/{world.stores[0].pk}/{goods.pk}/price/", {"price": "88.8", "is_available": "1"})
    assert StoreProduct.objects.get(store=world.stores[0], product=goods).price_fen == 8880
    client.post(f"/catalog/stores/{world.stores[0].pk}/{goods.pk}/stock/", {"quantity": "12", "kind": "in"})
    assert StockLevel.objects.get(store=world.stores[0], product=goods).quantity == 12
    assert client.get(f"/catalog/stores/{world.stores[1].pk}/").status_code == 404


@pytest.mark.parametrize("name", ["新品", "不参与折扣"])
def test_groups_page(world, name):
    product = Product.objects.create(merchant=world.merchant, name="精油", price_fen=100)
    client = Client()
    client.force_login(world.owner)
    client.post("/catalog/groups/", {"name": name, "products": [product.pk]})
    group = ProductGroup.objects.get(merchant=world.merchant, name=name)
    assert list(group.products.all()) == [product]
