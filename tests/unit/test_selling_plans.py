"""The pre-order plan a shop's settings call for, and the input the connector sends for it: valid for the
real 2026-04 schema (variables coerced against it) in each variant: no deposit, a deposit, the backstop,
paid in full."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from adapters.shopify import selling_plans as documents
from connector.domain.selling_plans import CatalogVariant, attachment, plan_spec, sold_on_backorder
from tests.unit.test_shopify_documents import real_schema

SETTINGS = {"payments.route": "selling_plan", "payments.deposit_percent": 0,
            "payments.balance_trigger": "on_fulfillment", "payments.backstop_days": 30}


def variable_errors(document: str, variables: dict) -> list[str]:
    operation = next(d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(real_schema("2026-04"), operation.variable_definitions or [], variables)
    return [e.message for e in coerced] if isinstance(coerced, list) else []


@pytest.mark.parametrize("changes", [{}, {"payments.deposit_percent": 25},
                                     {"payments.balance_trigger": "backstop", "payments.backstop_days": 14},
                                     {"payments.deposit_percent": 100}])
def test_the_group_input_for_each_kind_of_plan_is_valid_on_2026_04(changes) -> None:
    spec, _ = plan_spec({**SETTINGS, **changes})
    variables = {"input": documents.group_input(spec), "resources": {"productVariantIds": [
        "gid://shopify/ProductVariant/1"]}}
    assert variable_errors(documents.GROUP_CREATE, variables) == []
    update = {"id": "gid://shopify/SellingPlanGroup/1",
              "input": documents.group_input(spec, plan_id="gid://shopify/SellingPlan/2")}
    assert variable_errors(documents.GROUP_UPDATE, update) == []


def test_a_wrong_input_is_caught_by_the_same_check() -> None:
    spec, _ = plan_spec(SETTINGS)
    bad = documents.group_input(spec)
    bad["sellingPlansToCreate"][0]["billingPolicy"]["fixed"]["remainingBalanceChargeTrigger"] = "ON_SHIPMENT"
    assert variable_errors(documents.GROUP_CREATE, {"input": bad}) != []


def test_no_deposit_defers_everything_to_fulfillment() -> None:
    spec, reasons = plan_spec(SETTINGS)
    assert (spec.deposit_percent, spec.balance_trigger, spec.time_after_checkout) == (0, "ON_FULFILLMENT", None)
    assert (spec.category, spec.fulfillment_trigger, spec.reserve) == ("PRE_ORDER", "UNKNOWN", "ON_SALE")
    assert spec.name == "Pre-order: Nothing to pay now, pay when it ships"
    assert any("ON_FULFILLMENT" in r for r in reasons)


def test_the_backstop_is_due_a_number_of_days_after_checkout() -> None:
    spec, _ = plan_spec({**SETTINGS, "payments.deposit_percent": 10, "payments.balance_trigger": "backstop",
                         "payments.backstop_days": 21})
    assert (spec.balance_trigger, spec.time_after_checkout) == ("TIME_AFTER_CHECKOUT", "P21D")
    assert "at the latest 21 days" in spec.name and spec.name.startswith("Pre-order: 10% deposit now")
    fixed = documents.plan_input(spec)["billingPolicy"]["fixed"]
    assert fixed["remainingBalanceChargeTimeAfterCheckout"] == "P21D"


def test_a_full_deposit_leaves_no_remaining_balance() -> None:
    spec, reasons = plan_spec({**SETTINGS, "payments.deposit_percent": 100, "payments.balance_trigger": "backstop"})
    assert (spec.balance_trigger, spec.time_after_checkout) == ("NO_REMAINING_BALANCE", None)
    assert any("100%" in r for r in reasons)


def test_the_digest_changes_with_any_setting_and_only_then() -> None:
    base, _ = plan_spec(SETTINGS)
    same, _ = plan_spec(dict(SETTINGS))
    deposit, _ = plan_spec({**SETTINGS, "payments.deposit_percent": 5})
    assert base.digest() == same.digest() != deposit.digest()


def test_only_variants_sold_on_backorder_with_a_date_carry_the_plan() -> None:
    assert sold_on_backorder(CatalogVariant("1", "A", True, "2026-12-01")) == []
    assert sold_on_backorder(CatalogVariant("2", "B", False, "2026-12-01")) != []
    assert sold_on_backorder(CatalogVariant("3", "C", True, None)) != []


def test_only_the_difference_is_added_and_removed() -> None:
    change = attachment(["3", "10", "2"], ["2", "7"])
    assert (change.add, change.remove) == (("3", "10"), ("7",))
    assert attachment(["1"], ["1"]) == attachment([], [])
