from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict


class InsufficientPoints(Conflict):
    default_code = "insufficient_points"
    default_message = _("The member does not have enough points.")
