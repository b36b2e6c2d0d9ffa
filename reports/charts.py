"""Inline SVG charts, generated in Python: no JavaScript, no network, print as vectors.

Every function returns an `<svg>` string; any text inside (titles, labels, legends) is escaped, so
charts are safe to embed even when labels come from user content.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
SENTIMENT_COLORS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#16a34a"}
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.0f}%" if percent else f"{value:,.0f}"


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> str:
    t = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>'
        + "".join(body)
        + "</svg>"
    )


def _nice_max(values: Sequence[float], percent: bool) -> float:
    top = max([v for v in values if v is not None] + [0.0])
    if percent:
        return min(1.0, max(0.1, -(-top * 10 // 1) / 10))
    if top <= 0:
        return 1.0
    step = 10 ** max(0, len(str(int(top))) - 1)
    return float(-(-top // step) * step)


def _legend(names: Sequence[str], colors: Sequence[str], x: float, y: float) -> list[str]:
    out, offset = [], 0.0
    for name, color in zip(names, colors, strict=False):
        out.append(
            f'<rect x="{_num(x + offset)}" y="{_num(y - 8)}" width="10" height="10" fill="{color}"/>'
            f'<text x="{_num(x + offset + 14)}" y="{_num(y)}" {_FONT} fill="#374151">{escape(name)}</text>'
        )
        offset += 24 + 6.5 * len(name)
    return out


def _axes(
    labels: Sequence[str], ymax: float, percent: bool, box: tuple[float, float, float, float]
) -> list[str]:
    left, top, right, bottom = box
    out = []
    for frac in (0.0, 0.5, 1.0):
        y = bottom - frac * (bottom - top)
        out.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" stroke="#e5e7eb"/>'
            f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end" {_FONT} fill="#6b7280">'
            f"{escape(_fmt(ymax * frac, percent))}</text>"
        )
    for i, label in enumerate(labels):
        x = _x(i, len(labels), left, right)
        out.append(
            f'<text x="{_num(x)}" y="{_num(bottom + 16)}" text-anchor="middle" {_FONT} '
            f'fill="#6b7280">{escape(label)}</text>'
        )
    return out


def _x(i: int, n: int, left: float, right: float) -> float:
    return left + (right - left) * (i + 0.5) / max(n, 1)


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    title: str,
    width: int = 520,
    height: int = 190,
    percent: bool = False,
) -> str:
    """Lines over weeks (None values leave a gap), with axes and a legend."""
    box = (46.0, 26.0, width - 10.0, height - 24.0)
    ymax = _nice_max([v for vals in series.values() for v in vals if v is not None], percent)
    body = _axes(labels, ymax, percent, box)
    colors = PALETTE[: len(series)]
    for (name, values), color in zip(series.items(), colors, strict=False):
        points = []
        for i, v in enumerate(values):
            if v is None:
                continue
            x, y = _x(i, len(labels), box[0], box[2]), box[3] - (v / ymax) * (box[3] - box[1])
            points.append(f"{_num(x)},{_num(y)}")
            body.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="2.8" fill="{color}">'
                f"<title>{escape(f'{name} {labels[i]}: {_fmt(v, percent)}')}</title></circle>"
            )
        if len(points) > 1:
            body.insert(
                0, f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
    body += _legend(list(series), colors, box[0], 14)
    return _svg(width, height, title, body, "chart line-chart")


def stacked_share_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    colors: dict[str, str] | None = None,
    width: int = 520,
    height: int = 190,
) -> str:
    """100% stacked columns per week (e.g. the sentiment split, from counts or estimated counts); an
    empty week shows a grey outline.
    """
    colors = colors or dict(zip(series, PALETTE, strict=False))
    box = (46.0, 26.0, width - 10.0, height - 24.0)
    body = _axes(labels, 1.0, True, box)
    slot = (box[2] - box[0]) / max(len(labels), 1)
    for i in range(len(labels)):
        total = float(sum(float(vals[i]) for vals in series.values()))
        x = box[0] + slot * i + slot * 0.18
        w = slot * 0.64
        if total <= 0:
            body.append(
                f'<rect x="{_num(x)}" y="{_num(box[1])}" width="{_num(w)}" height="{_num(box[3] - box[1])}" '
                f'fill="none" stroke="#e5e7eb" stroke-dasharray="3 3"/>'
            )
            continue
        y = box[3]
        for name, vals in series.items():
            h = (float(vals[i]) / total) * (box[3] - box[1])
            y -= h
            body.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
                f'fill="{colors.get(name, "#6b7280")}"><title>'
                f"{escape(f'{name} {labels[i]}: {float(vals[i]) / total:.0%}')}</title></rect>"
            )
    body += _legend(list(series), [colors.get(n, "#6b7280") for n in series], box[0], 14)
    return _svg(width, height, title, body, "chart share-chart")


def sparkline(values: Sequence[float], *, title: str = "trend", width: int = 96, height: int = 24) -> str:
    """A small trend line (last point marked); a flat baseline when there is no history."""
    if not values:
        values = [0]
    top = max(max(values), 1)
    step = (width - 6) / max(len(values) - 1, 1)
    pts = [(3 + i * step, height - 3 - (v / top) * (height - 6)) for i, v in enumerate(values)]
    line = " ".join(f"{_num(x)},{_num(y)}" for x, y in pts)
    lx, ly = pts[-1]
    body = [
        f'<polyline points="{line}" fill="none" stroke="#2563eb" stroke-width="1.6"/>',
        f'<circle cx="{_num(lx)}" cy="{_num(ly)}" r="2.4" fill="#2563eb"/>',
    ]
    return _svg(width, height, title, body, "chart sparkline")


def sentiment_bar(sentiment: dict[str, float], *, width: int = 96, height: int = 12) -> str:
    """A single horizontal bar split negative / neutral / positive."""
    total = sum(max(float(sentiment.get(k, 0.0)), 0.0) for k in SENTIMENT_COLORS) or 1.0
    x, body = 0.0, []
    for key, color in SENTIMENT_COLORS.items():
        w = width * max(float(sentiment.get(key, 0.0)), 0.0) / total
        body.append(f'<rect x="{_num(x)}" y="0" width="{_num(w)}" height="{height}" fill="{color}"/>')
        x += w
    parts = ", ".join(f"{k} {float(sentiment.get(k, 0.0)) / total:.0%}" for k in SENTIMENT_COLORS)
    return _svg(width, height, f"sentiment: {parts}", body, "chart sentiment-bar")
