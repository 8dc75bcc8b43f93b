from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict


class InsufficientBalance(Conflict):
    default_code = "insufficient_balance"
    default_message = _("The stored-value balance is not enough.")
