"""Complaint topics: BERTopic over stored embeddings, blind to the brand, with readable labels.

The pipeline is BERTopic's composition of swappable stages; what runs is policy (`TopicParams`):

    embeddings of masked text (brand names, aliases, @handles, URLs out; `mask_text`); optionally
    brand-group directions projected out of unmasked embeddings (`term_directions`, `project_out`)
      ├─ space:    clustering runs on `cluster_embeddings`: the masked text through the topic encoder
      │            (`models.issue_encoder`, MiniLM + a LoRA adapter trained to tell customer issues
      │            apart); centroids and labels stay in the main encoder's space
      ├─ reduce:   UMAP 5d (cosine, seeded)                    identity below density_min_documents
      ├─ cluster:  HDBSCAN (min_cluster_size n//250, min_samples 5) agglomerative (average, cosine)
      ├─ outliers: reduce_outliers(strategy="embeddings") + update_topics; ≤ max_outlier_share left
      ├─ words:    c-TF-IDF on masked text (stop words, brand names and aliases removed)
      └─ labels:   KeyBERT-style (`models.topic_labels`): repeated phrases re-ranked by the encoder

Why (measured, numbers in `bench/topic_quality.py`'s docstring): encoding masked text keeps clusters
about the issue, not the airline/brand named (better than projecting brand directions out); UMAP +
HDBSCAN with outliers reassigned by embedding gave the best NMI on BANKING77; below ~300 complaints
HDBSCAN finds too little density, and average-linkage agglomerative grouping is steadier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from miners.base import LINK_PATTERN
from models.topic_labels import label_topics
from ugcminer.errors import ModelError

Encode = Callable[[Sequence[str]], np.ndarray]

#: Tokens that carry no topic meaning in social text, on top of English stop words.
SOCIAL_STOP_WORDS = frozenset(
    "http https www com co amp rt via user im ive dont cant didnt doesnt isnt wont just like get got "
    "thanks thank thx pls plz please hi hey hello lol haha omg yes yeah ok okay really guys one would could also "
    "still u ur r".split()
)
_HANDLE = re.compile(r"(?<![\w@])[@#]\w+")
_SPACE = re.compile(r"\s+")
PHRASE_GAP = " | "  # where a masked name or link was, for topic labels: phrases stop there


@dataclass(frozen=True)
class TopicParams:
    """Topic model policy. Defaults are what `bench/topic_quality.py` measured best."""

    n_neighbors: int = 15
    n_components: int = 5
    min_cluster_size: int | None = None  # None: max(min_cluster_floor, n // cluster_divisor)
    min_cluster_floor: int = 5
    cluster_divisor: int = 250
    min_samples: int | None = 5
    project_brand: bool = False  # project brand-group directions out (for embeddings of unmasked text)
    max_outlier_share: float = 0.10
    outlier_min_similarity: float = 0.30
    top_n_words: int = 10
    n_representatives: int = 3
    label_candidates: int = 12
    small_distance_threshold: float = 0.55  # agglomerative (average) cosine distance, small periods
    density_min_documents: int = 300  # below this, agglomerative clustering (HDBSCAN needs density)
    seed: int = 42


@dataclass(frozen=True)
class Topic:
    """One discovered topic."""

    topic_id: int
    label: str
    words: list[str]
    size: int
    centroid: np.ndarray
    representatives: list[int]  # row indices, most central first
    # members the clustering itself grouped (the rest are complaints it left alone, given their nearest
    # topic so that at most `max_outlier_share` stay out); None when not known
    core: int | None = None


@dataclass
class TopicResult:
    """Topics of a batch of documents, row-aligned with the input."""

    assignments: np.ndarray  # (n,) topic id per row, -1 unassigned
    topics: dict[int, Topic]
    notes: list[str] = field(default_factory=list)
    model: Any = None  # the fitted BERTopic, when one was fitted
    clustered: np.ndarray | None = None  # (n,) True where the clustering grouped the row itself

    @property
    def outlier_share(self) -> float:
        """Share of rows left unassigned."""
        return float((self.assignments == -1).mean()) if len(self.assignments) else 0.0

    def label_of(self, topic_id: int) -> str:
        """The label of `topic_id` ("unassigned" for -1)."""
        return self.topics[topic_id].label if topic_id in self.topics else "unassigned"


def brand_terms(name: str, aliases: Sequence[str] = (), extra: Sequence[str] = ()) -> list[str]:
    """The words to mask for a brand: its name, aliases and their single words (lower-cased)."""
    terms: dict[str, None] = {}
    for term in [name, *aliases, *extra]:
        term = term.strip().lower()
        if term:
            terms.setdefault(term, None)
            for word in re.findall(r"\w+", term):
                if len(word) > 2:
                    terms.setdefault(word, None)
    return list(terms)


def topic_terms(brand: Any) -> list[str]:
    """The words masked in a brand's topics: name, aliases and its ``topic_mask`` (product lines,
    other brands), so complaints group by the issue, not by the product or company named.
    """
    return brand_terms(brand.name, brand.aliases, getattr(brand, "topic_mask", ()))


def mask_text(text: str, terms: Sequence[str] = (), gap: str = " ") -> str:
    """`text` without URLs, @handles, #tags and the brand `terms` (whole words, any case), each replaced
    by `gap` (labels pass " | ", a phrase break, so no label joins the words around a removed name:
    "cause Google to remove music" gives no "cause to remove music").
    """
    out = LINK_PATTERN.sub(gap, text or "")
    out = _HANDLE.sub(gap, out)
    if terms:
        pattern = r"\b(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")\b"
        out = re.sub(pattern, gap, out, flags=re.IGNORECASE)
    return _SPACE.sub(" ", out).strip()


def project_out(embeddings: np.ndarray, directions: np.ndarray | None) -> np.ndarray:
    """Remove the span of `directions` (k, dim) from `embeddings` and re-normalise the rows."""
    emb = np.asarray(embeddings, dtype=np.float32)
    if directions is None or len(directions) == 0 or len(emb) == 0:
        return emb
    basis, _ = np.linalg.qr(np.asarray(directions, dtype=np.float32).T)  # (dim, k) orthonormal
    out = emb - (emb @ basis) @ basis.T
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def term_directions(
    texts: Sequence[str], embeddings: np.ndarray, terms: Sequence[str], min_docs: int = 5
) -> np.ndarray | None:
    """Directions by which naming a term shifts the embeddings: mean(with term) - mean(without).

    Only for terms named in at least `min_docs` texts and not in nearly all of them. Projecting these
    out makes clusters ignore which brand/product/account is named, for embeddings of unmasked text
    (measured on airline tweets, see bench/topic_quality.py; encoding masked text is better still).
    """
    rows = []
    lowered = [(t or "").lower() for t in texts]
    for term in terms:
        pattern = re.compile(r"(?<!\w)@?" + re.escape(term.lower()) + r"\b")
        has = np.array([bool(pattern.search(t)) for t in lowered])
        if min_docs <= has.sum() <= 0.95 * len(texts):
            rows.append(embeddings[has].mean(axis=0) - embeddings[~has].mean(axis=0))
    return np.asarray(rows, dtype=np.float32) if rows else None


def _stop_words(terms: Sequence[str]) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) | SOCIAL_STOP_WORDS
    for term in terms:
        words.update(re.findall(r"\w+", term.lower()))
    return sorted(words)


def _stages(n: int, params: TopicParams, small: bool) -> tuple[Any, Any]:
    """The (reduction, clustering) stages for `n` documents."""
    if small:
        from bertopic.dimensionality import BaseDimensionalityReduction
        from sklearn.cluster import AgglomerativeClustering

        cluster = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=params.small_distance_threshold,
        )
        return BaseDimensionalityReduction(), cluster
    from hdbscan import HDBSCAN
    from umap import UMAP

    size = params.min_cluster_size or max(params.min_cluster_floor, n // params.cluster_divisor)
    reducer = UMAP(
        n_neighbors=min(params.n_neighbors, max(2, n - 1)),
        n_components=params.n_components,
        min_dist=0.0,
        metric="cosine",
        random_state=params.seed,
    )
    cluster = HDBSCAN(
        min_cluster_size=size,
        min_samples=params.min_samples,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=False,
    )
    return reducer, cluster


def _vectorizer(terms: Sequence[str], n: int) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        stop_words=_stop_words(terms),
        ngram_range=(1, 2),
        min_df=1 if n < 200 else 2,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z][a-zA-Z]+\b",
    )


def _reduce_outliers(
    model: Any, docs: list[str], topics: list[int], emb: np.ndarray, p: TopicParams
) -> list[int]:
    """Reassign outliers to the nearest topic by embedding; keep at most `max_outlier_share` unassigned."""
    if -1 not in topics or len(set(topics) - {-1}) == 0:
        return topics
    strict = model.reduce_outliers(
        docs, topics, strategy="embeddings", embeddings=emb, threshold=p.outlier_min_similarity
    )
    left = [i for i, t in enumerate(strict) if t == -1]
    if len(left) <= p.max_outlier_share * len(docs):
        return list(strict)
    loose = model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=emb, threshold=0.0)
    # keep the least similar ones out, up to the allowed share
    ids = sorted(set(loose) - {-1})
    centroids = np.stack([emb[np.asarray(loose) == t].mean(0) for t in ids])
    sims = (emb[left] @ centroids.T).max(axis=1)
    keep_out = set(np.asarray(left)[np.argsort(sims)][: int(p.max_outlier_share * len(docs))].tolist())
    return [-1 if i in keep_out else int(t) for i, t in enumerate(loose)]


def _nearest_topic(topics: list[int], emb: np.ndarray, p: TopicParams) -> list[int]:
    """Give unassigned rows their most similar topic; leave out at most `max_outlier_share`, least
    similar first, and only those below `outlier_min_similarity`.
    """
    labels = np.asarray(topics)
    ids = sorted(set(topics) - {-1})
    left = np.flatnonzero(labels == -1)
    if not ids or not len(left):
        return topics
    centroids = np.stack([emb[labels == t].mean(axis=0) for t in ids])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    sims = emb[left] @ centroids.T
    labels[left] = np.asarray(ids)[sims.argmax(axis=1)]
    order = np.argsort(sims.max(axis=1), kind="stable")[: int(p.max_outlier_share * len(topics))]
    keep_out = [i for i in order if sims[i].max() < p.outlier_min_similarity]
    labels[left[keep_out]] = -1
    return labels.tolist()


def topic_centroids(emb: np.ndarray, assignments: np.ndarray) -> dict[int, np.ndarray]:
    """Each topic's unit-length mean of `emb` rows (unassigned rows left out)."""
    out = {}
    for topic_id in sorted(set(assignments.tolist()) - {-1}):
        vec = emb[assignments == topic_id].mean(axis=0)
        out[int(topic_id)] = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return out


