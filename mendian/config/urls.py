from functools import partial

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from ninja.openapi.views import openapi_view

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("platform-admin/", admin.site.urls),
    path("", include("mendian.portal.urls")),
    path("", include("mendian.members.urls")),
    path("", include("mendian.loyalty.urls")),
    path("", include("mendian.wallet.urls")),
    path("", include("mendian.catalog.urls")),
    path("", include("mendian.pos.urls")),
    path("", include("mendian.promotions.urls")),
    path("", include("mendian.promotions.urls_member")),
    path("", include("mendian.analytics.urls")),
    path("", include("mendian.cards.urls")),
    path("", include("mendian.bookings.urls")),
    path("", include("mendian.bookings.urls_member")),
    path("", include("mendian.tenancy.urls")),
]

handler404 = "mendian.tenancy.views.errors.not_found"
handler403 = "mendian.tenancy.views.errors.forbidden"
handler500 = "mendian.tenancy.views.errors.server_error"
