"""Builds a brand's `PeriodInsight` for one ISO week from the store, and classifies what is pending.

    classify_pending(store, config, brand, analyzer, since, until)   heads (+ taxonomy) on new/changed
                                                                      mentions, embeddings stored once
    build_insight(store, config, brand, week_start, week_end)        topics -> identity -> how-to -> KB
    load_insight(store, brand, period)                               the stored one, or None

Everything reuses the stored embedding of each mention (one encoder pass); only mentions whose text
changed, or that were never embedded by this encoder, are encoded. Writing a period replaces that
period's rows in one transaction (`store.insight_tables.write_period`), so a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from miners.mention import Mention
from models.insight import PeriodInsight
from models.post_heads import reads_as_post
from models.quantify import calibration_key
from models.targeting import about_brand
from store import insight_tables as tables
from store.db import content_hash, now_utc
from ugcminer.config import BrandConfig, Config


@dataclass(frozen=True)
class InsightPolicy:
    """Policy of the insight layer that is not in the config file."""

    howto_lookback_days: int = 28  # how-to items published this long before the week still count
    howto_topic_similarity: float = 0.35  # an item is about a topic when this close to its centroid...
    howto_complaint_similarity: float = 0.45  # ...and this close to one of its complaints (clustering space)
    howto_limit: int = 25  # ranked items kept in the insight
    weak_min_score: float = 0.35  # third-party items at least this good make an article "weak"
    gap_min_score: float = 0.35  # uncovered items at least this good are gaps of their own
    trend_weeks: int = 8
    representatives: int = 3
    max_text: int = 400


POLICY = InsightPolicy()


def period_label(start: datetime, timezone: str = "UTC") -> str:
    """ISO week label ("2026-W47") of the week starting at `start`, read in the brand's timezone
    (a Berlin week starts on Sunday 23:00 UTC: its label must come from the local Monday).
    """
    from zoneinfo import ZoneInfo

    local = start.astimezone(ZoneInfo(timezone)) if start.tzinfo else start
    iso = local.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _encoder_version(encoder: Any) -> str:
    return str(getattr(encoder, "version", "unknown"))


def ensure_embeddings(store: Any, mentions: Sequence[Mention], encoder: Any) -> np.ndarray:
    """Stored vectors for `mentions` (row-aligned); encodes and stores only the missing/changed ones."""
    if not mentions:
        return np.zeros((0, int(getattr(encoder, "dim", 384))), dtype=np.float32)
    version = _encoder_version(encoder)
    keys = [(m.id, content_hash(m.title, m.text)) for m in mentions]
    found = store.get_embeddings(keys, version)
    missing = [i for i, m in enumerate(mentions) if m.id not in found]
    if missing:
        vectors = np.asarray(encoder.encode([mentions[i].full_text for i in missing]), dtype=np.float32)
        store.put_embeddings(
            [(keys[i][0], keys[i][1], v) for i, v in zip(missing, vectors, strict=True)], version
        )
        found.update({keys[i][0]: v for i, v in zip(missing, vectors, strict=True)})
    return np.stack([found[m.id] for m in mentions]).astype(np.float32)


def _taxonomy(config: Config, brand: BrandConfig) -> Any:
    """The brand's taxonomy classifier (in the topic encoder's space), or None without a taxonomy."""
    path = config.resolve_path(brand.taxonomy)
    if path is None:
        return None
    from models.taxonomy import load_taxonomy, taxonomy_classifier, taxonomy_encoder

    encoder = taxonomy_encoder(config.models.encoder)
    return taxonomy_classifier(load_taxonomy(path), encoder, config.models.taxonomy_threshold)


def _categorise(
    store: Any,
    brand: BrandConfig,
    classifier: Any,
    mentions: list[Mention],
    embeddings: np.ndarray,
    version: str,
) -> tuple[list[str | None], Any]:
    """Taxonomy categories of `mentions`: from their stored `embeddings` when the classifier shares the
    main encoder, else from the masked-text vectors of its own encoder (stored; topics reuse them).
    """
    if classifier is None:
        return [None] * len(mentions), None
    if classifier.encoder_version == version:
        return classifier.predict(embeddings)
    from models.insight_stages import masked_vectors
    from models.topics import topic_terms

    return classifier.predict(masked_vectors(store, mentions, topic_terms(brand), classifier.encoder))


def classify_pending(
    store: Any, config: Config, brand: BrandConfig, analyzer: Any, since: datetime, until: datetime
) -> dict[str, int]:
    """Analyse the brand's mentions in [since, until) not yet analysed by `analyzer.version`."""
    mentions = store.mentions(brand.name, since=since, until=until)
    done = store.analyses([m.id for m in mentions])
    pending = [
        m
        for m in mentions
        if m.id not in done
        or done[m.id]["model_version"] != analyzer.version
        or done[m.id]["content_hash"] != content_hash(m.title, m.text)
    ]
    # lets the report adjust sentiment shares for this version's known errors (posts': their heads')
    for posts in (False, True) if "sentiment" in analyzer.post_tasks else (False,):
        calibration = analyzer.share_calibration("sentiment", posts=posts)
        if calibration is not None:
            store.put_calibration(
                calibration_key(analyzer.version, posts), "sentiment", calibration.as_json()
            )
    if not pending:
        return {"mentions": len(mentions), "classified": 0}
    from models.parallel import fanned_out  # Dask fan-out of the encoding when configured

    encoder = fanned_out(analyzer.encoder, config.models.encoder, config.scale)
    embeddings = ensure_embeddings(store, pending, encoder)
    posts = [reads_as_post(m.kind) for m in pending]  # posts and videos: read by the post heads
    preds = analyzer.predict([m.full_text for m in pending], embeddings=embeddings, posts=posts)
    classifier = _taxonomy(config, brand)
    categories, cat_scores = _categorise(
        store, brand, classifier, pending, embeddings, _encoder_version(analyzer.encoder)
    )
    flags = {task: preds.flags(task) for task in ("complaint", "howto")}
    labels = preds.sentiment_labels()
    stamp = now_utc()
    rows = [
        {
            "mention_id": m.id,
            "model_version": analyzer.version,
            "content_hash": content_hash(m.title, m.text),
            "sentiment": labels[i],
            "sentiment_negative": float(preds.sentiment[i, 0]),
            "sentiment_neutral": float(preds.sentiment[i, 1]),
            "sentiment_positive": float(preds.sentiment[i, 2]),
            "complaint": bool(flags["complaint"][i]),
            "complaint_score": float(preds.complaint[i]),
            "howto": bool(flags["howto"][i]),
            "howto_score": float(preds.howto[i]),
            "category": categories[i],
            "category_score": float(cat_scores[i]) if cat_scores is not None else None,
            "analyzed_at": stamp,
        }
        for i, m in enumerate(pending)
    ]
    store.put_analyses(rows)
    return {"mentions": len(mentions), "classified": len(rows)}