def _representatives(
    emb: np.ndarray, members: np.ndarray, centroid: np.ndarray, docs: list[str], k: int, core: np.ndarray
) -> list[int]:
    """The `k` most central distinct rows of a topic, those the clustering grouped (`core`, row-aligned
    with `emb`) first: a loose topic's quotes then show what holds it together, not a one-off given it.
    """
    order = members[np.lexsort((-(emb[members] @ centroid), ~core[members]))]
    seen: set[str] = set()
    out: list[int] = []
    for i in order.tolist():
        key = docs[i].lower()[:80]
        if key not in seen:
            seen.add(key)
            out.append(int(i))
        if len(out) == k:
            break
    return out


def _fit_bertopic(
    docs: list[str], emb: np.ndarray, terms: Sequence[str], p: TopicParams, small: bool, space: np.ndarray
) -> tuple[Any, list[int], np.ndarray]:
    """Cluster `docs` in `space` (the clustering embeddings); topic embeddings are centroids in `emb`.
    Also which rows the clustering grouped itself (before the left-alone ones get their nearest topic).
    """
    from bertopic import BERTopic

    reducer, cluster = _stages(len(docs), p, small)
    vectorizer = _vectorizer(terms, len(docs))
    model = BERTopic(
        embedding_model=None,
        umap_model=reducer,
        hdbscan_model=cluster,
        vectorizer_model=vectorizer,
        top_n_words=p.top_n_words,
        calculate_probabilities=False,
        verbose=False,
    )
    topics, _ = model.fit_transform(docs, embeddings=space)
    topics = [int(t) for t in topics]
    if small:  # agglomerative singletons are outliers, not topics
        sizes = {t: topics.count(t) for t in set(topics)}
        topics = [t if sizes[t] > 1 else -1 for t in topics]
        ids = {t: i for i, t in enumerate(sorted(set(topics) - {-1}))}
        topics = [ids.get(t, -1) for t in topics]
        clustered = np.asarray(topics) >= 0
        topics = _nearest_topic(topics, space, p)
    else:
        clustered = np.asarray(topics) >= 0
        topics = _reduce_outliers(model, docs, topics, space, p)
    if len(set(topics) - {-1}) == 0:
        return model, topics, clustered
    model.update_topics(docs, topics=topics, vectorizer_model=vectorizer, top_n_words=p.top_n_words)
    order = sorted(set(topics))
    model.topic_embeddings_ = np.stack([emb[np.asarray(topics) == t].mean(axis=0) for t in order])
    return model, topics, clustered


