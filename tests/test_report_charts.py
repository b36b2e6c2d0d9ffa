"""Inline SVG charts: well-formed, scaled to the data, labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports.charts import line_chart, sentiment_bar, sparkline, stacked_share_chart

NS = "{http://www.w3.org/2000/svg}"
EVIL = '<script>window.__xss=1</script>" onload="x'


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_line_chart__one_line_per_series_and_points_scaled():
    svg = _parse(line_chart(["W1", "W2", "W3"], {"Reddit": [0, 5, 10], "YouTube": [2, None, 4]}, title="t"))
    lines = svg.findall(f"{NS}polyline")
    assert len(lines) == 2
    reddit = [tuple(map(float, p.split(","))) for p in lines[-1].get("points").split()]
    ys = [y for _, y in reddit]
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher
    assert ys[0] - ys[1] == ys[1] - ys[2]  # linear
    assert len(svg.findall(f"{NS}circle")) == 5  # None leaves a gap


def test_line_chart__percent_axis_labels():
    svg = line_chart(["a", "b"], {"rate": [0.2, 0.4]}, title="rate", percent=True)
    labels = [t.text for t in _parse(svg).iter(f"{NS}text")]
    assert "40%" in labels and "0%" in labels


def test_stacked_share_chart__columns_sum_to_full_height_and_empty_week_outlined():
    svg = _parse(stacked_share_chart(["W1", "W2"], {"neg": [1, 0], "pos": [3, 0]}, title="s"))
    bars = [r for r in svg.findall(f"{NS}rect") if r.find(f"{NS}title") is not None]
    heights = [float(r.get("height")) for r in bars]
    assert len(bars) == 2 and heights[1] == 3 * heights[0]
    assert any(r.get("stroke-dasharray") for r in svg.findall(f"{NS}rect"))


def test_charts__user_text_is_escaped():
    for svg in (
        line_chart([EVIL], {EVIL: [1]}, title=EVIL),
        stacked_share_chart([EVIL], {EVIL: [1]}, title=EVIL),
        sparkline([1, 2], title=EVIL),
    ):
        root = _parse(svg)  # still well-formed XML
        assert "<script" not in svg and root.find(f".//{NS}script") is None
        assert root.find(f"{NS}title").text == EVIL


def test_sparkline_and_sentiment_bar__shapes():
    assert len(_parse(sparkline([])).findall(f"{NS}polyline")) == 1
    widths = [
        float(r.get("width"))
        for r in _parse(
            sentiment_bar({"negative": 0.5, "neutral": 0.25, "positive": 0.25}, width=100)
        ).findall(f"{NS}rect")
    ]
    assert widths == [50, 25, 25]
