"""The stages `models.insight_builder.build_insight` runs for one period, each a plain function:

topic_stage   complaints -> topics (models.topics) -> stable ids, status, trend (models.topic_tracking)
howto_stage   the window's mentions -> ranked third-party how-to items, each tied to a topic
kb_stage      topics and items against the knowledge base -> summaries, gaps, weak articles, creators
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from miners.mention import Mention
from models.creators import shortlist_creators
from models.howto import Baselines, ScoredHowto, rank_howto, replies_by_target
from models.insight import HowtoItem, KbGap, TopicSummary, WeakArticle
from models.instructional import reads_form
from models.kb import (
    Article,
    KbMatch,
    article_vectors,
    customer_questions,
    draft_outline,
    load_kb,
    match_articles,
    steps_elsewhere,
)
from models.post_heads import reads_as_post
from models.topic_tracking import (
    TopicSnapshot,
    latest_snapshots,
    match_similarity,
    match_topics,
    matching_snapshots,
    reference_centroids,
    topic_status,
    trend,
)
from models.topics import (
    TopicParams,
    TopicResult,
    fit_topics,
    mask_text,
    save_topic_model,
    topic_centroids,
    topic_terms,
)
from store import insight_tables as tables
from store.db import content_hash
from ugcminer.config import BrandConfig, Config

TOPIC_MODEL_VERSION = "bertopic-0.17/umap-hdbscan/brand-masked/issue-space"


@dataclass
class TopicStage:
    """Topics of the period under their stable ids."""

    period: str
    topics: dict[int, dict[str, Any]]  # stable id -> fields of TopicSummary (+ centroid)
    history: dict[int, list[tuple[str, int]]]
    registry_rows: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    notes: list[str]
    result: TopicResult | None = None
    model_version: str = TOPIC_MODEL_VERSION
    # centroids in the clustering space to store with the period (`history_in_space`): this period's
    # topics and earlier ones that had none stored, keyed (period, stable id), under version `match_space`
    match_centroids: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    match_space: str = ""
    # each complaint's masked-text vector in the clustering space, by mention id: how-to items are
    # tied to a topic only when they sit close to one of its complaints there (`howto_stage`)
    member_vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def centroids(self) -> dict[int, np.ndarray]:
        """Centroids of the topics present this period."""
        return {t: d["centroid"] for t, d in self.topics.items() if d["size"] > 0}

    def save_model(self, config: Config, brand: BrandConfig) -> Path | None:
        """Save the period's BERTopic (safetensors) under `topics.model_dir/<brand>/<period>`."""
        if self.result is None:
            return None
        return save_topic_model(self.result, model_root(config) / brand.slug / self.period)


def model_root(config: Config) -> Path:
    """`topics.model_dir`: absolute, else next to the config file, else next to the SQLite store."""
    path = Path(config.topics.model_dir).expanduser()
    if path.is_absolute():
        return path
    if config.source_path and Path(config.source_path).is_file():
        return config.resolve_path(config.topics.model_dir) or path
    url = config.store_url()
    return Path(url[len("sqlite:///") :]).parent / path if url.startswith("sqlite:///") else path


