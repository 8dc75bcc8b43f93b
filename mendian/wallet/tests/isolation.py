from mendian.core.testing.isolation import Param
from mendian.members.testing import make_member
from mendian.wallet.models import RechargePlan
from mendian.wallet.services import wallet_recharge


def _plan(world):
    return RechargePlan.objects.create(merchant=world.merchant, name=f"{world.merchant.name}充值", pay_fen=10000).pk


def _recharge(world, store_index):
    member = make_member(world, store_index=store_index)
    recharge, _entry = wallet_recharge(access=world.access(), member=member, store=world.stores[store_index],
                                       pay_fen=5000, payment_method="cash")
    return recharge.pk


PARAMS = {
    "plan_id": Param(own=_plan),
    "recharge_id": Param(own=lambda w: _recharge(w, 0), in_other_store=lambda w: _recharge(w, 1)),
}
BODIES = {
    "POST /api/v1/members/{member_id}/recharge": lambda w: {"store_id": w.stores[0].pk, "pay_fen": 100,
                                                            "payment_method": "cash"},
    "PUT /api/v1/wallet/recharge-plans/{plan_id}": lambda w: {"name": "sweep", "pay_fen": 100},
    "POST /api/v1/recharges/{recharge_id}/refund": lambda w: {"reason": "sweep"},
}
REFERENCES = {
    "POST /api/v1/wallet/recharge-plans": lambda w: {"name": "sweep", "pay_fen": 100, "store_ids": [w.stores[0].pk]},
}
QUERIES = {"GET /api/v1/reports/stored-value/settlement": "?date_from=2000-01-01&date_to=2099-12-31"}
