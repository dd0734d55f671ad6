"""One frozen, typed Settings, built once from a YAML file and the environment.

Precedence: environment variables (the named ones below, and CONNECTOR_<SETTING> for any
setting, e.g. CONNECTOR_WORKER_THREADS) > the YAML file named by CONNECTOR_CONFIG (or ./config.yaml when
present) > defaults. Every setting is documented in config.example.yaml. A missing or bad value
raises ConfigError naming the setting, so start-up stops with a message that says what to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

from connector.domain import shopify_access
from connector.domain.errors import ConfigError

ENV_OVERRIDES: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "CONNECTOR_SECRET_KEY": "secret_key",
    "SHOPIFY_API_KEY": "shopify_api_key",
    "SHOPIFY_API_SECRET": "shopify_api_secret",
    "SENTRY_DSN": "sentry_dsn",
    "CONNECTOR_API_TOKEN": "api_token",
}
"""Environment variable -> Settings field."""

YAML_KEYS: dict[str, str] = {
    "database_url": "database_url",
    "redis_url": "redis_url",
    "secret_key": "secret_key",
    "sentry_dsn": "sentry_dsn",
    "log_level": "log_level",
    "log_format": "log_format",
    "shopify.api_key": "shopify_api_key",
    "shopify.api_secret": "shopify_api_secret",
    "shopify.api_version": "shopify_api_version",
    "shopify.backorder_tag": "shopify_backorder_tag",
    "woocommerce.backordered_meta_keys": "woocommerce_backordered_meta_keys",
    "api.token": "api_token",
    "webhooks.max_body_bytes": "webhook_max_body_bytes",
    "workers.threads": "worker_threads",
    "workers.max_attempts": "job_max_attempts",
    "workers.event_lease_seconds": "event_lease_seconds",
    "reconcile.interval_minutes": "reconcile_interval_minutes",
    "reconcile.overlap_minutes": "reconcile_overlap_minutes",
    "reconcile.initial_lookback_hours": "reconcile_initial_lookback_hours",
    "http.timeout_seconds": "http_timeout_seconds",
    "http.max_attempts": "http_max_attempts",
    "http.max_retry_after_seconds": "http_max_retry_after_seconds",
    "app.url": "app_url",
    "network.allow_private_targets": "allow_private_targets",
    "suppliers.allow_local_files": "allow_local_files",
    "app.name": "app_name",
    "shopify.scopes": "shopify_scopes",
    "shopify.admin_base": "shopify_admin_base",
    "woocommerce.api_base": "woocommerce_api_base",
    "install.state_ttl_minutes": "install_state_ttl_minutes",
    "install.token_refresh_margin_minutes": "token_refresh_margin_minutes",
    "install.rate_limit": "install_rate_limit",
    "install.trusted_proxies": "install_trusted_proxies",
    "retention.webhook_events_days": "retention_webhook_events_days",
    "retention.install_grace_minutes": "retention_install_grace_minutes",
    "smtp.host": "smtp_host",
    "smtp.port": "smtp_port",
    "smtp.username": "smtp_username",
    "smtp.password": "smtp_password",
    "smtp.tls": "smtp_tls",
    "smtp.timeout_seconds": "smtp_timeout_seconds",
    "smtp.from": "smtp_from",
    "notify.public_base_url": "notify_public_base_url",
    "notify.link_secret": "notify_link_secret",
    "email.smtp_url": "smtp_url",
    "email.from": "email_from",
    "privacy.export_link_days": "privacy_export_link_days",
}
"""Dotted YAML key -> Settings field. Every key here is documented in config.example.yaml."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///connector.db"
    redis_url: str | None = None
    secret_key: str | None = None
    sentry_dsn: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    shopify_api_key: str | None = None
    shopify_api_secret: str | None = None
    shopify_api_version: str = shopify_access.DEFAULT_API_VERSION
    shopify_backorder_tag: str = "backorder"
    woocommerce_backordered_meta_keys: tuple[str, ...] = ("Backordered",)
    api_token: str | None = None
    webhook_max_body_bytes: int = 1024 * 1024
    worker_threads: int = 4
    job_max_attempts: int = 8
    event_lease_seconds: float = 300.0
    reconcile_interval_minutes: float = 10.0
    reconcile_overlap_minutes: float = 10.0
    reconcile_initial_lookback_hours: float = 72.0
    http_timeout_seconds: float = 10.0
    http_max_attempts: int = 5
    http_max_retry_after_seconds: float = 60.0
    app_url: str | None = None
    allow_private_targets: bool = False
    """Development only: outbound calls may go to loopback/private addresses and plain http (adapters/outbound.py),
    app.url and the API bases may be http, and supplier feeds may be local files."""
    allow_local_files: bool = False
    """Supplier feeds may be read from this machine's files (a path or file:// source)."""
    app_name: str = "Backorder connector"
    shopify_scopes: tuple[str, ...] = shopify_access.DEFAULT_SCOPES
    shopify_admin_base: str | None = None
    woocommerce_api_base: str | None = None
    install_state_ttl_minutes: float = 10.0
    token_refresh_margin_minutes: float = 10.0
    install_rate_limit: str = "20/minute;200/hour"
    install_trusted_proxies: int = 0
    retention_webhook_events_days: float = 30.0
    retention_install_grace_minutes: float = 60.0
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "none"
    smtp_timeout_seconds: float = 15.0
    smtp_from: str = "backorders@localhost"
    notify_public_base_url: str | None = None
    notify_link_secret: str | None = None
    smtp_url: str | None = None
    email_from: str = "connector@localhost"
    privacy_export_link_days: float = 7.0
    source: str = field(default="defaults", compare=False)

    def __post_init__(self) -> None:
        _validate(self)

    def key_name(self, field_name: str) -> str:
        """How a user names this setting: the environment variable if there is one, else the YAML key."""
        for env, name in ENV_OVERRIDES.items():
            if name == field_name:
                return env
        for key, name in YAML_KEYS.items():
            if name == field_name:
                return key
        return field_name

    def require(self, *field_names: str) -> Settings:
        """Fail with ConfigError naming the first of these settings that is unset."""
        for name in field_names:
            if not getattr(self, name):
                raise ConfigError(self.key_name(name), f"is required (see config.example.yaml; {self.source})")
        return self

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(env: Mapping[str, str] | None = None, path: str | Path | None = None) -> Settings:
    """Build Settings from the YAML file and the environment. Raises ConfigError."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    source = "defaults"
    config_path = Path(path) if path else _config_path(env)
    if config_path is not None:
        values.update(_read_yaml(config_path))
        source = str(config_path)
    for name in _FIELD_TYPES:
        variable = f"CONNECTOR_{name.upper()}"
        if name != "source" and env.get(variable):
            values[name] = env[variable]
    for variable, name in ENV_OVERRIDES.items():
        if env.get(variable):
            values[name] = env[variable]
    coerced = {name: _coerce(name, value) for name, value in values.items()}
    return Settings(**coerced, source=source)


def _config_path(env: Mapping[str, str]) -> Path | None:
    explicit = env.get("CONNECTOR_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("CONNECTOR_CONFIG", f"file {explicit} does not exist")
        return path
    default = Path("config.yaml")
    return default if default.is_file() else None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("CONNECTOR_CONFIG", f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError("CONNECTOR_CONFIG", f"{path} must hold a mapping at the top level")
    flat = _flatten(document)
    unknown = sorted(set(flat) - set(YAML_KEYS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown setting in {path}")
    return {YAML_KEYS[key]: value for key, value in flat.items() if value is not None}


def _flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in YAML_KEYS:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES[name]
    label = Settings().key_name(name) if name != "source" else name
    try:
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return _boolean(value)
        if kind.startswith("tuple"):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        return None if value is None else str(value)
    except (TypeError, ValueError):
        raise ConfigError(label, f"expected {kind}, got {value!r}") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def _validate(settings: Settings) -> None:
    def bad(name: str, problem: str) -> ConfigError:
        return ConfigError(settings.key_name(name), problem)

    if not settings.database_url.startswith(("sqlite", "postgresql")):
        raise bad("database_url", "must be a sqlite:// or postgresql:// URL")
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise bad("redis_url", "must be a redis:// URL")
    if settings.secret_key:
        for key in settings.secret_key.split(","):
            try:
                Fernet(key.strip().encode())
            except (ValueError, TypeError):
                raise bad("secret_key", "must be a Fernet key (32 url-safe base64-encoded bytes); "
                          "make one with `connector keygen`") from None
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise bad("log_level", f"must be DEBUG, INFO, WARNING or ERROR, got {settings.log_level!r}")
    if settings.log_format not in {"text", "json"}:
        raise bad("log_format", f"must be text or json, got {settings.log_format!r}")
    if settings.event_lease_seconds < 5:
        raise bad("event_lease_seconds", "must be at least 5")
    if settings.webhook_max_body_bytes < 1024:
        raise bad("webhook_max_body_bytes", "must be at least 1024")
    if settings.worker_threads < 0:
        raise bad("worker_threads", "must not be negative")
    if settings.job_max_attempts < 1 or settings.http_max_attempts < 1:
        raise bad("job_max_attempts" if settings.job_max_attempts < 1 else "http_max_attempts",
                  "must be at least 1")
    for name in ("reconcile_interval_minutes", "http_timeout_seconds"):
        if getattr(settings, name) <= 0:
            raise bad(name, "must be greater than 0")
    for name in ("reconcile_overlap_minutes", "reconcile_initial_lookback_hours", "http_max_retry_after_seconds"):
        if getattr(settings, name) < 0:
            raise bad(name, "must not be negative")
    if not 0 < settings.privacy_export_link_days <= 30:
        raise bad("privacy_export_link_days", "must be more than 0 and at most 30 (exports are kept 30 days)")
    if not settings.woocommerce_backordered_meta_keys:
        raise bad("woocommerce_backordered_meta_keys", "needs at least one name")
    for name in ("app_url", "shopify_admin_base", "woocommerce_api_base"):
        value = getattr(settings, name)
        if value and not value.startswith(("https://", "http://")):
            raise bad(name, f"must be an http(s) URL, got {value!r}")
        if value and value.startswith("http://") and not settings.allow_private_targets:
            # Shopify and WooCommerce refuse http callback and webhook addresses; say so now, not at install.
            raise bad(name, f"must be an https:// URL, got {value!r} (plain http only in development: "
                            "network.allow_private_targets / CONNECTOR_ALLOW_PRIVATE_TARGETS)")
    if settings.smtp_url and not settings.smtp_url.startswith(("smtp://", "smtps://")):
        raise bad("smtp_url", "must be an smtp:// or smtps:// URL")
    _validate_shopify_scopes(settings.shopify_scopes, bad)
    for name in ("install_state_ttl_minutes", "token_refresh_margin_minutes"):
        if getattr(settings, name) <= 0:
            raise bad(name, "must be greater than 0")
    _validate_limits(settings, bad)
    if settings.smtp_tls not in {"none", "starttls", "ssl"}:
        raise bad("smtp_tls", f"must be none, starttls or ssl, got {settings.smtp_tls!r}")
    if not 0 < settings.smtp_port < 65536:
        raise bad("smtp_port", f"must be a TCP port, got {settings.smtp_port}")
    if settings.smtp_timeout_seconds <= 0:
        raise bad("smtp_timeout_seconds", "must be greater than 0")
    if "@" not in settings.smtp_from:
        raise bad("smtp_from", f"must be an email address, got {settings.smtp_from!r}")
    if settings.notify_public_base_url and not settings.notify_public_base_url.startswith(("https://", "http://")):
        raise bad("notify_public_base_url", f"must be an http(s) URL, got {settings.notify_public_base_url!r}")
    if settings.shopify_api_version not in shopify_access.API_VERSIONS:
        raise bad("shopify_api_version", f"must be one of {', '.join(shopify_access.API_VERSIONS)} (the Admin API "
                  f"versions every GraphQL document the connector sends is validated against), "
                  f"got {settings.shopify_api_version!r}")


def _validate_shopify_scopes(scopes: tuple[str, ...], bad: Any) -> None:
    """Access scope handles only, covering what the always-on features call (capture, notify)."""
    if not scopes:
        raise bad("shopify_scopes", "needs at least one scope")
    for scope in scopes:
        if not shopify_access.SCOPE_PATTERN.match(scope):
            raise bad("shopify_scopes", f"{scope!r} is not an access scope (like write_orders)")
    for feature in shopify_access.ALWAYS_ON:
        lacking = shopify_access.missing(scopes, feature.scopes)
        if lacking:
            raise bad("shopify_scopes", f"lacks {', '.join(lacking)}, needed by {feature.name} ({feature.summary})")


def _validate_limits(settings: Settings, bad: Any) -> None:
    """Rate limits of the install endpoints and retention periods (webhooks/ratelimit.py, privacy/retention.py)."""
    if settings.install_rate_limit.strip():
        from limits import parse_many

        try:
            parse_many(settings.install_rate_limit)
        except ValueError:
            raise bad("install_rate_limit", f"must look like 20/minute;200/hour, got {settings.install_rate_limit!r}"
                      ) from None
    if settings.install_trusted_proxies < 0:
        raise bad("install_trusted_proxies", "must not be negative")
    if settings.retention_webhook_events_days < 0:
        raise bad("retention_webhook_events_days", "must not be negative (0 keeps events forever)")
    if settings.retention_install_grace_minutes < 0:
        raise bad("retention_install_grace_minutes", "must not be negative")
