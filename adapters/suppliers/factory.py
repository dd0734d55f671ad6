"""Builds the SupplierClient for a supplier row's kind and settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.domain.errors import ConfigError
from connector.ports import SupplierClient

KINDS = ("http_json", "feed")


def build_supplier_client(kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None,
                          *, name: str) -> SupplierClient:
    if kind == "http_json":
        from adapters.suppliers.http_json import HttpJsonClient

        return HttpJsonClient(settings, secret, name=name)
    if kind == "feed":
        from adapters.suppliers.feed import FeedClient

        return FeedClient(settings, secret, name=name)
    raise ConfigError("kind", f"supplier kind must be one of {KINDS}, got {kind!r}")
