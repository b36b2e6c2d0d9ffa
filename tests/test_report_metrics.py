"""Headline numbers and the 8-week trend from a hand-made store."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import BRAND, WEEK, fill_store

from reports.metrics import headlines, sentiment_note, weekly_metrics
from store.db import Store


@pytest.fixture
def filled(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    return store, fill_store(store)


def test_weekly_metrics__counts_per_week_match_the_store(filled):
    store, expected = filled
    trend = weekly_metrics(store, BRAND, WEEK)
    assert [w.period for w in trend] == [w.label for w in WEEK.back(8)]
    for w in trend:
        exp = expected[w.period]
        assert (w.mentions, w.by_source["reddit"], w.by_source["youtube"]) == (
            exp["mentions"],
            exp["reddit"],
            exp["youtube"],
        )
        assert (w.analysed, w.complaints, w.sentiment["negative"]) == (
            exp["analysed"],
            exp["complaints"],
            exp["negative"],
        )
        assert w.complaint_rate == pytest.approx(exp["complaints"] / exp["analysed"])


def test_weekly_metrics__official_and_deleted_left_out(filled):
    store, expected = filled
    assert store.count_mentions(BRAND) == sum(e["mentions"] for e in expected.values()) + 2
    assert weekly_metrics(store, BRAND, WEEK)[-1].mentions == expected[WEEK.label]["mentions"]


def test_headlines__change_vs_previous_week(filled):
    store, expected = filled
    items = {h.key: h for h in headlines(weekly_metrics(store, BRAND, WEEK))}
    cur, prev = expected[WEEK.label], expected[WEEK.previous().label]
    assert items["mentions"].change == cur["mentions"] - prev["mentions"]
    assert items["mentions"].change_pct == pytest.approx(
        100 * (cur["mentions"] - prev["mentions"]) / prev["mentions"]
    )
    rate = items["complaint_rate"]
    assert rate.change == pytest.approx(
        cur["complaints"] / cur["analysed"] - prev["complaints"] / prev["analysed"]
    )
    assert rate.change_pct is None  # shares change in points, not percent
    assert items["mentions_youtube"].label == "YouTube mentions"


def test_weekly_metrics__empty_store_gives_zero_weeks(tmp_path: Path):
    trend = weekly_metrics(Store(f"sqlite:///{tmp_path / 'e.db'}"), BRAND, WEEK)
    assert len(trend) == 8 and all(w.mentions == 0 and w.complaint_rate is None for w in trend)
    assert {h.key: h.change for h in headlines(trend)}["complaint_rate"] is None


def test_weekly_metrics__sentiment_shares_corrected_with_the_labelling_versions_rates(filled):
    from models.quantify import ShareCalibration

    store, expected = filled
    confusion = [[80, 15, 5], [20, 60, 20], [5, 20, 75]]
    before = weekly_metrics(store, BRAND, WEEK)[-1]
    assert before.sentiment_adjusted == 0  # no rates recorded for "test-1": counted as labelled
    assert before.sentiment_share("negative") == pytest.approx(before.labelled_share("negative"))
    for key in ("test-1", "test-1", "test-1#posts"):  # twice: the second write replaces the first
        store.put_calibration(
            key, "sentiment", {"labels": ["negative", "neutral", "positive"], "confusion": confusion}
        )
    week = weekly_metrics(store, BRAND, WEEK)[-1]
    assert week.sentiment == before.sentiment and week.sentiment_adjusted == expected[WEEK.label]["analysed"]
    # each group (posts, other mentions) is corrected on its own, then the counts are added
    calibration = ShareCalibration.from_json(("negative", "neutral", "positive"), confusion)
    groups = _week_labels_by_kind(store)
    assert sum(sum(g.values()) for g in groups.values()) == week.analysed and len(groups) == 2
    counts = [calibration.counts(g) for g in groups.values()]
    estimate = {
        x: sum(float(c[x]) for c in counts) / week.analysed for x in ("negative", "neutral", "positive")
    }
    assert [week.sentiment_share(x) for x in estimate] == pytest.approx(list(estimate.values()))
    assert [week.sentiment_share(x) for x in estimate] != pytest.approx(
        [week.labelled_share(x) for x in estimate]
    )
    items = {h.key: h for h in headlines(weekly_metrics(store, BRAND, WEEK))}
    assert items["sentiment_negative"].value == pytest.approx(estimate["negative"])
    assert "estimates" in sentiment_note(week) and "As labelled: negative" in sentiment_note(week)


def _week_labels_by_kind(store):
    """The demo week's sentiment labels counted per mention kind (straight from the store)."""
    from collections import Counter

    mentions = store.mentions(BRAND, since=WEEK.start_utc, until=WEEK.end_utc)
    analyses = store.analyses([m.id for m in mentions])
    out: dict[str, Counter] = {}
    for m in mentions:
        if m.id in analyses and not m.is_official and not m.is_deleted:
            out.setdefault(m.kind, Counter())[analyses[m.id]["sentiment"]] += 1
    return {k: {x: c[x] for x in ("negative", "neutral", "positive")} for k, c in out.items()}


