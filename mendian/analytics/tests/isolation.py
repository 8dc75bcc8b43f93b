import itertools
from datetime import date, timedelta

from mendian.analytics.models import Segment, TagRule
from mendian.core.testing.isolation import Param
from mendian.members.models import Tag

_numbers = itertools.count(1)


def _segment(world):
    return Segment.objects.create(merchant=world.merchant, name=f"{world.merchant.name}分群{next(_numbers)}",
                                  definition={"match": "all", "conditions": []}).pk


def _rule(world):
    tag = Tag.objects.create(merchant=world.merchant, name=f"{world.merchant.name}规则{next(_numbers)}")
    return TagRule.objects.create(merchant=world.merchant, tag=tag,
                                  definition={"match": "all", "conditions": []}).pk


def _tag_condition(world):
    tag = Tag.objects.create(merchant=world.merchant, name=f"{world.merchant.name}标签{next(_numbers)}")
    return {"match": "all", "conditions": [{"field": "tag_id", "op": "eq", "value": tag.pk}]}


PARAMS = {
    "segment_id": Param(own=_segment),
    "rule_id": Param(own=_rule),
}
BODIES = {
    "PATCH /api/v1/segments/{segment_id}": lambda w: {"name": "改名"},
}
REFERENCES = {
    "POST /api/v1/segments/preview": _tag_condition,
    "POST /api/v1/segments": lambda w: {"name": f"按标签{next(_numbers)}", **_tag_condition(w)},
    "POST /api/v1/tag-rules": lambda w: {"name": f"规则标签{next(_numbers)}", **_tag_condition(w)},
}

_today = date.today()
QUERIES = {
    "GET /api/v1/reports/summary": f"?date_from={_today - timedelta(days=30)}&date_to={_today + timedelta(days=1)}",
}
