"""The Settings page (/app/settings): every per-shop setting grouped by feature, saved per group with an
audit trail (connector.shop_settings.set_settings: the same validation and the same audit as `connector
shops set`), the shop's recent changes, and each setting's own history (/app/settings/changes?key=K).

Settings that turn on a Shopify feature keep the scope checks of the CLI (connector.install.scopes): a
change the shop's granted scopes do not allow is refused beside its field with the re-authorisation link.
"""

from __future__ import annotations

from typing import Any

from flask import g, make_response, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.errors import ConnectorError
from connector.domain.shopify_access import MissingScopes
from connector.install.scopes import check_setting_change
from connector.merchant.settings_form import SettingGroup, build_groups, submitted
from connector.merchant.shell import app_link, container, merchant_bp, merchant_view, render_page
from connector.settings_registry import FEATURE_SETTINGS
from connector.shop_settings import (
    SettingsRefused,
    all_settings,
    last_changes,
    set_settings,
    setting_changes,
    shown,
)

RECENT = 15
"""Changes listed on the page (the full history of one setting is a click away)."""


def _groups() -> list[SettingGroup]:
    c, shop_id = container(), g.merchant.shop_id
    return build_groups(FEATURE_SETTINGS, all_settings(c.uow(), shop_id), last_changes(c.uow(), shop_id))


def _page(groups: list[SettingGroup], status: int = 200) -> ResponseReturnValue:
    c = container()
    box = c.box if c.settings.secret_key else None
    changes = setting_changes(c.uow(), g.merchant.shop_id, limit=RECENT)
    response = make_response(render_page("settings.html", groups=groups, changes=changes,
                                         shown=lambda v: shown(v, box)))
    response.status_code = status
    return response


@merchant_bp.get("/settings")
@merchant_view
def settings_page() -> ResponseReturnValue:
    groups = _groups()
    saved = request.args.get("saved")
    for group in groups:
        group.saved = group.slug == saved
    return _page(groups)


def _scope_problems(group: SettingGroup, changes: dict[str, Any]) -> list[str]:
    """Refuse (beside the field) a change that needs scopes the shop did not grant; returns warnings for
    scopes that could not be verified. The changes are checked in turn, each on top of the ones before."""
    c, shop_id = container(), g.merchant.shop_id
    current = all_settings(c.uow(), shop_id)
    warnings: list[str] = []
    fields = {f.key: f for f in group.fields}
    for key, value in changes.items():
        try:
            gaps = check_setting_change(c, shop_id, key, value, current)
        except MissingScopes as exc:
            fields[key].error = str(exc)
            fields[key].reauthorize_url = exc.reauthorize_url
            continue
        warnings += [f"Could not verify that the store granted {', '.join(gap.missing)} (needed by "
                     f"{gap.feature.name}); the change was saved." for gap in gaps]
        current = {**current, key: value}
    return warnings


@merchant_bp.post("/settings")
@merchant_view
def save_settings() -> ResponseReturnValue:
    """Save one group: every value is read and validated first; nothing is saved when any is refused
    (the page comes back with each problem beside its field and what was typed kept)."""
    groups = _groups()
    group = next((each for each in groups if each.slug == request.form.get("group")), None)
    if group is None:
        return _page(groups, 400)
    changes = submitted(group, request.form, clear=request.form.getlist("clear"))
    warnings = _scope_problems(group, changes) if changes and not group.has_errors else []
    if changes and not group.has_errors:
        c = container()
        secret = any(f.kind == "secret" and changes.get(f.key) for f in group.fields)
        try:
            set_settings(c.uow(), g.merchant.shop_id, changes, box=c.box if secret else None,
                         actor=g.merchant.actor, source="app")
        except SettingsRefused as refused:
            for f in group.fields:
                f.error = refused.problems.get(f.key, f.error)
        except ConnectorError as exc:  # e.g. no key to seal a secret with
            group.warnings.append(str(exc))
            return _page(groups, 422)
    if group.has_errors:
        return _page(groups, 422)
    if warnings:  # saved, with scopes that could not be verified: say so on the page itself
        fresh = _groups()
        for each in fresh:
            if each.slug == group.slug:
                each.saved, each.warnings = True, warnings
        return _page(fresh)
    return redirect(app_link("/app/settings", saved=group.slug) + f"#{group.slug}", code=303)


@merchant_bp.get("/settings/changes")
@merchant_view
def setting_history() -> ResponseReturnValue:
    key = request.args.get("key") or None
    c = container()
    changes = setting_changes(c.uow(), g.merchant.shop_id, key=key, limit=200)
    return render_page("settings_changes.html", key=key, changes=changes)
