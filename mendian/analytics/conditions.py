"""The member-condition language of segments (会员筛选) and rule tags (智能标签).

A definition is ``{"match": "all"|"any", "conditions": [...]}``; each condition is either
``{"field", "op", "value", "days"?}`` or a nested group ``{"match", "conditions"}`` (at most
``MAX_DEPTH`` deep). ``parse`` checks a definition against the field list below and answers 422
``invalid_condition`` naming what is wrong; ``matching_members`` turns a checked definition into one
query over ``Member`` (``member_q`` its ``Q``, with the joins to the members' facts it names).

Behaviour over a period (the last ``days`` days, counted in the merchant's local days, today
included) reads orders, lines, coupons and recharges. Spend and order counts are net of refunds:
spend is ``payable_fen − refunded_fen`` of the orders placed in the period, and an order refunded in
full does not count. A member with no order in the period has spend 0 and 0 orders, so "spent less
than ¥100" includes them: such conditions are written as "not among the members whose figure fails".
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Sum, lookups
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound, PermissionDenied
from mendian.core.time import day_bounds, local_date
from mendian.members.models import CustomField, Member, MemberTag
from mendian.pos.models import Order, OrderLine
from mendian.promotions.models import Coupon
from mendian.wallet.models import Recharge

from .facts import CATEGORIES, WINDOWS, Facts, FactTest, column, current_facts

MAX_DEPTH = 3
MAX_CONDITIONS = 40
MAX_DAYS = 3650
MAX_IN = 500

NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in")
ID_OPS = ("eq", "ne", "in")
BOOL_OPS = ("eq",)

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
    "lte": operator.le, "in": lambda a, b: a in b,
}
LOOKUP = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "in": "in"}
NEGATED = {"eq": "ne", "ne": "eq", "gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}


@dataclass(frozen=True)
class Scope:
    """What a definition is evaluated against: the merchant, its time zone, now, and the stores the
    caller may see (None: every store)."""

    merchant_id: int
    tz_name: str
    now: datetime
    store_ids: frozenset[int] | None = None
    use_facts: bool = True  # read the members' facts where they answer (``facts.py``); False: the orders

    def facts(self) -> Facts | None:
        """The merchant's facts for this question, read once per scope (a definition asks for them once
        per condition; outside an ``analytic_queries`` block nothing else remembers them)."""
        return self._facts

    @cached_property
    def _facts(self) -> Facts | None:
        return current_facts(self.merchant_id, self.tz_name, self.now) if self.use_facts else None

    def today(self) -> date:
        return local_date(self.now, self.tz_name)

    def since(self, days: int) -> datetime:
        """The start of the period of the last ``days`` local days, today included."""
        return day_bounds(self.today() - timedelta(days=days - 1), self.tz_name)[0]


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    kind: str  # number, money, id, choice, bool
    ops: tuple[str, ...]
    build: Callable[[Condition, Scope], Q]
    behaviour: bool = False  # needs ``days``
    choices: tuple[str, ...] = ()
    model: str = ""  # for id fields: which model the ids are of (the page offers a list)
    group: str | Promise = ""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    days: int | None = None
    custom: CustomField | None = None


@dataclass(frozen=True)
class Group:
    match: str
    conditions: tuple[Condition | Group, ...] = field(default_factory=tuple)


# --- building blocks ------------------------------------------------------------------------------

def _compare_q(path: str, op: str, value: Any) -> Q:
    if op == "ne":
        return ~Q(**{path: value})
    return Q(**{f"{path}__{LOOKUP[op]}": value})


def _plain(path: str) -> Callable[[Condition, Scope], Q]:
    def build(c: Condition, scope: Scope) -> Q:
        return _compare_q(path, c.op, c.value)
    return build


@dataclass(frozen=True)
class _Aggregate:
    """A figure per member over rows (orders, recharges …) that counts 0 for members with none.
    ``measure`` names the figure among the members' facts (orders, spend), read when they answer."""

    rows: Callable[[Condition, Scope], QuerySet]
    value_expr: Any
    measure: str = ""

    def figures(self, c: Condition, scope: Scope) -> QuerySet:
        return self.rows(c, scope).values("member_id").annotate(figure=self.value_expr)

    def from_facts(self, c: Condition, scope: Scope) -> FactTest | None:
        """The condition as a test of the members' facts, when they answer it."""
        if not self.measure or c.days not in WINDOWS or scope.facts() is None:
            return None
        return FactTest(measure=self.measure, days=c.days,
                        test=lambda prefix: _compare_q(prefix + column(self.measure, c.days), c.op, c.value),
                        holds=lambda figure: COMPARE[c.op](figure, c.value),
                        direct=self.figures(c, scope).values_list("member_id", "figure"))

    def __call__(self, c: Condition, scope: Scope) -> Q:
        test = self.from_facts(c, scope)
        if test is not None:
            return scope.facts().members_q([test], _relate)
        figures = self.figures(c, scope)
        passing = _compare_q("figure", c.op, c.value)
        if COMPARE[c.op](0, c.value):
            # Everyone but the members whose figure fails (members with no rows have 0, which holds).
            return ~Q(pk__in=figures.exclude(passing).values("member_id"))
        return Q(pk__in=figures.filter(passing).values("member_id"))


