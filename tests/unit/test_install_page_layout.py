"""The install pages' one layout (connector/templates/install/base.html): its colours keep WCAG AA
contrast, its buttons and inputs are 44 px tall, and it reads on a 390 px phone (no fixed widths)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.config import Settings
from connector.domain.errors import ConfigError

BASE = Path(__file__).resolve().parents[2] / "connector" / "templates" / "install" / "base.html"
CSS = BASE.read_text()


def variables() -> dict[str, str]:
    root = re.search(r":root \{(.*?)\}", CSS, re.S).group(1)  # type: ignore[union-attr]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, two: str) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


WHITE = "#ffffff"
PAIRS = [  # (text, background) as the layout uses them
    ("ink", "paper"), ("ink", "ground"), ("muted", "paper"), ("muted", "ground"), ("link", "paper"),
    ("link", "ground"), ("ok", "ok-bg"), ("wait", "wait-bg"), ("bad", "bad-bg"), ("bad", "paper"),
    ("brand", "paper"), (WHITE, "brand"), (WHITE, "brand-dark"),
]


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_every_text_colour_of_the_layout_keeps_aa_contrast_on_its_background(text: str, background: str) -> None:
    colours = variables() | {WHITE: WHITE}
    assert contrast(colours[text], colours[background]) >= 4.5, (text, background)


def test_the_layout_has_a_viewport_44_px_controls_and_no_fixed_widths() -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in CSS
    assert CSS.count("min-height: 44px") >= 2  # the buttons and the address field
    assert not re.search(r"\bwidth:\s*\d+px", CSS)  # nothing wider than a 390 px screen
    assert "max-width: 36rem" in CSS and "overflow-wrap: anywhere" in CSS  # long store addresses wrap


def test_the_support_address_must_be_an_address() -> None:
    assert Settings(app_support_email="help@connector.example").app_support_email == "help@connector.example"
    for bad in ("help", "help @connector.example", "@"):
        with pytest.raises(ConfigError, match="app.support_email"):
            Settings(app_support_email=bad)
