"""The brand's knowledge base: load articles, embed them once, match topics and how-to items to them,
and draft outlines for gaps from the successful third-party content (each step cites its source).

Accepted inputs: a folder of Markdown (`.md`), HTML (`.html`/`.htm`) or text (`.txt`) files, title
and URL from YAML front matter, else the first heading (`# Title` / `<title>` / `<h1>`) and the file
name; or a CSV / JSON / JSONL export with columns `title`, `url`, `text` (or `body`/`content`) and
optionally `id`.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from miners.mention import Mention
from models.howto import structure_parts
from ugcminer.errors import ConfigError

TEXT_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
EXPORT_SUFFIXES = (".csv", ".json", ".jsonl")
EMBED_CHARS = 1500  # title + the start of the body is what an article is "about"
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_STEP = re.compile(r"(?m)^\s*(?:\d{1,2}[.)]|step\s*\d+[:.)]?)\s+(.+?)\s*$", re.IGNORECASE)
_SKIP_CHAPTER = re.compile(
    r"^(intro(duction)?|outro|end|ending|conclusion|subscribe|thanks.*)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Article:
    """One official knowledge-base article."""

    id: str
    title: str
    url: str | None
    text: str

    @property
    def content_hash(self) -> str:
        """Hash of what is embedded: a changed hash means re-embed."""
        return hashlib.sha256(self.embed_text.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def embed_text(self) -> str:
        """The text that represents the article for matching."""
        return f"{self.title}\n{self.text}"[:EMBED_CHARS]


def _front_matter(raw: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(raw)
    if not match:
        return {}, raw
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        meta = {}
    return (meta if isinstance(meta, dict) else {}), raw[match.end() :]


def _html_text(raw: str) -> tuple[str | None, str]:
    title = re.search(r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", raw, re.IGNORECASE | re.DOTALL)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", raw, flags=re.IGNORECASE | re.DOTALL)
    body = re.sub(r"<li[^>]*>", "\n1. ", body, flags=re.IGNORECASE)
    text = html.unescape(_TAG.sub(" ", body))
    name = next((g for g in (title.groups() if title else ()) if g), None)
    return (html.unescape(_TAG.sub("", name)).strip() if name else None), re.sub(r"[ \t]+", " ", text).strip()


def parse_article(path: Path, root: Path) -> Article:
    """One article file (front matter / first heading give title and URL)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    meta, body = _front_matter(raw)
    title = meta.get("title")
    if path.suffix.lower() in (".html", ".htm"):
        html_title, body = _html_text(body)
        title = title or html_title
    heading = re.search(r"(?m)^#\s+(.+)$", body)
    title = str(title or (heading.group(1).strip() if heading else path.stem.replace("-", " ")))
    article_id = str(meta.get("id") or path.relative_to(root).with_suffix("").as_posix())
    url = meta.get("url")
    return Article(article_id, title, str(url) if url else None, body.strip())


def _rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(text.splitlines()))
    if path.suffix.lower() == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data.get("articles", []) if isinstance(data, dict) else data


