"""Background work of segments and reports (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def analytics_daily(merchant_id: int, day: str) -> dict[str, int]:
    """The nightly run: yesterday's figures and the members' facts stored, rule tags, RFM scores and segment
    counts brought up to date."""
    from mendian.tenancy.models import Merchant

    from .facts import facts_build
    from .rfm import rfm_recompute
    from .rollups import rollup
    from .segments import segments_recount, tag_rules_run

    merchant = Merchant.objects.get(pk=merchant_id)
    return {"days_rolled_up": rollup(merchant=merchant), "members_with_facts": facts_build(merchant=merchant) or 0,
            "tag_rules": tag_rules_run(merchant_id=merchant_id),
            "rfm_scored": rfm_recompute(merchant=merchant), "segments": segments_recount(merchant=merchant)}


@task()
def rfm_recompute_task(merchant_id: int) -> int:
    from mendian.tenancy.models import Merchant

    from .rfm import rfm_recompute

    return rfm_recompute(merchant=Merchant.objects.get(pk=merchant_id))


@task()
def tag_rule_run_task(rule_id: int) -> int:
    from .models import TagRule
    from .segments import tag_rule_run

    return tag_rule_run(rule=TagRule.objects.select_related("merchant").get(pk=rule_id)).member_count
