"""What the isolation sweep needs to reach tenancy's routes with merchant A's objects.

``PARAMS``: for each path parameter, how to get an object of A (``own``) and one that lives in A's
second store (``in_other_store``, for store-bound roles; None when the object is not tied to a store).
``BODIES``: a valid body for routes that need one, so a 404 is about the object, not the body.
``REFERENCES``: bodies of routes without path parameters that name A's objects by id.
"""

from mendian.core.testing.isolation import Param
from mendian.tenancy.models import Role
from mendian.tenancy.services.tokens import token_create_integration


def _custom_role(world):
    return Role.objects.create(merchant=world.merchant, code=f"custom_{world.tag}", name=f"自定义{world.tag}",
                               custom_permissions=["stores.view"]).pk


def _token(world):
    _raw, token = token_create_integration(access=world.access(), name=f"集成{world.tag}")
    return token.pk


PARAMS = {
    "store_id": Param(own=lambda w: w.stores[0].pk, in_other_store=lambda w: w.stores[1].pk),
    "staff_id": Param(own=lambda w: w.staff("cashier", stores=[w.stores[0]]).pk,
                      in_other_store=lambda w: w.staff("cashier", stores=[w.stores[1]]).pk),
    "role_id": Param(own=_custom_role),
    "token_id": Param(own=_token),
}

BODIES = {
    "POST /api/v1/stores/{store_id}/status": lambda w: {"status": "closed"},
    "POST /api/v1/staff/{staff_id}/password": lambda w: {"password": "Another-pass-55"},
}

REFERENCES = {
    "POST /api/v1/staff": lambda w: {"username": "sweep_person", "role": "cashier", "password": "Sweep-pass-66",
                                     "store_ids": [w.stores[0].pk]},
    "POST /api/v1/api-tokens": lambda w: {"name": "sweep", "staff_id": w.owner.pk},
}

