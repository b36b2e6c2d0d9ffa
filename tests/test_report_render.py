"""Rendering: HTML, Markdown, CSV and JSON of a hand-made report full of hostile user text."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_fixtures import (
    BRAND,
    FORMULA,
    IMG,
    JS_URL,
    REPORT_SECTIONS,
    SCRIPT,
    WEEK,
    fill_store,
    make_insight,
)

from reports.assemble import assemble_report, next_actions
from reports.render import csv_cell, md_escape, md_link, render_html, render_markdown, safe_url, write_report
from store.db import Store


@pytest.fixture
def report(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    fill_store(store)
    return assemble_report(store, BRAND, WEEK, make_insight())


def test_safe_url__only_http_links():
    assert safe_url("https://youtu.be/x?t=1") == "https://youtu.be/x?t=1"
    for bad in (
        JS_URL,
        " JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "http://a b",
        None,
        3,
        'https://x.example/"onmouseover="x',
    ):
        assert safe_url(bad) is None


def test_md_escape__neutralises_markup():
    assert md_escape(SCRIPT) == "&lt;script&gt;window.\\_\\_xss=1&lt;/script&gt;"
    assert md_escape("# title | [x](javascript:y) `code`\nnext") == (
        "\\# title \\| \\[x\\](javascript:y) \\`code\\` next"
    )
    assert md_escape("- item") == "\\- item" and md_escape("1. item") == "\\1. item"
    assert md_link("t", JS_URL) == "t"
    assert md_link("a]b", "https://x.example/a b(c)") == "a\\]b"  # a space makes the URL unsafe
    assert md_link("ok", "https://x.example/p(1)") == "[ok](https://x.example/p%281%29)"


def test_csv_cell__formula_injection_prefixed():
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "safe", -3, None)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "safe",
        -3,
        None,
    ]


def test_render_html__user_text_escaped_and_self_contained(report):
    html = render_html(report)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in html
    assert "javascript:" not in html.lower().replace("[link](javascript:alert(1))", "")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert not re.search(r'(src|href)="https?://[^"]*\.(css|js)"', html) and "<link" not in html
    assert html.count("<svg") >= 3 + 2 * 3  # 3 trend charts + sparkline and sentiment bar per topic
    for section in REPORT_SECTIONS:
        assert f'id="{section}"' in html
    assert html.index('id="next-steps"') < html.index('id="emerging"') < html.index('id="headlines"')
    assert "@media print" in html


def test_render_html__coverage_shows_cut_short_quota_and_quarantine(report):
    html = render_html(report)
    section = html[html.index('id="coverage"') : html.index('id="methods"')]
    assert "cut short: quotaExceeded" in section
    assert "9,800" in section  # quota units used since the week began
    assert report.coverage.quarantined_total == 2 and report.coverage.failed_runs == 1
    assert "minilm-test" in section


def test_render_markdown__escaped_and_tables_intact(report):
    md = render_markdown(report)
    assert "<script" not in md and "<img" not in md and "javascript:window" not in md
    assert "[javascript" not in md.lower()
    topic_rows = [line for line in md.splitlines() if line.startswith("| ") and "Fading" in line]
    assert len(topic_rows) == 1 and len(re.findall(r"(?<!\\)\|", topic_rows[0])) == 9  # 8 columns
    assert "[Fix login](https://youtu.be/v1)" in md
    creator_row = next(line for line in md.splitlines() if line.startswith("| FixItFelix"))
    assert "| login fails; sync &lt;script&gt;" in creator_row  # the creator's topics
    assert "[Fix login &lt;script&gt;window.\\_\\_xss=1&lt;/script&gt;](https://youtu.be/v1) |" in creator_row
    assert md.index("## What to do next") < md.index("## Emerging topics") < md.index("## Headline numbers")


def test_next_actions__gaps_then_weak_articles_then_content(report):
    kinds = [a.kind for a in next_actions(make_insight())]
    assert kinds == ["write", "update", "link"]
    assert report.actions[0].outline[0]["source_url"] == "https://youtu.be/v1"
    assert [t.topic_id for t in report.emerging] == [1, 2]


def test_next_actions__balanced_between_kinds():
    base = make_insight()
    gap = base.gaps[0]
    topic_gaps = [replace(gap, ref=str(i), label=f"topic {i}", volume=10 * i) for i in range(5)]
    howto_gaps = [
        replace(gap, kind="howto", ref=base.howto[0].mention_id, label=f"howto {i}") for i in range(3)
    ]
    actions = next_actions(replace(base, gaps=topic_gaps + howto_gaps))
    assert [a.title for a in actions] == [
        "Write an article: topic 4",
        "Write an article: topic 3",
        "Write an article: topic 2",
        "Update the article: Refunds explained",
        "Write an article: howto 0",
        "Write an article: howto 1",
    ]
    assert actions[4].links == [{"title": f"Model it on: {base.howto[0].title}", "url": base.howto[0].url}]
    assert "3 replies say it worked" in actions[4].why
    assert actions[0].topic_label == "topic 4"
    assert (
        actions[4].topic_label == base.howto[0].topic_label == "login fails"
    )  # the item's topic, not its title


def test_render__a_step_that_is_its_sources_title_cites_just_source(report):
    gap = report.insight.gaps[0]
    step = {
        "step": "How to reset the router",
        "source_url": "https://r.example/1",
        "source_title": "How to reset the router",
    }
    report.insight = replace(report.insight, gaps=[replace(gap, outline=[step], questions=[])])
    md, html = render_markdown(report), render_html(report)
    assert "How to reset the router ([source](https://r.example/1))" in md
    assert "source: How to reset the router" not in md and "source: How to reset the router" not in html


def test_write_report__csv_safe_and_json_complete(report, tmp_path: Path):
    files = write_report(report, tmp_path / "out")
    assert files.html.parent == tmp_path / "out" / "acme" / "2026-W47"
    assert set(files.csv) >= {
        "topics",
        "howto",
        "gaps",
        "weak_articles",
        "creators",
        "trend",
        "coverage_sources",
    }
    cells = []
    for path in files.csv.values():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            cells += [c for row in list(csv.reader(fh))[1:] for c in row]
    assert "'" + FORMULA in cells
    assert not [
        c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not re.fullmatch(r"-[\d.]+", c))
    ]
    text = files.json.read_text(encoding="utf-8")
    assert "<" not in text
    data = json.loads(text)
    assert data["period"] == "2026-W47" and data["tables"]["topics"][0]["label"].endswith(IMG)
    assert data["insight"]["howto"][0]["title"].endswith(SCRIPT)
    with files.csv["trend"].open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == 8


_TEXTS = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "",
            "   ",
            "\u202eevil\u202c",
            "\ud800 lone",
            "x" * 100_000,
            "😀" * 50,
            "\x00\x1b[31m",
            SCRIPT,
            IMG,
            FORMULA,
            "</style><script>1</script>",
            "]]></svg><script>1</script>",
        ]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=_TEXTS, quote=_TEXTS, title=_TEXTS, url=_TEXTS)
def test_write_report__any_user_text_renders_inert(report, tmp_path: Path, label, quote, title, url):
    insight = make_insight()
    topic = replace(
        insight.topics[0],
        label=label,
        words=[label],
        representatives=[{"mention_id": "m", "text": quote, "url": url, "source": title}],
    )
    howto = replace(insight.howto[0], title=title, creator=quote, url=url, reasons=[label])
    report.insight = replace(insight, topics=[topic], howto=[howto], notes=[quote])
    files = write_report(report, tmp_path / "h")
    html = files.html.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert all(h.startswith(("http://", "https://")) for h in re.findall(r'href="([^"]*)"', html))
    md = files.markdown.read_text(encoding="utf-8")
    assert "<script" not in md.lower()
    json.loads(files.json.read_text(encoding="utf-8"))


def test_render__long_quotes_clipped(report):
    long = "word " * 5000
    t = report.insight.topics[0]
    report.insight = replace(
        report.insight, topics=[replace(t, representatives=[{"text": long, "url": None}])]
    )
    html, md = render_html(report), render_markdown(report)
    assert long.strip() not in html and "word word word…" in html
    assert len(max(md.splitlines(), key=len)) < 1000


def test_render__a_loose_topic_says_how_many_complaints_were_grouped_closely(report):
    t = report.insight.topics[0]
    report.insight = replace(report.insight, topics=[replace(t, core_size=12), *report.insight.topics[1:]])
    html, md = render_html(report), render_markdown(report)
    assert (
        "42</strong> mentions (+32), 12 closely grouped" in html and "Closely grouped: the complaints" in html
    )
    row = next(line for line in md.splitlines() if line.startswith("| login fails"))
    assert "| 42 | 12 | +32 |" in row and "Closely grouped: the complaints" in md
    assert "42 mentions (12 closely grouped), +32 vs last week" in md  # emerging topics
    assert "42 mentions, 12 closely grouped (+32 vs last week)" in html
    why = [a.why for a in next_actions(report.insight) if a.topic_label == t.label]
    assert why == ["42 complaint mentions this week (12 closely grouped) and no matching help article"]
    report.insight = replace(report.insight, topics=[replace(t, core_size=42), *report.insight.topics[1:]])
    assert "closely grouped" not in render_html(report).lower()  # a topic grouped whole: nothing to say


def test_render__markdown_links_in_user_text_read_as_their_text(report):
    quote = (
        "Get [Music Manager](http://support.example/answer?id=1&x=2) and upload. See [this](http://imgur.c"
    )
    t = report.insight.topics[0]
    report.insight = replace(
        report.insight, topics=[replace(t, representatives=[{"text": quote, "url": "https://r/q"}])]
    )
    html, md = render_html(report), render_markdown(report)
    assert "Get Music Manager and upload. See this" in html  # the link cut by the stored length too
    assert "Get Music Manager and upload. See this" in md
    assert "support.example" not in html + md and "[javascript" not in md.lower()


def test_render__a_howto_gap_links_its_item_and_says_where_steps_outside_its_text_are(report, tmp_path: Path):
    from models.insight import KbGap, PeriodInsight

    url = "https://www.reddit.com/r/howto/comments/1/cams/"
    link_post = KbGap("howto", "reddit:t3_1", "How to turn old phones into cameras", 0, [], [], url,
                      "on the page it links to (cams.example.com)")  # fmt: skip
    text_post = KbGap("howto", "reddit:t3_2", "How to google", 0, [], [], "https://www.reddit.com/r/x/2/")
    report.insight = replace(report.insight, gaps=[link_post, text_post])
    html, md = render_html(report), render_markdown(report)
    said = "Its steps are on the page it links to (cams.example.com), not in its text: open it to draft"
    assert said in html and said in md
    assert f"**[How to turn old phones into cameras]({url})**" in md
    assert (
        f'<a href="{url}" rel="noopener noreferrer nofollow">How to turn old phones into cameras</a>' in html
    )
    assert md.count("No steps or questions to draw an outline") == 1  # the text post: nothing to point to
    actions = {a.title: a for a in next_actions(report.insight)}
    assert actions["Write an article: How to turn old phones into cameras"].why.endswith(
        "; its steps are on the page it links to (cams.example.com)"
    )  # the action says where to read the steps too
    assert "its steps are" not in actions["Write an article: How to google"].why
    files = write_report(report, tmp_path / "gaps")
    rows = list(csv.DictReader(files.csv["gaps"].open(encoding="utf-8")))
    assert [(r["url"], r["steps_elsewhere"]) for r in rows] == [
        (url, "on the page it links to (cams.example.com)"), ("https://www.reddit.com/r/x/2/", "")
    ]  # fmt: skip
    stored = report.insight.to_dict()
    for gap in stored["gaps"]:  # an insight stored before the fields existed still loads
        del gap["url"], gap["steps_elsewhere"]
    assert PeriodInsight.from_dict(stored).gaps[0].steps_elsewhere is None


def test_render__a_howto_item_tied_to_a_topic_shows_the_complaint_it_sits_closest_to(report, tmp_path: Path):
    from models.insight import PeriodInsight

    url = "https://www.reddit.com/r/acme/comments/3/"
    near = {"mention_id": "reddit:t3_3", "text": f"Login fails after the update {SCRIPT}", "url": url}
    tied, untied = report.insight.howto
    report.insight = replace(report.insight, howto=[replace(tied, closest_complaint=near), untied])
    html, md = render_html(report), render_markdown(report)
    assert "login fails (closest complaint: [Login fails after the update" in md
    assert md.count("closest complaint") == 1  # the other item names none
    assert (
        f'closest complaint: <a href="{url}" rel="noopener noreferrer nofollow">Login fails after the update'
        in html
    )
    assert "<script>" not in html.split("closest complaint")[1][:300]  # user text stays escaped
    files = write_report(report, tmp_path / "near")
    rows = list(csv.DictReader(files.csv["howto"].open(encoding="utf-8")))
    assert [r["closest_complaint_url"] for r in rows] == [url, ""]
    stored = report.insight.to_dict()
    for item in stored["howto"]:  # an insight stored before the field existed still loads
        del item["closest_complaint"]
    assert PeriodInsight.from_dict(stored).howto[0].closest_complaint is None


def test_render__a_covered_howto_item_names_the_article_that_covers_it(report, tmp_path: Path):
    from models.insight import PeriodInsight

    url = "https://help.acme/refunds"
    article = {"id": "refunds", "title": "Refund status", "url": url, "similarity": 0.52}
    gap_item, covered = report.insight.howto
    report.insight = replace(report.insight, howto=[gap_item, replace(covered, kb_article=article)])
    report.actions = next_actions(report.insight)
    html, md = render_html(report), render_markdown(report)
    assert f"| Covered: [Refund status]({url}) | link to it |" in md
    assert f'<a href="{url}" rel="noopener noreferrer nofollow">Refund status</a>' in html
    (link,) = [a for a in next_actions(report.insight) if a.kind == "link"]
    assert link.links[-1] == {"title": "From the article that covers it: Refund status", "url": url}
    assert f"[From the article that covers it: Refund status]({url})" in md
    files = write_report(report, tmp_path / "covered")
    rows = list(csv.DictReader(files.csv["howto"].open(encoding="utf-8")))
    assert [(r["kb_article"], r["kb_article_url"]) for r in rows] == [("", ""), ("Refund status", url)]
    stored = report.insight.to_dict()
    for item in stored["howto"]:  # an insight stored before the field existed still loads
        del item["kb_article"]
    assert PeriodInsight.from_dict(stored).howto[1].kb_article is None


def test_render__a_topic_gap_without_steps_or_questions_quotes_its_central_complaints(report, tmp_path: Path):
    (gap,) = report.insight.gaps  # "login fails", topic 1: representatives "App crashes", "Same here", ...
    bare = replace(gap, outline=[], questions=[])
    report.insight = replace(report.insight, gaps=[bare])
    report.actions = next_actions(report.insight)
    html, md = render_html(report), render_markdown(report)
    said = "No third-party steps or customer questions this week. Customers say:"
    assert md.count(said) == 2  # the action and the gap
    assert (
        '"App crashes <script>window.__xss=1</script>" ([source](https://www.reddit.com/r/acme/1))' not in md
    )
    assert '"App crashes &lt;script&gt;' in md and "Same here" in md
    assert "javascript:" not in md.split(said)[1][:400]  # a bad link stays plain text
    assert html.count("Customers say</strong>") == 2 and "<script>window" not in html
    (write,) = [a for a in report.actions if a.kind == "write"]
    assert [q["url"] for q in write.quotes][:1] == ["https://www.reddit.com/r/acme/1"]
    assert "No steps or questions to draw an outline" not in md
    with_questions = replace(bare, questions=[{"question": "Why does login fail?", "source_url": None}])
    assert report.said(with_questions) == [] and report.said(gap) == []  # questions or steps: no quotes
    rows = list(csv.DictReader(write_report(report, tmp_path / "said").csv["actions"].open(encoding="utf-8")))
    assert rows[0]["customers_say"].startswith("App crashes")


def test_render__a_topic_back_after_weeks_without_complaints_says_when_it_was_last_seen(report):
    t = report.insight.topics[0]  # "login fails", week 47
    back = replace(t, size=8, prev_size=0, change=8, status="growing")
    history = {
        t.topic_id: [("2026-W43", 26), ("2026-W44", 3), ("2026-W45", 0), ("2026-W46", 0), ("2026-W47", 8)]
    }
    report.insight = replace(report.insight, topics=[back, *report.insight.topics[1:]], topic_history=history)
    said = "back after 2 weeks (last seen 2026-W44, 3 mentions)"
    assert report.back_after(back) == said
    assert said in render_markdown(report) and said in render_html(report)  # the emerging topics
    assert report.back_after(t) == "" and report.back_after(report.insight.topics[1]) == ""  # rose; new
    report.insight = replace(report.insight, topic_history={})
    assert report.back_after(back) == ""  # seen before the trend window: nothing to say


def test_render_markdown__empty_week_says_so(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    md = render_markdown(assemble_report(store, BRAND, WEEK, None))
    for line in (
        "No complaint topics this week.",
        "No third-party how-to content found this week.",
        "No knowledge-base gaps this week.",
        "No new articles to write or update this week.",
    ):
        assert line in md
    assert "No analysis was found for this week" in md


def test_write_report__a_topic_gone_this_week_is_not_a_gap(report, tmp_path: Path):
    insight = make_insight()
    gone = replace(insight.topics[0], label="vanished topic", size=0, prev_size=9, change=-9, status="fading")
    gone = replace(gone, kb_article=None, representatives=[])
    report.insight = replace(insight, topics=[*insight.topics, gone])
    files = write_report(report, tmp_path / "g")
    row = next(
        line for line in files.markdown.read_text(encoding="utf-8").splitlines() if "vanished topic" in line
    )
    assert "GAP" not in row and row.rstrip().endswith("| – |")
    html = files.html.read_text(encoding="utf-8")
    heading = html[html.index("vanished topic") : html.index("</h3>", html.index("vanished topic"))]
    assert "GAP" not in heading
    with files.csv["topics"].open(encoding="utf-8") as fh:
        rows = {r["label"]: r for r in csv.DictReader(fh)}
    assert rows["vanished topic"]["kb_coverage"] == ""
    assert any(r["kb_coverage"] == "GAP" for r in rows.values() if r["volume"] != "0")


def test_render__says_what_the_complaint_rate_counts_when_the_brand_config_decided_it(tmp_path: Path):
    from ugcminer.config import BrandConfig

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    fill_store(store)
    plain = assemble_report(store, BRAND, WEEK, make_insight())
    decided = assemble_report(store, BRAND, WEEK, make_insight(), config=BrandConfig(name=BRAND))
    note = "The complaint rate counts complaints about the brand"
    assert note not in render_markdown(plain) and note not in render_html(plain)
    assert note in render_markdown(decided) and note in render_html(decided)
    rates = [h.value for r in (plain, decided) for h in r.headlines if h.key == "complaint_rate"]
    assert rates[1] < rates[0]  # the fixture's Reddit posts never name the brand