def fit_topics(
    texts: Sequence[str],
    embeddings: np.ndarray,
    *,
    terms: Sequence[str] = (),
    encode: Encode | None = None,
    params: TopicParams | None = None,
    min_documents: int = 20,
    cluster_embeddings: np.ndarray | None = None,
) -> TopicResult:
    """Discover topics in `texts` using their stored `embeddings` (row-aligned).

    `terms` are brand names/aliases: masked out of topic words and, with `encode`, projected out of the
    embeddings so clusters follow the issue, not the brand. `encode` also ranks label phrases.
    `cluster_embeddings` (row-aligned; default `embeddings`) is the space documents are clustered in:
    the topic encoder's (``models.issue_encoder``); centroids, labels and representatives stay in the
    space of `embeddings`, the one knowledge-base matching uses (week-to-week matching uses the
    clustering space: ``models.topic_tracking``).
    Below `min_documents` texts a note says there is too little data and a simple similarity grouping
    stands in for the topic model.
    """
    p = params or TopicParams()
    n = len(texts)
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.shape[0] != n:
        raise ModelError(f"{n} texts but {emb.shape[0]} embeddings")
    notes: list[str] = []
    if n < 3:
        notes.append(f"Too little data: {n} complaint(s) this period; topics need at least {min_documents}.")
        return TopicResult(np.full(n, -1, dtype=int), {}, notes)
    space = emb if cluster_embeddings is None else np.asarray(cluster_embeddings, dtype=np.float32)
    if space.shape[0] != n:
        raise ModelError(f"{n} texts but {space.shape[0]} clustering embeddings")
    if p.project_brand:
        emb = project_out(emb, term_directions(texts, emb, terms))
        space = (
            emb if cluster_embeddings is None else project_out(space, term_directions(texts, space, terms))
        )
    docs = [mask_text(t, terms) or "(empty)" for t in texts]
    small = n < max(min_documents, p.density_min_documents)
    if n < min_documents:
        notes.append(
            f"Too little data: {n} complaints this period (topic modelling needs at least {min_documents}); "
            "complaints are grouped by similarity instead."
        )
    np.random.seed(p.seed)
    model, topics, clustered = _fit_bertopic(docs, emb, terms, p, small, space)
    if not small and len(set(topics) - {-1}) == 0:
        notes.append("No clear topics found; complaints are grouped by similarity instead.")
        model, topics, clustered = _fit_bertopic(docs, emb, terms, p, True, space)
    assignments = np.asarray(topics, dtype=int)
    phrase_docs = [mask_text(t, terms, gap=PHRASE_GAP) for t in texts]  # what labels are drawn from
    described = _describe(model, docs, phrase_docs, emb, assignments, terms, encode, p, clustered)
    return TopicResult(assignments, described, notes, model, clustered)


