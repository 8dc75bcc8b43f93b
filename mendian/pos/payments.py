"""External payment methods (WeChat Pay, Alipay, bank card) behind one provider interface.

A provider charges an amount for an order and refunds part of a charge, giving back its own reference.
``SimulatedProvider`` stands in during development and tests (it declines the amount configured as
``SIMULATED_PAYMENT_DECLINE_FEN`` so that refusals can be tested). Real adapters implement the same two
methods and are named per method in ``PAYMENT_PROVIDERS``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError

EXTERNAL_METHODS = ("wechat", "alipay", "card")


class PaymentDeclined(DomainError):
    status = 422
    default_code = "payment_declined"
    default_message = _("The payment was declined; ask for another way to pay.")


@dataclass(frozen=True)
class Charge:
    provider: str
    reference: str


class PaymentProvider(Protocol):
    name: str

    def charge(self, *, method: str, amount_fen: int, order_no: str) -> Charge: ...

    def refund(self, *, method: str, charge_reference: str, amount_fen: int, refund_no: str) -> str: ...


class SimulatedProvider:
    name = "simulated"

    def charge(self, *, method: str, amount_fen: int, order_no: str) -> Charge:
        if amount_fen == getattr(settings, "SIMULATED_PAYMENT_DECLINE_FEN", None):
            raise PaymentDeclined(detail={"method": method})
        return Charge(self.name, f"SIM-{method}-{uuid.uuid4().hex[:16]}")

    def refund(self, *, method: str, charge_reference: str, amount_fen: int, refund_no: str) -> str:
        return f"SIMR-{uuid.uuid4().hex[:16]}"


def provider_for(method: str) -> PaymentProvider:
    path = getattr(settings, "PAYMENT_PROVIDERS", {}).get(method, "mendian.pos.payments.SimulatedProvider")
    return import_string(path)()
