"""ShopifyGraphQL on Shopify's own response shapes (fixtures), with HTTP stubbed by ``responses``."""

from __future__ import annotations

import json
import logging

import pytest
import responses

from adapters.http import HttpRetry, HttpTransport
from adapters.shopify import ShopifyGraphQL, raise_user_errors
from adapters.shopify.client import is_throttled, throttle_wait_seconds
from connector.domain.errors import PlatformRejected, PlatformThrottled
from tests.conftest import load_json_fixture

URL = "https://shop.example.test/admin/api/2026-04/graphql.json"
TOKEN = "shpat_do_not_log_me"
THROTTLED_FIXTURES = [
    "shopify/graphql/throttled_minimal__shopify_app_js.json",
    "shopify/graphql/throttled_with_cost__community_254776.json",
    "shopify/graphql/throttled_no_code__community_639510.json",
]


def make_client(sleeps: list[float], **kwargs) -> ShopifyGraphQL:  # type: ignore[no-untyped-def]
    transport = HttpTransport(retry=HttpRetry(max_attempts=2, base_delay=0), sleep=sleeps.append)
    return ShopifyGraphQL(
        "mugs.myshopify.com",
        TOKEN,
        api_base="https://shop.example.test/",
        transport=transport,
        sleep=sleeps.append,
        **kwargs,
    )


def test_the_endpoint_replaces_only_scheme_and_host() -> None:
    assert make_client([]).endpoint == URL
    default = ShopifyGraphQL("mugs.myshopify.com", TOKEN, api_version="2025-07")
    assert default.endpoint == "https://mugs.myshopify.com/admin/api/2025-07/graphql.json"
    assert TOKEN not in repr(default)


@pytest.mark.parametrize("fixture", THROTTLED_FIXTURES)
def test_each_real_throttled_answer_is_detected_as_a_throttle(fixture: str) -> None:
    assert is_throttled(load_json_fixture(fixture))


def test_success_and_query_error_answers_are_not_throttles() -> None:
    assert not is_throttled(
        load_json_fixture("shopify/graphql/success_with_cost__admin_api_client_readme.json")
    )
    assert not is_throttled(
        load_json_fixture("shopify/graphql/query_error_with_cost__shopify_api_js_test.json")
    )


def test_the_wait_is_the_missing_cost_over_the_restore_rate_else_one_second() -> None:
    with_cost = load_json_fixture("shopify/graphql/throttled_with_cost__community_254776.json")
    assert throttle_wait_seconds(with_cost) == pytest.approx((752 - 666) / 50.0)
    no_code = load_json_fixture("shopify/graphql/throttled_no_code__community_639510.json")
    assert throttle_wait_seconds(no_code) == pytest.approx((202 - 118) / 50.0)
    assert throttle_wait_seconds(load_json_fixture(THROTTLED_FIXTURES[0])) == 1.0


@responses.activate
@pytest.mark.parametrize("fixture", THROTTLED_FIXTURES)
def test_a_throttled_call_waits_and_retries_instead_of_failing(fixture: str) -> None:
    success = load_json_fixture("shopify/graphql/success_with_cost__admin_api_client_readme.json")
    responses.post(URL, json=load_json_fixture(fixture))
    responses.post(URL, json=success)
    sleeps: list[float] = []
    client = make_client(sleeps)

    assert client.execute("{ shop { id } }") == success["data"]
    assert client.throttled_responses == 1
    assert sleeps and sleeps[0] > 0
    assert responses.calls[0].request.headers["X-Shopify-Access-Token"] == TOKEN


@responses.activate
def test_throttling_past_the_cap_raises_platform_throttled() -> None:
    responses.post(URL, json=load_json_fixture(THROTTLED_FIXTURES[0]))
    client = make_client([], max_throttle_wait=3.0)
    with pytest.raises(PlatformThrottled) as caught:
        client.execute("{ shop { id } }")
    assert client.throttled_responses == 4
    assert TOKEN not in str(caught.value)


@responses.activate
def test_a_200_with_errors_raises_platform_rejected_with_the_messages() -> None:
    responses.post(
        URL, json=load_json_fixture("shopify/graphql/query_error_with_cost__shopify_api_js_test.json")
    )
    with pytest.raises(PlatformRejected, match="you must provide one of first or last"):
        make_client([]).execute("{ products { nodes { id } } }")


@responses.activate
def test_a_known_low_budget_makes_the_next_call_wait_first() -> None:
    low = {
        "data": {"ok": 1},
        "extensions": {
            "cost": {
                "requestedQueryCost": 100,
                "actualQueryCost": 100,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 10, "restoreRate": 50.0},
            }
        },
    }
    responses.post(URL, json=low)
    responses.post(URL, json=low)
    sleeps: list[float] = []
    client = make_client(sleeps, clock=lambda: 0.0)
    client.execute("{ shop { id } }")
    client.execute("{ shop { id } }")
    assert sleeps == [pytest.approx((100 - 10) / 50.0)]


@responses.activate
def test_the_deprecation_header_is_logged_and_the_token_never_is(caplog: pytest.LogCaptureFixture) -> None:
    body = load_json_fixture("shopify/graphql/success_with_cost__admin_api_client_readme.json")
    responses.post(
        URL, json=body, headers={"X-Shopify-API-Deprecated-Reason": "https://shopify.dev/changelog/x"}
    )
    responses.post(URL, status=503)
    responses.post(URL, status=503)
    caplog.set_level(logging.DEBUG)
    client = make_client([])
    client.execute("{ shop { id } }")
    with pytest.raises(Exception):  # noqa: B017 - any PlatformError; only the logs matter here
        client.execute("{ shop { id } }")
    assert "https://shopify.dev/changelog/x" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in json.dumps([r.__dict__ for r in caplog.records], default=str)


def test_raise_user_errors_names_the_mutation_field_and_message() -> None:
    raise_user_errors({"userErrors": []}, "tagsAdd")
    with pytest.raises(PlatformRejected, match=r"tagsAdd userErrors: id: Order does not exist"):
        raise_user_errors({"userErrors": [{"field": ["id"], "message": "Order does not exist"}]}, "tagsAdd")
    with pytest.raises(PlatformRejected, match="no payload"):
        raise_user_errors(None, "tagsRemove")


def test_budget_wait_is_the_time_the_last_reported_bucket_needs_to_refill_to_the_points_asked() -> None:
    from adapters.shopify.client import ThrottleStatus

    now = [100.0]
    client = ShopifyGraphQL("s.myshopify.com", "t", clock=lambda: now[0])
    assert client.budget_wait(500) == 0.0  # nothing read yet: no reason to wait
    client.throttle_status = ThrottleStatus(1000.0, 200.0, 100.0, read_at=100.0)
    assert client.budget_wait(150) == 0.0
    assert client.budget_wait(750) == pytest.approx(5.5)
    assert client.budget_wait(5000) == pytest.approx(8.0)  # never more than a full bucket
    now[0] = 103.0  # refilled by 300 since it was read
    assert client.budget_wait(750) == pytest.approx(2.5)
