"""Demo cards: a punch card, a period card and a combo card, sold at the counter to some demo members,
some of them already used (all by the real services, after the counter's demo sales)."""

from __future__ import annotations

from mendian.core.seeding import SeedContext
from mendian.members.models import Member
from mendian.tenancy.access import Access

from .models import CardTemplate
from .services import ItemIn, card_use, template_create

ORDER = 60
SOLD = 24


def seed(ctx: SeedContext) -> None:
    from mendian.pos.card_sales import card_sell
    from mendian.promotions.engine import PaymentIn

    access = Access.for_staff(ctx.data["staff"]["owner"])
    services = {p.name: p for p in ctx.data["products"] if p.kind == "service"}
    cut, care, face = services["精致洗剪吹"], services["头皮深层护理"], services["补水面部护理"]
    templates = [
        template_create(access=access, name="洗剪吹10次卡", kind=CardTemplate.Kind.PUNCH, price_fen=68000,
                        items=[ItemIn(cut.pk, 10)], valid_days=365, transferable=True),
        template_create(access=access, name="护理月卡", kind=CardTemplate.Kind.PERIOD, price_fen=99900,
                        items=[ItemIn(care.pk), ItemIn(face.pk)], valid_days=30, daily_limit=1, weekly_limit=3,
                        validity=CardTemplate.Validity.FROM_FIRST_USE, refund_rule=CardTemplate.RefundRule.UNUSED_ONLY),
        template_create(access=access, name="护理组合卡", kind=CardTemplate.Kind.COMBO, price_fen=128000,
                        items=[ItemIn(care.pk, 5), ItemIn(face.pk, 3)], valid_days=180),
    ]
    if ctx.members is not None and ctx.members >= 5000:
        return  # scale mode: the templates only
    rng = ctx.rng
    stores = [s for s in ctx.data["stores"] if not s.verify_member_payments]
    members = list(Member.objects.filter(merchant=ctx.data["merchant"]).order_by("id")[:SOLD])
    for member in members:
        template = rng.choice(templates)
        store = rng.choice(stores)
        _order, card = card_sell(access=access, member=member, template_id=template.pk, store=store,
                                 payments=[PaymentIn(rng.choice(["wechat", "alipay", "cash"]), template.price_fen)])
        uses = rng.randint(0, 1 if template.kind == CardTemplate.Kind.PERIOD else 2)  # a month card: once a day
        for item in list(template.items.all())[:uses]:
            card_use(access=access, member_card_id=card.pk, product_id=item.product_id, store_id=store.pk,
                     note="开卡当日体验")
