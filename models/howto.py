"""How-to success: which third-party videos, posts and solution comments help customers most.

An item is *instructional* when the how-to head says so or its structure does ("how to"/"guide"/
"fix" titles, numbered steps, video chapters); posts and videos scored by `models.instructional` are
judged by its score and flag instead (`rank_howto(judged=...)`): on 918 labelled posts and videos the
rule was right 62 % of the time (recall 83 %), the model 87 % (recall 73 %, out of fold). Titles that ask for a fix or for help ("Google, please
fix this", "needs a fix", "no idea how to get rid of it", "[Help] ..."), like questions, are not
instructions by their form (the head may still say they are): 25 of the 1,440 how-to-looking titles of
the 24 subreddits in ../shared/data, 23 of them rightly (two r/lifehacks tips read "can't figure out how
to ..."); two were in the demo's top five until 2026-12-07. Its *success* is a weighted sum of signals, each
squashed to [0, 1] so no single one dominates (weights are policy, `HowtoWeights`):

    velocity      views per day (videos) or score (Reddit) against the median of comparable items
    approval      like ratio (likes per view, against the median) or Reddit's upvote ratio
    worked        replies that say it worked ("that fixed it", "thanks, worked")
    solved        a "Solved"/"Resolved" flair on the thread
    op_confirmed  the original poster (or uploader's audience) confirming it worked
    instructional how strongly it reads as instructions

The score is decomposed: `signals` holds each component and `reasons` says it in plain words.
Official brand content is scored the same way but kept out of the third-party ranking.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from miners.mention import Mention

TITLE_PATTERN = re.compile(
    r"\b(how\s+to|how\s+i\s+(?:\w+ed|got|made|built|set|did|keep|run|use)|guide|tutorial|fix(ed|es|ing)?|solv(e|ed|ing)|step[s]?\s+by\s+step|"
    r"workaround|tips?|walkthrough|troubleshoot\w*|resolve[d]?)\b",
    re.IGNORECASE,
)
STEP_PATTERN = re.compile(r"(?m)^\s*(?:\d{1,2}[.)]|step\s*\d+[:.)]?|[-*•]\s)\s*\S")
WORKED_PATTERN = re.compile(
    r"\b(that|this|it)\s+(fixed|solved|worked|did the trick)|\b(worked|works)\s+(for me|like a charm|perfectly|great)|"
    r"\bthanks?[^.!?\n]{0,40}\b(work(ed|s)?|fix(ed)?|solved|helped)\b|\bfixed it\b|\bsaved my\b|\bthis helped\b",
    re.IGNORECASE,
)
# a reply that says it did not work ("thanks, but it didn't work", "still crashing"): the pattern above
# would read its "thanks ... work" as a confirmation
NOT_WORKED_PATTERN = re.compile(
    r"\b(didn'?t|did not|doesn'?t|does not|don'?t|do not|not|never|no longer|won'?t|wasn'?t|isn'?t)\s+"
    r"(really\s+|quite\s+|seem to\s+)?(work|fix|solve|help)|\bno (luck|dice)\b|\bstill (broken|not|crash|the same)",
    re.IGNORECASE,
)
QUESTION_PATTERN = re.compile(
    r"^(how (do|can|should) (i|we|you)|why|what|is there|does anyone|anyone)\b", re.I
)
# titles that ask for a fix or for help rather than give one ("Google, please fix this", "needs a fix",
# "I have no idea how to get rid of it", "[Help] ...")
REQUEST_PATTERN = re.compile(
    r"\b(please|pls|plz)\s+fix\b|\bneeds?\s+(a\s+|to\s+)?fix|\b(can'?t|cannot|won'?t|doesn'?t|didn'?t)\s+fix\b|"
    r"\b(no idea|(don'?t|do not|doesn'?t|didn'?t) know|not sure|unsure|(can'?t|cannot|trying to) figure out|"
    r"wondering) how to\b|^\W*help\b|\bneed help\b|\b(please|pls|plz)\s+help\b|"
    # request tags and asks inside a title ("[REQUEST] how to ...", "anyone know how to", "tell me how")
    r"[\[*(]\s*req(uest)?\b|^\W*req(uest)?\b|\b(anyone|somebody|someone)\b.{0,20}\b(tell|show|know|help)\b|"
    r"\btell me how\b|\bhelp (on|with) how\b|"
    # a feature wish ("There needs to be an undo button for ...")
    r"\bthere (needs|ought|has) to be\b|\bthere should be\b|"
    r"\b(can'?t find|looking for|is there|if there'?s|there must be)\s+(a|any)\s+(fix|solution|workaround|guide|tutorial)\b",
    re.IGNORECASE,
)
# tip-style titles the title rule does not count ("TIL you can ...", "LPT: ...", "DIY ...", "hack")
TIP_PATTERN = re.compile(r"\b(tip|til|lpt|psa|diy|hack|trick|protip)s?\b", re.IGNORECASE)
# a body that asks for help rather than gives it ("Has anyone used ...? Any ideas?")
BODY_ASKS = re.compile(
    r"\b(any ideas|anyone|help|thanks in advance|i'?m trying to|what do you|does anyone|is there a way|"
    r"how (do|can) i)\b|\?",
    re.IGNORECASE,
)
SOLVED_FLAIR = re.compile(r"\b(solved|resolved|answered|fixed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class HowtoWeights:
    """How much each success signal counts (they sum to 1)."""

    velocity: float = 0.30
    approval: float = 0.15
    worked: float = 0.25
    solved: float = 0.10
    op_confirmed: float = 0.10
    instructional: float = 0.10
    head_threshold: float = 0.5  # how-to head probability that alone makes an item instructional
    min_structure: float = 0.5  # structure score that alone makes an item instructional


@dataclass(frozen=True)
class ScoredHowto:
    """A how-to item with its decomposed success score."""

    mention: Mention
    score: float
    signals: dict[str, float]
    reasons: list[str]
    worked_replies: list[str] = field(default_factory=list)


def title_asks(title: str) -> bool:
    """Whether a title asks (a question, a request for a fix or for help) rather than tells."""
    title = title.strip()
    return title.endswith("?") or bool(QUESTION_PATTERN.match(title) or REQUEST_PATTERN.search(title))


def form_digest() -> str:
    """Content hash of the patterns `form_features` reads: a model that reads the form re-scores stored
    items when their definition changes, as when its weights do.
    """
    patterns = (TITLE_PATTERN, QUESTION_PATTERN, REQUEST_PATTERN, TIP_PATTERN, BODY_ASKS, STEP_PATTERN)
    return hashlib.sha1("\x00".join(p.pattern for p in patterns).encode()).hexdigest()[:6]


def form_features(m: Mention) -> list[float]:
    """The item's form as numbers, for ``models.instructional``: a how-to title, a title that asks, at
    least two listed steps, no body (a link post or a bare video title), tip words in the title, a body
    that asks (in its first 500 characters).
    """
    parts = structure_parts(m)
    title, body = (m.title or "").strip(), (m.text or "").strip()
    return [
        float("how-to title" in parts),
        float(title_asks(title)),
        float("listed steps" in parts),
        float(not body),
        float(bool(TIP_PATTERN.search(title))),
        float(bool(BODY_ASKS.search(body[:500]))),
    ]


def structure_parts(m: Mention) -> dict[str, int]:
    """The instructional form the item has: a how-to title (1), its steps and its video chapters
    (counted when there are at least two).
    """
    title = (m.title or "").strip()  # comments have no title: only their steps count
    parts = {"how-to title": 1} if TITLE_PATTERN.search(title) and not title_asks(title) else {}
    steps = len(STEP_PATTERN.findall(m.text or ""))
    if steps >= 2:
        parts["listed steps"] = steps
    chapters = len(m.extra.get("chapters") or [])
    if chapters >= 2:
        parts["video chapters"] = chapters
    return parts


STRUCTURE_WEIGHTS = {"how-to title": 0.5, "listed steps": 0.3, "video chapters": 0.3}


def structure_score(m: Mention, parts: Mapping[str, int] | None = None) -> float:
    """0..1 from the item's form: how-to title, numbered steps, video chapters (`parts`: its
    `structure_parts`, when already known).
    """
    parts = structure_parts(m) if parts is None else parts
    return min(1.0, sum(STRUCTURE_WEIGHTS[name] for name in parts))


def _form_reason(parts: dict[str, int], head_probability: float) -> str:
    """Why an item counts as instructions, in words: its form, else the how-to model's reading."""
    if parts:
        named = [name if name == "how-to title" else f"{count} {name}" for name, count in parts.items()]
        return "instructional form: " + ", ".join(named)
    return f"the how-to model reads it as instructions ({head_probability:.0%})"


