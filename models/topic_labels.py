"""Readable topic labels, KeyBERT-style: frequent phrases of the topic, re-ranked by the encoder.

Candidates are 2-4 word phrases from the topic's most central documents that neither start nor end
with a stop word ("battery drains after update", never "0_the_to_and"), scored like c-TF-IDF: how
often they occur in the topic against all topics. With an encoder the candidates are re-ranked by
cosine similarity to the topic centroid (plus a small prior for frequency); without, the top-scoring
phrase wins. Repeats of one text (a cross-post) count once. When no repeated phrase is close to the
centroid (cosine < `MIN_FIT`), or none exists, the phrases of the topic's three most central documents
compete instead ("youtube work so poorly" rather than "net ms" from a pasted traceroute, on the demo);
only when none of those fits either is the topic named by its top three words. On the held-out
airline and BANKING77 sets this took word-list labels from 11 and 6 topics to 0 and 1 (same clusters).
Phrases may not start with complaint filler (`FILLER`), and model numbers stay whole: on the same
held-out sets that changed 2 + 4 labels ("trying to change" -> "change my flight", "need my pin" ->
"card pin", but "need to be verify" -> the top words), and on the demo 6 of 55 ("having this issue" ->
"usage slows computer", "galaxy s" -> "galaxy s3").
Phrases stop at punctuation and may not be a clause cut mid-way (an auxiliary followed by a stop word,
or one at either end; `AUXILIARIES`): on the demo "youtube is a frustrating" and "apps can't even use"
became "dialup and youtube" and "bother releasing rich notifications" (rant clusters, named from one
post); on the held-out sets 12 of 151 labels changed, 7 for the better ("worst customer" -> "poor
customer service", "phone issues please fix" -> "phone issues", "flights now voucher" -> "flight
vouchers", "hadn't filed a refund" -> "refund claim"), 3 about the same and 2 for the worse
("haven't received my card" -> "ordered my card", "apology cool" -> top words); label-name agreement
("names" in `bench.topic_quality`) BANKING77 0.621 -> 0.631, airline 0.458 either way.
Phrases are drawn from the text with each masked brand name, @handle and link replaced by a phrase break
(`models.topics.PHRASE_GAP`), so no label joins the words around a removed name: on the demo "cause to
remove music" (from "cause Google to remove music") became "remove music"; on the held-out sets NMI and
"names" are unchanged (airline 0.307 / 0.440, BANKING77 0.833 / 0.624, `python -m bench.topic_quality`).
Phrases may not run into a clause: through a relative or subordinating word ("errors that the browser",
"extra fee when paying") or a subject pronoun after a content word ("payment i didnt make", "apps i
uninstalled instead"); they may end before it (`CLAUSE_OPENERS`). On the held-out sets (same clusters,
`bench.topic_quality`'s fit on the held-out rows) 7 of 151 labels changed: BANKING77 "fee for card
payment", "exchange rate is incorrect", "unknown payment", "transferred money", "exchange rate" (was a
deduplicated "exchange rate (exchange rates)") for the better, "cash i requested" -> "atm gave" for the
worse, airline "open when i boarded" -> "sitting with the baggage"; "names" BANKING77 0.590 -> 0.600,
airline 0.522 -> 0.500 (that one topic of 46). On the demo "errors that the browser" -> "dialup and
youtube", "apps i uninstalled instead" -> "rid of apps".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

Encode = Callable[[Sequence[str]], np.ndarray]

MIN_FIT = 0.2  # cosine to the centroid below which a phrase does not name its topic
# Words of how people complain, not of what about: a label may not start with one ("having this
# issue", "wondering what apps", "need help"); it may end with one ("login problem").
FILLER = frozenset(
    "having had has issue issues problem problems trouble wondering wonder anyone anybody someone know "
    "knows trying try tried help need needs want wants think thought sure way thing things stuff "
    "happened happening happens seems noticed suddenly recently today yesterday".split()
)
# Auxiliaries, copulas and modals (apostrophes dropped): one followed by another stop word ("is a",
# "can't even", "were your") makes a phrase a clause cut mid-way ("youtube is a frustrating", "apps
# can't even use" on the demo), not a name. Followed by a content word ("card has been declined",
# "payment is pending"), by "not" or by a subject pronoun (a question: "which atms can i use") it stays.
AUXILIARIES = frozenset(
    "is isnt are arent was wasnt were werent am be been being has hasnt have havent had hadnt do dont does "
    "doesnt did didnt can cant cannot could couldnt will wont would wouldnt shall should shouldnt may might "
    "must mustnt".split()
)
SUBJECTS = frozenset("i you we they he she it".split())
# Words that open a clause: inside a phrase they join a noun to a clause cut mid-way ("errors that the
# browser", "phone which keeps"); a subject pronoun right after a content word does the same without
# one ("apps i uninstalled instead", "card i ordered").
CLAUSE_OPENERS = frozenset(
    "that which who whom whose when where while because if unless than whether although though since".split()
)
_CUT_KEEPS = AUXILIARIES | SUBJECTS | {"not"}  # what may follow an auxiliary inside a phrase
_WORD = re.compile(r"[a-z][a-z0-9']*[a-z0-9]|[a-z]")
# Where a phrase ends: sentence and clause punctuation, brackets, quotes, a dash between spaces.
SEGMENT_BREAK = re.compile(r"[.!?;:,()\[\]{}\"|\n]+|\s[-\u2013\u2014]+\s")
CENTRAL_DOCS = 3  # when no repeated phrase fits: phrases of this many most central documents...
CENTRAL_CHARS = 600  # ...from their first characters


def _phrases(doc: str, stop: set[str]) -> set[str]:
    """2-4 word phrases of `doc` that neither start nor end with a stop word (a contraction counts as
    one when it is one without its apostrophe: "don't" as "dont", so no "don't know" label), do not
    start with a `FILLER` word, neither start nor end with an auxiliary ("doesn't hangouts support",
    "said it wasn't"), hold no auxiliary followed by another stop word (`AUXILIARIES`) and do not run
    across punctuation ("rich notifications? The old chat" gives no "notifications the old").
    A word keeps the digits that follow its first letter ("galaxy s7", not "galaxy s"); numbers alone
    (flight, order and case numbers) are not words.
    """
    doc = doc.lower().replace("\u2019", "'")
    return set().union(*(_segment_phrases(part, stop) for part in SEGMENT_BREAK.split(doc)))


def _segment_phrases(segment: str, stop: set[str]) -> set[str]:
    tokens = _WORD.findall(segment)
    bare = [t.replace("'", "") for t in tokens]
    stopped = [t in stop or b in stop for t, b in zip(tokens, bare, strict=True)]
    aux = [b in AUXILIARIES for b in bare]
    no_start = [t in FILLER or a for t, a in zip(tokens, aux, strict=True)]
    # a clause cut inside the phrase: an auxiliary, then a stop word that is not another auxiliary,
    # "not" or a subject ("is a", "can't even"; not "has been", "is not", "can i")
    cut = [a and stopped[i + 1] and bare[i + 1] not in _CUT_KEEPS for i, a in enumerate(aux[:-1])]
    # a clause opener, or a subject pronoun after a content word: a phrase may end before it, not run
    # through it
    opens = [
        b in CLAUSE_OPENERS or (b in SUBJECTS and i > 0 and not stopped[i - 1]) for i, b in enumerate(bare)
    ]
    out = set()
    for n in (2, 3, 4):
        for i in range(len(tokens) - n + 1):
            gram, last = tokens[i : i + n], i + n - 1
            if (
                stopped[i]
                or stopped[last]
                or no_start[i]
                or aux[last]
                or any(cut[i:last])
                or any(opens[i + 1 : last + 1])
                or len(set(gram)) < n
            ):
                continue
            out.add(" ".join(gram))
    return out


def _phrase_candidates(samples: dict[int, list[str]], stop: set[str], k: int) -> dict[int, list[str]]:
    """Per topic, the phrases most frequent in it relative to all topics (a c-TF-IDF on phrases)."""
    counts = {t: {} for t in samples}
    overall: dict[str, int] = {}
    samples = {t: _distinct(docs) for t, docs in samples.items()}
    for topic_id, docs in samples.items():
        for doc in docs:
            for phrase in _phrases(doc, stop):
                counts[topic_id][phrase] = counts[topic_id].get(phrase, 0) + 1
                overall[phrase] = overall.get(phrase, 0) + 1
    out = {}
    for topic_id, phrase_counts in counts.items():
        floor = 2  # a phrase said once is not a topic's name; fall back to its top words
        kept = _drop_subsumed({p: c for p, c in phrase_counts.items() if c >= floor})
        scored = [
            (c / len(samples[topic_id]) * np.log(1 + len(samples) * c / overall[p]), p)
            for p, c in kept.items()
        ]
        out[topic_id] = [p for _, p in sorted(scored, key=lambda x: (-x[0], x[1]))[:k]]
    return out


def _distinct(docs: list[str]) -> list[str]:
    """`docs` without repeats of the same text (case and spacing aside): a post made twice is one voice,
    so its phrases need a second author to become a label (the demo's "dialup and youtube" was one
    cross-posted rant).
    """
    seen: dict[str, str] = {}
    for doc in docs:
        seen.setdefault(" ".join(doc.lower().split()), doc)
    return list(seen.values())


def _drop_subsumed(counts: dict[str, int], keep_share: float = 0.8) -> dict[str, int]:
    """Drop a phrase when a longer phrase containing it is nearly as frequent ("battery drains" loses
    to "battery drains fast" when both occur about as often).
    """
    out = {}
    for phrase, count in counts.items():
        padded = f" {phrase} "
        longer = (c for p, c in counts.items() if len(p) > len(phrase) and padded in f" {p} ")
        if not any(c >= keep_share * count for c in longer):
            out[phrase] = count
    return out


def label_topics(
    topics: dict[int, np.ndarray],
    samples: dict[int, list[str]],
    words: dict[int, list[str]],
    stop: set[str],
    encode: Encode | None,
    k: int,
) -> dict[int, str]:
    """KeyBERT-style labels: candidate phrases re-ranked by similarity to the topic centroid."""
    candidates = _phrase_candidates(samples, stop, k)
    labels = {}
    for topic_id, centroid in topics.items():
        cands = candidates.get(topic_id) or []
        words_label = ", ".join(words[topic_id][:3]) or f"topic {topic_id}"
        if encode is None:
            labels[topic_id] = cands[0] if cands else words_label
            continue
        best, fit = None, -1.0
        if cands:
            sims = np.asarray(encode(cands), dtype=np.float32) @ centroid
            prior = np.linspace(0.1, 0.0, num=len(cands))  # small preference for the frequent phrases
            index = int(np.argmax(sims + prior))
            best, fit = cands[index], float(sims[index])
        if fit < MIN_FIT:  # no repeated phrase is about the topic: the central documents' own phrases
            best = _central_phrase(samples.get(topic_id) or [], stop, centroid, encode) or best
        labels[topic_id] = best or words_label
    return _dedupe_labels(labels, words)


def _central_phrase(docs: list[str], stop: set[str], centroid: np.ndarray, encode: Encode) -> str | None:
    """The phrase of the topic's most central documents closest to its centroid, if any fits."""
    phrases = sorted(set().union(*(_phrases(d[:CENTRAL_CHARS], stop) for d in docs[:CENTRAL_DOCS])))
    if not phrases:
        return None
    sims = np.asarray(encode(phrases), dtype=np.float32) @ centroid
    best = int(np.argmax(sims))
    return phrases[best] if sims[best] >= MIN_FIT else None


def _dedupe_labels(labels: dict[int, str], words: dict[int, list[str]]) -> dict[int, str]:
    """Make labels unique by appending a distinguishing top word."""
    seen: dict[str, int] = {}
    out = {}
    for topic_id in sorted(labels):
        label = labels[topic_id]
        if label in seen:
            extra = next((w for w in words[topic_id] if w not in label), str(topic_id))
            label = f"{label} ({extra})"
        seen[label] = topic_id
        out[topic_id] = label
    return out