def _describe(
    model: Any,
    docs: list[str],
    phrase_docs: list[str],
    emb: np.ndarray,
    assignments: np.ndarray,
    terms: Sequence[str],
    encode: Encode | None,
    p: TopicParams,
    clustered: np.ndarray,
) -> dict[int, Topic]:
    centroids = topic_centroids(emb, assignments)
    if not centroids:
        return {}
    words = {t: [w for w, _ in (model.get_topic(t) or [])][: p.top_n_words] for t in centroids}
    samples = {}
    for topic_id, centroid in centroids.items():
        members = np.flatnonzero(assignments == topic_id)
        central = members[np.argsort(-(emb[members] @ centroid), kind="stable")][:60]
        samples[topic_id] = [phrase_docs[i] for i in central]
    labels = label_topics(centroids, samples, words, set(_stop_words(terms)), encode, p.label_candidates)
    out = {}
    for topic_id, centroid in centroids.items():
        members = np.flatnonzero(assignments == topic_id)
        reps = _representatives(emb, members, centroid, docs, p.n_representatives, clustered)
        core = int(clustered[members].sum())
        out[topic_id] = Topic(
            topic_id, labels[topic_id], words[topic_id], int(len(members)), centroid, reps, core
        )
    if model is not None:
        model.set_topic_labels({t: topic.label for t, topic in out.items()})
    return out


