"""The install and connect pages as HTTP answers: who gets a page and who gets JSON, and the headers.

A browser (an Accept header naming text/html, preferred to JSON) gets a page from
connector/templates/install/; an API client (application/json, ``*/*`` or no Accept) keeps the JSON it
always had. The wording lives in connector/install/pages.py.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, render_template, request

from connector.install import pages
from connector.install.ports import InstallPorts


def wants_html() -> bool:
    """True when the client names text/html and likes it at least as much as JSON."""
    accept = request.accept_mimetypes
    html = max((quality for value, quality in accept if value == "text/html"), default=0.0)
    json = max((quality for value, quality in accept if value == "application/json"), default=0.0)
    return html > 0 and html >= json


def page(container: InstallPorts, template: str, status: int = 200, *, form_action: str = "'self'",
         **context: Any) -> Response:
    """A page with its own nonce'd stylesheet and a CSP that allows nothing else (no scripts, no frames).
    ``form_action``: where a form on it may lead, redirects included (Chromium checks those too)."""
    nonce = secrets.token_urlsafe(16)
    html = render_template(f"install/{template}", nonce=nonce, support=pages.support_email(container), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers.update({
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "X-Robots-Tag": "noindex",
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; form-action {form_action}; "
                                   "frame-ancestors 'none'; base-uri 'none'"})
    return response


def problem_page(container: InstallPorts, flow: pages.Flow, status: int, *, shop: str | None = None,
                 store: str | None = None) -> Response:
    found = pages.problem(container, flow, status, shop=shop, store=store)
    if flow.startswith("woocommerce") and status in (401, 409):
        return page(container, "not_connected.html", status, title=found.title, happened=found.happened,
                    next_step=found.next_step, store=store,
                    again_link=found.link.url if found.link else pages.connect_link(container, store))
    return page(container, "problem.html", status, code=status, title=found.title, happened=found.happened,
                next_step=found.next_step, link=found.link)
