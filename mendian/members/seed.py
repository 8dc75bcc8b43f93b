"""Demo members with a year of history: recharges, spending and points, by the real services.

Scale mode (``seed_demo --members N`` above a few thousand) writes members with opening balances in
bulk instead, at tens of thousands of rows a second.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from mendian.core.bulk import foreign_keys_checked_in_bulk
from mendian.core.seeding import SeedContext
from mendian.core.time import local_today
from mendian.tenancy.access import Access

from .bulk import TABLES, NewMember, bulk_register
from .models import Member

ORDER = 40
DEFAULT_MEMBERS = 2000
SCALE_FROM = 5000
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯"
            "邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪")
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "欣怡", "子涵", "梓萱", "浩然", "宇轩", "一诺", "思雨", "佳怡", "雨桐"]
CHANNELS = [Member.Channel.COUNTER] * 6 + [Member.Channel.SELF_SIGNUP] * 3 + [Member.Channel.ACTIVITY]


def _rows(ctx: SeedContext, count: int, *, opening: bool) -> list[NewMember]:
    rng, stores = ctx.rng, ctx.data["stores"]
    now = timezone.now()
    phones: set[str] = set()
    rows = []
    while len(rows) < count:
        phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
        if phone in phones:
            continue
        phones.add(phone)
        row = NewMember(
            phone=phone, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            gender=rng.choice(["female", "female", "female", "male", "unknown"]),
            birthday=date(rng.randint(1965, 2005), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.7 else None,
            store_id=rng.choices(stores, weights=[5, 3, 2])[0].pk,
            joined_at=now - timedelta(days=int(rng.triangular(0, 400, 60)), minutes=rng.randrange(1440)),
            channel=rng.choice(CHANNELS),
        )
        if opening and rng.random() < 0.3:
            row.principal_fen = rng.choice([5000, 12000, 30000, 50000, 100000])
            row.bonus_fen = row.principal_fen // 2
        if opening:
            row.points = rng.choice([0, 0, 50, 120, 860, 2300])
        rows.append(row)
    return rows


def seed(ctx: SeedContext) -> None:
    merchant = ctx.data["merchant"]
    count = DEFAULT_MEMBERS if ctx.members is None else ctx.members
    scale = count >= SCALE_FROM
    rows = _rows(ctx, count, opening=scale)
    levels = ctx.data["levels"]
    for row in rows:  # the chain has members at every level from before it used Mendian
        row.level_id = ctx.rng.choices(levels, weights=[70, 20, 8, 2])[0].pk
    rule = ctx.data["points_rule"]
    ids: list[int] = []
    taken: set[int] = set()
    today = local_today(merchant.timezone)
    # One block for all of them: checked in bulk per chunk, each check would read the rows of the chunks
    # before it again (a million members took minutes more at every 100,000).
    with transaction.atomic(), foreign_keys_checked_in_bulk(TABLES):
        for start in range(0, len(rows), 5000):
            chunk = rows[start:start + 5000]
            ids += bulk_register(merchant_id=merchant.pk, rows=chunk, channel=Member.Channel.COUNTER,
                                 when=timezone.now(), today=today, expire_after_days=rule.expire_after_days,
                                 taken_cards=taken)
            if scale and start % 100_000 == 0:
                ctx.write(f"  members: {start + len(chunk):,} / {count:,}")
    ctx.data["member_ids"] = ids
    if not scale:
        _history(ctx, ids)
    ctx.write(f"  {count:,} members")


def _history(ctx: SeedContext, member_ids: list[int]) -> None:
    """Recharges with plans, stored-value spending across stores and points, dated after joining."""
    from mendian.loyalty.models import LoyaltyAccount
    from mendian.loyalty.services import level_upgrade, points_change
    from mendian.wallet.services import wallet_recharge, wallet_spend

    rng, stores, plans = ctx.rng, ctx.data["stores"], ctx.data["plans"]
    owner = ctx.data["staff"]["owner"]
    access = Access.for_staff(owner)
    members = {m.pk: m for m in Member.objects.filter(pk__in=member_ids).select_related("merchant")}
    now = timezone.now()
    for member_id in member_ids:
        member = members[member_id]
        age = (now - member.created_at).days
        if rng.random() < 0.25:
            store = member.registered_store
            plan = rng.choice([p for p in plans if not p.stores.exists() or store in p.stores.all()])
            when = member.created_at + timedelta(days=rng.randint(0, max(age, 1) // 2))
            with transaction.atomic():
                wallet_recharge(access=access, member=member, store=store, pay_fen=plan.pay_fen, plan=plan,
                                payment_method=rng.choice(["wechat", "alipay", "cash", "card"]), when=when)
                left = plan.pay_fen + plan.bonus_fen
                for _ in range(rng.randint(0, 3)):
                    if left <= 0:
                        break
                    amount = min(rng.choice([6800, 8800, 16800]), left)
                    spend_at = when + timedelta(days=rng.randint(1, max((now - when).days, 2)))
                    wallet_spend(member=member, store=rng.choice(stores), amount_fen=amount, staff=owner,
                                 ref_type="demo", when=min(spend_at, now))
                    left -= amount
        if rng.random() < 0.6:
            with transaction.atomic():
                account = LoyaltyAccount.objects.select_for_update().get(member=member)
                for _ in range(rng.randint(1, 6)):
                    when = member.created_at + timedelta(days=rng.randint(0, max(age, 1)))
                    points_change(account=account, member=member, delta=rng.choice([68, 88, 168, 398]),
                                  reason="earn", ref_type="demo", store=member.registered_store, when=when)
                if account.points > 300 and rng.random() < 0.3:
                    points_change(account=account, member=member, delta=-200, reason="redeem", ref_type="demo",
                                  store=member.registered_store)
                level_upgrade(member=member, account=account)
