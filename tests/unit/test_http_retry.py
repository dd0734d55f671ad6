"""The transport's retry policy (HttpRetry) and which requests may be resent (issue 11, items 1 and 2)."""

from __future__ import annotations

import pytest

from adapters.http import IDEMPOTENT_METHODS, HttpRetry
from adapters.shopify import (
    catalog,
    fulfillment,
    fulfillment_service,
    order_cancel,
    orders_admin,
    queries,
    refunds,
    subscriptions,
)
from adapters.shopify.client import resend_safe
from connector.domain.errors import OutcomeUncertain, TransientError


def documents() -> dict[str, str]:
    found = {}
    for module in (catalog, fulfillment, fulfillment_service, order_cancel, orders_admin, queries, refunds,
                   subscriptions):
        for name, value in vars(module).items():
            if isinstance(value, str) and name.isupper() and ("query" in value or "mutation" in value) \
                    and "{" in value:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_only_idempotent_methods_are_resent_by_default() -> None:
    assert {"GET", "HEAD", "PUT"} <= IDEMPOTENT_METHODS
    assert not {"POST", "PATCH", "DELETE"} & IDEMPOTENT_METHODS


def test_a_shopify_query_may_be_resent_and_a_mutation_only_with_an_idempotency_key() -> None:
    docs = documents()
    assert docs, "no GraphQL documents found"
    for name, document in docs.items():
        keyed = "@idempotent(key:" in document.replace(" ", "")
        is_mutation = document.lstrip().startswith("mutation")
        assert resend_safe(document) == (not is_mutation or keyed), name
    assert resend_safe(refunds.REFUND_CREATE)  # the refund carries @idempotent(key:)
    assert not resend_safe(queries.TAGS_ADD)


def test_a_comment_before_a_mutation_does_not_make_it_a_query() -> None:
    assert not resend_safe("# tags\n  mutation Tag($id: ID!) { tagsAdd(id: $id, tags: []) { node { id } } }")
    assert resend_safe("query Q { shop { name } }") and resend_safe("{ shop { name } }")


def test_an_uncertain_outcome_is_transient_but_not_safe_to_resend() -> None:
    error = OutcomeUncertain("woocommerce: POST /orders/1/refunds answered 504; not resent blindly")
    assert isinstance(error, TransientError) and error.category == "transient" and not error.resend_safe


def test_the_backoff_grows_and_stays_under_its_cap() -> None:
    policy = HttpRetry(base_delay=1.0, max_delay=8.0)
    for attempt in range(1, 10):
        delay = policy.backoff(attempt)
        assert min(8.0, 2 ** (attempt - 1)) / 2 <= delay <= min(8.0, 2 ** (attempt - 1))


@pytest.mark.parametrize("bad", [{"max_attempts": 0}, {"base_delay": -1}, {"max_retry_after": -1}])
def test_a_bad_retry_policy_names_the_bad_value(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad)).split("_")[0]):
        HttpRetry(**bad)  # type: ignore[arg-type]


def test_the_retry_after_cap_defaults_to_a_minute() -> None:
    assert HttpRetry().max_retry_after == 60.0
