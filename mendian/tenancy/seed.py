"""Demo chain: one merchant, three stores in two cities, one staff account of each built-in role."""

from __future__ import annotations

from django.utils import timezone

from mendian.core.seeding import SeedContext

from .models import Merchant, Role, Staff
from .services.merchants import merchant_create
from .services.staff import staff_create_unchecked
from .services.stores import store_create_unchecked

ORDER = 0
DEMO_MERCHANT = "美悦生活（演示）"
DEMO_PASSWORD = "Mendian-demo-2026"
DEMO_OWNER = "demo_owner"

_WEEK = [{"weekday": d, "start": "09:30", "end": "21:30"} for d in range(7)]
STORES = [
    {"name": "杭州西湖店", "code": "HZ01", "city": "杭州", "address": "西湖区文三路 259 号",
     "latitude": "30.276500", "longitude": "120.128900", "phone": "0571-88886666"},
    {"name": "杭州滨江店", "code": "HZ02", "city": "杭州", "address": "滨江区江南大道 588 号",
     "latitude": "30.208800", "longitude": "120.211400", "phone": "0571-86668888"},
    {"name": "上海静安店", "code": "SH01", "city": "上海", "address": "静安区南京西路 1266 号",
     "latitude": "31.229800", "longitude": "121.454700", "phone": "021-62881234"},
]
# (role, username, name, store codes)
STAFF = [
    ("hq_admin", "demo_hq", "总部管理员 王敏", []),
    ("store_manager", "demo_manager", "西湖店长 李娜", ["HZ01"]),
    ("cashier", "demo_cashier", "收银员 张伟", ["HZ01"]),
    ("marketer", "demo_marketer", "运营 陈静", []),
    ("finance", "demo_finance", "财务 刘洋", []),
]


def demo_loaded() -> bool:
    return Staff.objects.filter(username=DEMO_OWNER).exists()


def seed(ctx: SeedContext) -> None:
    created = merchant_create(name=DEMO_MERCHANT, owner_username=DEMO_OWNER, owner_password=DEMO_PASSWORD,
                              owner_name="老板 周杰")
    merchant = created.merchant
    stores = {}
    for spec in STORES:
        stores[spec["code"]] = store_create_unchecked(merchant=merchant, opening_hours=_WEEK, **spec)
    roles = {role.code: role for role in Role.objects.filter(merchant=merchant, is_builtin=True)}
    staff = {"owner": created.owner}
    for role_code, username, name, store_codes in STAFF:
        staff[role_code] = staff_create_unchecked(
            merchant=merchant, username=username, password=DEMO_PASSWORD, role=roles[role_code], name=name,
            stores=[stores[code] for code in store_codes],
        )
    Merchant.objects.filter(pk=merchant.pk).update(onboarding_completed_at=timezone.now())
    ctx.data.update(merchant=merchant, stores=list(stores.values()), stores_by_code=stores, staff=staff)
    ctx.logins.append(("owner", DEMO_OWNER, DEMO_PASSWORD))
    ctx.logins.extend((role, username, DEMO_PASSWORD) for role, username, _name, _stores in STAFF)
