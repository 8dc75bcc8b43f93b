from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import CASHIER, FINANCE, HQ_ADMIN, MARKETER, STORE_MANAGER, Permission

_MEMBERS = _("Members")

PERMISSIONS = (
    Permission("members.view", _("Find and view members"), _MEMBERS,
               (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)),
    Permission("members.manage", _("Register and edit members, tag them"), _MEMBERS,
               (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER)),
    Permission("members.view_full_phone", _("See members' full phone numbers"), _MEMBERS, (HQ_ADMIN, STORE_MANAGER)),
    Permission("members.import", _("Import members"), _MEMBERS, (HQ_ADMIN,)),
    Permission("members.export", _("Export members"), _MEMBERS, (HQ_ADMIN, MARKETER)),
    Permission("members.erase", _("Erase a member's personal data"), _MEMBERS, (HQ_ADMIN,)),
    Permission("members.settings", _("Member fields, record types and tags"), _MEMBERS, (HQ_ADMIN, MARKETER)),
)

AUDIT_ACTIONS = {
    "member.registered": _("Member registered"),
    "member.updated": _("Member edited"),
    "member.erased": _("Member erased"),
    "member.tagged": _("Members tagged"),
    "member.untagged": _("Tag removed"),
    "member.record_added": _("Profile record added"),
    "member.exported": _("Members exported"),
    "member.import_started": _("Member import started"),
    "member.import_finished": _("Member import finished"),
    "member_settings.changed": _("Member settings changed"),
}

NAV = (
    NavItem("members:list", _("Members"), "person-vcard", "members.view", 10),
    NavItem("members:settings", _("Member settings"), "sliders", "members.settings", 64),
)
