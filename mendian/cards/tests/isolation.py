import itertools

from mendian.cards.models import MemberCard
from mendian.cards.services import ItemIn, card_use, template_create
from mendian.core.testing.isolation import Param
from mendian.members.testing import make_member
from mendian.pos.testing import make_product

_numbers = itertools.count(1)


def _template(world, **fields):
    service = make_product(world, name=f"{world.merchant.name}服务{next(_numbers)}", kind="service", price_fen=5000)
    return template_create(access=world.access(), name=f"{world.merchant.name}次卡{next(_numbers)}", kind="punch",
                           price_fen=30000, items=[ItemIn(service.pk, 10)], valid_days=365, **fields)


def _card(world, store_index=0):
    from mendian.pos.card_sales import card_sell
    from mendian.promotions.engine import PaymentIn

    template = _template(world, transferable=True)
    _order, card = card_sell(access=world.access(), member=make_member(world), template_id=template.pk,
                             store=world.stores[store_index], payments=[PaymentIn("cash", template.price_fen)])
    return card


def _use(world, store_index):
    card = _card(world)
    product_id = card.balances.get().product_id
    return card_use(access=world.access(), member_card_id=card.pk, product_id=product_id,
                    store_id=world.stores[store_index].pk).pk


def _use_body(world):
    card = MemberCard.objects.filter(merchant=world.merchant).order_by("-id").first()
    return {"product_id": card.balances.get().product_id, "store_id": world.stores[0].pk}


def _sale_body(world):
    return {"template_id": _template(world).pk, "store_id": world.stores[0].pk,
            "payments": [{"method": "cash", "amount_fen": 30000}]}


PARAMS = {
    "card_template_id": Param(own=lambda w: _template(w).pk),
    "member_card_id": Param(own=lambda w: _card(w).pk),
    "card_use_id": Param(own=lambda w: _use(w, 0), in_other_store=lambda w: _use(w, 1)),
}
BODIES = {
    "PATCH /api/v1/card-templates/{card_template_id}": lambda w: {"name": "改名"},
    "POST /api/v1/card-templates/{card_template_id}/status": lambda w: {"status": "paused"},
    "POST /api/v1/member-cards/{member_card_id}/use": _use_body,
    "POST /api/v1/member-cards/{member_card_id}/transfer": lambda w: {"member_id": make_member(w).pk},
    "POST /api/v1/card-uses/{card_use_id}/reverse": lambda w: {"reason": "sweep"},
    "POST /api/v1/members/{member_id}/cards": _sale_body,
}
REFERENCES = {
    "POST /api/v1/card-templates": lambda w: {"name": "次卡", "kind": "punch", "price_fen": 100, "valid_days": 30,
                                              "items": [{"product_id": make_product(w, kind="service").pk,
                                                         "uses": 5}]},
}

