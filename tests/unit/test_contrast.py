"""WCAG 2.x contrast (connector/domain/contrast.py): the formula on known pairs, and the text colour
chosen for a shop's accent colour always meets AA."""

from __future__ import annotations

import itertools

import pytest

from connector.domain import contrast


def test_black_on_white_is_twenty_one_to_one_and_a_colour_on_itself_is_one() -> None:
    assert contrast.ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast.ratio("#ffffff", "#000") == pytest.approx(21.0)
    assert contrast.ratio("#1f5c99", "#1F5C99") == pytest.approx(1.0)


@pytest.mark.parametrize(("fg", "bg", "expected"), [
    ("#767676", "#ffffff", 4.54),  # the classic lightest grey that still meets AA on white
    ("#777777", "#ffffff", 4.48),  # one step lighter: misses
    ("#0000ff", "#ffffff", 8.59),
    ("#ff0000", "#ffffff", 4.00),
    ("#008000", "#ffffff", 5.14),
])
def test_the_ratio_follows_the_wcag_relative_luminance_formula(fg: str, bg: str, expected: float) -> None:
    assert contrast.ratio(fg, bg) == pytest.approx(expected, abs=0.005)
    assert contrast.ratio(bg, fg) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(("accent", "text"), [
    ("#ffcc00", contrast.BLACK), ("#f5f5dc", contrast.BLACK), ("#1a1a1a", contrast.WHITE),
    ("#1f5c99", contrast.WHITE), ("#e91e63", contrast.BLACK), ("#7b1fa2", contrast.WHITE), ("#abc", contrast.BLACK),
])
def test_the_text_on_an_accent_is_black_on_light_colours_and_white_on_dark_ones(accent: str, text: str) -> None:
    chosen = contrast.text_on(accent)
    assert chosen.text == text
    assert chosen.meets_aa, chosen.reason
    other = contrast.WHITE if text == contrast.BLACK else contrast.BLACK
    assert contrast.ratio(accent, text) >= contrast.ratio(accent, other)


def test_every_accent_gets_a_text_colour_that_meets_aa() -> None:
    steps = range(0, 256, 17)
    worst = min(contrast.text_on("#{:02x}{:02x}{:02x}".format(*rgb)).ratio
                for rgb in itertools.product(steps, repeat=3))
    assert worst >= contrast.AA_TEXT


def test_the_reason_names_both_ratios() -> None:
    assert contrast.text_on("#ffcc00").reason == (
        "black text on #ffcc00: 13.89:1 (black 13.89:1, white 1.51:1), meets AA")


@pytest.mark.parametrize("value", ["", "red", "#12345", "#ggg", "javascript:alert(1)", "#1234567"])
def test_what_is_not_a_hex_colour_is_refused(value: str) -> None:
    assert contrast.parse_hex(value) is None
    with pytest.raises(ValueError, match="not a hex colour"):
        contrast.ratio(value, "#fff")
