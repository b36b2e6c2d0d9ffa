"""Hand-made report inputs for the report tests: a store with 8 weeks of mentions and analyses, runs,
quota and quarantine rows, and a PeriodInsight whose user text carries XSS and formula payloads.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from miners.mention import Mention
from models.insight import Creator, HowtoItem, KbGap, PeriodInsight, TopicSummary, WeakArticle
from reports.weeks import IsoWeek
from store.db import Store, content_hash

BRAND = "Acme"
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
FORMULA = '=HYPERLINK("http://evil.example","click")'
JS_URL = "javascript:window.__xss=1"
WEEK = IsoWeek(2026, 47, "Europe/Berlin")


def _mention(i: int, when: datetime, source: str, text: str) -> Mention:
    kind = "post" if source == "reddit" else "video_comment"
    native = f"t3_{i:05d}" if source == "reddit" else f"c{i:05d}"
    mid = f"reddit:{native}" if source == "reddit" else f"youtube:comment:{native}"
    url = f"https://www.reddit.com/r/acme/comments/{i}" if source == "reddit" else f"https://youtu.be/v{i}"
    return Mention(
        id=mid,
        source=source,
        kind=kind,
        brand=BRAND,
        native_id=native,
        text=text,
        created_at=when,
        fetched_at=when,
        url=url,
        title=None,
    )


def fill_store(store: Store, week: IsoWeek = WEEK, seed: int = 7) -> dict[str, dict[str, int]]:
    """Mentions over 8 weeks (growing volume); returns the expected counts per week label."""
    rng = random.Random(seed)
    mentions, analyses, expected = [], [], {}
    i = 0
    for back, w in enumerate(reversed(week.back(8))):
        n = 20 + 5 * (7 - back)
        counts = {"mentions": 0, "reddit": 0, "youtube": 0, "complaints": 0, "negative": 0, "analysed": 0}
        for _ in range(n):
            i += 1
            source = "reddit" if i % 3 else "youtube"
            when = w.start_utc + timedelta(minutes=rng.randrange(7 * 24 * 60))
            text = f"mention {i} {SCRIPT if i % 11 == 0 else ''}"
            m = _mention(i, when, source, text)
            mentions.append(m)
            counts["mentions"] += 1
            counts[source] += 1
            if i % 5 == 0:
                continue  # not analysed
            sentiment = ("negative", "neutral", "positive")[i % 3]
            complaint = i % 2 == 0
            analyses.append(
                {
                    "mention_id": m.id,
                    "model_version": "test-1",
                    "content_hash": content_hash(None, text),
                    "sentiment": sentiment,
                    "complaint": complaint,
                    "analyzed_at": datetime.now(UTC),
                }
            )
            counts["analysed"] += 1
            counts["complaints"] += int(complaint)
            counts["negative"] += int(sentiment == "negative")
        expected[w.label] = counts
    # one official and one deleted mention in the week: never counted
    official = _mention(99001, week.start_utc + timedelta(hours=5), "youtube", "official").replace(
        is_official=True
    )
    deleted = _mention(99002, week.start_utc + timedelta(hours=6), "reddit", "gone").replace(is_deleted=True)
    store.upsert_mentions([*mentions, official, deleted])
    store.put_analyses(analyses)
    fill_operations(store, week)
    return expected


def fill_operations(store: Store, week: IsoWeek) -> None:
    """Runs (one cut short by quotaExceeded), quota usage and quarantined items in the week."""
    t0 = week.start_utc + timedelta(days=1)
    reddit = {
        "source": "reddit",
        "brand": BRAND,
        "new": 40,
        "updated": 3,
        "calls": 12,
        "quota_units": 0,
        "quarantined": 1,
        "stopped_reason": None,
        "errors": [],
    }
    youtube = {
        "source": "youtube",
        "brand": BRAND,
        "new": 25,
        "updated": 0,
        "calls": 30,
        "quota_units": 9_800,
        "quarantined": 0,
        "stopped_reason": "quotaExceeded",
        "errors": [f"video {SCRIPT}"],
    }
    store.record_run(
        "run-1",
        "mine",
        BRAND,
        t0,
        "completed",
        {"sources": {"reddit": reddit, "youtube": youtube}},
        finished_at=t0 + timedelta(minutes=3),
    )
    store.record_run("run-2", "analyze", BRAND, t0 + timedelta(hours=1), "failed", {"error": "boom"})
    store.add_quota((week.first_day + timedelta(days=1)).isoformat(), "search.list", 9_700, calls=97)
    store.add_quota((week.first_day + timedelta(days=1)).isoformat(), "videos.list", 100, calls=100)
    store.quarantine_item("reddit", "mine", "missing field 'id'", payload=SCRIPT, brand=BRAND)
    store.quarantine_item("youtube", "mine", "malformed JSON", brand=BRAND)


def make_insight(week: IsoWeek = WEEK) -> PeriodInsight:
    """An insight with XSS, formula and javascript: payloads in every kind of user text."""
    reps = [
        {
            "mention_id": "reddit:t3_1",
            "text": f"App crashes {SCRIPT}",
            "url": "https://www.reddit.com/r/acme/1",
            "source": "reddit",
        },
        {"mention_id": "youtube:comment:c2", "text": f"Same here {IMG}", "url": JS_URL, "source": "youtube"},
        {
            "mention_id": "reddit:t3_3",
            "text": FORMULA,
            "url": "https://www.reddit.com/r/acme/3",
            "source": "reddit",
        },
    ]
    topics = [
        TopicSummary(
            1,
            f"login fails {IMG}",
            ["login", "password", "reset"],
            42,
            10,
            32,
            "growing",
            {"negative": 0.7, "neutral": 0.2, "positive": 0.1},
            "Account",
            reps,
            None,
            ["reddit:t3_1", "youtube:comment:c2"],
        ),
        TopicSummary(
            2,
            "refund delay",
            ["refund", "days"],
            30,
            0,
            30,
            "new",
            {"negative": 0.8, "neutral": 0.15, "positive": 0.05},
            None,
            reps[:1],
            {
                "id": "kb-7",
                "title": "Refunds explained",
                "url": "https://help.acme.example/refunds",
                "similarity": 0.71,
            },
            ["reddit:t3_3"],
        ),
        TopicSummary(
            3,
            "app slow | [link](javascript:alert(1))",
            ["slow"],
            12,
            20,
            -8,
            "fading",
            {"negative": 0.5, "neutral": 0.4, "positive": 0.1},
            None,
            [],
            None,
            [],
        ),
    ]
    howto = [
        HowtoItem(
            "youtube:video:v1",
            f"Fix login in 2 minutes {SCRIPT}",
            "FixItFelix",
            "youtube",
            "https://youtu.be/v1",
            0.93,
            {"views_per_day": 2400.0, "worked_replies": 3.0},
            ["2,400 views a day, 4x the median", "3 replies say it worked"],
            1,
            "login fails",
            "gap",
            "write an article",
        ),
        HowtoItem(
            "reddit:t3_9",
            FORMULA,
            f"@user {IMG}",
            "reddit",
            JS_URL,
            0.61,
            {"score": 120.0},
            ["Solved flair"],
            2,
            "refund delay",
            "covered",
            "link to it",
        ),
    ]
    gaps = [
        KbGap(
            "topic",
            "1",
            f"login fails {IMG}",
            42,
            [
                {
                    "step": f"Open settings {SCRIPT}",
                    "source_url": "https://youtu.be/v1",
                    "source_title": "Fix login",
                },
                {"step": "Reset the password", "source_url": JS_URL, "source_title": "evil"},
            ],
        )
    ]
    weak = [
        WeakArticle(
            "kb-7",
            "Refunds explained",
            "https://help.acme.example/refunds",
            2,
            "refund delay",
            ["reddit:t3_9"],
            f"third-party thread ranks higher {SCRIPT}",
        )
    ]
    creators = [
        Creator(
            f"FixItFelix {SCRIPT}",
            "youtube",
            3,
            42,
            "https://youtu.be/v1",
            f"Fix login {SCRIPT}",
            ("login fails", f"sync {SCRIPT}"),
        ),
        Creator("-2+3", "reddit", 1, 30, JS_URL),
    ]
    history = {1: [(w.label, 5 + 5 * k) for k, w in enumerate(week.back(8))], 2: [(week.label, 30)]}
    return PeriodInsight(
        BRAND,
        week.label,
        week.start_utc.isoformat(),
        week.end_utc.isoformat(),
        topics,
        howto,
        gaps,
        weak,
        creators,
        history,
        [f"note {SCRIPT}"],
        {"encoder": "minilm-test", "heads": "h1"},
    )


def store_insight(store: Store, insight: PeriodInsight) -> None:
    """Save `insight` the way the analyze flow does, so `load_insight` finds it."""
    from store.insight_tables import write_period

    write_period(store, insight.brand, insight.period, [], [], insight.to_dict(), datetime.now(UTC))


#: the report's sections, in reading order (ids of the HTML sections)
REPORT_SECTIONS = (
    "next-steps",
    "emerging",
    "headlines",
    "topics",
    "howto",
    "gaps",
    "creators",
    "coverage",
    "methods",
)
