"""The Settings page's form: every per-shop setting of the registry, grouped by feature heading, each
with an input suited to its value (checkbox, number, choice, list, JSON, text, secret), and the parsing
of a submitted group back into values. Validation is the settings' own (connector.shop_settings
``refusal`` / ``set_settings``); here only the shape of the input is read (a number, JSON, lines)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.shop_settings import MASK, SealedSetting, SettingChange, ShopSettingSpec

_NOT_A_CHOICE = "\x00not-a-choice"


@dataclass
class SettingField:
    spec: ShopSettingSpec
    kind: str
    """bool | int | number | choice | list | json | text | secret"""
    current: Any
    text: str
    """What the input shows (the current value, or what the merchant typed when it was refused)."""
    choices: tuple[str, ...] = ()
    error: str | None = None
    reauthorize_url: str | None = None
    last_change: SettingChange | None = None

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def dom_id(self) -> str:
        return "setting-" + re.sub(r"[^a-z0-9]+", "-", self.spec.key.lower())

    @property
    def default_text(self) -> str:
        return shown_value(self.spec.default)

    @property
    def is_default(self) -> bool:
        return not isinstance(self.current, SealedSetting) and _same(self.current, self.spec.default)


@dataclass
class SettingGroup:
    slug: str
    heading: str
    fields: list[SettingField] = field(default_factory=list)
    saved: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.error for f in self.fields)


def slug(heading: str) -> str:
    """``dropship: Shopify fulfillment service`` -> ``dropship-shopify-fulfillment-service`` (at most 48)."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")[:48]


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)  # tuples as lists


def shown_value(value: Any) -> str:
    """A value as the page prints it (JSON, so strings are quoted and null is visible)."""
    if isinstance(value, SealedSetting):
        return MASK
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def _accepts(spec: ShopSettingSpec, value: Any) -> bool:
    try:
        return bool(spec.check(value))
    except Exception:  # noqa: BLE001 - a validator that cannot read a probe does not accept it
        return False


def kind_of(spec: ShopSettingSpec) -> tuple[str, tuple[str, ...]]:
    """The input a setting gets, from its default and its validator: a text setting whose validator
    accepts only some words of its own help text is a choice among those words."""
    default = spec.default
    if spec.secret:
        return "secret", ()
    if isinstance(default, bool):
        return "bool", ()
    if isinstance(default, int):
        return ("number", ()) if _accepts(spec, default + 0.5) else ("int", ())  # a fee may have cents
    if isinstance(default, float):
        return "number", ()
    if isinstance(default, list | tuple):
        return ("list", ()) if all(isinstance(item, str) for item in default) else ("json", ())
    if isinstance(default, dict):
        return "json", ()
    if isinstance(default, str) and not _accepts(spec, _NOT_A_CHOICE):
        words = dict.fromkeys([default, *re.findall(r"[a-z][a-z0-9_]*", spec.help)])
        choices = tuple(word for word in words if word and _accepts(spec, word))
        if len(choices) >= 2:
            return "choice", choices
    return "text", ()


def input_text(kind: str, value: Any) -> str:
    if kind == "secret":
        return ""
    if kind == "list" and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if kind in ("list", "json"):
        return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False, indent=1 if
                          isinstance(value, dict) else None)
    if kind == "bool":
        return "true" if value else ""
    return "" if value is None else str(value)


def build_groups(sections: Sequence[tuple[str, Sequence[ShopSettingSpec]]], values: Mapping[str, Any],
                 last: Mapping[str, SettingChange]) -> list[SettingGroup]:
    groups = []
    for heading, specs in sections:
        group = SettingGroup(slug(heading), heading)
        for spec in specs:
            kind, choices = kind_of(spec)
            current = values.get(spec.key, spec.default)
            group.fields.append(SettingField(spec, kind, current, input_text(kind, current), choices,
                                             last_change=last.get(spec.key)))
        groups.append(group)
    return groups


class BadInput(ValueError):
    """What the merchant typed cannot be read as the setting's kind of value."""


def parse(setting: SettingField, raw: str | None) -> Any:
    """The value the merchant submitted for ``setting`` (``raw`` None: an unticked checkbox)."""
    key, kind = setting.key, setting.kind
    text = (raw or "").strip()
    if kind == "bool":
        return raw is not None
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise BadInput(f"{key}: {text!r} is not a whole number") from None
    if kind == "number":
        try:
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        except ValueError:
            raise BadInput(f"{key}: {text!r} is not a number") from None
    if kind == "list":
        return [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{key}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if kind == "text" and text == "" and setting.spec.default is None:
        return None
    return text


def submitted(group: SettingGroup, form: Mapping[str, str], *, clear: Sequence[str] = ()) -> dict[str, Any]:
    """The group's values that differ from the shop's current ones; a field that cannot be read gets its
    ``error`` (and keeps what was typed) and is left out. A blank secret keeps the stored one unless its
    key is in ``clear``."""
    changes: dict[str, Any] = {}
    for setting in group.fields:
        raw = form.get(setting.key)
        if setting.kind == "secret":
            if setting.key in clear:
                changes[setting.key] = ""
            elif raw:
                changes[setting.key] = raw.strip()
            continue
        if setting.kind != "bool":
            setting.text = raw or ""
        try:
            value = parse(setting, raw)
        except BadInput as exc:
            setting.error = str(exc)
            continue
        if setting.kind == "bool":
            setting.text = "true" if value else ""
        if not _same(value, setting.current):
            changes[setting.key] = value
    return changes
