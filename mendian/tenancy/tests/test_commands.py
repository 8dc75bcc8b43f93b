from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mendian.core.testing.api import ApiClient
from mendian.tenancy.models import Merchant, Staff, Store


@pytest.mark.django_db
def test_create_merchant_prints_ids_and_the_owner_can_log_in():
    out = StringIO()
    call_command("create_merchant", "--name", "商户A", "--owner-username", "cm_owner", "--owner-password",
                 "Cm-pass-2026", "--store", "一号店", stdout=out)
    values = dict(line.split("=") for line in out.getvalue().split())
    merchant = Merchant.objects.get(pk=values["merchant_id"])
    assert Staff.objects.get(pk=values["owner_id"]).role.code == "owner"
    assert Store.objects.get(pk=values["store_id"]).merchant == merchant
    token = ApiClient().post("/auth/token", {"username": "cm_owner", "password": "Cm-pass-2026"})
    assert token.status_code == 200 and token.data["staff"]["merchant_id"] == merchant.pk


@pytest.mark.django_db
def test_create_merchant_refuses_bad_input_without_half_a_merchant():
    call_command("create_merchant", "--name", "A", "--owner-username", "taken_owner", "--owner-password",
                 "Cm-pass-2026", stdout=StringIO())
    before = Merchant.objects.count()
    with pytest.raises(CommandError, match="username_taken"):
        call_command("create_merchant", "--name", "B", "--owner-username", "taken_owner", "--owner-password",
                     "Cm-pass-2026", "--store", "店", stdout=StringIO())
    with pytest.raises(CommandError, match="weak_password"):
        call_command("create_merchant", "--name", "C", "--owner-username", "c_owner", "--owner-password", "123",
                     stdout=StringIO())
    assert Merchant.objects.count() == before


@pytest.mark.django_db
def test_seed_demo_builds_the_chain_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    merchant = Merchant.objects.get()
    stores = Store.objects.filter(merchant=merchant)
    assert stores.count() == 3 and set(stores.values_list("city", flat=True)) == {"杭州", "上海"}
    roles = set(Staff.objects.filter(merchant=merchant).values_list("role__code", flat=True))
    assert roles == {"owner", "hq_admin", "store_manager", "cashier", "marketer", "finance"}
    assert "demo_owner" in out.getvalue()
    assert merchant.onboarding_completed_at is not None
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "already loaded" in again.getvalue() and Merchant.objects.count() == 1
    login = ApiClient().post("/auth/token", {"username": "demo_cashier", "password": "Mendian-demo-2026"})
    assert login.status_code == 200 and len(login.data["staff"]["store_ids"]) == 1


@pytest.mark.django_db
def test_seed_demo_if_empty_leaves_real_data_alone():
    call_command("create_merchant", "--name", "真实商户", "--owner-username", "real_owner", "--owner-password",
                 "Real-pass-2026", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert Merchant.objects.count() == 1 and "not loaded" in out.getvalue()
