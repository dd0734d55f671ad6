"""One frozen, typed Settings, built once from a YAML file and the environment (pydantic-settings).

Precedence: environment variables (the named ones, e.g. DATABASE_URL, and CONNECTOR_<SETTING> for any
setting, e.g. CONNECTOR_WORKER_THREADS) > the YAML file named by CONNECTOR_CONFIG (or ./config.yaml when
present) > defaults. Each field declares its YAML key, its named environment variable (if any), its
default and its help text once, here; docs/settings.md is generated from them
(``python -m connector.settings_registry``) and config.example.yaml documents them for operators. A
missing or bad value raises ConfigError naming the setting, so start-up stops with a message that says
what to fix.

``Settings(...)`` built directly reads only its keywords (tests, the sandbox); ``load_settings`` adds
the environment and the YAML file as pydantic-settings sources.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import yaml
from cryptography.fernet import Fernet
from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connector.domain import shopify_access
from connector.domain.errors import ConfigError


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def _whole(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(value)  # YAML's `true` is not a number
    return value


def _words(value: Any) -> Any:
    """A list, or one comma-separated string (the environment's form); blanks dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(item).strip() for item in items if str(item).strip())


Flag = Annotated[bool, BeforeValidator(_boolean)]
Whole = Annotated[int, BeforeValidator(_whole)]
Words = Annotated[tuple[str, ...], BeforeValidator(_words)]


def setting(default: Any, yaml_key: str, help: str, *, env: str | None = None) -> Any:
    """A field with its YAML key, its named environment variable (besides CONNECTOR_<NAME>) and help."""
    extra: dict[str, Any] = {"yaml": yaml_key}
    if env:
        extra["env"] = env
    return Field(default, description=help, json_schema_extra=extra)


class Settings(BaseSettings):
    """The deployment's settings. Frozen; ``with_overrides`` gives a validated copy."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    database_url: str = setting(
        "sqlite:///connector.db", "database_url", env="DATABASE_URL",
        help="Where everything is stored: sqlite:///file.db, or postgresql://user:password@host:5432/dbname.")
    redis_url: str | None = setting(
        None, "redis_url", env="REDIS_URL",
        help="RQ on Redis for the scaled-out deployment; empty: in-process workers.")
    secret_key: str | None = setting(
        None, "secret_key", env="CONNECTOR_SECRET_KEY",
        help="Fernet key that encrypts shop credentials at rest (`connector keygen`); several comma-separated "
             "keys rotate: the first encrypts, all decrypt. Required by serve, worker and every command that "
             "reads or stores credentials.")
    sentry_dsn: str | None = setting(None, "sentry_dsn", env="SENTRY_DSN",
                                     help="Error reporting (sentry-sdk); empty: off.")
    log_level: str = setting("INFO", "log_level", help="DEBUG, INFO, WARNING or ERROR.")
    log_format: str = setting("text", "log_format",
                              help="text (one line per record) or json (one JSON object per line).")
    shopify_api_key: str | None = setting(None, "shopify.api_key", env="SHOPIFY_API_KEY",
                                          help="The app's client id from the Partner Dashboard.")
    shopify_api_secret: str | None = setting(
        None, "shopify.api_secret", env="SHOPIFY_API_SECRET",
        help='The app\'s client secret: verifies every webhook; during a rotation give "new,old". '
             "Required by serve.")
    shopify_api_version: str = setting(
        shopify_access.DEFAULT_API_VERSION, "shopify.api_version",
        help="Admin API version of GraphQL calls: only versions every document the connector sends is "
             "validated against.")
    shopify_backorder_tag: str = setting("backorder", "shopify.backorder_tag",
                                         help="Tag added to Shopify orders that have backordered lines.")
    woocommerce_backordered_meta_keys: Words = setting(
        ("Backordered",), "woocommerce.backordered_meta_keys",
        help="Line-item meta keys that mean \"units short\" (add your stores' translations).")
    api_token: str | None = setting(None, "api.token", env="CONNECTOR_API_TOKEN",
                                    help="Bearer token for the JSON API under /api/ (required by serve).")
    webhook_max_body_bytes: Whole = setting(1024 * 1024, "webhooks.max_body_bytes",
                                            help="Larger webhook bodies are refused with 413.")
    worker_threads: Whole = setting(
        4, "workers.threads",
        help="In-process worker threads of `connector serve` (0: store events only; `connector worker` "
             "processes them).")
    job_max_attempts: Whole = setting(
        8, "workers.max_attempts",
        help="A job that keeps failing transiently is retried with exponential backoff this many times.")
    event_lease_seconds: float = setting(
        300.0, "workers.event_lease_seconds",
        help="An event claimed by a worker that died is taken over by another after this many seconds.")
    event_batch_linger_seconds: float | None = setting(
        None, "workers.event_batch_linger_seconds",
        help="How long a worker's job waits for more of its shop's orders when it found fewer than 10, to "
             "capture them as one batch; empty: 0.3 with RQ workers (redis_url set), 0 for in-process workers.")
    reconcile_interval_minutes: float = setting(
        10.0, "reconcile.interval_minutes",
        help="How often every shop's orders are read back from the store to catch lost webhooks.")
    reconcile_overlap_minutes: float = setting(
        10.0, "reconcile.overlap_minutes", help="Each pass re-reads this far behind the last watermark.")
    reconcile_initial_lookback_hours: float = setting(
        72.0, "reconcile.initial_lookback_hours", help="A shop's first pass reaches this far back.")
    http_timeout_seconds: float = setting(
        10.0, "http.timeout_seconds", help="Timeout of every call to Shopify, WooCommerce or a supplier.")
    http_max_attempts: Whole = setting(
        5, "http.max_attempts",
        help="Attempts for a call that times out or answers 429/5xx (never other 4xx); a write that may "
             "have landed is read back, not resent.")
    http_max_retry_after_seconds: float = setting(
        60.0, "http.max_retry_after_seconds",
        help="Longest Retry-After a worker sleeps on; longer asks reschedule the job instead.")
    app_url: str | None = setting(
        None, "app.url",
        help="Public https URL of this connector (OAuth redirect_uri, wc-auth callback, webhook addresses). "
             "Required for installs; http only with network.allow_private_targets.")
    allow_private_targets: Flag = setting(
        False, "network.allow_private_targets",
        help="Development only: outbound calls may go to loopback/private addresses and plain http "
             "(adapters/outbound.py), app.url and the API bases may be http, and supplier feeds may be "
             "local files.")
    allow_local_files: Flag = setting(
        False, "suppliers.allow_local_files",
        help="Supplier feeds may be read from this machine's files (a path or file:// source).")
    app_name: str = setting("Backorder connector", "app.name",
                            help="The name merchants see on WooCommerce's key approval page.")
    app_support_email: str | None = setting(
        None, "app.support_email",
        help="Where merchants write for help with the connector, shown on the install and connect pages; "
             "empty: those pages ask them to contact whoever set the connector up for their store.")
    shopify_scopes: Words = setting(
        shopify_access.DEFAULT_SCOPES, "shopify.scopes",
        help="Access scopes requested at install (default: every feature's); a shorter list must still "
             "cover capture and notify.")
    shopify_admin_base: str | None = setting(
        None, "shopify.admin_base",
        help="Sandbox and tests only: the origin that replaces https://{shop} for newly installed shops.")
    woocommerce_api_base: str | None = setting(
        None, "woocommerce.api_base",
        help="Sandbox and tests only: the origin that replaces a connecting store's own.")
    install_state_ttl_minutes: float = setting(
        10.0, "install.state_ttl_minutes",
        help="How long a Shopify OAuth state or a WooCommerce connect user_id stays valid.")
    token_refresh_margin_minutes: float = setting(
        10.0, "install.token_refresh_margin_minutes",
        help="Expiring Shopify offline tokens are refreshed this long before they expire.")
    install_rate_limit: str = setting(
        "20/minute;200/hour", "install.rate_limit",
        help='Requests per client address to the install and connect endpoints ("N/minute", several '
             'joined by ";"); "" turns the limit off.')
    install_trusted_proxies: Whole = setting(
        0, "install.trusted_proxies",
        help="How many reverse proxies append to X-Forwarded-For (0: the socket's peer is the client).")
    retention_webhook_events_days: float = setting(
        30.0, "retention.webhook_events_days",
        help="Finished webhook events are deleted this many days after processing; 0 keeps them forever.")
    retention_install_grace_minutes: float = setting(
        60.0, "retention.install_grace_minutes",
        help="OAuth states and pending connects are deleted this long after they expired or were used.")
    smtp_host: str = setting("localhost", "smtp.host",
                             help="Mail server for customer messages and pile-up alerts.")
    smtp_port: Whole = setting(25, "smtp.port", help="Its port.")
    smtp_username: str | None = setting(None, "smtp.username", help="Login, when the server wants one.")
    smtp_password: str | None = setting(None, "smtp.password", help="Its password.")
    smtp_tls: str = setting("none", "smtp.tls", help="none, starttls or ssl (implicit TLS, usually port 465).")
    smtp_timeout_seconds: float = setting(15.0, "smtp.timeout_seconds",
                                          help="Connect and command timeout of the mail server.")
    smtp_from: str = setting(
        "backorders@localhost", "smtp.from",
        help="Envelope sender and default From: address (a shop's notify.sender_email overrides From:).")
    notify_public_base_url: str | None = setting(
        None, "notify.public_base_url",
        help="Public base URL for the signed links in delay notices (default: app.url).")
    notify_link_secret: str | None = setting(
        None, "notify.link_secret",
        help="Key signing those links (default: derived from CONNECTOR_SECRET_KEY); changing it "
             "invalidates links already sent.")
    smtp_url: str | None = setting(
        None, "email.smtp_url",
        help="Outgoing mail of privacy data exports: smtp://[user:password@]host:port or smtps://; empty: "
             "exports are kept for download only.")
    email_from: str = setting("connector@localhost", "email.from", help="Sender address of those e-mails.")
    privacy_export_link_days: float = setting(
        7.0, "privacy.export_link_days",
        help="Days the download link of a customer data export opens without signing in (at most 30).")
    source: str = Field("defaults", exclude=True, description="Where the values came from (not a setting).")

    @model_validator(mode="wrap")
    @classmethod
    def _named_errors(cls, data: Any, handler: Any) -> Any:
        """A value of the wrong type is a ConfigError naming the setting, like every other bad value."""
        try:
            return handler(data)
        except ValidationError as exc:
            raise _config_error(exc) from None

    @model_validator(mode="after")
    def _checked(self) -> Settings:
        _validate(self)
        return self

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The keywords first, then what ``load_settings`` reads (nothing when built directly)."""
        return (init_settings, *_LOADING.get())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(tuple(self._compared().items()))

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def _compared(self) -> dict[str, Any]:
        return {name: value for name, value in self._values().items() if name != "source"}

    @classmethod
    def key_name(cls, field_name: str) -> str:
        """How a user names this setting: the environment variable if there is one, else the YAML key."""
        field = cls.model_fields.get(field_name)
        if field is None:
            return field_name
        meta = _meta(field)
        return str(meta.get("env") or meta.get("yaml") or field_name)

    def require(self, *field_names: str) -> Settings:
        """Fail with ConfigError naming the first of these settings that is unset."""
        for name in field_names:
            if not getattr(self, name):
                raise ConfigError(self.key_name(name), f"is required (see config.example.yaml; {self.source})")
        return self

    def with_overrides(self, **changes: Any) -> Settings:
        """A validated copy with these fields changed."""
        return type(self)(**{**self._values(), **changes})


def _meta(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return cast(dict[str, Any], extra) if isinstance(extra, dict) else {}


@dataclass(frozen=True)
class DeploymentSetting:
    """One deployment setting as documented (docs/settings.md)."""

    name: str
    yaml_key: str
    env: tuple[str, ...]
    default: Any
    help: str


def deployment_settings() -> list[DeploymentSetting]:
    """Every deployment setting in declaration order, with the environment variables that set it."""
    found = []
    for name, field in Settings.model_fields.items():
        meta = _meta(field)
        if "yaml" not in meta:
            continue
        env = tuple(dict.fromkeys(v for v in (meta.get("env"), f"CONNECTOR_{name.upper()}") if v))
        found.append(DeploymentSetting(name, meta["yaml"], env, field.default, field.description or ""))
    return found


YAML_KEYS: dict[str, str] = {s.yaml_key: s.name for s in deployment_settings()}
"""Dotted YAML key -> Settings field (derived from the fields). config.example.yaml documents each."""

_LOADING: ContextVar[tuple[PydanticBaseSettingsSource, ...]] = ContextVar("connector_settings_loading", default=())


class _Environment(PydanticBaseSettingsSource):
    """The named environment variable of a setting, else CONNECTOR_<SETTING>; empty values are unset."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        for variable in (_meta(field).get("env"), f"CONNECTOR_{field_name.upper()}"):
            if variable and self.env.get(variable):
                return self.env[variable], variable, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            if "yaml" in _meta(field):
                value, _, _ = self.get_field_value(field, name)
                if value is not None:
                    values[name] = value
        return values


class _YamlFile(PydanticBaseSettingsSource):
    """The YAML file's dotted keys (``shopify.api_key``); an unknown key is a ConfigError naming it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.values = _read_yaml(path)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


@contextmanager
def _loading(*sources: PydanticBaseSettingsSource) -> Iterator[None]:
    token = _LOADING.set(sources)
    try:
        yield
    finally:
        _LOADING.reset(token)


def load_settings(env: Mapping[str, str] | None = None, path: str | Path | None = None) -> Settings:
    """Build Settings from the YAML file and the environment. Raises ConfigError."""
    env = os.environ if env is None else env
    config_path = Path(path) if path else _config_path(env)
    sources: list[PydanticBaseSettingsSource] = [_Environment(Settings, env)]
    if config_path is not None:
        sources.append(_YamlFile(Settings, config_path))
    with _loading(*sources):
        return Settings(source=str(config_path) if config_path is not None else "defaults")


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


def _config_error(exc: ValidationError) -> ConfigError:
    """The first error of a ValidationError, naming the setting as users name it."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "settings"
    field = Settings.model_fields.get(name)
    if field is None:
        return ConfigError(name, "is not a setting")
    annotation = field.annotation
    kind = getattr(annotation, "__name__", None) or str(annotation)
    if annotation == tuple[str, ...]:
        kind = "tuple[str, ...]"
    return ConfigError(Settings.key_name(name), f"expected {kind}, got {error.get('input')!r}")


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
    if settings.event_batch_linger_seconds is not None and not 0 <= settings.event_batch_linger_seconds <= 5:
        raise bad("event_batch_linger_seconds", "must be between 0 and 5 seconds")
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
    support = settings.app_support_email
    if support and ("@" not in support.strip("@") or any(c.isspace() for c in support)):
        raise bad("app_support_email", f"must be an email address, got {support!r}")
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
