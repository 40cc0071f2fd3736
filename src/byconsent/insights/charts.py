"""Hand-written server-side SVG charts. Each is drawn beside a table with the same figures (ui chart_with_table);
the SVG carries no script and no style attribute (the CSP forbids inline styles), only presentation attributes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# GOV.UK Frontend colours that keep a 3:1 contrast against white, in an order that separates neighbours.
PALETTE = ["#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#28a197", "#912b88", "#505a5f", "#b58840",
           "#003078"]


@dataclass(frozen=True)
class Bar:
    value: float | None  # None: not shown (suppressed)
    low: float | None = None
    high: float | None = None


def grouped_bars(groups: Sequence[str], series: Sequence[str], values: Sequence[Sequence[Bar]],
                 maximum: float | None = None, unit: str = "%") -> SafeString:
    """Horizontal bars: one block per group, one bar per series inside it, with interval whiskers when given."""
    label_width, plot_width, bar_height, gap = 180, 420, 12, 10
    block = bar_height * max(1, len(series)) + gap
    legend_height = 18 * len(series) + 10
    height = legend_height + block * len(groups) + 30
    top = max((b.high if b.high is not None else (b.value or 0.0)) for row in values for b in row) if values else 1.0
    scale_max = maximum if maximum is not None else max(top, 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_width + plot_width + 60} {height}" '
             f'width="100%" focusable="false" aria-hidden="true">']
    for k, name in enumerate(series):
        y = 6 + 18 * k
        parts.append(f'<rect x="{label_width}" y="{y}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{label_width + 18}" y="{y + 11}" font-size="12" fill="#0b0c0c">{escape(name)}</text>')
    for g, group in enumerate(groups):
        y0 = legend_height + g * block
        parts.append(f'<text x="{label_width - 8}" y="{y0 + block / 2}" font-size="12" text-anchor="end" '
                     f'fill="#0b0c0c">{escape(_short(group))}</text>')
        for k, bar in enumerate(values[g]):
            y = y0 + k * bar_height
            if bar.value is None:
                parts.append(f'<text x="{label_width + 4}" y="{y + bar_height - 2}" font-size="10" '
                             f'fill="#505a5f">not shown</text>')
                continue
            width = plot_width * bar.value / scale_max
            parts.append(f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="{bar_height - 2}" '
                         f'fill="{PALETTE[k % len(PALETTE)]}"/>')
            if bar.low is not None and bar.high is not None:
                x1 = label_width + plot_width * bar.low / scale_max
                x2 = label_width + plot_width * bar.high / scale_max
                mid = y + (bar_height - 2) / 2
                parts.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{mid}" y2="{mid}" stroke="#0b0c0c" '
                             f'stroke-width="1.5"/>')
    axis_y = legend_height + block * len(groups) + 4
    parts.append(f'<line x1="{label_width}" x2="{label_width + plot_width}" y1="{axis_y}" y2="{axis_y}" '
                 f'stroke="#505a5f"/>')
    for tick in range(5):
        value = scale_max * tick / 4
        x = label_width + plot_width * tick / 4
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="11" text-anchor="middle" fill="#0b0c0c">'
                     f'{value:.0f}{escape(unit)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def column_chart(labels: Sequence[str], values: Sequence[float]) -> SafeString:
    """Vertical columns (e.g. counts per month)."""
    width, height, left, bottom = 640, 240, 40, 40
    top = max(values) if values else 1.0
    top = max(top, 1.0)
    step = (width - left - 10) / max(1, len(labels))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'focusable="false" aria-hidden="true">']
    plot = height - bottom - 10
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar = plot * value / top
        x = left + i * step + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{10 + plot - bar:.1f}" width="{step * 0.7:.1f}" height="{bar:.1f}" '
                     f'fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 14}" font-size="10" '
                     f'text-anchor="middle" fill="#0b0c0c">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{10 + plot}" y2="{10 + plot}" stroke="#505a5f"/>')
    parts.append(f'<text x="{left - 4}" y="16" font-size="10" text-anchor="end" fill="#0b0c0c">{top:.0f}</text>')
    parts.append(f'<text x="{left - 4}" y="{10 + plot}" font-size="10" text-anchor="end" fill="#0b0c0c">0</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