def test_weekly_metrics__posts_are_corrected_with_the_post_heads_rates(filled):
    """Reddit posts are labelled by the post heads: their counts use the rates stored under the
    version's posts key, the other mentions (YouTube comments here) the version's own.
    """
    from models.quantify import ShareCalibration, calibration_key

    store, expected = filled
    tweets, posts = [[80, 15, 5], [20, 60, 20], [5, 20, 75]], [[50, 45, 5], [10, 80, 10], [5, 25, 70]]
    labels = ["negative", "neutral", "positive"]
    store.put_calibration("test-1", "sentiment", {"labels": labels, "confusion": tweets})
    only_tweets = weekly_metrics(store, BRAND, WEEK)[-1]
    # a version without post heads read its posts with its other heads: their rates serve all its rows
    assert only_tweets.sentiment_adjusted == only_tweets.analysed
    store.put_calibration(
        calibration_key("test-1", posts=True), "sentiment", {"labels": labels, "confusion": posts}
    )
    week = weekly_metrics(store, BRAND, WEEK)[-1]
    assert week.sentiment_adjusted == week.analysed == expected[WEEK.label]["analysed"]
    assert [week.sentiment_share(x) for x in labels] != pytest.approx(
        [only_tweets.sentiment_share(x) for x in labels]
    )  # the posts' labels now corrected with the post heads' rates
    same = ShareCalibration.from_json(labels, tweets).shares(week.sentiment)
    assert week.sentiment_share("negative") != pytest.approx(same["negative"])  # not one set of rates for all


def test_weekly_metrics__with_the_brand_config_complaints_naming_it_only_in_passing_do_not_count(filled):
    """A Reddit complaint post that names the brand neither in its headline nor in the brand's own
    subreddits is a mention but not a complaint about the brand (models.targeting); other kinds count.
    """
    from ugcminer.config import BrandConfig

    store, expected = filled
    brand = BrandConfig(name=BRAND)  # no subreddits of its own; the fixture's posts never name it
    plain = weekly_metrics(store, BRAND, WEEK)[-1]
    week = weekly_metrics(store, BRAND, WEEK, config=brand)[-1]
    mentions = store.mentions(BRAND, since=WEEK.start_utc, until=WEEK.end_utc)
    analyses = store.analyses([m.id for m in mentions])
    flagged = [m for m in mentions if (analyses.get(m.id) or {}).get("complaint") and not m.is_official]
    posts = [m for m in flagged if m.kind == "post"]
    assert posts and plain.complaints == len(flagged) == expected[WEEK.label]["complaints"]
    assert week.complaints == len(flagged) - len(posts)
    assert (week.mentions, week.analysed) == (plain.mentions, plain.analysed)
    store.upsert_mentions([posts[0].replace(text=f"{BRAND} app crashes on start")])  # names it: counts
    assert weekly_metrics(store, BRAND, WEEK, config=brand)[-1].complaints == week.complaints + 1