def _orders(c: Condition, scope: Scope) -> QuerySet:
    return Order.objects.filter(merchant_id=scope.merchant_id, member__isnull=False,
                                created_at__gte=scope.since(c.days or 1)).order_by()


def _counted_orders(c: Condition, scope: Scope) -> QuerySet:
    return _orders(c, scope).exclude(status=Order.Status.REFUNDED)


def _recharges(c: Condition, scope: Scope) -> QuerySet:
    return Recharge.objects.filter(merchant_id=scope.merchant_id, created_at__gte=scope.since(c.days or 1)).order_by()


def _full_price_lines(c: Condition, scope: Scope) -> QuerySet:
    """Lines bought at the member's ordinary price: no promotion price and no coupon on them."""
    return OrderLine.objects.filter(order__merchant_id=scope.merchant_id, order__member__isnull=False,
                                    order__created_at__gte=scope.since(c.days or 1), promotion__isnull=True,
                                    coupon_discount_fen=0).annotate(member_id=F("order__member_id")).order_by()


def _card_balances(c: Condition, scope: Scope) -> QuerySet:
    """Uses left on the members' active counted cards that are still valid (unlimited services aside)."""
    from mendian.cards.models import CardBalance, MemberCard

    return (CardBalance.objects.filter(card__merchant_id=scope.merchant_id, card__status=MemberCard.Status.ACTIVE,
                                       uses_left__isnull=False)
            .exclude(card__valid_until__lt=scope.now).annotate(member_id=F("card__member_id")).order_by())


@dataclass(frozen=True)
class _Bought:
    """Members with a line (not refunded in full) of the products or categories (``path`` of the line)
    in the period: one semi-join over the period's lines, or for categories the members' facts."""

    path: str
    facts_measure: str = ""  # the measure of the members' facts that answers it

    def lines(self, c: Condition, scope: Scope) -> QuerySet:
        ids = c.value if c.op == "in" else [c.value]
        return (OrderLine.objects.filter(order__merchant_id=scope.merchant_id, order__member__isnull=False,
                                         order__created_at__gte=scope.since(c.days or 1), **{f"{self.path}__in": ids})
                .exclude(qty=F("refunded_qty")).order_by())

    def from_facts(self, c: Condition, scope: Scope) -> FactTest | None:
        """The condition as a test of the members' facts, when they answer it."""
        facts = scope.facts() if self.facts_measure and c.days in WINDOWS else None
        if facts is None or not facts.categories_hold:
            return None
        ids = frozenset(c.value if c.op == "in" else [c.value])

        def test(prefix: str) -> Q:
            bought = Q(**{f"{prefix}{column(self.facts_measure, c.days)}__overlaps": sorted(ids)})
            return ~bought if c.op == "ne" else bought

        return FactTest(measure=self.facts_measure, days=c.days, test=test,
                        holds=lambda categories: bool(categories & ids) != (c.op == "ne"),
                        direct=self.lines(c, scope).annotate(member_id=F("order__member_id"))
                        .values_list("member_id", self.path).distinct())

    def __call__(self, c: Condition, scope: Scope) -> Q:
        test = self.from_facts(c, scope)
        if test is not None:
            return scope.facts().members_q([test], _relate)
        bought = Q(pk__in=self.lines(c, scope).values("order__member_id"))
        return ~bought if c.op == "ne" else bought


