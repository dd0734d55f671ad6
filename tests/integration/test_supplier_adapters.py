"""Supplier adapters against real servers on loopback: the supplier simulator (HTTP JSON, CSV over
HTTP), a real SFTP server, local files, and the real feed formats under ../shared/fixtures/supplier."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.suppliers.feed import FeedClient
from adapters.suppliers.http_json import HttpJsonClient
from connector.domain.errors import ConfigError, SupplierFeedInvalid, SupplierRejected, SupplierUnavailable
from connector.domain.supply import SupplierRow, Validators
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.supplier_sim import SupplierSimulator
from tests.conftest import shared_fixture

ITEMS = [{"sku": f"SKU-{n:03d}", "quantity": n % 4, "restock_date": "2026-12-0" + str(1 + n % 9),
          "lead_time_days": 10} for n in range(23)]
FAST = {"retry_base_delay": 0.01, "max_attempts": 3, "timeout_seconds": 2}


def read(client: Any, validators: Validators | None = None, page_state: dict[str, Any] | None = None
         ) -> tuple[list[SupplierRow], Any]:
    with client.fetch(validators, page_state) as fetched:
        rows = list(fetched.rows)
    return rows, fetched


@pytest.fixture
def supplier() -> Iterator[tuple[SupplierSimulator, ServerHandle]]:
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "tok-1"}, "items": ITEMS})
    server = serve_in_thread(sim.app)
    yield sim, server
    server.stop()


def api(server: ServerHandle, path: str, pagination: dict[str, Any] | None = None, **extra: Any) -> HttpJsonClient:
    settings = {"url": server.url + path, "auth": {"type": "bearer"}, "pagination": pagination or {"type": "none"},
                **FAST, **extra}
    return HttpJsonClient(settings, {"token": "tok-1"}, name="sim")


@pytest.mark.parametrize("path,pagination,items_path", [
    ("/api/all", None, ""),
    ("/api/pages", {"type": "page", "page_size": 5}, "items"),
    ("/api/cursor", {"type": "cursor", "page_size": 7, "size_param": "limit"}, "items"),
    ("/api/link", {"type": "link"}, ""),
])
def test_every_pagination_style_reads_the_whole_catalogue(supplier, path, pagination, items_path) -> None:
    sim, server = supplier
    link_url = path + "?per_page=4" if path == "/api/link" else path
    rows, fetched = read(api(server, link_url, pagination, items_path=items_path))
    assert [r.sku for r in rows] == [i["sku"] for i in ITEMS]
    assert rows[5] == SupplierRow("SKU-005", 1, date(2026, 12, 6), 10, line=6)
    assert fetched.bad.count == 0 and not fetched.unchanged


def test_an_unchanged_catalogue_costs_only_304s_and_a_change_is_read_again(supplier) -> None:
    sim, server = supplier
    client = api(server, "/api/pages", {"type": "page", "page_size": 10}, items_path="items")
    _, first = read(client)
    assert len(first.page_state["pages"]) == 3
    sim.requests.clear()
    rows, second = read(client, first.validators, first.page_state)
    assert rows == [] and second.unchanged
    assert dict(sim.requests) == {"304": 3}
    sim.set_stock({"sku": "SKU-012", "restock_date": "2027-01-15"})
    rows, third = read(client, second.validators, second.page_state)
    assert not third.unchanged
    assert [r.sku for r in rows] == [f"SKU-{n:03d}" for n in range(10, 20)]  # only the changed page
    assert next(r for r in rows if r.sku == "SKU-012").restock_date == date(2027, 1, 15)


@pytest.mark.parametrize("auth,secret", [
    ({"type": "basic", "username": "shop"}, {"password": "pw"}),
    ({"type": "api_key", "header": "X-Supplier-Key"}, {"api_key": "k-9"}),
])
def test_basic_and_api_key_auth_are_sent(auth, secret) -> None:
    sim = SupplierSimulator({"auth": {**auth, "username": "shop", "password": "pw", "api_key": "k-9"},
                             "items": ITEMS[:2]})
    server = serve_in_thread(sim.app)
    try:
        rows, _ = read(HttpJsonClient({"url": server.url + "/api/all", "auth": auth, **FAST}, secret))
        assert len(rows) == 2
        with pytest.raises(SupplierRejected, match="401"):
            read(HttpJsonClient({"url": server.url + "/api/all", "auth": auth, **FAST},
                                {k: "wrong" for k in secret}))
    finally:
        server.stop()


def test_5xx_answers_are_retried_with_backoff_then_succeed(supplier) -> None:
    sim, server = supplier
    sim.inject(status=503, count=2)
    rows, _ = read(api(server, "/api/all"))
    assert len(rows) == len(ITEMS)
    assert sim.requests["503"] == 2


def test_a_supplier_that_keeps_failing_raises_unavailable(supplier) -> None:
    sim, server = supplier
    sim.inject(status=502, count=10)
    with pytest.raises(SupplierUnavailable, match="502 after 3 attempts"):
        read(api(server, "/api/all"))


def test_a_supplier_that_times_out_is_retried_and_then_unavailable(supplier) -> None:
    sim, server = supplier
    sim.inject(delay=1.0, count=2)
    with pytest.raises(SupplierUnavailable, match="ReadTimeout"):
        read(api(server, "/api/all", timeout_seconds=0.3, max_attempts=2))


def test_bad_json_records_are_reported_with_position_and_skipped(supplier) -> None:
    sim, server = supplier
    sim.set_stock({"sku": "SKU-001", "quantity": "lots"}, {"sku": "SKU-002", "restock_date": "next week"})
    rows, fetched = read(api(server, "/api/all"))
    assert len(rows) == len(ITEMS) - 2
    assert [(b.line, b.reason) for b in fetched.bad.kept] == [
        (2, "quantity: not a number: 'lots'"), (3, "restock date: unrecognised date 'next week'")]


def test_oracle_stock_status_maps_to_a_row() -> None:
    path = shared_fixture("supplier/oracle_commerce_stock_status_response.json")
    sim_body = path.read_bytes()
    from flask import Flask

    app = Flask("oracle")
    app.add_url_rule("/ccstore/v1/stockStatus/xprod2138", "s", lambda: (sim_body, 200,
                                                                        {"Content-Type": "application/json"}))
    server = serve_in_thread(app)
    try:
        client = HttpJsonClient({"url": server.url + "/ccstore/v1/stockStatus/xprod2138", **FAST,
                                 "mapping": {"sku": "catRefId", "quantity": "inStockQuantity",
                                             "restock_date": "availabilityDate", "lead_time_days": None}})
        rows, _ = read(client)
        assert rows == [SupplierRow("xsku2138", 12, None, None, line=1)]
    finally:
        server.stop()


def test_the_configured_items_path_must_exist(supplier) -> None:
    _, server = supplier
    with pytest.raises(SupplierFeedInvalid, match="no 'data'"):
        read(api(server, "/api/pages", {"type": "page", "page_size": 5}, items_path="data"))


def test_an_unknown_auth_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="auth.type"):
        HttpJsonClient({"url": "https://x.example/stock", "auth": {"type": "oauth"}})


# -- feeds ----------------------------------------------------------------------------------------

RESTOCK_MAPPING = {"sku": "sku", "quantity": "quantityOnStock", "restock_date": "expectedDelivery",
                   "lead_time_days": "restockableInDays"}


def test_commercetools_restock_feed_with_negative_quantities_and_timestamps() -> None:
    path = shared_fixture("supplier/commercetools_stock_import__readme_restock_example.csv")
    rows, fetched = read(FeedClient({"source": str(path), "mapping": RESTOCK_MAPPING}))
    assert rows[1] == SupplierRow("bar", -1, date(2016, 10, 27), 3, line=3)
    assert len(rows) == 3 and fetched.bad.count == 0


def test_commercetools_plain_stock_feed_without_date_columns() -> None:
    path = shared_fixture("supplier/commercetools_stock_import__example.csv")
    rows, _ = read(FeedClient({"source": str(path), "mapping": {"quantity": "quantityOnStock"}}))
    assert [(r.sku, r.quantity, r.restock_date) for r in rows] == [("foo", 9, None), ("bar", -1, None),
                                                                   ("SKU-123", 42, None)]


def test_google_merchant_availability_date_formats_parse() -> None:
    import json

    spec = json.loads(shared_fixture("supplier/google_merchant_availability_attributes.json").read_text())
    from adapters.suppliers.mapping import parse_date

    assert parse_date(spec["availability_date"]["example_text_tsv"]) == date(2016, 12, 25)
    assert parse_date("2016-11-25T13:00-0800") == date(2016, 11, 25)


def test_utf8_with_bom_latin1_and_tsv_feeds(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfsku,quantity,restock_date\nCAF\xc3\x89-1,2,2026-12-01\n")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("sku;quantity;restock_date\nCAFÉ-1;3;01.12.2026\n".encode("latin-1"))
    tsv = tmp_path / "feed.tsv"
    tsv.write_text("sku\tquantity\nCAFÉ-1\t4\n", encoding="utf-8")
    assert read(FeedClient({"source": str(bom)}))[0] == [SupplierRow("CAFÉ-1", 2, date(2026, 12, 1), None, 2)]
    latin_client = FeedClient({"source": str(latin), "encoding": "latin-1", "date_formats": ["%d.%m.%Y"]})
    assert read(latin_client)[0] == [SupplierRow("CAFÉ-1", 3, date(2026, 12, 1), None, 2)]
    assert read(FeedClient({"source": str(tsv)}))[0] == [SupplierRow("CAFÉ-1", 4, None, None, 2)]


def test_a_latin1_feed_read_as_utf8_is_refused_whole(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("sku,quantity\nCAFÉ-1,3\n".encode("latin-1"))
    with pytest.raises(SupplierFeedInvalid, match="latin-1"):
        read(FeedClient({"source": str(latin)}))


def test_bad_rows_are_reported_with_line_number_and_reason(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,quantity,restock_date,lead_time_days\n"
                    "A,1,2026-12-01,3\n"
                    ",2,,\n"
                    "B,two,,\n"
                    "C,3,31/31/2026,\n"
                    "D,4\n"
                    "\n"
                    "E,5,,-2\n"
                    "F,6,,\n", encoding="utf-8")
    rows, fetched = read(FeedClient({"source": str(feed)}))
    assert [r.sku for r in rows] == ["A", "F"]
    assert rows[1].line == 9
    assert [(b.line, b.reason) for b in fetched.bad.kept] == [
        (3, "missing SKU"), (4, "quantity: not a number: 'two'"),
        (5, "restock date: unrecognised date '31/31/2026'"), (6, "expected 4 columns, got 2"),
        (8, "negative lead time -2")]


def test_a_feed_without_the_sku_column_is_refused(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("item,quantity\nA,1\n", encoding="utf-8")
    with pytest.raises(SupplierFeedInvalid, match="no sku column 'sku'"):
        read(FeedClient({"source": str(feed)}))


def test_an_unchanged_local_file_is_not_read_again(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,quantity\nA,1\n", encoding="utf-8")
    client = FeedClient({"source": str(feed)})
    _, first = read(client)
    rows, second = read(client, first.validators)
    assert rows == [] and second.unchanged


def test_csv_over_http_with_etag_and_tab_and_latin1(supplier) -> None:
    sim, server = supplier
    sim.set_stock({"sku": "CAFÉ-9", "quantity": 1})
    client = FeedClient({"source": server.url + "/feed.csv?delimiter=tab&encoding=latin-1", "encoding": "latin-1",
                         "auth": {"type": "bearer"}, **FAST}, {"token": "tok-1"})
    rows, first = read(client)
    assert len(rows) == len(ITEMS) + 1 and rows[0].sku == "CAFÉ-9"
    again, second = read(client, first.validators)
    assert again == [] and second.unchanged
    assert sim.requests["304"] == 1


def test_csv_over_http_5xx_retried_then_unavailable(supplier) -> None:
    sim, server = supplier
    sim.inject(status=500, count=5)
    client = FeedClient({"source": server.url + "/feed.csv", "auth": {"type": "bearer"}, **FAST},
                        {"token": "tok-1"})
    with pytest.raises(SupplierUnavailable):
        read(client)
    assert sim.requests["500"] == 3


def test_feed_over_a_real_sftp_server(tmp_path: Path) -> None:
    from tests.support.sftp import SftpServer

    (tmp_path / "out").mkdir()
    feed = tmp_path / "out" / "stock.csv"
    feed.write_bytes(b"\xef\xbb\xbfsku,quantity,restock_date\nA,0,2026-12-24\nB,5,\n")
    server = SftpServer(tmp_path)
    try:
        settings = {"source": server.url("/out/stock.csv"), "host_key": server.host_key_line, **FAST}
        client = FeedClient(settings, {"password": "s3cret"})
        rows, first = read(client)
        assert rows == [SupplierRow("A", 0, date(2026, 12, 24), None, 2), SupplierRow("B", 5, None, None, 3)]
        again, second = read(client, first.validators)
        assert again == [] and second.unchanged
        with pytest.raises(SupplierRejected, match="authentication failed"):
            read(FeedClient(settings, {"password": "nope"}))
        with pytest.raises(SupplierRejected, match="no file"):
            read(FeedClient({**settings, "source": server.url("/out/missing.csv")}, {"password": "s3cret"}))
    finally:
        server.stop()


def test_an_unreachable_sftp_server_is_retried_then_unavailable() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = FeedClient({"source": f"sftp://u@127.0.0.1:{port}/x.csv", **FAST}, {"password": "p"})
    with pytest.raises(SupplierUnavailable, match="after 3 attempts"):
        read(client)
