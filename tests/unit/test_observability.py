"""Sentry scrubbing, JSON logs and the Prometheus endpoint's content."""

from __future__ import annotations

import io
import json
import logging
import warnings

import sentry_sdk

from connector.logs import configure
from connector.observability import FILTERED, _collection_options, scrub


def test_sentry_events_lose_tokens_secrets_hmac_headers_credentials_and_bodies():
    event = {
        "request": {
            "url": "https://connector.example/webhooks/shopify",
            "headers": {"X-Shopify-Hmac-Sha256": "abc=", "Authorization": "Bearer tok-123",
                        "X-Wc-Webhook-Signature": "sig", "X-Shopify-Shop-Domain": "a.myshopify.com"},
            "data": '{"email": "customer@example.com"}',
            "query_string": "shop=a.myshopify.com&hmac=deadbeef&code=c0de&timestamp=1",
        },
        "extra": {"access_token": "shpat_abc", "consumer_secret": "cs_1234567890", "shop_id": 7,
                  "note": "called with Bearer tok-456 and postgresql://u:pw@db/x"},
        "exception": {"values": [{"value": "401 for shpat_0123456789 at https://x", "stacktrace": {
            "frames": [{"vars": {"credentials": "x", "api_key": "k", "order_id": "42"}}]}}]},
    }
    cleaned = json.dumps(scrub(event))
    for secret in ("abc=", "tok-123", "sig\"", "customer@example.com", "deadbeef", "c0de", "shpat_abc",
                   "cs_1234567890", "tok-456", "u:pw", "shpat_0123456789", '"k"'):
        assert secret not in cleaned, secret
    assert "a.myshopify.com" in cleaned and '"shop_id": 7' in cleaned and '"order_id": "42"' in cleaned
    assert event["request"]["headers"]["X-Shopify-Hmac-Sha256"] == FILTERED


def test_the_installed_sentry_sdk_takes_the_options_and_collects_no_user_data_bodies_or_locals():
    """sentry-sdk 2 and 3 name these differently (3 refuses 2's ``send_default_pii``): whichever is installed
    accepts what ``init_sentry`` passes, without a deprecation warning, and resolves it to nothing collected
    about customers."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        client = sentry_sdk.Client(dsn="http://key@127.0.0.1:9/1", **_collection_options())
    try:
        options = client.options
        collected = options.get("data_collection")
        if collected is not None:  # late 2.x and 3.x
            assert collected["user_info"] is False and collected["http_bodies"] == []
            assert collected["cookies"]["mode"] == "off" and collected["url_query_params"]["mode"] == "off"
            assert collected["stack_frame_variables"] is False and collected["queues"] is False
        else:
            assert options["send_default_pii"] is False and options["include_local_variables"] is False
    finally:
        client.close()


def test_json_logs_are_one_object_per_line_with_the_extras():
    stream = io.StringIO()
    configure("INFO", stream=stream, fmt="json")
    try:
        logging.getLogger("connector.test").info("event %s", "done", extra={"shop_id": 3, "event_id": 9})
    finally:
        configure("INFO")
    record = json.loads(stream.getvalue().strip())
    assert record["message"] == "event done" and record["level"] == "INFO"
    assert record["shop_id"] == 3 and record["event_id"] == 9 and record["logger"] == "connector.test"
