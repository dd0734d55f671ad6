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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from connector.crypto import FERNET_PREFIX, CredentialBox
from connector.db.repositories import ShopSettingRepository
from connector.db.uow import UnitOfWork
from connector.domain.errors import ConfigError, CredentialsError, InvalidPayload

MASK = "•••"


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


def set_setting(uow: UnitOfWork, shop_id: int, key: str, value: Any, box: CredentialBox | None = None) -> None:
    """Validate and store one setting; a secret one is sealed with ``box`` (required for those)."""
    spec = _spec(key)
    if not spec.check(value):
        shown_value = MASK if spec.secret else repr(value)
        raise InvalidPayload(f"bad value {shown_value} for shop setting {key!r}: {spec.help}")
    stored = _write(spec, key, value, box)
    with uow:
        uow.repo(ShopSettingRepository).put(shop_id, key, stored)
        uow.commit()


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