def save_topic_model(result: TopicResult, path: Path) -> Path | None:
    """Save the fitted BERTopic with safetensors (no pickles, no embedding model); None if none."""
    if result.model is None or not result.topics:
        return None
    path.mkdir(parents=True, exist_ok=True)
    result.model.save(str(path), serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
    return path


def summarize(result: TopicResult, texts: Sequence[str], max_text: int = 300) -> dict[str, Any]:
    """A JSON-ready summary: counts, outlier share, and per topic its size (and how many of those the
    clustering grouped itself, `closely_grouped`), label, words, examples.
    """
    topics = [
        {
            "topic_id": t.topic_id,
            "size": t.size,
            "closely_grouped": t.core,
            "label": t.label,
            "words": list(t.words),
            "representatives": [texts[i][:max_text] for i in t.representatives],
        }
        for t in sorted(result.topics.values(), key=lambda t: (-t.size, t.topic_id))
    ]
    return {
        "documents": len(result.assignments),
        "topics": len(result.topics),
        "outlier_share": round(result.outlier_share, 4),
        "closely_grouped_share": round(float(result.clustered.mean()), 4)
        if result.clustered is not None and len(result.clustered)
        else None,
        "notes": list(result.notes),
        "summary": topics,
    }


def cluster_vectors(masked: Sequence[str], encoder: Any) -> np.ndarray | None:
    """The masked texts in the topic encoder's space (``models.issue_encoder``); None if it is `encoder`."""
    from models.issue_encoder import load_topic_encoder

    topic_encoder = load_topic_encoder()
    return None if topic_encoder is encoder else topic_encoder.encode(masked)


def topics_for_file(
    input_path: Path,
    output: Path | None = None,
    text_column: str = "text",
    summary: Path | None = None,
    mask: Sequence[str] = (),
    min_documents: int = 20,
) -> tuple[Path, Path, dict[str, Any]]:
    """Topics of a CSV/JSONL file with the default encoder: rows out in order, plus a summary JSON."""
    import json

    from models.encoder import load_encoder
    from models.io import read_rows, require_column, write_rows

    rows = read_rows(input_path)
    require_column(rows, text_column, input_path)
    texts = [str(r.get(text_column) or "") for r in rows]
    encoder = load_encoder()
    terms = brand_terms(mask[0], mask[1:]) if mask else []
    masked = [mask_text(t, terms) for t in texts]  # @handles, URLs and --mask terms out before encoding
    result = fit_topics(
        texts,
        encoder.encode(masked),
        terms=terms,
        encode=encoder.encode,
        min_documents=min_documents,
        cluster_embeddings=cluster_vectors(masked, encoder),
    )
    out = output or input_path.with_name(f"{input_path.stem}.topics.jsonl")
    write_rows(
        out,
        (
            {**r, "topic_id": int(t), "topic_label": result.label_of(int(t))}
            for r, t in zip(rows, result.assignments, strict=True)
        ),
    )
    info = summarize(result, texts)
    summary_path = summary or out.with_name(f"{out.stem}.summary.json")
    summary_path.write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")
    return out, summary_path, info
