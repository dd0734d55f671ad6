"""The Settings and Jobs pages over HTTP (Flask's client, a real database on SQLite and PostgreSQL):
every setting shown and saved per group with its audit trail, bad values refused beside their field with
nothing saved, the scope checks of the CLI; jobs listed with their runs, "run now" recorded and followed
to done, scoped to the shop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from connector.db import job_runs
from connector.domain.clock import utcnow
from connector.settings_registry import FEATURE_SETTINGS, registry
from connector.shop_settings import get_setting, setting_changes
from tests.support.merchant import API_KEY, app_path, bearer, csrf_token, session_token, woo_link
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    yield make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example",
                      shopify_admin_base="http://127.0.0.1:9", http_max_attempts=1)


def token(user: str = "73") -> str:
    return session_token(SHOP, SHOPIFY_SECRET, user=user)


def page(web: WebApp, path: str, **params: Any) -> tuple[int, str]:
    answer = web.client.get(app_path(path, SHOP, token(), **params))
    return answer.status_code, answer.get_data(as_text=True)


def post(web: WebApp, path: str, data: dict[str, Any], user: str = "73") -> Any:
    first = token(user)
    html = web.client.get(app_path("/app/settings", SHOP, first)).get_data(as_text=True)
    return web.client.post(app_path(path, SHOP, first), data={"csrf_token": csrf_token(html), **data})


def group_form(web: WebApp, slug: str) -> dict[str, Any]:
    """What the browser would submit for the group as the page shows it (ticked boxes only)."""
    _, html = page(web, "/app/settings")
    section = html[html.index(f'id="{slug}"'):]
    section = section[:section.index("</form>")]
    data: dict[str, Any] = {"group": slug}
    for name, value in re.findall(r'<input type="text"[^>]*name="([^"]+)" value="([^"]*)"', section):
        data[name] = value.replace("&#34;", '"').replace("&amp;", "&")
    for name in re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="true" checked', section):
        data[name] = "true"
    for name, body in re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>(.*?)</textarea>', section, re.S):
        data[name] = body.replace("&#34;", '"').replace("&amp;", "&")
    for name, choice in re.findall(r'<select id="[^"]+" name="([^"]+)".*?<option value="([^"]+)" selected', section,
                                   re.S):
        data[name] = choice
    return data


NOTIFY = "notify-customer-messages-and-pile-up-alerts"


def test_every_setting_is_shown_under_its_feature_with_help_default_and_an_input(web: WebApp):
    status, html = page(web, "/app/settings")
    assert status == 200
    for heading, specs in FEATURE_SETTINGS:
        assert f">{heading}</h2>" in html.replace("&#39;", "'")
        for spec in specs:
            assert f'data-key="{spec.key}"' in html
    assert len(re.findall(r'data-key="', html)) == len(registry())
    assert 'type="checkbox" id="setting-dropship-enabled" name="dropship.enabled"' in html
    assert '<option value="cancel_and_refund">cancel_and_refund</option>' in html  # a choice
    assert 'type="password" id="setting-alerts-slack-webhook-url"' in html  # a secret is never shown
    assert "days ahead within which an expected date is not worth a message" in html
    assert "Default: <code>7</code>" in html


def test_saving_a_group_stores_the_changes_and_the_audit_trail_shows_who(web: WebApp):
    form = group_form(web, NOTIFY) | {"notify.grace_days": "3", "notify.delay_policy": "cancel_and_refund"}
    answer = post(web, "/app/settings", form, user="4242")
    assert answer.status_code == 303 and f"saved={NOTIFY}" in answer.headers["Location"]
    assert get_setting(web.container.uow(), web.shop_id, "notify.grace_days") == 3
    assert get_setting(web.container.uow(), web.shop_id, "notify.delay_policy") == "cancel_and_refund"
    changes = setting_changes(web.container.uow(), web.shop_id)
    assert sorted(ch.key for ch in changes) == ["notify.delay_policy", "notify.grace_days"]  # nothing else pinned
    assert {(ch.actor, ch.source) for ch in changes} == {("shopify:4242", "app")}
    _, html = page(web, "/app/settings", saved=NOTIFY)
    recent = html[html.index('data-testid="recent-changes"'):]
    assert "notify.grace_days</code>:" in recent and "shopify:4242" in recent
    assert "<code>7</code> (default) &rarr; <code>3</code>" in recent
    _, history = page(web, "/app/settings/changes", key="notify.grace_days")
    assert "shopify:4242" in history and "notify.delay_policy" not in history


def test_a_bad_value_is_refused_beside_its_field_and_nothing_in_the_group_is_saved(web: WebApp):
    form = group_form(web, NOTIFY) | {"notify.grace_days": "2", "notify.delay_policy": "cancel_and_refund",
                                      "alerts.thresholds": '{"count": "many"}', "notify.shipping_promise_days": "x"}
    answer = post(web, "/app/settings", form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Nothing in this group was saved" in html
    assert "notify.shipping_promise_days: &#39;x&#39; is not a whole number" in html
    assert get_setting(web.container.uow(), web.shop_id, "notify.grace_days") == 7
    assert setting_changes(web.container.uow(), web.shop_id) == []
    assert 'name="notify.shipping_promise_days" value="x" aria-describedby' in html  # what was typed is kept
    # the number fixed, the validator of the setting itself speaks (the same message as `connector shops set`)
    answer = post(web, "/app/settings", form | {"notify.shipping_promise_days": "30"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "bad value {&#39;count&#39;: &#39;many&#39;} for shop setting &#39;alerts.thresholds&#39;" in html
    assert setting_changes(web.container.uow(), web.shop_id) == []


def test_bad_json_is_named_with_its_setting(web: WebApp):
    form = group_form(web, NOTIFY) | {"notify.consolation": "{min_slip_days: 3"}
    html = post(web, "/app/settings", form).get_data(as_text=True)
    assert "notify.consolation: not valid JSON" in html


def test_a_setting_needing_scopes_the_shop_did_not_grant_is_refused_with_the_reauthorisation_link(web: WebApp):
    from connector.db.models import Shop

    with web.container.uow() as uow:
        shop = uow.session.get(Shop, web.shop_id)  # type: ignore[union-attr]
        shop.scopes, shop.scopes_checked_at = "read_orders,write_orders,read_products,write_products", utcnow()
        uow.commit()
    slug = next(s for s in re.findall(r'name="group" value="([^"]+)"', page(web, "/app/settings")[1])
                if "selling-plans" in s)
    answer = post(web, "/app/settings", group_form(web, slug) | {"payments.route": "selling_plan"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "write_purchase_options" in html and "Re-authorise the app" in html
    link = re.search(r'<a href="([^"]+)" target="_top">Re-authorise the app</a>', html).group(1)
    assert "/admin/oauth/authorize?" in link and f"shop={SHOP}" in link and "write_purchase_options" in link
    assert get_setting(web.container.uow(), web.shop_id, "payments.route") == "none"


def test_a_woocommerce_merchant_saves_settings_as_its_wordpress_user(web: WebApp):
    link = woo_link(web.container, web.store_id, user_id="5", user_login="ann")
    opened = web.client.get(link.removeprefix("https://connector.example"))
    assert opened.status_code == 303
    html = web.client.get("/app/settings").get_data(as_text=True)
    answer = web.client.post("/app/settings", data={"csrf_token": csrf_token(html), "group": "supply-expected-dates",
                                                    "dates.buffer_days": "2", "dates.holidays": "2026-12-25\n",
                                                    "dates.timezone": "Europe/Amsterdam"})
    assert answer.status_code == 303
    (ch, *_) = setting_changes(web.container.uow(), web.store_id, key="dates.buffer_days")
    assert (ch.actor, ch.new_value) == ("woocommerce:5:ann", 2)
    assert get_setting(web.container.uow(), web.store_id, "dates.holidays") == ["2026-12-25"]
    assert get_setting(web.container.uow(), web.store_id, "dates.business_days") is False  # unticked, unchanged


# -- Jobs ---------------------------------------------------------------------------------------------

def finish(web: WebApp, run_id: int, result: Any) -> None:
    job_runs.execute(web.container.engine, run_id, lambda: result, lease=timedelta(seconds=30),
                     retry_in=lambda _n: None)


def test_the_jobs_page_lists_the_merchants_jobs_and_run_now_is_followed_to_done(web: WebApp):
    status, html = page(web, "/app/jobs")
    assert status == 200
    assert "Find missed orders" in html and "Sync selling plans" in html and "Poll suppliers" in html
    first = token()
    html = web.client.get(app_path("/app/jobs", SHOP, first)).get_data(as_text=True)
    answer = web.client.post(app_path("/app/jobs/run", SHOP, first),
                             data={"csrf_token": csrf_token(html), "job": "reconcile"})
    assert answer.status_code == 303
    (run_id,) = map(int, re.search(r"runs=([0-9,]+)", answer.headers["Location"]).group(1).split(","))
    assert web.queue.jobs[-1][:2] == ("jobs.shops.reconcile", (web.shop_id,))  # queued, through the ledger
    _, html = page(web, "/app/jobs", runs=str(run_id), job="reconcile")
    assert f'data-run-status="{run_id}"' in html and ">queued<" in html and "Reload to see the progress" in html
    progress = web.client.get(f"/app/jobs/progress?runs={run_id}", headers=bearer(token())).get_json()
    assert progress["finished"] is False and progress["runs"][0]["status"] == "pending"
    from connector.capture.reconcile import ReconcileReport

    finish(web, run_id, ReconcileReport(seen=4, outcomes={"captured": 1}, marked=1))
    progress = web.client.get(f"/app/jobs/progress?runs={run_id}", headers=bearer(token())).get_json()
    assert progress["finished"] is True and progress["runs"][0]["status"] == "done"
    assert progress["runs"][0]["result"] == {"seen": 4, "outcomes": {"captured": 1}, "marked": 1, "refused": 0,
                                             "alerted": 0}
    _, html = page(web, "/app/jobs")
    history = html[html.index('id="job-reconcile"'):]
    history = history[:history.index("</section>")]
    assert f'data-run="{run_id}"' in history and "seen: 4" in history and "captured 1" in history


def test_a_failed_run_shows_its_error(web: WebApp):
    (run_id,) = web.app.extensions["merchant_jobs"].run_now(web.shop_id, "publish-dates")

    def boom() -> None:
        raise RuntimeError("the store said no")

    with pytest.raises(RuntimeError):
        job_runs.execute(web.container.engine, run_id, boom, lease=timedelta(seconds=30), retry_in=lambda _n: None)
    _, html = page(web, "/app/jobs")
    assert "RuntimeError: the store said no" in html


def test_progress_never_shows_another_shops_runs(web: WebApp):
    (theirs,) = web.app.extensions["merchant_jobs"].run_now(web.store_id, "reconcile")
    progress = web.client.get(f"/app/jobs/progress?runs={theirs}", headers=bearer(token())).get_json()
    assert progress["runs"] == []


def test_jobs_not_on_the_list_or_with_nothing_to_do_are_refused_with_a_message(web: WebApp):
    first = token()
    html = web.client.get(app_path("/app/jobs", SHOP, first)).get_data(as_text=True)
    answer = web.client.post(app_path("/app/jobs/run", SHOP, first),
                             data={"csrf_token": csrf_token(html), "job": "jobs.retention.prune"})
    assert answer.status_code == 303 and "error=" in answer.headers["Location"]
    html = web.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "no job &#39;jobs.retention.prune&#39;" in html
    answer = web.client.post(app_path("/app/jobs/run", SHOP, first), headers={"Accept": "application/json"},
                             data={"csrf_token": csrf_token(html), "job": "poll-suppliers"})
    assert answer.status_code == 400 and "no active supplier" in answer.get_json()["error"]
    woo = web.app.extensions["merchant_jobs"]
    assert "sync-selling-plans" not in [k.name for k in woo.kinds("woocommerce")]
