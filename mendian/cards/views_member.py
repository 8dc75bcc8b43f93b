"""The cards section of a member's profile: their cards with what is left, each card's ledger, using a
card (核销), giving a use back, transferring a card; selling one is the counter's (``pos/views_cards.py``),
which answers with this same section. The profile (``members/detail.html``) loads it by its URL."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mendian.core.errors import DomainError, InvalidInput
from mendian.core.idempotency import claim_form_key
from mendian.core.phones import normalize_phone
from mendian.members import selectors as member_selectors
from mendian.members.models import Member
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.models import Store
from mendian.tenancy.views.decorators import staff_page
from mendian.wallet.models import PaymentMethod

from . import selectors, services
from .models import CardTemplate, CardUse, MemberCard
from .values import card_refund_value

PAGE = "cards/member_cards.html"
ENTRIES_SHOWN = 20


def _stores(request: HttpRequest) -> list[Store]:
    return [s for s in tenancy_selectors.store_choices(access=request.access) if s.status == Store.Status.ACTIVE]


def section_context(request: HttpRequest, member: Member, notice: dict[str, str] | None = None) -> dict[str, Any]:
    """What the section shows; ``notice``: the words of what was just done (or refused)."""
    access = request.access
    now = timezone.now()
    rows = []
    for card in selectors.member_cards(access=access, member_id=member.pk):
        state = selectors.card_state(card, now)
        balances = list(card.balances.all())
        rows.append({"card": card, "state": state, "state_label": STATE_LABELS[state], "balances": balances,
                     "usable": state in ("active", "not_started"),
                     "entries": selectors.card_entries(card=card, limit=ENTRIES_SHOWN),
                     "refund_value": card_refund_value(card=card, balances=balances, now=now)
                     if card.status == MemberCard.Status.ACTIVE else 0})
    rows.sort(key=lambda row: not row["usable"])
    can_sell = access.can("cards.sell") and access.can("pos.sell") and member.erased_at is None
    return {
        "member": member, "rows": rows, "notice": notice, "once": uuid.uuid4().hex, "stores": _stores(request),
        "can_use": access.can("cards.use"), "can_transfer": access.can("cards.transfer"), "can_sell": can_sell,
        "templates": list(CardTemplate.objects.filter(merchant=access.merchant, status=CardTemplate.Status.ACTIVE)
                          .order_by("name")) if can_sell else [],
        "methods": PaymentMethod.choices,
    }


STATE_LABELS = {"active": pgettext_lazy("member card", "Active"), "not_started": _lazy("Starts on first use"),
                "used_up": _lazy("Used up"), "expired": pgettext_lazy("member card", "Expired"),
                "refunded": pgettext_lazy("member card", "Refunded")}


def render_section(request: HttpRequest, member: Member, notice: dict[str, str] | None = None) -> HttpResponse:
    return render(request, f"{PAGE}#cards" if request.htmx else PAGE, section_context(request, member, notice))


@staff_page("cards.view")
@require_GET
def member_cards(request: HttpRequest, member_id: int) -> HttpResponse:
    """The section (htmx, into the profile), or a page of its own without JavaScript."""
    member = member_selectors.member_get(access=request.access, member_id=member_id)
    return render_section(request, member)


def answer(request: HttpRequest, member: Member, action: Any) -> HttpResponse:
    """Run ``action`` (the words of what it did) once per form key, in one transaction; show the section."""
    try:
        with transaction.atomic():
            if not claim_form_key(merchant_id=request.access.merchant.pk, key=request.POST.get("once", ""),
                                  path=request.path):
                done, level = _("This was already done."), "warning"
            else:
                done, level = action(), "success"
    except DomainError as error:
        if error.status == 403:
            raise
        done, level = str(error.message), "danger"
    if request.htmx:
        return render(request, f"{PAGE}#cards", section_context(request, member, {"level": level, "text": done}))
    (messages.success if level == "success" else messages.error)(request, done)
    return redirect(reverse("cards:member_cards", args=[member.pk]))


def _int(request: HttpRequest, name: str) -> int | None:
    raw = request.POST.get(name, "")
    return int(raw) if raw.isdigit() else None


@staff_page("cards.use")
@require_POST
def member_card_use(request: HttpRequest, member_id: int, member_card_id: int) -> HttpResponse:
    member = member_selectors.member_get(access=request.access, member_id=member_id)

    def use() -> str:
        qty = _int(request, "qty") or 1
        entry = services.card_use(access=request.access, member_card_id=member_card_id,
                                  product_id=_int(request, "product_id"), store_id=_int(request, "store_id"), qty=qty,
                                  member_id=member.pk, note=request.POST.get("note", ""))
        left = entry.uses_left_after
        if left is None:
            return _("Used %(name)s ×%(qty)s.") % {"name": entry.product.name, "qty": qty}
        return _("Used %(name)s ×%(qty)s; %(left)s left.") % {"name": entry.product.name, "qty": qty, "left": left}

    return answer(request, member, use)


@staff_page("cards.use")
@require_POST
def member_card_use_reverse(request: HttpRequest, member_id: int, card_use_id: int) -> HttpResponse:
    member = member_selectors.member_get(access=request.access, member_id=member_id)

    def reverse_use() -> str:
        use = CardUse.objects.filter(merchant=request.access.merchant, pk=card_use_id, card__member=member).first()
        entry = services.card_use_reverse(access=request.access, card_use_id=use.pk if use else -1,
                                          reason=request.POST.get("reason", ""))
        return _("Gave %(qty)s use back to the card.") % {"qty": entry.qty}

    return answer(request, member, reverse_use)


@staff_page("cards.transfer")
@require_POST
def member_card_transfer(request: HttpRequest, member_id: int, member_card_id: int) -> HttpResponse:
    member = member_selectors.member_get(access=request.access, member_id=member_id)

    def transfer() -> str:
        card = MemberCard.objects.filter(merchant=request.access.merchant, pk=member_card_id, member=member).first()
        phone = normalize_phone(request.POST.get("phone", ""))
        target = Member.objects.filter(merchant=request.access.merchant, phone=phone, erased_at__isnull=True).first()
        if target is None:
            raise InvalidInput("member_not_found", _("No member has this phone number."), field="phone")
        services.card_transfer(access=request.access, member_card_id=card.pk if card else -1, to_member_id=target.pk,
                               note=request.POST.get("note", ""))
        return _("%(card)s now belongs to %(member)s.") % {"card": card.name, "member": target.name or target.card_no}

    return answer(request, member, transfer)
