"""Per-shop settings: a merchant's choices that override the deployment defaults.

Values are JSON. Each feature declares its keys (``ShopSettingSpec``: a default, a help text and a
validator) in a module-level ``SHOP_SETTINGS`` tuple, without side effects; connector/settings_registry.py
lists every feature's declarations in one ``ShopSettingsRegistry``, which bootstrap builds once and
puts in use here. So `connector shops set` refuses unknown keys and bad values with a message that
names them.

A setting declared ``secret`` (the Slack webhook URL) is sealed at rest with CONNECTOR_SECRET_KEY:
its row holds the Fernet token itself (so `connector keys rotate` re-seals it with the other
secrets) and reading it gives a ``SealedSetting``, opened only where the value is used and shown
redacted everywhere else. A value written in plain text before sealing existed is still read
(``SealedSetting.legacy``) and is sealed by its next write or by `connector keys rotate`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from connector.crypto import FERNET_PREFIX, CredentialBox
from connector.db.models_settings import CHANGE_SOURCES
from connector.db.repositories import ShopSettingRepository
from connector.db.settings_changes import ShopSettingChangeRepository
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConfigError, CredentialsError, InvalidPayload

MASK = "•••"
SYSTEM_ACTOR = "connector"
"""The actor of changes the connector makes itself (enabling the fulfillment service records its ids)."""


class SettingsRefused(InvalidPayload):
    """One or more setting values were refused; ``problems`` maps each bad key to its message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class SettingChange:
    """One entry of a shop's settings audit trail (values as kept there: secrets only as a mark)."""

    key: str
    old_value: Any
    new_value: Any
    old_default: bool
    actor: str
    source: str
    changed_at: datetime


