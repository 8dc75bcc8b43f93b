"""The member's mobile pages (H5). The store QR code leads here (扫码入会)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from mendian.tenancy.forms import WEEKDAYS
from mendian.tenancy.models import Store


def join(request: HttpRequest, signup_code: str) -> HttpResponse:
    """The landing page of a store's sign-up link: the store, its address and hours."""
    store = Store.objects.select_related("merchant").filter(signup_code=signup_code).first()
    if store is None or store.status == Store.Status.CLOSED:
        raise Http404
    hours = [{"day": WEEKDAYS[p["weekday"]], "start": p["start"], "end": p["end"]} for p in store.opening_hours]
    return render(request, "portal/join.html", {"store": store, "merchant": store.merchant, "hours": hours,
                                                "source": request.GET.get("src", "")[:40]})
