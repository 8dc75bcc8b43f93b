from mendian.core.testing.isolation import Param
from mendian.members.models import CustomField, RecordType, Tag, TagGroup
from mendian.members.testing import make_member, next_phone


def _member(world):
    return make_member(world, name=f"{world.merchant.name}会员").pk


def _tag(world):
    return Tag.objects.get_or_create(merchant=world.merchant, name=f"{world.merchant.name}标签")[0].pk


def _group(world):
    return TagGroup.objects.get_or_create(merchant=world.merchant, name=f"{world.merchant.name}分组")[0].pk


def _field(world):
    return CustomField.objects.get_or_create(merchant=world.merchant, key="skin",
                                             defaults={"label": f"{world.merchant.name}肤质"})[0].pk


def _record_type(world):
    return RecordType.objects.get_or_create(merchant=world.merchant, name=f"{world.merchant.name}档案")[0].pk


def _job(world, store_index):
    from mendian.members.import_jobs import import_job_create

    content = f"手机,姓名\n13912345678,{world.merchant.name}导入\n".encode()
    return import_job_create(access=world.access(), filename="import.csv", content=content,
                             store=world.stores[store_index]).pk


PARAMS = {
    "member_id": Param(own=_member),
    "job_id": Param(own=lambda w: _job(w, 0), in_other_store=lambda w: _job(w, 1)),
    "tag_id": Param(own=_tag),
    "field_id": Param(own=_field),
}
BODIES = {
    "POST /api/v1/members/{member_id}/records": lambda w: {"record_type_id": _record_type(w), "date": "2026-01-05"},
    "PUT /api/v1/member-fields/{field_id}": lambda w: {"key": "skin", "label": "肤质"},
}
REFERENCES = {
    "POST /api/v1/members": lambda w: {"phone": next_phone(), "store_id": w.stores[0].pk},
    "POST /api/v1/tags/assign": lambda w: {"member_ids": [_member(w)], "tag_ids": [_tag(w)]},
    "POST /api/v1/tags": lambda w: {"name": "sweep", "group_id": _group(w)},
}