def _prev_period(period_start: Any) -> str:
    iso = (period_start - timedelta(days=7)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _history(store: Any, brand: str, period: str) -> list[TopicSnapshot]:
    return [
        TopicSnapshot(
            r["topic_id"], r["period"], r["label"], r["size"], r["centroid"], tuple(r["words"] or ())
        )
        for r in tables.registry_rows(store, brand)
        if r["period"] != period
    ]


def _categories(
    config: Config, brand: BrandConfig, encoder: Any, centroids: dict[int, np.ndarray], space: np.ndarray
) -> tuple[dict[int, str], list[str | None]]:
    """Categories of the topics (from their centroids) and of the complaints (rows of `space`), by this
    brand's current taxonomy in `encoder`'s space; nothing without a taxonomy. The complaints' are
    computed here rather than read from their analyses, whose category is the taxonomy of the brand
    that analysed them first (a mention can belong to two brands) as it was then.
    """
    path = config.resolve_path(brand.taxonomy)
    if path is None:
        return {}, [None] * len(space)
    from models.taxonomy import load_taxonomy, taxonomy_classifier

    classifier = taxonomy_classifier(load_taxonomy(path), encoder, config.models.taxonomy_threshold)
    ids = sorted(centroids)
    labels = classifier.predict(np.stack([centroids[i] for i in ids]))[0] if ids else []
    rows = classifier.predict(space)[0] if len(space) else []
    return dict(zip(ids, labels, strict=True)), list(rows)


def masked_version(encoder: Any, terms: list[str]) -> str:
    """Version of `encoder`'s vectors of complaints' text masked with `terms` (the masked pass's key)."""
    digest = hashlib.sha1("\x00".join(sorted(terms)).encode()).hexdigest()[:10]
    return f"{getattr(encoder, 'version', 'unknown')}|masked:{digest}"


def masked_vectors(store: Any, complaints: list[Mention], terms: list[str], encoder: Any) -> np.ndarray:
    """Embeddings of the complaints' text with brand names, aliases, @handles and URLs masked.

    A second encoder pass, once per mention and brand vocabulary: stored in the embeddings table under
    a derived encoder version, so a re-run encodes nothing. Measured on airline tweets (bench/
    topic_quality.py), encoding masked text beats projecting brand directions out of stored vectors.
    """
    if not complaints:
        return np.zeros((0, int(getattr(encoder, "dim", 384))), dtype=np.float32)
    version = masked_version(encoder, terms)
    keys = [(m.id, content_hash(m.title, m.text)) for m in complaints]
    found = store.get_embeddings(keys, version)
    missing = [i for i, m in enumerate(complaints) if m.id not in found]
    if missing:
        vecs = np.asarray(
            encoder.encode([mask_text(complaints[i].full_text, terms) for i in missing]), dtype=np.float32
        )
        store.put_embeddings([(*keys[i], v) for i, v in zip(missing, vecs, strict=True)], version)
        found.update({keys[i][0]: v for i, v in zip(missing, vecs, strict=True)})
    return np.stack([found[m.id] for m in complaints]).astype(np.float32)


def _fit(
    store: Any, config: Config, week: Any, complaints: list[Mention], encoder: Any, topic_encoder: Any
) -> tuple[TopicResult, np.ndarray]:
    """The week's topics, and the complaints' vectors in the clustering space."""
    terms = topic_terms(week.brand)
    vectors = masked_vectors(store, complaints, terms, encoder)
    space = vectors if topic_encoder is encoder else masked_vectors(store, complaints, terms, topic_encoder)
    result = fit_topics(
        [m.full_text for m in complaints],
        vectors,
        terms=terms,
        encode=encoder.encode,
        params=TopicParams(
            seed=config.topics.seed,
            max_outlier_share=config.topics.max_unassigned,
            outlier_min_similarity=config.topics.attach_min_similarity,
        ),
        min_documents=config.topics.min_documents,
        cluster_embeddings=space,
    )
    return result, space


def topic_stage(
    store: Any, config: Config, week: Any, encoder: Any, policy: Any, topic_encoder: Any = None
) -> TopicStage:
    """Fit the week's complaint topics and give them their stable ids, status and trend.

    Complaints are clustered, and topics given a taxonomy category, in `topic_encoder`'s space (default
    `encoder`); centroids, labels, week-to-week and knowledge-base matching use `encoder`'s.
    """
    complaints = week.complaints()
    topic_encoder = topic_encoder or encoder
    result, space = _fit(store, config, week, complaints, encoder, topic_encoder)
    history = _history(store, week.brand.name, week.period)
    known = latest_snapshots(history, before=week.period)
    next_id = max((s.topic_id for s in history), default=-1) + 1
    local = topic_centroids(space, result.assignments)  # matched in the space they were clustered in
    last = config.topics.match_history
    earlier, computed = history_in_space(store, week.brand, history, week.period, last, topic_encoder)
    threshold = match_similarity(config.topics, topic_space=topic_encoder is not encoder)
    mapping = match_topics(local, reference_centroids(earlier, week.period, last), threshold, next_id)
    prev = {s.topic_id: s.size for s in history if s.period == _prev_period(week.start)}
    in_space = {mapping[t]: c for t, c in local.items()}
    categories, per_row = _categories(config, week.brand, topic_encoder, in_space, space)
    complaint_category = {m.id: c for m, c in zip(complaints, per_row, strict=True)}
    topics: dict[int, dict[str, Any]] = {}
    for local_id, topic in result.topics.items():
        stable = mapping[local_id]
        members = np.flatnonzero(result.assignments == local_id)
        ids = [complaints[i].id for i in members]
        central = members[np.argsort(-(space[members] @ in_space[stable]), kind="stable")]
        topics[stable] = {
            "topic_id": stable, "label": topic.label, "words": topic.words, "size": topic.size, "core": topic.core,
            "prev_size": prev.get(stable, 0), "status": topic_status(topic.size, prev.get(stable, 0), stable in known, config.topics),
            "category": categories.get(stable) or _common_category(complaint_category, ids), "mention_ids": ids,
            "representatives": [complaints[i] for i in topic.representatives], "centroid": topic.centroid,
            "questions": customer_questions([complaints[i] for i in central]),
        }  # fmt: skip
    for stable, size in prev.items():  # topics that disappeared this week
        if stable not in topics and size > 0:
            snap = known[stable]
            topics[stable] = {
                "topic_id": stable, "label": snap.label, "words": list(snap.words), "size": 0, "prev_size": size,
                "status": "fading", "category": None, "mention_ids": [], "representatives": [], "centroid": snap.centroid, "questions": [], "core": None,
            }  # fmt: skip
    _distinguish_from_fading(topics)
    current = [
        TopicSnapshot(t, week.period, d["label"], d["size"], d["centroid"])
        for t, d in topics.items()
        if d["size"]
    ]
    periods = [
        _prev_period(week.start - timedelta(days=7 * k)) for k in range(policy.trend_weeks - 2, -1, -1)
    ]
    return TopicStage(
        period=week.period,
        topics=topics,
        history=trend([*history, *current], [*periods, week.period]),
        registry_rows=[
            {
                "topic_id": s.topic_id,
                "label": s.label,
                "size": s.size,
                "words": topics[s.topic_id]["words"],
                "centroid": s.centroid,
            }
            for s in current
        ],
        assignments=[
            {
                "mention_id": m.id,
                "topic_id": int(mapping.get(int(a), -1)) if a >= 0 else -1,
                "category": complaint_category.get(m.id),
            }
            for m, a in zip(complaints, result.assignments, strict=True)
        ],  # fmt: skip
        notes=[*result.notes, *_unassigned_note(result, config), *_passing_note(week)],
        result=result,
        match_centroids={**computed, **{(week.period, t): c for t, c in in_space.items()}},
        match_space=masked_version(topic_encoder, topic_terms(week.brand)),
        member_vectors={m.id: v for m, v in zip(complaints, space, strict=True)},
    )


def history_in_space(
    store: Any, brand: BrandConfig, history: list[TopicSnapshot], period: str, last: int, encoder: Any
) -> tuple[list[TopicSnapshot], dict[tuple[str, int], np.ndarray]]:
    """The earlier snapshots week-to-week matching reads, their centroids in `encoder`'s space (the one
    complaints are clustered in), and those of them not stored yet.

    Centroids are stored per week when it is analysed (`store.insight_tables.topic_match_centroids`);
    one not stored (a week analysed before that, another encoder version or vocabulary) is the mean of
    its topic's complaints' masked-text vectors, as stored when that week was clustered (encoded once
    more only when missing). A snapshot with neither (its complaints pruned) is left out.
    """
    terms = topic_terms(brand)
    wanted = matching_snapshots(history, period, last)
    stored = tables.match_centroids(
        store, brand.name, masked_version(encoder, terms), [s.period for s in wanted]
    )  # only the weeks matching reads, not the brand's whole history
    missing = [s for s in wanted if (s.period, s.topic_id) not in stored]
    members: dict[tuple[str, int], list[str]] = {}
    for p in sorted({s.period for s in missing}):
        for mention_id, topic_id in tables.read_assignments(store, brand.name, p).items():
            if topic_id >= 0:
                members.setdefault((p, topic_id), []).append(mention_id)
    ids = sorted({m for s in missing for m in members.get((s.period, s.topic_id), [])})
    mentions = store.mentions(brand.name, ids=ids) if ids else []
    encoded = masked_vectors(store, mentions, terms, encoder)
    vectors = {m.id: v for m, v in zip(mentions, encoded, strict=True)}
    computed: dict[tuple[str, int], np.ndarray] = {}
    for snap in missing:
        found = [vectors[m] for m in members.get((snap.period, snap.topic_id), []) if m in vectors]
        if found:
            centroid = np.mean(found, axis=0)
            computed[(snap.period, snap.topic_id)] = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
    known = {**stored, **computed}
    out = [
        replace(s, centroid=known[(s.period, s.topic_id)]) for s in wanted if (s.period, s.topic_id) in known
    ]
    return out, computed


def _distinguish_from_fading(topics: dict[int, dict[str, Any]]) -> None:
    """A topic of this week named like a fading one (another topic, unmatched by centroid) gets its first
    distinguishing top word: the report would otherwise list "galaxy s4" as both new and fading.
    """
    fading = {d["label"] for d in topics.values() if not d["size"]}
    for d in topics.values():
        if d["size"] and d["label"] in fading:
            extra = next((w for w in d["words"] if w not in d["label"]), str(d["topic_id"]))
            d["label"] = f"{d['label']} ({extra})"


def _passing_note(week: Any) -> list[str]:
    """Say how many complaint posts were left out of the topics for naming the brand only in passing."""
    passing = week.complaints(passing=True)
    if not passing:
        return []
    brand = week.brand
    where = ", ".join(f"r/{s}" for s in brand.own_subreddits) or "none"
    return [
        f"{len(passing)} complaint post(s) name {brand.name} only in passing (not in the title, and not "
        f"posted in its own subreddits: {where}; brands.brand_subreddits) and are left out of the topics "
        "and the complaint rate."
    ]


def _unassigned_note(result: TopicResult, config: Config) -> list[str]:
    """Say how many complaints fit no topic (they count in the complaint rate, not in any topic)."""
    left, total = int((result.assignments == -1).sum()), len(result.assignments)
    if not left or not result.topics:
        return []
    return [
        f"{left} of {total} complaints this week fit no topic (cosine under "
        f"{config.topics.attach_min_similarity:.2f} to every topic, topics.attach_min_similarity); they count "
        "in the complaint rate, not in a topic."
    ]


def _common_category(categories: dict[str, str | None], ids: list[str]) -> str | None:
    cats = Counter(c for i in ids if (c := categories.get(i)))
    return cats.most_common(1)[0][0] if cats else None


def judged_items(week: Any) -> dict[str, tuple[float, bool]]:
    """The how-to score and flag of the window's posts and videos that the instructional model gave
    (``models.instructional``): they already weigh the item's form.
    """
    out = {}
    for m in week.window:
        row = week.analyses.get(m.id) or {}
        if reads_as_post(m.kind) and reads_form(row.get("model_version")):
            out[m.id] = (float(row.get("howto_score") or 0.0), bool(row.get("howto")))
    return out


def howto_stage(
    week: Any, topics: TopicStage, policy: Any, item_space: Callable[[list[Mention]], np.ndarray]
) -> tuple[list[ScoredHowto], dict[str, int | None], dict[str, Mention]]:
    """Rank the window's third-party how-to items; tie each to a topic of the week. Posts and videos
    scored by the instructional model are judged by that score alone (`judged_items`).

    A solution comment in the thread of one of the week's complaints is tied to that complaint's topic.
    Any other item is tied to the topic whose centroid it is closest to (at least
    `howto_topic_similarity`), and only when it also sits close to one of that topic's complaints
    (other than itself) in the space they were clustered in (at least `howto_complaint_similarity`;
    `item_space` gives the items' masked-text vectors there). Small weeks' topics are loose, and their
    centroids sit near any general tip about the product. On the demo's eight weeks the centroid alone tied 24 items; two
    annotators, reading all 650 (item, topic) pairs, judged 3 of those ties helpful (each helps one
    complaint of its topic, none what the topic is mainly about). With the complaint check 7 are tied,
    2 of them helpful to both annotators and 3 to either (`python -m bench.demo_links`). The closest
    complaint is returned per tied item, so the report can show the reader why an item sits with a
    topic.
    """
    window = week.window
    probs = {m.id: float((week.analyses.get(m.id) or {}).get("howto_score") or 0.0) for m in window}
    threads = {m.id: m for m in window if m.kind in ("post", "video")}
    ranked, _official = rank_howto(
        window, replies_by_target(window), probs, Baselines.of(window, week.end), week.end, threads=threads,
        judged=judged_items(week),
    )  # fmt: skip
    ranked = ranked[: policy.howto_limit]
    ties: dict[str, tuple[int, str]] = {}
    if ranked and topics.centroids():
        ids = [s.mention.id for s in ranked]
        vectors = np.stack([week.vectors[i] for i in ids])
        roots = {s.mention.id: s.mention.thread_id for s in ranked if s.mention.thread_id}
        ties = tie_to_topics(ids, vectors, item_space([s.mention for s in ranked]), topics, policy, roots)
    complaints = {m.id: m for m in week.complaints()}
    item_topics = {s.mention.id: ties[s.mention.id][0] if s.mention.id in ties else None for s in ranked}
    return ranked, item_topics, {i: complaints[c] for i, (_, c) in ties.items()}


def tie_to_topics(
    items: list[str],
    vectors: np.ndarray,
    in_space: np.ndarray,
    topics: TopicStage,
    policy: Any,
    roots: dict[str, str] | None = None,
) -> dict[str, tuple[int, str]]:
    """Item id -> (topic id, id of the topic's complaint it sits closest to) for the items tied to a topic.

    A reply (a solution comment) in the thread of one of the week's complaints is tied to that
    complaint's topic, the complaint being the one it answers (`roots`: item id -> thread root id).
    Any other item goes to the topic whose centroid (`topics.centroids()`, main encoder) is closest to
    its vector (`vectors`, same space), at least `policy.howto_topic_similarity`, provided one of that
    topic's complaints other than the item itself is at least `policy.howto_complaint_similarity` from
    the item in the clustering space (`in_space` against `topics.member_vectors`).
    """
    centroids = topics.centroids()
    if not centroids or not items:
        return {}
    topic_of = {m: t for t in centroids for m in topics.topics[t]["mention_ids"]}
    members: dict[int, tuple[list[str], np.ndarray | None]] = {}
    ids = sorted(centroids)
    sims = vectors @ np.stack([centroids[i] for i in ids]).T
    out = {}
    for item, row, vector in zip(items, sims, in_space, strict=True):
        root = (roots or {}).get(item)
        if root is not None and root != item and root in topic_of:  # it answers that complaint
            out[item] = (topic_of[root], root)
            continue
        if row.max() < policy.howto_topic_similarity:
            continue
        topic = ids[int(row.argmax())]
        if topic not in members:  # the topic's complaints and their vectors, stacked once (large weeks)
            kept = [m for m in topics.topics[topic]["mention_ids"] if m in topics.member_vectors]
            members[topic] = (kept, np.stack([topics.member_vectors[m] for m in kept]) if kept else None)
        kept, matrix = members[topic]
        if matrix is None:
            continue
        near = matrix @ vector
        near[[i for i, m in enumerate(kept) if m == item]] = -np.inf  # an item is no evidence for itself
        best = int(np.argmax(near))
        if near[best] >= policy.howto_complaint_similarity:
            out[item] = (topic, kept[best])
    return out


@dataclass
class Findings:
    """What the report shows, from topics, how-to items and the knowledge base."""

    topics: list[TopicSummary]
    howto: list[HowtoItem]
    gaps: list[KbGap] = field(default_factory=list)
    weak: list[WeakArticle] = field(default_factory=list)
    creators: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _kb(store: Any, config: Config, brand: BrandConfig, encoder: Any) -> tuple[list[Article], np.ndarray]:
    path = config.resolve_path(brand.knowledge_base)
    if path is None:
        return [], np.zeros((0, 1), dtype=np.float32)
    articles = load_kb(path)
    version = str(getattr(encoder, "version", "unknown"))
    vectors, fresh = article_vectors(articles, encoder.encode, tables.kb_cache(store, brand.name, version))
    index = {a.id: i for i, a in enumerate(articles)}
    tables.put_kb_vectors(store, brand.name, version, [(a, vectors[index[a.id]]) for a in fresh])
    return articles, vectors


def _accepted(item: ScoredHowto) -> bool:
    s = item.signals
    return bool(s.get("solved") or s.get("op_confirmed") or s.get("worked", 0) > 0)


def _summary(week: Any, d: dict[str, Any], match: KbMatch | None, max_text: int) -> TopicSummary:
    reps = [
        {"mention_id": m.id, "text": m.display_text[:max_text], "url": m.url, "source": str(m.source)}
        for m in d["representatives"]
    ]
    return TopicSummary(
        topic_id=d["topic_id"], label=d["label"], words=list(d["words"]), size=d["size"],
        prev_size=d["prev_size"], change=d["size"] - d["prev_size"], status=d["status"],
        sentiment=week.sentiment(d["mention_ids"]), category=d["category"], representatives=reps,
        kb_article=match.as_dict() if match else None, mention_ids=list(d["mention_ids"]),
        core_size=d["core"],
    )  # fmt: skip


def _recommend(status: str, creator_items: int) -> str:
    if status == "gap":
        return "write an article"
    if status == "weak":
        return "update an article"
    return "reach out to the creator" if creator_items >= 2 else "link to it"


def _weak_or_gap(
    t: int, d: dict[str, Any], match: KbMatch, on_topic: list[ScoredHowto], policy: Any
) -> WeakArticle | KbGap | None:
    """A weak article (covered, complaints persist, third-party items help) or a topic gap (uncovered)."""
    competing = [s for s in on_topic if s.score >= policy.weak_min_score]
    persists = d["size"] > 0 and d["status"] not in ("new", "fading")
    if match.covered and match.article is not None and persists and competing:
        best = competing[0].mention
        reason = (
            f'{d["size"]} complaints this week about "{d["label"]}" ({d["prev_size"]} last week) while '
            f"{len(competing)} third-party item(s) help with it; best: {best.title or best.url}"
        )
        a = match.article
        return WeakArticle(a.id, a.title, a.url, t, d["label"], [s.mention.id for s in competing], reason)
    if not match.covered and d["size"] > 0:
        outline = draft_outline([(s.mention, _accepted(s)) for s in on_topic], titles=True)
        return KbGap("topic", str(t), d["label"], d["size"], outline, d["questions"])
    return None


def _matches(
    queries: list[np.ndarray], keys: list[Any], articles: list[Article], vectors: np.ndarray, threshold: float
) -> dict[Any, KbMatch]:
    q = np.stack(queries) if queries else np.zeros((0, 1), dtype=np.float32)
    return dict(zip(keys, match_articles(q, articles, vectors, threshold), strict=True))


def kb_stage(
    store: Any, config: Config, week: Any, encoder: Any, topics: TopicStage, ranked: list[ScoredHowto],
    item_topics: dict[str, int | None], policy: Any, closest: dict[str, Mention] | None = None,
) -> Findings:  # fmt: skip
    """Match topics and items to the knowledge base; derive summaries, gaps, weak articles, creators."""
    articles, vectors = _kb(store, config, week.brand, encoder)
    threshold = config.topics.kb_match_threshold
    ids = sorted(topics.topics)
    t_matches = _matches([topics.topics[i]["centroid"] for i in ids], ids, articles, vectors, threshold)
    item_ids = [s.mention.id for s in ranked]
    i_matches = _matches([week.vectors[i] for i in item_ids], item_ids, articles, vectors, threshold)
    found = [_weak_or_gap(t, topics.topics[t], t_matches[t], [s for s in ranked if item_topics.get(s.mention.id) == t], policy) for t in ids] if articles else []  # fmt: skip
    weak = [f for f in found if isinstance(f, WeakArticle)]
    gaps = [f for f in found if isinstance(f, KbGap)]
    summaries = [_summary(week, topics.topics[t], t_matches[t] if t_matches[t].covered else None, policy.max_text) for t in ids]  # fmt: skip
    howto = _howto_items(
        ranked, item_topics, topics, t_matches, i_matches, weak, gaps, bool(articles), policy, closest or {}
    )
    sizes = {t: topics.topics[t]["size"] for t in ids}
    notes = [] if articles else ["No knowledge base configured for this brand: gaps are not computed."]
    return Findings(
        sorted(summaries, key=lambda x: (-x.size, x.topic_id)), howto, gaps, weak,
        shortlist_creators(
            ranked, item_topics, sizes, topic_labels={t: topics.topics[t]["label"] for t in ids}
        ), notes,
    )  # fmt: skip


def _howto_items(
    ranked: list[ScoredHowto], item_topics: dict[str, int | None], topics: TopicStage,
    t_matches: dict[Any, KbMatch], i_matches: dict[Any, KbMatch], weak: list[WeakArticle], gaps: list[KbGap],
    have_kb: bool, policy: Any, closest: dict[str, Mention],
) -> list[HowtoItem]:  # fmt: skip
    """HowtoItems with KB status and recommendation; appends how-to gaps (uncovered, good, topic not a gap)."""
    weak_topics = {w.topic_id for w in weak}
    gap_topics = {int(g.ref) for g in gaps}
    counts = Counter(creator_key(s) for s in ranked)
    out = []
    for s in ranked:
        t = item_topics.get(s.mention.id)
        own = i_matches[s.mention.id]
        match = own if own.covered else (t_matches[t] if t is not None and t_matches[t].covered else None)
        status = "weak" if t in weak_topics else ("covered" if match else "gap")
        if have_kb and status == "gap" and t not in gap_topics and s.score >= policy.gap_min_score:
            volume = topics.topics[t]["size"] if t is not None else 0
            title = s.mention.title or s.mention.full_text[:80]
            questions = topics.topics[t]["questions"] if t is not None else []
            outline = draft_outline([(s.mention, _accepted(s))])
            elsewhere = None if outline else steps_elsewhere(s.mention)
            gaps.append(
                KbGap("howto", s.mention.id, title, volume, outline, questions, s.mention.url, elsewhere)
            )
        near = closest.get(s.mention.id)
        item = _item(s, t, topics, status if have_kb else "gap", counts[creator_key(s)], near, policy)
        out.append(replace(item, kb_article=match.as_dict() if match else None))
    return out


def creator_key(item: ScoredHowto) -> tuple[str, str]:
    """Who made an item (name, platform)."""
    from models.creators import creator_name

    return creator_name(item), str(item.mention.source)


def _item(
    s: ScoredHowto, topic: int | None, topics: TopicStage, status: str, creator_items: int,
    near: Mention | None, policy: Any,
) -> HowtoItem:  # fmt: skip
    from models.creators import creator_name

    m = s.mention
    return HowtoItem(
        mention_id=m.id, title=m.title or m.full_text[:120], creator=creator_name(s), platform=str(m.source),
        url=m.url, score=s.score, signals=dict(s.signals), reasons=list(s.reasons), topic_id=topic,
        topic_label=topics.topics[topic]["label"] if topic is not None else None, kb_status=status,
        recommendation=_recommend(status, creator_items),
        closest_complaint=None if near is None else {
            "mention_id": near.id, "text": (near.title or near.display_text)[: policy.max_text], "url": near.url,
        },
    )  # fmt: skip