def load_kb(path: str | Path) -> list[Article]:
    """Load articles from a folder or an export file, sorted by id."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ConfigError(
            f"knowledge_base: {path} not found (a folder of Markdown/HTML/text or a CSV/JSON file)"
        )
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES and p.is_file())
        articles = [parse_article(p, path) for p in files if p.name.lower() != "readme.md"]
    elif path.suffix.lower() in EXPORT_SUFFIXES:
        articles = []
        for i, row in enumerate(_rows(path)):
            body = row.get("text") or row.get("body") or row.get("content") or ""
            title = str(row.get("title") or f"article {i + 1}")
            articles.append(
                Article(str(row.get("id") or row.get("url") or i), title, row.get("url") or None, body)
            )
    else:
        raise ConfigError(f"knowledge_base: {path} is neither a folder nor a .csv/.json/.jsonl export")
    return sorted(articles, key=lambda a: a.id)


def article_vectors(
    articles: Sequence[Article],
    encode: Callable[[Sequence[str]], np.ndarray],
    cached: Mapping[str, tuple[str, np.ndarray]],
) -> tuple[np.ndarray, list[Article]]:
    """Vectors of `articles` in order, re-embedding only those whose hash is not in `cached`.

    `cached` maps article id to (content_hash, vector); returns (vectors, the articles embedded now).
    """
    fresh = [a for a in articles if cached.get(a.id, ("", None))[0] != a.content_hash]
    new = (
        dict(zip([a.id for a in fresh], encode([a.embed_text for a in fresh]), strict=True)) if fresh else {}
    )
    rows = [new[a.id] if a.id in new else cached[a.id][1] for a in articles]
    vectors = np.asarray(rows, dtype=np.float32).reshape(len(articles), -1)
    return vectors, fresh


@dataclass(frozen=True)
class KbMatch:
    """The closest article to a query vector, and whether it is close enough."""

    article: Article | None
    similarity: float
    covered: bool

    def as_dict(self) -> dict[str, Any] | None:
        """{id, title, url, similarity} when covered, else None."""
        if not self.covered or self.article is None:
            return None
        a = self.article
        return {"id": a.id, "title": a.title, "url": a.url, "similarity": round(self.similarity, 4)}


def match_articles(
    queries: np.ndarray, articles: Sequence[Article], vectors: np.ndarray, threshold: float
) -> list[KbMatch]:
    """For each query vector, the most similar article (covered when similarity >= `threshold`)."""
    if len(articles) == 0 or len(queries) == 0:
        return [KbMatch(None, 0.0, False) for _ in range(len(queries))]
    q = np.asarray(queries, dtype=np.float32)
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = q @ v.T
    best = sims.argmax(axis=1)
    return [
        KbMatch(articles[int(j)], float(sims[i, j]), bool(sims[i, j] >= threshold))
        for i, j in enumerate(best)
    ]


def steps_of(m: Mention, accepted: bool = False, limit: int = 6, titles: bool = False) -> list[str]:
    """Steps an item teaches: video chapters, numbered lines, or an accepted solution's first sentence;
    with `titles`, an item with none of these (a link post, a video without chapters) gives its title
    when that reads as instructions ("How to ...", "Fix ...", a tip; not a question).
    """
    chapters = [c.get("title", "").strip() for c in m.extra.get("chapters") or []]
    steps = [c for c in chapters if c and not _SKIP_CHAPTER.match(c)]
    if not steps:
        steps = [s.strip() for s in _STEP.findall(m.text or "")]
    if not steps and accepted and m.text:
        steps = [_first_sentence(m.text)[:200]]
    if not steps and titles and "?" not in (m.title or "") and "how-to title" in structure_parts(m):
        steps = [step for step in [_title_step(m)] if step]
    return steps[:limit]


# A tip's label at the start of a title: "LPT:", "Tip:", "Handy tip for SwiftKey users:", or the whole
# title ("Life Pro Tip for Android users."). It says that a tip follows, not what to do.
TIP_LABEL = re.compile(
    r"^\W*(?:(?:life\s+)?pro\s*tip|lpt|psa|protip|(?:(?:a|an|one|quick|handy|useful|simple|little|small|"
    r"helpful|great|nice|neat|cool|good)\s+)*tips?)s?(?:\s+for\s+[^:.!?\]]{1,40}?)?(?:\s*\][:.!]?\s*|\s*[:.!]+\s*|\s+-+\s+|\s*$)",
    re.IGNORECASE,
)


def _title_step(m: Mention) -> str | None:
    """What an item's how-to title tells a writer to cover: the title without a tip's label ("Tip: you
    can move tabs" -> "You can move tabs"); for a title that is only a label ("Life Pro Tip for Android
    users."), the tip itself, its body's first sentence (None when there is none, or it asks).
    """
    title = (m.title or "").strip()
    label = TIP_LABEL.match(title)
    if not label:
        return title
    rest = title[label.end() :].strip()
    if rest:
        return rest[0].upper() + rest[1:]
    first = _first_sentence(m.text or "")[:200]
    return first if first and not first.endswith("?") else None


def draft_outline(
    sources: Sequence[tuple[Mention, bool]], max_steps: int = 8, titles: bool = False
) -> list[dict[str, Any]]:
    """An outline from successful items (best first; the flag marks accepted solutions).

    Each step is {step, source_url, source_title}; repeated steps are dropped. With `titles`, an item
    that teaches no steps contributes its title (what the article should cover too).
    """
    outline: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m, accepted in sources:
        title = m.title or (m.text or "")[:80]
        for step in steps_of(m, accepted, titles=titles):
            key = re.sub(r"\W+", " ", step.lower()).strip()
            if key and key not in seen:
                seen.add(key)
                outline.append({"step": step, "source_url": m.url, "source_title": title})
            if len(outline) >= max_steps:
                return outline
    return outline


def steps_elsewhere(m: Mention) -> str | None:
    """Where an item's instructions are when its text cannot hold them: a video itself, or the page a
    Reddit link post links to (an image, an article); None for a text post or comment.
    """
    if m.kind == "video":
        return "in the video"
    extra = m.extra or {}
    domain = str(extra.get("domain") or "")
    if m.kind == "post" and extra.get("is_self") is False and domain and not domain.startswith("self."):
        return f"on the page it links to ({domain})"
    return None


QUESTION_WORDS = frozenset(
    "how why what when where which who is are can could does do did should will has have anyone anybody".split()
)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]


def _question_key(sentence: str) -> str | None:
    """For a question a help article can answer (ends with "?", four words or more, a question word
    among its first three: "ugh why does it ..." yes, "Really?" no), its words from that question word
    on, so the same question with another opening repeats; None for anything else.
    """
    words = re.findall(r"[a-z']+", sentence.lower())
    if not (sentence.endswith("?") and len(words) >= 4 and QUESTION_WORDS & set(words[:3])):
        return None
    words = re.findall(r"[a-z0-9']+", sentence.lower())
    start = next(i for i, w in enumerate(words) if w in QUESTION_WORDS)
    return " ".join(words[start:])


def customer_questions(
    mentions: Sequence[Mention], limit: int = 4, max_chars: int = 160
) -> list[dict[str, Any]]:
    """The questions `mentions` ask (most central first): a title that is a question, else a first
    sentence that is one; each {question, source_url}, repeats dropped. What an article on the topic
    has to answer, in the customers' words.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m in mentions:
        for text in (" ".join(c.split()) for c in (m.title or "", _first_sentence(m.text or ""))):
            key = _question_key(text) if len(text) <= max_chars else None
            if key is None:
                continue
            if key not in seen:
                seen.add(key)
                out.append({"question": text, "source_url": m.url})
            break
        if len(out) >= limit:
            break
    return out