def _any(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class ShopSettingSpec:
    """One per-shop setting as a feature declares it (in its module's ``SHOP_SETTINGS`` tuple)."""

    key: str
    default: Any
    help: str
    check: Callable[[Any], bool] = _any
    """True when a value is acceptable; `connector shops set` refuses others, quoting ``help``."""
    secret: bool = False
    """Sealed at rest, read as a SealedSetting, redacted when shown."""


class ShopSettingsRegistry:
    """Every per-shop setting, from the features' declarations (connector/settings_registry.py lists
    them; bootstrap builds it once and puts it in use). A key declared twice is refused."""

    def __init__(self, specs: Iterable[ShopSettingSpec]) -> None:
        self._specs: dict[str, ShopSettingSpec] = {}
        for spec in specs:
            if spec.key in self._specs:
                raise ValueError(f"shop setting {spec.key!r} is declared twice")
            self._specs[spec.key] = spec

    def spec(self, key: str) -> ShopSettingSpec:
        """The declaration of ``key``; InvalidPayload naming the known keys when there is none."""
        if key not in self._specs:
            raise InvalidPayload(f"unknown shop setting {key!r}; known: {', '.join(sorted(self._specs)) or 'none'}")
        return self._specs[key]

    def __contains__(self, key: object) -> bool:
        return key in self._specs

    def __iter__(self) -> Iterator[ShopSettingSpec]:
        """The declarations in key order."""
        return iter(sorted(self._specs.values(), key=lambda spec: spec.key))

    def __len__(self) -> int:
        return len(self._specs)

    def secret_keys(self) -> list[str]:
        return [spec.key for spec in self if spec.secret]


@dataclass(frozen=True, repr=False)
class SealedSetting:
    """A secret setting as stored: a Fernet token, or plain text stored before sealing existed."""

    stored: str

    @property
    def legacy(self) -> bool:
        """Stored in plain text (before secrets were sealed); sealed by the next write or key rotation."""
        return not self.stored.startswith(FERNET_PREFIX)

    def open(self, box: CredentialBox | None) -> str:
        """The secret itself: call only where it is used (building the Slack adapter)."""
        if self.legacy:
            return self.stored
        if box is None:
            raise ConfigError("CONNECTOR_SECRET_KEY", "is required to read a sealed shop setting")
        value = box.open_json(self.stored)
        if not isinstance(value, str):
            raise CredentialsError("a sealed shop setting is not text")
        return value

    def redacted(self, box: CredentialBox | None) -> str:
        try:
            return redact_url(self.open(box))
        except (ConfigError, CredentialsError):
            return f"(sealed) {MASK}"

    def __repr__(self) -> str:
        return f"SealedSetting({MASK})"

    __str__ = __repr__


def redact_url(url: str) -> str:
    """Enough of a secret URL to recognise it: ``https://hooks.slack.com/services/T…/•••``."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return MASK
    segments = [s for s in parts.path.split("/") if s]
    shown = f"/{segments[0]}" if len(segments) > 2 else ""
    hint = f"/{segments[1][:1]}…" if len(segments) > 2 else ""
    return f"{parts.scheme}://{parts.hostname}{shown}{hint}/{MASK}"


def shown(value: Any, box: CredentialBox | None) -> Any:
    """A setting's value fit to print or log: sealed secrets redacted."""
    return value.redacted(box) if isinstance(value, SealedSetting) else value


_in_use: ShopSettingsRegistry | None = None


def use(registry: ShopSettingsRegistry) -> None:
    """Put the registry in use (bootstrap does, with connector.settings_registry.registry())."""
    global _in_use
    _in_use = registry


def registry() -> ShopSettingsRegistry:
    """The registry in use; a clear error before bootstrap has built one."""
    if _in_use is None:
        raise RuntimeError("no shop settings registry in use: bootstrap() builds it "
                           "(or call shop_settings.use(connector.settings_registry.registry()))")
    return _in_use


def _read(spec: ShopSettingSpec, stored: str) -> Any:
    if spec.secret and stored.startswith(FERNET_PREFIX):
        return SealedSetting(stored)
    value = json.loads(stored)
    if spec.secret and isinstance(value, str) and value:
        return SealedSetting(value)  # plain text from before sealing
    return value


def _write(spec: ShopSettingSpec, key: str, value: Any, box: CredentialBox | None) -> str:
    if not spec.secret or value == "":
        return json.dumps(value)
    if box is None:
        raise ConfigError("CONNECTOR_SECRET_KEY", f"is required to store the shop setting {key!r} sealed")
    return box.seal_json(value)


def _spec(key: str) -> ShopSettingSpec:
    return registry().spec(key)


def get_setting(uow: UnitOfWork, shop_id: int, key: str) -> Any:
    """The shop's value, or the declared default. Opens its own transaction."""
    spec = _spec(key)
    with uow:
        row = uow.repo(ShopSettingRepository).get(shop_id, key)
        return _read(spec, row.value) if row is not None else spec.default


def all_settings(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    """Every declared setting: the shop's value or the default; secret ones as SealedSetting."""
    with uow:
        stored = uow.repo(ShopSettingRepository).stored(shop_id)
    return {spec.key: _read(spec, stored[spec.key]) if spec.key in stored else spec.default
            for spec in registry()}


def refusal(key: str, value: Any) -> str | None:
    """Why ``value`` is refused for ``key`` (naming the setting and quoting its help), or None when it is
    acceptable: the one check behind `connector shops set` and the app's Settings page."""
    try:
        spec = _spec(key)
    except InvalidPayload as exc:
        return str(exc)
    if spec.check(value):
        return None
    shown_value = MASK if spec.secret else repr(value)
    return f"bad value {shown_value} for shop setting {key!r}: {spec.help}"


def _audited(spec: ShopSettingSpec, value: Any) -> Any:
    """A value as the audit trail keeps it: a secret never (only a mark that it was set or cleared)."""
    if spec.secret:
        return MASK if value not in ("", None) else ""
    return list(value) if isinstance(value, tuple) else value


def _same(a: Any, b: Any) -> bool:
    return json.dumps(_plain(a), sort_keys=True) == json.dumps(_plain(b), sort_keys=True)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def set_settings(uow: UnitOfWork, shop_id: int, values: Mapping[str, Any], *, box: CredentialBox | None = None,
                 actor: str = SYSTEM_ACTOR, source: str = "system") -> list[str]:
    """Validate every value, then store them in one transaction with an audit row each (who, when, old and
    new value: table shop_setting_changes); returns the keys that changed. Nothing is stored when any value
    is refused: SettingsRefused names each bad one. A value equal to the one stored is left alone; a
    secret one is sealed with ``box`` (required for those) and never kept in the audit trail."""
    if source not in CHANGE_SOURCES:
        raise ValueError(f"source must be one of {', '.join(CHANGE_SOURCES)}, got {source!r}")
    problems = {key: problem for key, value in values.items() if (problem := refusal(key, value)) is not None}
    if problems:
        raise SettingsRefused(problems)
    specs = {key: _spec(key) for key in values}
    written = {key: _write(specs[key], key, value, box) for key, value in values.items()}
    now = utcnow()
    changed: list[str] = []
    with uow:
        settings = uow.repo(ShopSettingRepository)
        audit = uow.repo(ShopSettingChangeRepository)
        before = settings.stored(shop_id, list(values))
        for key, value in values.items():
            spec = specs[key]
            old = _read(spec, before[key]) if key in before else spec.default
            if key in before and not spec.secret and _same(old, value):
                continue  # nothing changes: no write, no audit row
            settings.put(shop_id, key, written[key])
            audit.add(shop_id, key, _audited(spec, old), _audited(spec, value), old_default=key not in before,
                      actor=actor, source=source, changed_at=now)
            changed.append(key)
        uow.commit()
    return changed


def set_setting(uow: UnitOfWork, shop_id: int, key: str, value: Any, box: CredentialBox | None = None, *,
                actor: str = SYSTEM_ACTOR, source: str = "system") -> None:
    """Validate and store one setting (audited, see ``set_settings``); a secret one is sealed with ``box``
    (required for those). A bad value raises InvalidPayload (SettingsRefused) naming the setting."""
    set_settings(uow, shop_id, {key: value}, box=box, actor=actor, source=source)


def setting_changes(uow: UnitOfWork, shop_id: int, *, key: str | None = None, limit: int = 20) -> list[SettingChange]:
    """The shop's newest setting changes (of one key, when given), newest first."""
    with uow:
        rows = uow.repo(ShopSettingChangeRepository).recent(shop_id, key=key, limit=limit)
        return [SettingChange(row.key, row.old_value, row.new_value, row.old_default, row.actor, row.source,
                              row.changed_at) for row in rows]


def last_changes(uow: UnitOfWork, shop_id: int) -> dict[str, SettingChange]:
    """The newest change of each setting the shop ever changed."""
    with uow:
        rows = uow.repo(ShopSettingChangeRepository).last_per_key(shop_id)
        return {key: SettingChange(row.key, row.old_value, row.new_value, row.old_default, row.actor, row.source,
                                   row.changed_at) for key, row in rows.items()}


def seal_plaintext_secrets(uow: UnitOfWork, box: CredentialBox) -> int:
    """Seal every secret setting still stored in plain text (run by `connector keys rotate`)."""
    secret_keys = registry().secret_keys()
    if not secret_keys:
        return 0
    sealed = 0
    with uow:
        for row in uow.repo(ShopSettingRepository).with_keys(secret_keys):
            value = _read(_spec(row.key), row.value)
            if isinstance(value, SealedSetting) and value.legacy:
                row.value = box.seal_json(value.stored)
                sealed += 1
        uow.commit()
    return sealed
