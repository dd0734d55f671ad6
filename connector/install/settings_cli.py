"""`connector shops settings S` and `connector shops set S KEY VALUE`."""

from __future__ import annotations

import json

import click

from connector.cli_support import _container, _fail_cleanly


@click.command("settings")
@click.argument("shop_name")
@_fail_cleanly
def shops_settings(shop_name: str) -> None:
    """Show a shop's settings (its own values and the defaults); secret ones redacted."""
    from connector.shop_settings import SealedSetting, all_settings, registry, shown
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    box = c.box if c.settings.secret_key else None
    for key, value in all_settings(c.uow(), info.id).items():
        note = " (stored in plain text: `connector keys rotate` seals it)" \
            if isinstance(value, SealedSetting) and value.legacy else ""
        help_text = registry().spec(key).help
        click.echo(f"{key:<40} {json.dumps(shown(value, box), ensure_ascii=False):<20} {help_text}{note}")


@click.command("set")
@click.argument("shop_name")
@click.argument("key")
@click.argument("value")
@_fail_cleanly
def shops_set(shop_name: str, key: str, value: str) -> None:
    """Set one of a shop's settings; VALUE is JSON (true, 7, "text", {"a": 1}). Secret ones are sealed."""
    from connector.shop_settings import redact_url, registry, set_setting
    from connector.shops import resolve_shop

    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value  # a bare word is a string
    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    from connector.install.scopes import check_before_setting

    for warning in check_before_setting(c, info.id, key, parsed):  # MissingScopes: names them, gives the link
        click.echo(warning, err=True)
    secret = key in registry() and registry().spec(key).secret and parsed != ""
    set_setting(c.uow(), info.id, key, parsed, box=c.box if secret else None, actor=cli_actor(), source="cli")
    echoed = redact_url(str(parsed)) if secret else parsed
    click.echo(f"{info.domain}: {key} = {json.dumps(echoed, ensure_ascii=False)}")

def cli_actor() -> str:
    """Who changes a setting from the command line, for the audit trail: ``cli:<os user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        import os

        return f"cli:uid {os.getuid()}"


@click.command("changes")
@click.argument("shop_name")
@click.option("--key", default=None, help="Only the changes of this setting.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@_fail_cleanly
def shops_changes(shop_name: str, key: str | None, limit: int, as_json: bool) -> None:
    """The audit trail of a shop's settings: who changed which, when, old -> new (newest first)."""
    from connector.shop_settings import setting_changes
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    changes = setting_changes(c.uow(), info.id, key=key, limit=limit)
    if as_json:
        click.echo(json.dumps([{"key": ch.key, "old": ch.old_value, "new": ch.new_value, "old_default": ch.old_default,
                                "actor": ch.actor, "source": ch.source, "changed_at": ch.changed_at.isoformat()}
                               for ch in changes], ensure_ascii=False))
        return
    for ch in changes:
        old = json.dumps(ch.old_value, ensure_ascii=False) + (" (default)" if ch.old_default else "")
        click.echo(f"{ch.changed_at:%Y-%m-%d %H:%M:%S}  {ch.actor} ({ch.source})  {ch.key}: {old} -> "
                   f"{json.dumps(ch.new_value, ensure_ascii=False)}")
    if not changes:
        click.echo("(no changes recorded)")


SHOPS_COMMANDS = (shops_settings, shops_set, shops_changes,)
