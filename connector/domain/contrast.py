"""Colour contrast as WCAG 2.x defines it: relative luminance and contrast ratio, and the text colour
(black or white) that reads best on a brand's accent colour. Standard library only.

WCAG 2.2, "relative luminance": each sRGB channel c (0-1) is linearised as c/12.92 when c <= 0.04045,
else ((c + 0.055) / 1.055) ** 2.4; L = 0.2126 R + 0.7152 G + 0.0722 B. "Contrast ratio":
(L1 + 0.05) / (L2 + 0.05) with L1 the lighter. AA asks 4.5:1 for body text, 3:1 for large text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
BLACK, WHITE = "#000000", "#ffffff"
AA_TEXT, AA_LARGE = 4.5, 3.0


def parse_hex(value: str) -> tuple[int, int, int] | None:
    """(r, g, b) 0-255 of "#1a2b3c", "1a2b3c" or "#abc"; None when it is not a hex colour."""
    found = HEX.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        return None
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def normalise(value: str) -> str | None:
    """"#rrggbb" in lower case, or None when ``value`` is not a hex colour."""
    rgb = parse_hex(value)
    return None if rgb is None else "#{:02x}{:02x}{:02x}".format(*rgb)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two hex colours, 1.0 to 21.0. ValueError when one is not a colour."""
    a, b = parse_hex(first), parse_hex(second)
    if a is None or b is None:
        raise ValueError(f"not a hex colour: {first if a is None else second!r}")
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class OnColour:
    """The text colour chosen for a background, with why."""

    text: str
    ratio: float
    reason: str

    @property
    def meets_aa(self) -> bool:
        return self.ratio >= AA_TEXT


def text_on(background: str) -> OnColour:
    """Black or white text on ``background``, whichever has the higher contrast ratio (ties: white).
    The reason says both ratios and whether body text meets AA (4.5:1); one of the two always reaches
    at least 4.58:1, so a button label in the chosen colour always meets AA."""
    on_black, on_white = ratio(background, BLACK), ratio(background, WHITE)
    text, best = (BLACK, on_black) if on_black > on_white else (WHITE, on_white)
    verdict = "meets" if best >= AA_TEXT else "misses"
    return OnColour(text, best, f"{'black' if text == BLACK else 'white'} text on {normalise(background)}: "
                                f"{best:.2f}:1 (black {on_black:.2f}:1, white {on_white:.2f}:1), {verdict} AA")


def readable_accent(accent: str, page: str = WHITE) -> OnColour:
    """Whether an accent colour can itself be used as text/link colour on ``page`` (AA 4.5:1)."""
    value = ratio(accent, page)
    return OnColour(normalise(accent) or accent, value,
                    f"{normalise(accent)} on {normalise(page)}: {value:.2f}:1, "
                    f"{'meets' if value >= AA_TEXT else 'misses'} AA")
