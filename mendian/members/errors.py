from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict


class MemberExists(Conflict):
    default_code = "member_exists"
    default_message = _("A member with this phone number already exists.")