def is_instructional(m: Mention, head_probability: float, weights: HowtoWeights = HowtoWeights()) -> bool:
    """Whether `m` reads as instructions (head probability or structure)."""
    return head_probability >= weights.head_threshold or structure_score(m) >= weights.min_structure


def _squash(ratio: float) -> float:
    """Map a ratio to a typical value (1 = typical) onto 0..1 (typical -> 0.5)."""
    ratio = max(0.0, ratio)
    return ratio / (1.0 + ratio)


def _days(m: Mention, now: datetime) -> float:
    return max(1.0, (now - m.created_at).total_seconds() / 86400)


def _velocity(m: Mention, now: datetime) -> float:
    if m.kind == "video":
        return (m.views or 0) / _days(m, now)
    if m.kind == "video_comment":
        return float(m.likes or 0)
    return float(max(m.score or 0, 0))


def _approval(m: Mention) -> float | None:
    if m.kind == "video" and m.views:
        return (m.likes or 0) / m.views
    if m.upvote_ratio is not None:
        return float(m.upvote_ratio)
    return None


@dataclass(frozen=True)
class Baselines:
    """Typical values of comparable items (per kind, per community for Reddit)."""

    velocity: dict[tuple[str, str], float]
    approval: dict[str, float]

    @classmethod
    def of(cls, items: Sequence[Mention], now: datetime) -> Baselines:
        """Medians over `items` (the period's mentions, official or not)."""
        vel: dict[tuple[str, str], list[float]] = {}
        appr: dict[str, list[float]] = {}
        for m in items:
            vel.setdefault(_group(m), []).append(_velocity(m, now))
            value = _approval(m)
            if value is not None:
                appr.setdefault(str(m.kind), []).append(value)
        return cls(
            velocity={k: max(median(v), 1.0) for k, v in vel.items()},
            approval={k: max(median(v), 1e-6) for k, v in appr.items()},
        )


