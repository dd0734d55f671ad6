"""Small charts drawn on the server as inline SVG (the KPI page, /app/kpis): no scripts, no outside files.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` (named by aria-labelledby), scales to
its container (a viewBox, width 100%), and is drawn in colours that keep 3:1 contrast against white (WCAG
1.4.11). The numbers themselves are in the accessible table the page puts beside every chart; the chart
repeats them only as a picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

COLOURS = ("#1f5199", "#a14d00", "#2f6f3e", "#7a2e8e")
"""Series colours (contrast against white: 7.4, 5.4, 6.0, 7.3)."""
TEXT = "#303030"
GRID = "#8a8a8a"
WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 40


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    """One per label; None: no value (a gap in a line, no bar)."""


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _top(values: Sequence[float | None]) -> float:
    """A round upper bound for the axis (1, 2, 5 x 10^n) at or above the largest value."""
    largest = max((v for v in values if v is not None), default=0.0)
    if largest <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(largest))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= largest)


def _frame(chart_id: str, title: str, desc: str, body: list[str], width: int, height: int) -> Markup:
    ident = escape(chart_id)
    return Markup(
        f'<svg class="chart" id="{ident}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" style="display: block; max-width: {width * 1.25:g}px" '
        f'preserveAspectRatio="xMinYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _axes(labels: Sequence[str], top: float, width: int, height: int) -> list[str]:
    plot_h = height - TOP - BOTTOM
    parts = [f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{width - RIGHT}" y2="{TOP + plot_h}" stroke="{GRID}"/>']
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
                     f'{escape(_number(top * fraction))}</text>')
        if fraction:
            parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" stroke="#d4d4d4" '
                         'stroke-dasharray="3 3"/>')
    slot = (width - LEFT - RIGHT) / max(len(labels), 1)
    every = max(1, int(len(labels) * 64 / (width - LEFT - RIGHT)) + 1)  # labels ~64 px apart at most
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" fill="{TEXT}">'
                         f'{escape(label)}</text>')
    return parts


def _legend(series: Sequence[Series], width: int, height: int) -> list[str]:
    if len(series) < 2:
        return []
    parts = []
    x = LEFT
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{height - 5}" fill="{TEXT}">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    return parts


def bar_chart(chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series],
              width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """Vertical bars, one group per label, one bar per series."""
    top = _top([v for s in series for v in s.values])
    plot_h = height - TOP - BOTTOM
    slot = (width - LEFT - RIGHT) / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    body = _axes(labels, top, width, height)
    for n, s in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        for i, value in enumerate(s.values):
            if value is None or value <= 0:
                continue
            h = plot_h * value / top
            x = LEFT + slot * i + slot * 0.1 + bar * n
            body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                        f'fill="{colour}"><title>{escape(labels[i])}: {escape(s.name)} '
                        f'{escape(_number(value))}</title></rect>')
    return _frame(chart_id, title, desc, body + _legend(series, width, height), width, height)


def line_chart(chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series],
               width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """One line per series through its values (a None breaks the line), with a dot on every value."""
    top = _top([v for s in series for v in s.values])
    plot_h = height - TOP - BOTTOM
    slot = (width - LEFT - RIGHT) / max(len(labels), 1)
    body = _axes(labels, top, width, height)
    for n, s in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h * (1 - value / top)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(labels[i])}: '
                        f'{escape(s.name)} {escape(_number(value))}</title></circle>')
        for points in runs:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                            'stroke-width="2"/>')
    return _frame(chart_id, title, desc, body + _legend(series, width, height), width, height)


def hbar_chart(chart_id: str, title: str, desc: str, labels: Sequence[str], values: Sequence[float],
               width: int = WIDTH, unit: str = "") -> Markup:
    """Horizontal bars, one per label (long labels such as SKUs and supplier names fit on the left)."""
    row = 24
    label_w = min(max(max((len(label) for label in labels), default=4) * 7 + 20, 60), width // 3)
    height = TOP + row * max(len(labels), 1) + 8
    top = max((abs(v) for v in values), default=0.0) or 1.0
    span = width - label_w - RIGHT - 48
    zero = label_w + (span / 2 if any(v < 0 for v in values) else 0)
    scale = (span / 2 if any(v < 0 for v in values) else span) / top
    body = [f'<line x1="{zero:.1f}" y1="{TOP - 4}" x2="{zero:.1f}" y2="{height - 4}" stroke="{GRID}"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + row * i
        w = abs(value) * scale
        x = zero - w if value < 0 else zero
        text_x = (x - 4) if value < 0 else (zero + w + 4)
        anchor = "end" if value < 0 else "start"
        shown = escape(_number(value) + unit)
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}">'
                    f'{escape(label[:40])}</text>'
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" '
                    f'fill="{COLOURS[0] if value >= 0 else COLOURS[1]}"/>'
                    f'<text x="{text_x:.1f}" y="{y + 15}" text-anchor="{anchor}" fill="{TEXT}">{shown}</text>')
    return _frame(chart_id, title, desc, body, width, height)
