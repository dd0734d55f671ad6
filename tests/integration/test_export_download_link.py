"""The download link in a customer data export e-mail opens for the merchant without signing in:
unguessable, expiring, for that export only (issue 11 item 15).

Through the real Flask app (tests/support/webapp.py) and a real SMTP server on loopback: the link is taken
from the e-mail the SMTP server accepted and opened with no Authorization header.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from connector.db.models import Shop
from connector.domain.clock import utcnow
from connector.install.models import DataExport
from connector.privacy import privacy
from jobs import install as install_jobs
from sandbox.shopify_sim.oauth import session_token
from sandbox.smtp_sink import SmtpSink
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp

CONTACT = "owner@signed-shop.example"
API_KEY = "test-app-key"
APP_URL = "https://connector.example"
LINK = re.compile(r"(https://connector\.example/privacy/exports/\d+\?token=\S+)")


@pytest.fixture
def web(database_url: str, sink: SmtpSink):  # type: ignore[no-untyped-def]
    webapp = make_webapp(database_url, smtp_url=f"smtp://{sink.host}:{sink.port}", app_url=APP_URL,
                         privacy_export_link_days=7, shopify_api_key=API_KEY)
    with webapp.container.uow() as uow:
        for shop_id in (webapp.shop_id, webapp.store_id):
            uow.session.get(Shop, shop_id).contact_email = CONTACT  # type: ignore[union-attr]
        uow.commit()
    yield webapp
    webapp.container.close()


def export(web: WebApp, request_id: str, shop_id: int | None = None) -> int:
    return privacy.export_customer(web.container, shop_id or web.shop_id,
                                   privacy.Customer("ada@example.com", (), "c-1"), request_id)


def emailed_link(web: WebApp, sink: SmtpSink, export_id: int) -> str:
    """Run the export e-mail job and take the link out of the e-mail the SMTP server accepted."""
    before = len(sink.messages)
    assert install_jobs.email_export(export_id) is True
    message = sink.messages[before]
    assert message.recipients == [CONTACT]
    found = LINK.search(message.part("plain"))
    assert found, message.part("plain")
    return found.group(1)


def get(web: WebApp, link: str, **headers: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(link)
    return web.client.get(f"{parts.path}?{parts.query}", headers=headers)


def test_the_emailed_link_opens_the_export_without_signing_in(web, sink):
    export_id = export(web, "req-1")
    link = emailed_link(web, sink, export_id)
    answer = get(web, link)
    assert answer.status_code == 200, answer.text
    with web.container.uow() as uow:
        stored = uow.session.get(DataExport, export_id).content  # type: ignore[union-attr]
    assert json.loads(answer.data) == json.loads(stored) and json.loads(answer.data)["request_id"] == "req-1"
    assert "attachment" in answer.headers["Content-Disposition"] and answer.headers["Cache-Control"] == "no-store"


def test_the_email_says_until_when_the_link_opens(web, sink):
    export_id = export(web, "req-when")
    emailed_link(web, sink, export_id)
    with web.container.uow() as uow:
        expires = uow.session.get(DataExport, export_id).link_expires_at  # type: ignore[union-attr]
    assert expires is not None and timedelta(days=6, hours=23) < expires - utcnow() <= timedelta(days=7)
    assert expires.strftime("%Y-%m-%d %H:%M UTC") in sink.messages[-1].part("plain")


def test_a_link_with_one_character_changed_is_refused(web, sink):
    link = emailed_link(web, sink, export(web, "req-2"))
    last = link[-1]
    tampered = link[:-1] + ("A" if last != "A" else "B")
    answer = get(web, tampered)
    assert answer.status_code == 404 and answer.json == {"error": "no such export"}
    expires_changed = re.sub(r"token=(\d+)", lambda m: f"token={int(m.group(1)) + 86400}", link)
    assert expires_changed != link and get(web, expires_changed).status_code == 404


def test_the_token_of_one_export_does_not_open_another(web, sink):
    first = emailed_link(web, sink, export(web, "req-3"))
    second_id = export(web, "req-4")
    emailed_link(web, sink, second_id)
    other = re.sub(r"/privacy/exports/\d+", f"/privacy/exports/{second_id}", first)
    answer = get(web, other)
    assert answer.status_code == 404 and answer.json == {"error": "no such export"}


def test_the_token_of_another_shops_export_opens_only_that_export(web, sink):
    mine = export(web, "req-5")
    theirs_link = emailed_link(web, sink, export(web, "req-6", shop_id=web.store_id))
    assert get(web, theirs_link).status_code == 200  # their merchant's link works for them
    aimed_at_mine = re.sub(r"/privacy/exports/\d+", f"/privacy/exports/{mine}", theirs_link)
    assert get(web, aimed_at_mine).status_code == 404


def test_no_token_or_a_guessed_one_is_refused(web, sink):
    export_id = export(web, "req-7")
    emailed_link(web, sink, export_id)
    for query in ("", "?token=", "?token=guess", "?token=1.abc", "?token=" + "9" * 500):
        answer = web.client.get(f"/privacy/exports/{export_id}{query}")
        assert answer.status_code == 404, query


def test_after_it_expires_the_link_is_refused_with_a_clear_message(web, sink, monkeypatch):
    export_id = export(web, "req-8")
    link = emailed_link(web, sink, export_id)
    assert get(web, link).status_code == 200
    later = utcnow() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(privacy, "utcnow", lambda: later)  # the clock the download checks, moved on
    answer = get(web, link)
    assert answer.status_code == 410
    assert "download link expired on" in answer.text and "open the export from the app" in answer.text
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert get(web, tampered).status_code == 404  # expiry is told only to a genuine link


def test_the_app_with_its_session_token_still_opens_the_export(web, sink):
    export_id = export(web, "req-9")
    link = emailed_link(web, sink, export_id)
    mine = {"Authorization": "Bearer " + session_token(SHOP, API_KEY, SHOPIFY_SECRET)}
    assert get(web, link, **mine).status_code == 200
    assert get(web, link, Authorization="Bearer forged.session.token").status_code == 401
