from mendian.core.testing.isolation import Param
from mendian.pos.models import HeldOrder, Shift
from mendian.pos.testing import make_order, make_product


def _held(world, store_index):
    product = make_product(world)
    return HeldOrder.objects.create(merchant=world.merchant, store=world.stores[store_index], staff=world.owner,
                                    cart={"lines": [{"product_id": product.pk, "qty": 1}], "points": 0}).pk


def _shift(world, store_index):
    from django.utils import timezone

    return Shift.objects.create(merchant=world.merchant, store=world.stores[store_index], staff=world.owner,
                                opened_at=timezone.now(), float_fen=0, closed_at=timezone.now(),
                                counted_cash_fen=0, expected_cash_fen=0, difference_fen=0).pk


PARAMS = {
    "order_id": Param(own=lambda w: make_order(w, store_index=0).pk,
                      in_other_store=lambda w: make_order(w, store_index=1).pk),
    "held_id": Param(own=lambda w: _held(w, 0), in_other_store=lambda w: _held(w, 1)),
    "shift_id": Param(own=lambda w: _shift(w, 0), in_other_store=lambda w: _shift(w, 1)),
}
BODIES = {
    "POST /api/v1/orders/{order_id}/refund": lambda w: {"reason": "sweep"},
}


def _sale(world):
    product = make_product(world)
    return {"store_id": world.stores[0].pk, "lines": [{"product_id": product.pk, "qty": 1}],
            "payments": [{"method": "cash", "amount_fen": product.price_fen}]}


REFERENCES = {
    "POST /api/v1/orders": _sale,
    "POST /api/v1/orders/quote": lambda w: {"store_id": w.stores[0].pk,
                                            "lines": [{"product_id": make_product(w).pk, "qty": 1}]},
    "POST /api/v1/held-orders": lambda w: {"store_id": w.stores[0].pk,
                                           "lines": [{"product_id": make_product(w).pk, "qty": 1}]},
}
