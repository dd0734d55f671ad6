"""What every `connector` command shares: clean failures, settings, the container, tables.

Feature command modules (``connector/<feature>/cli.py``) import these; ``connector/cli.py``
assembles the commands. Nothing here imports a feature.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from connector.domain.errors import ConfigError, ConnectorError


def _fail_cleanly(function: Callable[..., Any]) -> Callable[..., Any]:
    """Map connector errors to a one-line message and an exit code (2 config, 1 otherwise)."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except ConnectorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def _settings(**overrides: Any):  # type: ignore[no-untyped-def]
    from connector.config import load_settings
    from connector.logs import configure

    settings = load_settings()
    if overrides:
        settings = settings.with_overrides(**overrides)
    configure(settings.log_level, fmt=settings.log_format)
    return settings


_bootstrap: Callable[..., Any] | None = None
"""The composition root, handed over by connector/cli.py (``use_bootstrap``): feature command modules
import this module, and bootstrap imports every feature, so importing it here would close a circle."""


def use_bootstrap(bootstrap: Callable[..., Any]) -> None:
    global _bootstrap
    _bootstrap = bootstrap


def _container(**kwargs: Any):  # type: ignore[no-untyped-def]
    if _bootstrap is None:
        raise RuntimeError("connector.cli hands the composition root over before any command runs")
    return _bootstrap(_settings(), **kwargs)


def render_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)