def _group(m: Mention) -> tuple[str, str]:
    community = (m.community or "").lower() if m.source == "reddit" else ""
    return (str(m.kind), community)


def _op_confirmed(m: Mention, replies: Sequence[Mention], op_author: str | None) -> bool:
    for reply in replies:
        by_op = bool(reply.extra.get("is_submitter")) or (op_author is not None and reply.author == op_author)
        if by_op and reply.author != m.author and says_worked(reply.text):
            return True
    return False


def _worked_replies(m: Mention, replies: Sequence[Mention]) -> list[str]:
    return [r.text for r in replies if r.author != m.author and says_worked(r.text)]


def says_worked(text: str | None) -> bool:
    """Whether a reply says the fix worked ("that fixed it", "thanks, worked for me"), and not that it
    did not ("thanks, but it didn't work").
    """
    text = text or ""
    return bool(WORKED_PATTERN.search(text)) and not NOT_WORKED_PATTERN.search(text)


def score_item(
    m: Mention,
    replies: Sequence[Mention],
    head_probability: float,
    baselines: Baselines,
    now: datetime,
    *,
    thread_flair: str | None = None,
    op_author: str | None = None,
    weights: HowtoWeights = HowtoWeights(),
    form_read: bool = False,
) -> ScoredHowto:
    """Score one instructional item; `replies` are the mentions that answer it. With `form_read`,
    `head_probability` already weighs the item's form (``models.instructional``) and is its signal alone.
    """
    velocity = _velocity(m, now)
    typical = baselines.velocity.get(_group(m), 1.0)
    approval = _approval(m)
    worked = _worked_replies(m, replies)
    flair = m.flair or thread_flair
    solved = bool(flair and SOLVED_FLAIR.search(flair))
    confirmed = _op_confirmed(m, replies, op_author)
    form = structure_parts(m)
    instructional = head_probability if form_read else max(head_probability, structure_score(m, form))
    signals = {
        "velocity": round(_squash(velocity / typical), 4),
        "approval": round(
            _squash(approval / baselines.approval.get(str(m.kind), 1.0)) if approval else 0.0, 4
        ),
        "worked": round(1.0 - 0.5 ** len(worked), 4),
        "solved": 1.0 if solved else 0.0,
        "op_confirmed": 1.0 if confirmed else 0.0,
        "instructional": round(instructional, 4),
    }
    score = sum(getattr(weights, name) * value for name, value in signals.items())
    reasons = _reasons(m, velocity, typical, approval, worked, solved, flair, confirmed)
    if instructional >= 0.5:
        reasons.append(_form_reason(form, head_probability))
    return ScoredHowto(m, round(score, 4), signals, reasons, worked)


