"""The supplier form of the merchant's app: what the merchant typed, as the supplier spec that
``connector suppliers add --file spec.yaml`` takes (connector/supply/suppliers.py ``add_supplier``
checks it: one service, one set of rules), and the service's refusals put beside the field they name.

The form holds only what a merchant sets up (address, auth, column mapping, date formats, schedule,
days). Other settings of a supplier (drop-ship desk, purchasing terms, timeouts, pagination details
set from a spec file) are carried over unchanged when it is saved. The secret is never shown back:
an empty secret field keeps the stored one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from connector.domain.errors import ConfigError, ConnectorError, InvalidPayload
from connector.domain.host_key import HostKey

KINDS = (("http_json", "HTTP JSON API"), ("feed", "CSV or TSV file (https or SFTP)"))
AUTH_TYPES = (("none", "None"), ("bearer", "Bearer token"), ("basic", "User name and password"),
              ("api_key", "API key in a header"))
PAGINATION = (("none", "One answer holds everything"), ("page", "Page numbers"), ("cursor", "Next cursor"),
              ("link", "Link header (rel=next)"))
DELIMITERS = (("", "Detect"), ("comma", "Comma"), ("tab", "Tab (TSV)"), ("semicolon", "Semicolon"),
              ("pipe", "Pipe"))
SCHEDULES = (("none", "Only when polled by hand"), ("interval", "Every N minutes"), ("cron", "Cron expression"))
STATUSES = (("active", "Active"), ("paused", "Paused (not polled)"))
COLUMNS = (("sku", "SKU", "sku"), ("quantity", "Quantity in stock", "quantity"),
           ("restock_date", "Restock date", "restock_date"), ("lead_time_days", "Lead time (days)", "lead_time_days"),
           ("dropship", "Drop-ships (yes/no)", ""), ("unit_cost", "Unit cost", ""))
"""(mapping field, label, default column: empty means not read unless named)."""
SECRET_KEYS = {"bearer": "token", "basic": "password", "api_key": "api_key"}
"""Where the one secret field goes, by auth type (an SFTP feed: its password)."""
MANAGED = frozenset({"url", "items_path", "pagination", "auth", "source", "delimiter", "encoding", "username",
                     "host_key", "mapping", "date_formats", "schedule"})
"""The settings this form sets; the others a supplier has are kept as they are."""

LABELS = {
    "name": "Name", "kind": "Kind", "status": "Status", "url": "API address", "items_path": "Records at",
    "pagination": "Pages", "page_size": "Page size", "next_cursor_path": "Next cursor at",
    "auth_type": "Authentication", "auth_username": "User name", "auth_header": "Header",
    "secret_value": "API key, token or password", "private_key": "SFTP private key", "source": "File address",
    "sftp_username": "SFTP user name", "delimiter": "Delimiter", "encoding": "Encoding", "host_key": "SFTP host key",
    "date_formats": "Date formats", "schedule": "Schedule", "interval_minutes": "Minutes between polls",
    "cron": "Cron expression", "handling_days": "Handling days", "transit_days": "Transit days",
    "lead_time_days": "Lead time (days)", **{f"map_{name}": f"{label} column" for name, label, _ in COLUMNS},
}
_CONFIG_FIELDS = {
    "kind": "kind", "url": "url", "pagination.type": "pagination", "pagination.page_size": "page_size",
    "auth.type": "auth_type",
    "auth.username": "auth_username", "secret.token": "secret_value", "secret.password": "secret_value",
    "secret.api_key": "secret_value", "source": "source", "encoding": "encoding", "delimiter": "delimiter",
    "host_key": "host_key", "mapping": "map_sku", "mapping.sku": "map_sku", "settings.schedule": "schedule",
    "settings.schedule.interval_minutes": "interval_minutes", "settings.schedule.cron": "cron",
}
"""ConfigError keys (connector/supply, adapters/suppliers) -> the form field they are about."""


@dataclass
class SupplierForm:
    values: dict[str, str] = field(default_factory=dict)
    """What the form shows (and, after a POST, what was typed), by field name. Never a secret."""
    errors: dict[str, str] = field(default_factory=dict)
    """Field name -> message; ``""`` for a problem no single field holds."""
    secret_set: bool = False
    """Whether a secret is stored (shown as "set" / "not set", never its value)."""

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def refuse(self, exc: ConnectorError) -> None:
        """Put a refusal of the service beside the field it names."""
        name, message = field_of(exc)
        self.errors[name] = message

    @classmethod
    def blank(cls) -> SupplierForm:
        return cls({"kind": "http_json", "status": "active", "auth_type": "none", "pagination": "none",
                    "schedule": "interval", "interval_minutes": "60", "handling_days": "0", "transit_days": "0",
                    "map_sku": "sku"})

    @classmethod
    def of_supplier(cls, name: str, kind: str, status: str, settings: Mapping[str, Any], *, secret_set: bool,
                    handling_days: int, transit_days: int, lead_time_days: int | None) -> SupplierForm:
        auth, pages, mapping, schedule = (_block(settings, key) for key in ("auth", "pagination", "mapping",
                                                                            "schedule"))
        formats = settings.get("date_formats") or ()
        values = {
            "name": name, "kind": kind, "status": status, "url": str(settings.get("url") or ""),
            "items_path": str(settings.get("items_path") or ""), "pagination": str(pages.get("type") or "none"),
            "page_size": _text(pages.get("page_size")), "next_cursor_path": _text(pages.get("next_cursor_path")),
            "auth_type": str(auth.get("type") or "none"), "auth_username": _text(auth.get("username")),
            "auth_header": _text(auth.get("header")), "source": str(settings.get("source") or ""),
            "sftp_username": _text(settings.get("username")), "delimiter": _text(settings.get("delimiter")),
            "encoding": _text(settings.get("encoding")), "host_key": _text(settings.get("host_key")),
            "date_formats": "\n".join([formats] if isinstance(formats, str) else [str(f) for f in formats]),
            "schedule": "cron" if "cron" in schedule else "interval" if {"interval_minutes", "interval_seconds"}
            & set(schedule) else "none",
            "interval_minutes": _minutes(schedule), "cron": _text(schedule.get("cron")),
            "handling_days": str(handling_days), "transit_days": str(transit_days),
            "lead_time_days": _text(lead_time_days),
        }
        for column, _, default in COLUMNS:
            values[f"map_{column}"] = _text(mapping.get(column, default or None))
        return cls(values, secret_set=secret_set)

    @classmethod
    def posted(cls, form: Mapping[str, str], *, name: str | None = None, secret_set: bool = False) -> SupplierForm:
        """The form as posted (``name``: the stored name of the supplier being edited: it is not renamed)."""
        values = {key: str(form.get(key, "")).strip() for key in (*LABELS, "clear_secret")
                  if key not in ("secret_value", "private_key")}
        if name is not None:
            values["name"] = name
        return cls(values, secret_set=secret_set)

    def spec(self, form: Mapping[str, str], stored: Mapping[str, Any] | None = None,
             stored_secret: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The supplier spec (name, kind, settings, secret, days, status) for ``add_supplier``. ``stored``:
        the settings the supplier has now (those this form does not set are kept)."""
        v = self.get
        kept = {k: val for k, val in (stored or {}).items() if k not in MANAGED}
        settings: dict[str, Any] = dict(kept)
        kind = v("kind")
        if kind == "http_json":
            settings["url"] = v("url")
            if v("items_path"):
                settings["items_path"] = v("items_path")
            old_pages = (stored or {}).get("pagination")
            pages = dict(old_pages) if isinstance(old_pages, Mapping) else {}
            pages["type"] = v("pagination") or "none"
            pages.pop("page_size", None)
            pages.pop("next_cursor_path", None)
            if v("page_size"):
                pages["page_size"] = _number(v("page_size"))
            if v("next_cursor_path"):
                pages["next_cursor_path"] = v("next_cursor_path")
            settings["pagination"] = pages
            auth: dict[str, Any] = {"type": v("auth_type") or "none"}
            if v("auth_username"):
                auth["username"] = v("auth_username")
            if v("auth_header"):
                auth["header"] = v("auth_header")
            settings["auth"] = auth
        else:
            settings["source"] = v("source")
            for key, setting in (("delimiter", "delimiter"), ("encoding", "encoding"), ("host_key", "host_key"),
                                 ("sftp_username", "username")):
                if v(key):
                    settings[setting] = v(key)
            if urlsplit(v("source")).scheme.lower() in ("http", "https") and v("auth_type") not in ("", "none"):
                settings["auth"] = {"type": v("auth_type"), **({"username": v("auth_username")}
                                                                if v("auth_username") else {}),
                                    **({"header": v("auth_header")} if v("auth_header") else {})}
        old_mapping = (stored or {}).get("mapping")
        mapping = {k: val for k, val in old_mapping.items() if k not in {c for c, _, _ in COLUMNS}} \
            if isinstance(old_mapping, Mapping) else {}
        for column, _, _ in COLUMNS:
            if v(f"map_{column}") or column == "sku":
                mapping[column] = v(f"map_{column}")
        settings["mapping"] = mapping
        formats = [line.strip() for line in v("date_formats").splitlines() if line.strip()]
        if formats:
            settings["date_formats"] = formats
        if v("schedule") == "interval":
            settings["schedule"] = {"interval_minutes": _fraction(v("interval_minutes"))}
        elif v("schedule") == "cron":
            settings["schedule"] = {"cron": v("cron")}
        spec: dict[str, Any] = {"name": v("name"), "kind": kind, "settings": settings,
                                "status": v("status") or "active",
                                "secret": self._secret(form, kind, stored_secret)}
        for key in ("handling_days", "transit_days", "lead_time_days"):
            if v(key):
                spec[key] = _number(v(key))
        return spec

    def _secret(self, form: Mapping[str, str], kind: str, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        secret = {} if self.get("clear_secret") else dict(stored or {})
        value = str(form.get("secret_value", "")).strip()
        if value:
            sftp = kind == "feed" and urlsplit(self.get("source")).scheme.lower() == "sftp"
            secret["password" if sftp else SECRET_KEYS.get(self.get("auth_type"), "token")] = value
        key = str(form.get("private_key", "")).strip()
        if key:
            secret["private_key"] = key + "\n"
        return secret

    def check(self) -> None:
        """What the service does not check before a poll needs it: ConfigError naming the setting."""
        size = self.get("page_size")
        if self.get("kind") == "http_json" and size and not (size.isdigit() and int(size) > 0):
            raise ConfigError("pagination.page_size", f"must be a whole number above 0, got {size!r}")
        self.check_host_key()

    def check_host_key(self) -> None:
        """A pinned host key that cannot be read, named before anything is asked of the server."""
        if self.get("host_key"):
            HostKey.parse(self.get("host_key"))


def field_of(exc: ConnectorError) -> tuple[str, str]:
    """(form field, message) of a refusal: a ConfigError by its setting, the spec's own checks by the
    field their message starts with; "" when no field holds it."""
    if isinstance(exc, ConfigError):
        name = _CONFIG_FIELDS.get(exc.key) or ("map_sku" if exc.key.startswith("mapping") else "")
        return name, f"{LABELS.get(name, exc.key)}: {exc.problem}" if name else str(exc)
    text = str(exc)
    if isinstance(exc, InvalidPayload):
        if text.startswith("a supplier needs a name"):
            return "name", "Name: a supplier needs a name"
        for key in ("handling_days", "transit_days", "lead_time_days"):
            if text.startswith(key):
                return key, f"{LABELS[key]}: {text[len(key):].strip()}"
    return "", text


def _block(settings: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = settings.get(key)
    return value if isinstance(value, Mapping) else {}


def secret_is_set(opened: Any) -> bool:
    return isinstance(opened, Mapping) and any(bool(value) for value in opened.values())


def _number(text: str) -> Any:
    """A whole number when the text is one; else the text, for the service to refuse by name."""
    try:
        return int(text)
    except ValueError:
        return text


def _fraction(text: str) -> Any:
    """A number when the text is one (minutes between polls may be a fraction: 0.25 is every 15 seconds);
    else the text, for the service to refuse by name."""
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return text
        return value if value == value and value not in (float("inf"), float("-inf")) else text


def _minutes(schedule: Mapping[str, Any]) -> str:
    """An interval schedule's minutes as the form shows them (a schedule in seconds as a fraction)."""
    if "interval_seconds" in schedule and isinstance(schedule["interval_seconds"], int | float):
        return f"{schedule['interval_seconds'] / 60:g}"
    return _text(schedule.get("interval_minutes"))


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, list | dict) else str(value)