def load_insight(store: Any, brand: str, period: str) -> PeriodInsight | None:
    """The stored insight of `brand` for `period` ("2026-W47"), or None."""
    data = tables.read_insight(store, brand, period)
    return PeriodInsight.from_dict(data) if data else None


@dataclass
class _Week:
    """What one period's stages share."""

    brand: BrandConfig
    period: str
    start: datetime
    end: datetime
    window: list[Mention]  # the how-to lookback window up to the week's end
    analyses: dict[str, dict[str, Any]]
    vectors: dict[str, np.ndarray]

    @property
    def week(self) -> list[Mention]:
        """Mentions created in the week itself."""
        return [m for m in self.window if self.start <= m.created_at < self.end]

    def complaints(self, *, passing: bool = False) -> list[Mention]:
        """Third-party complaints of the week about the brand (``models.targeting``), or with `passing`
        those that name it only in passing.
        """
        return [
            m
            for m in self.week
            if not m.is_official
            and (self.analyses.get(m.id) or {}).get("complaint")
            and about_brand(m, self.brand) != passing
        ]

    def sentiment(self, ids: Sequence[str]) -> dict[str, float]:
        """Mean sentiment probabilities of `ids`."""
        rows = [self.analyses[i] for i in ids if i in self.analyses]
        keys = ("negative", "neutral", "positive")
        if not rows:
            return dict.fromkeys(keys, 0.0)
        return {k: round(float(np.mean([r.get(f"sentiment_{k}") or 0.0 for r in rows])), 4) for k in keys}


def _load_week(
    store: Any, brand: BrandConfig, start: datetime, end: datetime, encoder: Any, p: InsightPolicy
) -> _Week:
    window = store.mentions(brand.name, since=start - timedelta(days=p.howto_lookback_days), until=end)
    vectors = ensure_embeddings(store, window, encoder)
    return _Week(
        brand=brand,
        period=period_label(start, brand.timezone),
        start=start,
        end=end,
        window=window,
        analyses=store.analyses([m.id for m in window]),
        vectors={m.id: v for m, v in zip(window, vectors, strict=True)},
    )


def build_insight(
    store: Any,
    config: Config,
    brand: BrandConfig,
    week_start: datetime,
    week_end: datetime,
    *,
    encoder: Any = None,
    topic_encoder: Any = None,
    policy: InsightPolicy = POLICY,
    save: bool = True,
) -> PeriodInsight:
    """Build (and, with `save`, store) the insight of `brand` for the week [week_start, week_end).

    `topic_encoder` clusters the complaints (``models.issue_encoder``); an explicit `encoder` without
    one is used for both.
    """
    from models.encoder import load_encoder
    from models.insight_stages import howto_stage, kb_stage, masked_vectors, topic_stage
    from models.issue_encoder import load_topic_encoder
    from models.topics import topic_terms

    if encoder is None:
        encoder = load_encoder(config.models.encoder)
        topic_encoder = topic_encoder or load_topic_encoder(config.models.encoder)
    week = _load_week(store, brand, week_start, week_end, encoder, policy)
    topics = topic_stage(store, config, week, encoder, policy, topic_encoder or encoder)
    terms, space_encoder = topic_terms(brand), topic_encoder or encoder
    ranked, item_topics, closest = howto_stage(
        week, topics, policy, lambda items: masked_vectors(store, items, terms, space_encoder)
    )
    findings = kb_stage(store, config, week, encoder, topics, ranked, item_topics, policy, closest)
    insight = PeriodInsight(
        brand=brand.name,
        period=week.period,
        start=week_start.isoformat(),
        end=week_end.isoformat(),
        topics=findings.topics,
        howto=findings.howto,
        gaps=findings.gaps,
        weak_articles=findings.weak,
        creators=findings.creators,
        topic_history=topics.history,
        notes=[*topics.notes, *findings.notes],
        model_versions={
            "encoder": _encoder_version(encoder),
            "topic_encoder": _encoder_version(topic_encoder or encoder),
            "topics": topics.model_version,
        },
    )
    if save:
        tables.write_period(
            store,
            brand.name,
            week.period,
            topics.registry_rows,
            topics.assignments,
            insight.to_dict(),
            now_utc(),
            topics.match_centroids,
            topics.match_space,
        )
        topics.save_model(config, brand)
    return insight
