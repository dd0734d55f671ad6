"""`connector suppliers push-secret NAME --shop S [--off]` as an operator runs it: the key made, then push
turned off as the app's "Turn push off" does (URL and key gone, a push refused with 401), and --off again
saying it was off already. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from connector.cli import main
from connector.supply import suppliers
from connector.supply.models import Supplier
from connector.supply.push import signature
from tests.support.webapp import SHOP, make_webapp


def test_push_secret_off_turns_a_suppliers_push_off_from_the_command_line(database_url: str) -> None:
    web = make_webapp(database_url)
    try:
        c = web.container
        supplier_id = suppliers.add_supplier(c.uow(), c.box, web.shop_id, {
            "name": "Acme Tea", "kind": "http_json", "settings": {"url": "https://acme.example/api"}},
            clients=c.supplier_client)
        env = {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": c.settings.secret_key or "",
               "CONNECTOR_APP_URL": "https://connector.example", "CONNECTOR_CONFIG": ""}

        def cli(*args: str) -> str:
            result = CliRunner().invoke(main, ["suppliers", "push-secret", "Acme Tea", "--shop", SHOP, *args], env=env)
            assert result.exit_code == 0, result.output
            return result.output

        made = cli()
        url = made.split("push URL ", 1)[1].split()[0].removeprefix("https://connector.example")
        key = made.split("give it to the supplier): ", 1)[1].split()[0]
        assert "Acme Tea: push turned off" in cli("--off")
        with c.uow() as uow:
            row = uow.session.get(Supplier, supplier_id)  # type: ignore[union-attr]
            assert row is not None and (row.push_token, row.push_secret) == (None, None)
        body = json.dumps({"id": "e-1", "sent_at": datetime.now(UTC).isoformat(), "event": "changed"}).encode()
        refused = web.client.post(url, data=body, headers={"Content-Type": "application/json",
                                                           "X-Supplier-Event-Id": "e-1",
                                                           "X-Supplier-Hmac-Sha256": signature(body, key)})
        assert refused.status_code == 401
        assert "Acme Tea: push was off already" in cli("--off")
    finally:
        web.container.close()