def _top_category(c: Condition, scope: Scope) -> Q:
    """The category the member spent most on in the period (net of refunds; ties: the smaller id)."""
    spend = (OrderLine.objects.filter(order__merchant_id=scope.merchant_id, order__member_id=OuterRef("pk"),
                                      order__created_at__gte=scope.since(c.days or 1),
                                      product__category__isnull=False)
             .order_by().values("product__category_id")
             .annotate(net=Sum(F("payable_fen") - F("refunded_fen"))).filter(net__gt=0)
             .order_by("-net", "product__category_id").values("product__category_id")[:1])
    ids = c.value if c.op == "in" else [c.value]
    top = Q(Exists(Member.objects.filter(pk=OuterRef("pk")).annotate(top=Subquery(spend)).filter(top__in=ids)))
    return ~top if c.op == "ne" else top


def _used_coupon(c: Condition, scope: Scope) -> Q:
    used = Coupon.objects.filter(merchant_id=scope.merchant_id, member_id=OuterRef("pk"),
                                 status=Coupon.Status.USED, used_at__gte=scope.since(c.days or 1))
    return Q(Exists(used)) if c.value else ~Q(Exists(used))


def _tag(c: Condition, scope: Scope) -> Q:
    ids = c.value if c.op == "in" else [c.value]
    tagged = Exists(MemberTag.objects.filter(member_id=OuterRef("pk"), tag_id__in=ids))
    return ~Q(tagged) if c.op == "ne" else Q(tagged)


def _balance(c: Condition, scope: Scope) -> Q:
    total = F("wallet__principal_fen") + F("wallet__bonus_fen")
    if c.op == "in":
        return Q(lookups.In(total, c.value))
    if c.op == "ne":
        return ~Q(lookups.Exact(total, c.value))
    lookup = {"eq": lookups.Exact, "gt": lookups.GreaterThan, "gte": lookups.GreaterThanOrEqual,
              "lt": lookups.LessThan, "lte": lookups.LessThanOrEqual}[c.op]
    return Q(lookup(total, c.value))


def _whole_units(c: Condition, at_least: Callable[[int], Q], at_most: Callable[[int], Q]) -> Q:
    """A condition on a whole number (days, years) given the tests "n or more" and "n or fewer"."""
    values = c.value if c.op == "in" else [c.value]
    exactly = Q(pk__in=[])
    for n in values:
        exactly |= at_least(n) & at_most(n)
    return {
        "eq": lambda: exactly, "in": lambda: exactly, "ne": lambda: ~exactly,
        "gt": lambda: at_least(c.value + 1), "gte": lambda: at_least(c.value),
        "lt": lambda: at_most(c.value - 1), "lte": lambda: at_most(c.value),
    }[c.op]()


def _days_since(path: str) -> Callable[[Condition, Scope], Q]:
    """Whole local days between the day of ``path`` and today (0: today). Members without it never match."""

    def build(c: Condition, scope: Scope) -> Q:
        today = scope.today()

        def start_of(days_ago: int) -> datetime:
            return day_bounds(today - timedelta(days=days_ago), scope.tz_name)[0]

        return Q(**{f"{path}__isnull": False}) & _whole_units(
            c,
            at_least=lambda n: Q(**{f"{path}__lt": start_of(n - 1)}),  # before the day n − 1 days ago
            at_most=lambda n: Q(**{f"{path}__gte": start_of(n)}))

    return build


def _age(c: Condition, scope: Scope) -> Q:
    """Age in whole years on the merchant's today; members without a birthday never match."""
    today = scope.today()

    def born_by(years: int) -> date:  # the latest birthday of someone aged ``years`` or more
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28)

    return Q(birthday__isnull=False) & _whole_units(
        c, at_least=lambda n: Q(birthday__lte=born_by(n)), at_most=lambda n: Q(birthday__gt=born_by(n + 1)))


def _custom(c: Condition, scope: Scope) -> Q:
    assert c.custom is not None
    path = f"custom_fields__{c.custom.key}"
    present = Q(**{f"{path}__isnull": False})
    return present & _compare_q(path, c.op, c.value)


_NET_SPEND = Coalesce(Sum(F("payable_fen") - F("refunded_fen")), 0)
_ATTRIBUTES = _("Member")
_BEHAVIOUR = _("Behaviour in a period")

FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("level_id", _("Level"), "id", ID_OPS, _plain("loyalty__level_id"), model="level", group=_ATTRIBUTES),
    Field("tag_id", _("Tag"), "id", ID_OPS, _tag, model="tag", group=_ATTRIBUTES),
    Field("registered_store_id", _("Registered store"), "id", ID_OPS, _plain("registered_store_id"), model="store",
          group=_ATTRIBUTES),
    Field("gender", _("Gender"), "choice", ID_OPS, _plain("gender"), choices=tuple(Member.Gender.values),
          group=_ATTRIBUTES),
    Field("source", _("Source channel"), "choice", ID_OPS, _plain("source_channel"),
          choices=tuple(Member.Channel.values), group=_ATTRIBUTES),
    Field("age", _("Age"), "number", NUMBER_OPS, _age, group=_ATTRIBUTES),
    Field("birthday_month", _("Birthday month"), "number", NUMBER_OPS, _plain("birthday__month"), group=_ATTRIBUTES),
    Field("days_since_joined", _("Days since joining"), "number", NUMBER_OPS, _days_since("created_at"),
          group=_ATTRIBUTES),
    Field("balance_fen", _("Stored-value balance"), "money", NUMBER_OPS, _balance, group=_ATTRIBUTES),
    Field("points", _("Points"), "number", NUMBER_OPS, _plain("loyalty__points"), group=_ATTRIBUTES),
    Field("total_spent_fen", _("Total spent"), "money", NUMBER_OPS, _plain("total_spent_fen"), group=_ATTRIBUTES),
    Field("order_count", _("Orders in all"), "number", NUMBER_OPS, _plain("order_count"), group=_ATTRIBUTES),
    Field("days_since_last_order", _("Days since the last order"), "number", NUMBER_OPS,
          _days_since("last_visit_at"), group=_ATTRIBUTES),
    Field("card_uses_left", _("Uses left on cards"), "number", NUMBER_OPS,
          _Aggregate(_card_balances, Coalesce(Sum("uses_left"), 0)), group=_ATTRIBUTES),
    Field("spend_fen_in_days", _("Spend"), "money", NUMBER_OPS, _Aggregate(_orders, _NET_SPEND, "spend"),
          behaviour=True, group=_BEHAVIOUR),
    Field("orders_in_days", _("Orders"), "number", NUMBER_OPS, _Aggregate(_counted_orders, Count("id"), "orders"),
          behaviour=True, group=_BEHAVIOUR),
    Field("full_price_spend_fen_in_days", _("Spend at ordinary prices (no promotion, no coupon)"), "money",
          NUMBER_OPS, _Aggregate(_full_price_lines, _NET_SPEND),
          behaviour=True, group=_BEHAVIOUR),
    Field("bought_product_id", _("Bought the product"), "id", ID_OPS, _Bought("product_id"), behaviour=True,
          model="product", group=_BEHAVIOUR),
    Field("bought_category_id", _("Bought from the category"), "id", ID_OPS,
          _Bought("product__category_id", CATEGORIES), behaviour=True, model="category", group=_BEHAVIOUR),
    Field("top_category_id", _("Spent most on the category"), "id", ID_OPS, _top_category, behaviour=True,
          model="category", group=_BEHAVIOUR),
    Field("used_coupon", _("Used a coupon"), "bool", BOOL_OPS, _used_coupon, behaviour=True, group=_BEHAVIOUR),
    Field("recharge_fen_in_days", _("Recharged (paid)"), "money", NUMBER_OPS,
          _Aggregate(_recharges, Coalesce(Sum(F("pay_fen") - F("refunded_principal_fen")), 0)), behaviour=True,
          group=_BEHAVIOUR),
)}
CUSTOM_PREFIX = "custom."
CUSTOM_OPS = {CustomField.Kind.TEXT: ID_OPS, CustomField.Kind.CHOICE: ID_OPS, CustomField.Kind.NUMBER: NUMBER_OPS,
              CustomField.Kind.DATE: NUMBER_OPS}


# --- parsing --------------------------------------------------------------------------------------

