"""Builds the SupplierClient for a supplier row's kind and settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters import outbound
from connector.domain.errors import ConfigError
from connector.ports import SupplierClient

KINDS = ("http_json", "feed")


def build_supplier_client(kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None,
                          *, name: str) -> SupplierClient:
    check_addresses(settings)
    if kind == "http_json":
        from adapters.suppliers.http_json import HttpJsonClient

        return HttpJsonClient(settings, secret, name=name)
    if kind == "feed":
        from adapters.suppliers.feed import FeedClient

        return FeedClient(settings, secret, name=name)
    raise ConfigError("kind", f"supplier kind must be one of {KINDS}, got {kind!r}")


def check_addresses(settings: Mapping[str, Any]) -> None:
    """Refuse, when a supplier is configured, what the outbound guard would refuse when it is called:
    plain http outside development, and local files unless the operator allows them. Addresses are
    checked when connecting (a name's address can change), so no DNS lookup happens here."""
    dev = outbound.current_policy().allow_private_targets
    raw = settings.get("dropship")
    dropship: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    for key, value in (("url", settings.get("url")), ("source", settings.get("source")),
                       ("dropship.url", dropship.get("url"))):
        if not value:
            continue
        scheme = urlsplit(str(value)).scheme.lower()
        if scheme == "http" and not dev:
            raise ConfigError(key, "must be an https:// URL (plain http only in development: "
                                   "network.allow_private_targets)")
        if key == "source" and scheme in ("", "file"):
            try:
                outbound.require_local_files()
            except outbound.OutboundRefused as exc:
                raise ConfigError(key, str(exc)) from None
