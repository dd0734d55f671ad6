"""`connector app link --shop S` as an operator runs it: the printed link opens the app once."""

from __future__ import annotations

from click.testing import CliRunner

from connector.cli import main
from tests.support.merchant import API_KEY
from tests.support.webapp import SHOP, STORE, make_webapp


def test_the_printed_link_opens_the_store_s_app_once(database_url: str) -> None:
    web = make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example")
    settings = web.container.settings
    env = {"DATABASE_URL": settings.database_url, "CONNECTOR_SECRET_KEY": settings.secret_key or "",
           "CONNECTOR_APP_URL": "https://connector.example", "CONNECTOR_CONFIG": ""}
    printed = CliRunner().invoke(main, ["app", "link", "--shop", STORE, "--user-login", "ops"], env=env)
    assert printed.exit_code == 0, printed.output
    link = printed.output.strip().splitlines()[-1]  # after the log lines
    assert link.startswith(f"https://connector.example/app/woocommerce/enter?store={web.store_id}&token=")
    path = link.removeprefix("https://connector.example")
    assert web.client.get(path).status_code == 303
    assert STORE in web.client.get("/app").get_data(as_text=True)
    assert web.client.get(path).status_code == 401


def test_a_shopify_shop_gets_no_link(database_url: str) -> None:
    web = make_webapp(database_url, app_url="https://connector.example")
    env = {"DATABASE_URL": web.container.settings.database_url,
           "CONNECTOR_SECRET_KEY": web.container.settings.secret_key or "", "CONNECTOR_CONFIG": ""}
    answer = CliRunner().invoke(main, ["app", "link", "--shop", SHOP], env=env)
    assert answer.exit_code == 1 and "open the app from their admin" in answer.output
