import itertools

from mendian.core.testing.isolation import Param
from mendian.loyalty.models import Level

_ranks = itertools.count(50)


def _level(world):
    rank = next(_ranks)
    return Level.objects.create(merchant=world.merchant, name=f"{world.merchant.name}等级{rank}", rank=rank).pk


PARAMS = {"level_id": Param(own=_level)}
BODIES = {
    "POST /api/v1/members/{member_id}/points-adjustments": lambda w: {"delta": 10, "note": "sweep"},
    "POST /api/v1/members/{member_id}/level": lambda w: {"level_id": _level(w), "reason": "sweep"},
}
REFERENCES: dict = {}
