"""The sandbox merchant-written message templates render in (message_templates, connector/notify/templates.py).

A ``SandboxedEnvironment``: a template reaches only the values it is given (no attribute walks to
Python internals, no unsafe calls; ``range`` is bounded), with ``StrictUndefined`` so a name the
context lacks is an error rather than a blank. It renders TEXT (the subject, the text part, the
"what we are doing about it" paragraph) without autoescaping; the HTML part is made from that text by
escaping all of it (connector/notify/email.py ``paragraphs``), which is stricter than autoescape: the
merchant's own literal text cannot add markup either.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

MAX_SOURCE = {"subject": 500, "body": 20_000, "doing": 2_000}
"""Longest template source accepted per field (characters)."""


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


@lru_cache(maxsize=512)
def compiled(source: str) -> Template:
    """The compiled template of one source (cached: the same override renders every message of a run)."""
    return environment().from_string(source)


def render(source: str, context: dict[str, Any]) -> str:
    return compiled(source).render(context)
