"""payments.route is the one switch of payment on shipment (connector/domain/payments.py shop_route):
what each route collects, the deprecated payments.enabled read as the authorization route while the
route is at its default, the scopes the switch asks for, and an order bought under the connector's own
selling plan classified as a mandate order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.domain import shopify_access
from connector.domain.payments import PaymentFacts, Transaction, route_of, shop_route
from connector.settings_registry import build_registry

DEFAULTS = {spec.key: spec.default for spec in build_registry()}


@pytest.mark.parametrize(("values", "route", "collects", "legacy"), [
    ({}, "none", set(), False),
    ({"payments.route": "authorization"}, "authorization", {"authorization", "woocommerce"}, False),
    ({"payments.route": "selling_plan"}, "selling_plan", {"authorization", "woocommerce", "mandate"}, False),
    ({"payments.enabled": True}, "authorization", {"authorization", "woocommerce"}, True),
    ({"payments.enabled": True, "payments.route": "selling_plan"}, "selling_plan",
     {"authorization", "woocommerce", "mandate"}, False),
    ({"payments.enabled": False, "payments.route": "none"}, "none", set(), False),
])
def test_the_shop_s_route_says_which_order_payments_it_collects(values, route, collects, legacy):
    chosen = shop_route({**DEFAULTS, **values})
    assert (chosen.route, set(chosen.collects), chosen.legacy, chosen.on) == (route, collects, legacy, bool(collects))
    assert chosen.reasons


def test_the_payments_scopes_are_asked_for_by_either_payment_route_and_by_the_deprecated_switch():
    feature = shopify_access.FEATURES_BY_NAME["payments"]
    assert not feature.enabled(DEFAULTS)
    for values in ({"payments.route": "authorization"}, {"payments.route": "selling_plan"}, {"payments.enabled": True}):
        assert feature.enabled({**DEFAULTS, **values}), values
        assert "write_payment_mandate" in shopify_access.required_for({**DEFAULTS, **values})
    assert set(feature.settings) == {"payments.route", "payments.enabled"}


def test_the_deprecated_switch_says_so_in_its_help():
    assert build_registry().spec("payments.enabled").help.startswith("deprecated: use payments.route")


def _plan_order(*, authorised_deposit: bool, terms: str) -> PaymentFacts:
    txns = (Transaction("auth-1", "AUTHORIZATION", "SUCCESS", Decimal("4.00")),) if authorised_deposit else ()
    return PaymentFacts("1", "USD", Decimal("24.00"), Decimal("24.00"), "authorized" if txns else "pending", txns,
                        mandate_ids=("mandate-1",), payment_terms_type=terms)


def test_an_order_bought_under_the_connector_s_plan_is_a_mandate_order_whose_trigger_follows_its_terms():
    on_fulfillment = route_of(_plan_order(authorised_deposit=True, terms="FULFILLMENT"), platform="shopify",
                              under_plan=True)
    assert (on_fulfillment.route, on_fulfillment.trigger) == ("mandate", "on_fulfillment")
    assert "selling plan" in on_fulfillment.reasons[0]
    backstop = route_of(_plan_order(authorised_deposit=True, terms="FIXED"), platform="shopify", under_plan=True)
    assert (backstop.route, backstop.trigger) == ("mandate", "backstop")
    # not known to be the connector's: the authorised deposit decides, as before
    assert route_of(_plan_order(authorised_deposit=True, terms="FIXED"), platform="shopify").route == "authorization"
    assert route_of(_plan_order(authorised_deposit=False, terms="FULFILLMENT"), platform="shopify").trigger == \
        "on_fulfillment"
