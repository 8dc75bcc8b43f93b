"""The audit log page: filter by action, person, store and dates; more rows load in place."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mendian.core.errors import DomainError
from mendian.core.pagination import paginate

from .. import selectors
from ..audit import audit_action_label, audit_actions, describe_changes
from ..forms import AuditFilterForm
from ..models import Staff
from .decorators import staff_page

PAGE_SIZE = 50


@staff_page("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    access = request.access
    people = Staff.objects.filter(merchant=access.merchant).order_by("username")
    if access.store_ids is not None:
        people = people.filter(stores__in=access.store_ids).distinct()
    form = AuditFilterForm(request.GET or None, actions=audit_actions(), staff=list(people),
                           stores=list(selectors.store_choices(access=access)))
    filters = form.cleaned_data if form.is_valid() else {}
    entries, next_cursor, error = [], None, None
    if not form.errors:
        try:
            queryset = selectors.audit_list(
                access=access, action=filters.get("action") or None, actor_id=filters.get("staff"),
                store_id=filters.get("store"), date_from=filters.get("date_from"), date_to=filters.get("date_to"),
                q=filters.get("q") or None,
            )
            page = paginate(queryset, cursor=request.GET.get("cursor"), limit=PAGE_SIZE,
                            order=("-created_at", "-id"))
            entries, next_cursor = page.items, page.next_cursor
        except DomainError as exc:
            error = exc.message
    rows = [{"entry": e, "label": audit_action_label(e.action), "changes": describe_changes(e.changes)}
            for e in entries]
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "rows": rows, "next_cursor": next_cursor, "query": query.urlencode(), "error": error}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "tenancy/audit.html#audit-rows", context)
    if request.htmx:
        return render(request, "tenancy/audit.html#audit-results", context)
    return render(request, "tenancy/audit.html", context)