def _invalid(message: str | Promise, path: str, **detail: Any) -> InvalidInput:
    return InvalidInput("invalid_condition", message, field="conditions", detail={"path": path, **detail})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(f: Field, op: str, value: Any, path: str, custom: CustomField | None) -> Any:
    values = value if op == "in" else [value]
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > MAX_IN:
            raise _invalid(_("“in” needs a list of 1 to %(max)s values.") % {"max": MAX_IN}, path)
    elif isinstance(value, list):
        raise _invalid(_("Only “in” takes a list."), path)
    kind = f.kind if custom is None else custom.kind
    for v in values:
        if kind in ("number", "money", "id") or kind == CustomField.Kind.NUMBER:
            if not _is_int(v) or abs(v) > 10**15:
                raise _invalid(_("The value must be a whole number."), path)
            if kind in ("money", "id") and v < 0:
                raise _invalid(_("The value cannot be negative."), path)
        elif kind == "bool":
            if not isinstance(v, bool):
                raise _invalid(_("The value must be true or false."), path)
        elif kind == CustomField.Kind.DATE:
            try:
                date.fromisoformat(v)
            except (TypeError, ValueError):
                raise _invalid(_("The value must be a date (YYYY-MM-DD)."), path) from None
        elif not isinstance(v, str) or not v or len(v) > 100:
            raise _invalid(_("The value must be a text."), path)
        if f.choices and v not in f.choices:
            raise _invalid(_("“%(value)s” is not one of the choices.") % {"value": v}, path)
        if custom is not None and custom.kind == CustomField.Kind.CHOICE and v not in custom.choices:
            raise _invalid(_("“%(value)s” is not one of the choices.") % {"value": v}, path)
    if f.name == "birthday_month" and not all(1 <= v <= 12 for v in values):
        raise _invalid(_("A month is 1 to 12."), path)
    return list(dict.fromkeys(value)) if op == "in" else value


def _parse_condition(raw: Any, path: str, customs: dict[str, CustomField], merchant_id: int) -> Condition:
    if not isinstance(raw, dict):
        raise _invalid(_("A condition is an object with a field, an operator and a value."), path)
    unknown = set(raw) - {"field", "op", "value", "days"}
    if unknown:
        raise _invalid(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))}, path)
    name, op = raw.get("field"), raw.get("op")
    custom = None
    if isinstance(name, str) and name.startswith(CUSTOM_PREFIX):
        custom = customs.get(name[len(CUSTOM_PREFIX):])
        f = Field(name, custom.label, custom.kind, CUSTOM_OPS[custom.kind], _custom) if custom else None
    else:
        f = FIELDS.get(name) if isinstance(name, str) else None
    if f is None:
        raise _invalid(_("Unknown field: %(field)s.") % {"field": name}, path, reason="unknown_field")
    if op not in f.ops:
        raise _invalid(_("The operator “%(op)s” does not fit the field %(field)s.") % {"op": op, "field": name},
                       path, reason="op_not_allowed")
    if "value" not in raw:
        raise _invalid(_("The condition has no value."), path)
    days = raw.get("days")
    if f.behaviour:
        if not _is_int(days) or not 1 <= days <= MAX_DAYS:
            raise _invalid(_("Say over how many days (1 to %(max)s).") % {"max": MAX_DAYS}, path,
                           reason="days_required")
    elif days is not None:
        raise _invalid(_("This field does not take a period."), path)
    value = _check_value(f, op, raw["value"], path, custom)
    if f.model:
        _require_own(f.model, value if op == "in" else [value], merchant_id)
    return Condition(field=name, op=op, value=value, days=days, custom=custom)


def _require_own(model: str, ids: list[int], merchant_id: int) -> None:
    """Ids a condition names must be the merchant's (404 like any other merchant's object)."""
    from mendian.catalog.models import Category, Product
    from mendian.loyalty.models import Level
    from mendian.members.models import Tag
    from mendian.tenancy.models import Store

    models = {"level": Level, "tag": Tag, "store": Store, "product": Product, "category": Category}
    found = models[model].objects.filter(merchant_id=merchant_id, pk__in=ids).count()
    if found != len(set(ids)):
        raise NotFound(f"{model}_not_found", _("A condition names something that does not exist."),
                       field="conditions", detail={"model": model})


