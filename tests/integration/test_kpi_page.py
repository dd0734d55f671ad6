"""The KPI page (/app/kpis) over HTTP (Flask's client, SQLite and PostgreSQL): the hand-computed history of
tests/support/kpi_data.py shown for its period with every chart an SVG image with a title and description and
its numbers in tables; the period picker keeps the session; a backwards period is refused with a message and
the default period shown; another shop sees none of it; the nav links to it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest

from tests.support.kpi_data import FROM, TO, add_history
from tests.support.merchant import API_KEY, app_path, session_token
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    app = make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example")
    yield app
    app.container.close()


def page(web: WebApp, **params: str) -> tuple[int, str]:
    answer = web.client.get(app_path("/app/kpis", SHOP, session_token(SHOP, SHOPIFY_SECRET), **params))
    return answer.status_code, answer.get_data(as_text=True)


def cells(html: str, testid: str) -> list[list[str]]:
    """The rows (header cell and data cells, text only) of the tables in the section ``testid``."""
    section = html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
            for r in rows]


def test_the_kpi_page_shows_every_kpi_of_the_period_as_a_chart_and_a_table(web: WebApp) -> None:
    add_history(web.container.uow(), web.shop_id)
    status, html = page(web, **{"from": FROM.isoformat(), "to": TO.isoformat()})
    assert status == 200, html
    assert "2026-11-02 to 2026-11-29 (28 days, UTC)" in html
    assert cells(html, "kpi-open") == [["Backorders", "3"], ["Units", "5"], ["Value (EUR)", "30.00"],
                                       ["Value (USD)", "5.00"], ["Units without a price", "1"]]
    assert cells(html, "kpi-weekly")[1:] == [["2026-W45", "2", "1"], ["2026-W46", "1", "2"],
                                             ["2026-W47", "2", "0"], ["2026-W48", "1", "1"]]
    assert cells(html, "kpi-fill") == [["Filled", "3"], ["Median (days)", "3.0"], ["90th percentile (days)", "10.0"],
                                       ["Within 7 days", "67%"]]
    assert cells(html, "kpi-fill-trend")[1:] == [["2026-W45", "1", "3.0"], ["2026-W46", "2", "6.0"],
                                                 ["2026-W47", "0", "—"], ["2026-W48", "0", "—"]]
    assert cells(html, "kpi-suppliers")[1] == ["Acme", "3", "2.0", "1.63", "33%", "2", "1 (50%)"]
    assert [r[0] for r in cells(html, "kpi-skus")[1:3]] == ["MUG", "CUP"]
    assert "review ordering" in cells(html, "kpi-skus")[1][-1]  # 4.29 a month, default threshold 4
    assert ["Consolation codes issued", "1"] in cells(html, "kpi-messages")
    assert ["Cancelled after a delay notice", "1"] in cells(html, "kpi-messages")
    assert cells(html, "kpi-dropship")[:3] == [["Fulfilled backorders", "3"], ["Drop-shipped", "1"],
                                               ["Margin (EUR)", "8.00"]]

    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 6
    for svg in svgs:  # well-formed, an image named by its title and description
        root = ElementTree.fromstring(svg)
        ident = root.get("id")
        assert root.get("role") == "img" and root.get("aria-labelledby") == f"{ident}-title {ident}-desc"
        ns = "{http://www.w3.org/2000/svg}"
        assert root.find(f"{ns}title").text and root.find(f"{ns}desc").text  # type: ignore[union-attr]
    weekly = ElementTree.fromstring(svgs[0])
    assert len(weekly.findall(".//{http://www.w3.org/2000/svg}circle")) == 8  # 4 weeks x opened, closed
    assert "<script" not in html.split("</head>", 1)[1]  # no script in the page body: charts are drawn on the server


def test_the_period_picker_keeps_the_session_and_a_backwards_period_is_refused(web: WebApp) -> None:
    status, html = page(web)
    assert status == 200 and "(90 days, UTC)" in html
    form = html.split('<form method="get" action="/app/kpis"', 1)[1].split("</form>", 1)[0]
    assert 'name="id_token"' in form and 'name="shop"' in form and 'name="from"' in form and 'name="to"' in form
    assert '<label for="p-from">' in form and '<label for="p-to">' in form
    status, html = page(web, **{"from": "2026-11-10", "to": "2026-11-01"})
    assert status == 400 and "That period cannot be shown" in html and "(90 days, UTC)" in html
    status, html = page(web, **{"from": "yesterday"})
    assert status == 400 and "That period cannot be shown" in html


def test_another_shop_sees_only_its_own_kpis_and_the_nav_links_the_page(web: WebApp) -> None:
    add_history(web.container.uow(), web.store_id)  # the WooCommerce store's history, not the Shopify shop's
    status, html = page(web, **{"from": FROM.isoformat(), "to": TO.isoformat()})
    assert status == 200
    assert cells(html, "kpi-open")[:2] == [["Backorders", "0"], ["Units", "0"]]
    assert cells(html, "kpi-fill")[0] == ["Filled", "0"]
    assert re.search(r'<a href="/app/kpis\?[^"]*" aria-current="page">KPIs</a>', html)