def _reasons(
    m: Mention,
    velocity: float,
    typical: float,
    approval: float | None,
    worked: list[str],
    solved: bool,
    flair: str | None,
    confirmed: bool,
) -> list[str]:
    """The score's parts in plain words, strongest first."""
    times = velocity / typical if typical else 0.0
    out = []
    if m.kind == "video":
        out.append(f"{velocity:,.0f} views a day ({times:.1f}x the typical video this period)")
        if approval is not None:
            out.append(f"{approval:.1%} of viewers liked it")
    elif m.source == "reddit":
        where = f"r/{m.community}" if m.community else "its community"
        out.append(f"score {velocity:,.0f} ({times:.1f}x the typical score in {where})")
        if approval is not None and m.kind == "post":
            out.append(f"{approval:.0%} upvoted")
    if worked:
        out.append(f"{len(worked)} repl{'y says' if len(worked) == 1 else 'ies say'} it worked")
    if solved:
        out.append(f"thread marked {flair!r}")
    if confirmed:
        out.append("the original poster confirmed it worked")
    return out


def rank_howto(
    candidates: Sequence[Mention],
    replies: Mapping[str, Sequence[Mention]],
    head_probabilities: Mapping[str, float],
    baselines: Baselines,
    now: datetime,
    *,
    threads: Mapping[str, Mention] | None = None,
    weights: HowtoWeights = HowtoWeights(),
    judged: Mapping[str, tuple[float, bool]] | None = None,
) -> tuple[list[ScoredHowto], list[ScoredHowto]]:
    """Score the instructional items among `candidates`: (third-party ranked best first, official).

    `judged` holds, for the items it names, a probability that already weighs their form and the
    decision made with it (``models.instructional``): they replace the head probability and the form.
    """
    threads = threads or {}
    judged = judged or {}
    third_party: list[ScoredHowto] = []
    official: list[ScoredHowto] = []
    for m in candidates:
        form_read = m.id in judged
        prob = float(judged[m.id][0] if form_read else head_probabilities.get(m.id, 0.0))
        root = threads.get(m.thread_id or "") if m.thread_id else None
        instructions = judged[m.id][1] if form_read else is_instructional(m, prob, weights)
        if not (instructions or accepted_answer(m, replies.get(m.id, ()), root.author if root else None)):
            continue
        scored = score_item(
            m,
            replies.get(m.id, ()),
            prob,
            baselines,
            now,
            thread_flair=root.flair if root else None,
            op_author=root.author if root else m.author,
            weights=weights,
            form_read=form_read,
        )
        (official if m.is_official else third_party).append(scored)
    key = lambda s: (-s.score, s.mention.id)  # noqa: E731
    return sorted(third_party, key=key), sorted(official, key=key)


def accepted_answer(m: Mention, replies: Sequence[Mention], op_author: str | None) -> bool:
    """A reply (comment) that someone else says worked, or that the thread's original poster confirmed:
    a solution whatever its wording ("try safe mode" -> "that fixed it"), so it ranks as how-to content
    even when neither the how-to model nor its form says instructions.
    """
    if m.kind not in ("comment", "video_comment") or says_worked(m.text):  # a thank-you is no answer
        return False
    return bool(_worked_replies(m, replies)) or _op_confirmed(m, replies, op_author)


def replies_by_target(mentions: Sequence[Mention]) -> dict[str, list[Mention]]:
    """Direct replies keyed by the id of what they answer (a post, comment or video)."""
    out: dict[str, list[Mention]] = {}
    for m in mentions:
        if m.parent_id:
            out.setdefault(m.parent_id, []).append(m)
    return out
