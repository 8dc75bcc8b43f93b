"""The REST API root: ``/api/v1/``, OpenAPI at ``/api/v1/openapi.json``, docs at ``/api/docs``."""

from ninja import NinjaAPI

from mendian.analytics.api import router as analytics_router
from mendian.bookings.api import router as bookings_router
from mendian.cards.api import router as cards_router
from mendian.catalog.api import router as catalog_router
from mendian.core.api import Utf8JSONRenderer, install_error_handlers
from mendian.loyalty.api import router as loyalty_router
from mendian.members.api import router as members_router
from mendian.pos.api import router as pos_router
from mendian.pos.api_cards import router as card_sales_router
from mendian.promotions.api import router as promotions_router
from mendian.tenancy.api import router as tenancy_router
from mendian.tenancy.auth import BearerAuth, SessionAccessAuth
from mendian.wallet.api import router as wallet_router

api = NinjaAPI(
    title="Mendian API",
    version="1",
    description="Store membership & marketing (门店会员营销系统). Money is integer fen; see API.md.",
    auth=[BearerAuth(), SessionAccessAuth()],
    urls_namespace="api",
    docs_url="/docs",
    renderer=Utf8JSONRenderer(),
)
install_error_handlers(api)
api.add_router("/", tenancy_router)
api.add_router("/", members_router)
api.add_router("/", loyalty_router)
api.add_router("/", wallet_router)
api.add_router("/", catalog_router)
api.add_router("/", pos_router)
api.add_router("/", promotions_router)
api.add_router("/", analytics_router)
api.add_router("/", cards_router)
api.add_router("/", card_sales_router)
api.add_router("/", bookings_router)
