"""SupplierClient over a supplier's HTTP JSON API.

Settings: ``url``; ``items_path`` (dotted path to the list of records; empty when the body is
the list, or a single object such as Oracle Commerce's stockStatus); ``pagination``
``{type: none|page|cursor|link, page_param, size_param, page_size, start, cursor_param,
next_cursor_path}``; ``auth`` (see adapters.suppliers.transport); ``mapping``; ``date_formats``.

Every request is conditional: each page's ETag / Last-Modified and where it led are kept
(``page_state``), so an unchanged page answers 304 and costs no parsing, and an unchanged
catalogue costs one 304 per page and no writes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import requests

from adapters.suppliers.mapping import FieldMapping, lookup, to_row
from adapters.suppliers.transport import auth_headers, conditional_headers, make_transport, supplier_request
from connector.domain.errors import ConfigError, InvalidPayload, SupplierFeedInvalid, SupplierRejected
from connector.domain.supply import BadRows, SupplierFetch, SupplierRow, Validators

log = logging.getLogger(__name__)

PAGINATION_TYPES = ("none", "page", "cursor", "link")
MAX_PAGES = 100_000


class HttpJsonClient:
    def __init__(self, settings: Mapping[str, Any], secret: Mapping[str, Any] | None = None,
                 *, name: str = "supplier") -> None:
        url = settings.get("url")
        if not url or urlsplit(str(url)).scheme not in ("http", "https"):
            raise ConfigError("url", f"must be an http(s) URL, got {url!r}")
        self.url = str(url)
        self.name = name
        self.items_path = str(settings.get("items_path") or "")
        self.pagination = dict(settings.get("pagination") or {"type": "none"})
        if self.pagination.get("type", "none") not in PAGINATION_TYPES:
            raise ConfigError("pagination.type", f"must be one of {PAGINATION_TYPES}")
        self.mapping = FieldMapping.from_settings(settings)
        self.headers = {"Accept": "application/json", **auth_headers(settings.get("auth"), secret)}
        self.transport = make_transport(f"supplier {name}", settings)

    def fetch(self, validators: Validators | None = None,
              page_state: Mapping[str, Any] | None = None) -> AbstractContextManager[SupplierFetch]:
        return self._fetch(page_state or {})

    @contextmanager
    def _fetch(self, page_state: Mapping[str, Any]) -> Iterator[SupplierFetch]:
        result = SupplierFetch(unchanged=True, rows=iter(()), bad=BadRows())
        result.rows = self._rows(result, page_state)
        yield result

    # -- paging -----------------------------------------------------------------------------------

    def _first_key(self) -> str:
        kind = self.pagination.get("type", "none")
        if kind == "page":
            return str(self.pagination.get("start", 1))
        if kind == "cursor":
            return ""
        return self.url

    def _request_url(self, key: str) -> str:
        kind = self.pagination.get("type", "none")
        params: dict[str, Any] = {}
        if kind == "page":
            params[str(self.pagination.get("page_param", "page"))] = key
        if kind in ("page", "cursor") and self.pagination.get("page_size"):
            params[str(self.pagination.get("size_param", "per_page"))] = self.pagination["page_size"]
        if kind == "cursor" and key:
            params[str(self.pagination.get("cursor_param", "cursor"))] = key
        if kind == "link":
            return key
        if not params:
            return self.url
        parts = urlsplit(self.url)
        query = "&".join(q for q in (parts.query, urlencode(params)) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def _next_key(self, key: str, body: Any, items: list[Any], response: requests.Response) -> str | None:
        kind = self.pagination.get("type", "none")
        if kind == "page":
            size = self.pagination.get("page_size")
            if not items or (size and len(items) < int(size)):
                return None
            return str(int(key) + 1)
        if kind == "cursor":
            cursor = lookup(body, str(self.pagination.get("next_cursor_path", "next_cursor"))) \
                if isinstance(body, Mapping) else None
            return str(cursor) if cursor else None
        if kind == "link":
            target = response.links.get("next", {}).get("url")
            if not target:
                return None
            absolute = urljoin(key, target)
            if urlsplit(absolute).netloc != urlsplit(self.url).netloc:
                raise SupplierRejected(f"supplier {self.name}: Link rel=next points to another host")
            return absolute
        return None

    def _rows(self, result: SupplierFetch, page_state: Mapping[str, Any]) -> Iterator[SupplierRow]:
        stored = {p["key"]: p for p in page_state.get("pages", []) if isinstance(p, Mapping)}
        pages: list[dict[str, Any]] = []
        key: str | None = self._first_key()
        position = 0
        while key is not None and len(pages) < MAX_PAGES:
            known = stored.get(key)
            validators = Validators(known.get("etag"), known.get("last_modified")) if known else None
            response = supplier_request(self.transport, "GET", self._request_url(key),
                                        headers={**self.headers, **conditional_headers(validators)})
            if response.status_code == 304 and known is not None:
                pages.append(dict(known))
                position += int(known.get("count", 0))
                key = known.get("next")
                continue
            body = _json(response, self.name)
            items = self._items(body)
            result.unchanged = False
            for item in items:
                position += 1
                if not isinstance(item, Mapping):
                    result.bad.add(position, f"record is a {type(item).__name__}, not an object")
                    continue
                try:
                    yield to_row(item, self.mapping, position)
                except InvalidPayload as exc:
                    result.bad.add(position, str(exc))
            next_key = self._next_key(key, body, items, response)
            pages.append({"key": key, "etag": response.headers.get("ETag"),
                          "last_modified": response.headers.get("Last-Modified"), "next": next_key,
                          "count": len(items)})
            key = next_key
        result.page_state = {"pages": pages}
        first = pages[0] if pages else {}
        result.validators = Validators(first.get("etag"), first.get("last_modified"))

    def _items(self, body: Any) -> list[Any]:
        data = lookup(body, self.items_path) if self.items_path and isinstance(body, Mapping) else body
        if data is None and self.items_path:
            raise SupplierFeedInvalid(f"supplier {self.name}: response has no {self.items_path!r}")
        if isinstance(data, Mapping):
            return [data]
        if not isinstance(data, list):
            raise SupplierFeedInvalid(f"supplier {self.name}: expected a list of records, got {type(data).__name__}")
        return data


def _json(response: requests.Response, name: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SupplierFeedInvalid(f"supplier {name}: answered {response.status_code} with a non-JSON body") from None