def parse(definition: Any, *, merchant_id: int, depth: int = 1, path: str = "",
          customs: dict[str, CustomField] | None = None) -> Group:
    """A checked definition, or 422 ``invalid_condition`` with the path of the first problem."""
    if customs is None:
        customs = {c.key: c for c in CustomField.objects.filter(merchant_id=merchant_id, is_active=True)}
    if not isinstance(definition, dict):
        raise _invalid(_("A group is an object with “match” and “conditions”."), path or "/")
    match = definition.get("match", "all")
    if match not in ("all", "any"):
        raise _invalid(_("“match” is “all” or “any”."), path or "/")
    raw = definition.get("conditions")
    if not isinstance(raw, list):
        raise _invalid(_("“conditions” must be a list."), path or "/")
    if len(raw) > MAX_CONDITIONS:
        raise _invalid(_("At most %(max)s conditions in a group.") % {"max": MAX_CONDITIONS}, path or "/")
    items: list[Condition | Group] = []
    for i, item in enumerate(raw):
        where = f"{path}/{i}"
        if isinstance(item, dict) and "conditions" in item:
            if depth >= MAX_DEPTH:
                raise _invalid(_("Groups can be nested at most %(max)s deep.") % {"max": MAX_DEPTH}, where)
            extra = set(item) - {"match", "conditions"}
            if extra:
                raise _invalid(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, extra)))}, where)
            items.append(parse(item, merchant_id=merchant_id, depth=depth + 1, path=where, customs=customs))
        else:
            items.append(_parse_condition(item, where, customs, merchant_id))
    return Group(match=match, conditions=tuple(items))


def as_json(group: Group) -> dict[str, Any]:
    """The stored form of a checked definition."""
    def one(item: Condition | Group) -> dict[str, Any]:
        if isinstance(item, Group):
            return as_json(item)
        out = {"field": item.field, "op": item.op, "value": item.value}
        if item.days is not None:
            out["days"] = item.days
        return out
    return {"match": group.match, "conditions": [one(i) for i in group.conditions]}


def conditions_of(group: Group) -> list[Condition]:
    out: list[Condition] = []
    for item in group.conditions:
        out.extend(conditions_of(item) if isinstance(item, Group) else [item])
    return out


def check_stores(group: Group, store_ids: frozenset[int] | None) -> None:
    """A store-bound caller may not ask about other stores (403 ``store_forbidden``)."""
    if store_ids is None:
        return
    for c in conditions_of(group):
        if c.field == "registered_store_id":
            asked = set(c.value if c.op == "in" else [c.value])
            if asked - store_ids:
                raise PermissionDenied("store_forbidden", _("You can only ask about your own stores."),
                                       field="conditions")


# --- evaluation -----------------------------------------------------------------------------------

def member_q(group: Group, scope: Scope) -> Q:
    """One ``Q`` over ``Member`` for the whole definition (an empty group matches everyone). The
    conditions of an "all" group that the members' facts answer are asked of them together, in one pass."""
    parts: list[Q] = []
    together: list[FactTest] = []
    for item in group.conditions:
        build = None if isinstance(item, Group) or item.custom is not None else FIELDS[item.field].build
        test = build.from_facts(item, scope) if isinstance(build, _Aggregate | _Bought) and group.match == "all" \
            else None
        if test is not None:
            together.append(test)
        else:
            parts.append(member_q(item, scope) if isinstance(item, Group) else _build(item, scope))
    if together:
        parts.append(scope.facts().members_q(together, _relate))
    combined = Q()
    for part in parts:
        combined = (combined & part) if group.match == "all" else (combined | part)
    return combined


def _build(c: Condition, scope: Scope) -> Q:
    if c.custom is not None:
        return _custom(c, scope)
    return FIELDS[c.field].build(c, scope)


_relations: ContextVar[dict[str, FilteredRelation] | None] = ContextVar("segment_relations", default=None)


def _relate(condition: Q) -> str:
    """Join the members' facts on ``condition`` in the query ``matching_members`` is building: the alias."""
    relations = _relations.get()
    assert relations is not None, "conditions are turned into a query by matching_members"
    alias = f"facts_{len(relations) + 1}"
    relations[alias] = FilteredRelation("facts", condition=condition)
    return alias


def matching_members(group: Group, scope: Scope) -> QuerySet[Member]:
    """The merchant's members (not erased) that the definition matches, within the caller's stores."""
    members = Member.objects.filter(merchant_id=scope.merchant_id, erased_at__isnull=True)
    if scope.store_ids is not None:
        members = members.filter(registered_store_id__in=scope.store_ids)
    relations: dict[str, FilteredRelation] = {}
    token = _relations.set(relations)
    try:
        matched = member_q(group, scope)
    finally:
        _relations.reset(token)
    return members.alias(**relations).filter(matched)
