"""Every table of a report as flat rows: the CSV/JSON exports and the Prefect table artifacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.assemble import Report


def _topic_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for t in report.topics:
        kb = t.kb_article or {}
        rows.append(
            {
                "topic_id": t.topic_id,
                "label": t.label,
                "status": t.status,
                "volume": t.size,
                "closely_grouped": t.core_size,
                "previous_volume": t.prev_size,
                "change": t.change,
                "category": t.category,
                "negative": round(float(t.sentiment.get("negative", 0.0)), 3),
                "neutral": round(float(t.sentiment.get("neutral", 0.0)), 3),
                "positive": round(float(t.sentiment.get("positive", 0.0)), 3),
                "kb_coverage": kb.get("title") or ("GAP" if t.kb_gap else ""),
                "kb_url": kb.get("url"),
                "kb_similarity": kb.get("similarity"),
                "words": ", ".join(t.words),
                "quotes": " | ".join(str(r.get("text", "")) for r in t.representatives[:3]),
                "quote_urls": " ".join(str(r.get("url") or "") for r in t.representatives[:3]).strip(),
            }
        )
    return rows


def _howto_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "rank": i,
            "title": h.title,
            "creator": h.creator,
            "platform": h.platform,
            "url": h.url,
            "score": round(h.score, 4),
            "why_it_ranks": "; ".join(h.reasons),
            "topic": h.topic_label,
            "closest_complaint": (h.closest_complaint or {}).get("text"),
            "closest_complaint_url": (h.closest_complaint or {}).get("url"),
            "kb_status": h.kb_status,
            "kb_article": (h.kb_article or {}).get("title"),
            "kb_article_url": (h.kb_article or {}).get("url"),
            "recommendation": h.recommendation,
            **{f"signal_{k}": v for k, v in sorted(h.signals.items())},
        }
        for i, h in enumerate(report.howto, 1)
    ]


def _gap_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "kind": g.kind,
            "ref": g.ref,
            "label": g.label,
            "url": g.url or "",
            "volume": g.volume,
            "outline": " / ".join(str(s.get("step", "")) for s in g.outline),
            "steps_elsewhere": g.steps_elsewhere or "",
            "sources": " ".join(sorted({str(s.get("source_url") or "") for s in g.outline} - {""})),
            "questions": " / ".join(str(q.get("question", "")) for q in g.questions),
        }
        for g in report.insight.gaps
    ]


def _weak_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "article_id": w.article_id,
            "title": w.title,
            "url": w.url,
            "topic": w.topic_label,
            "competing": " ".join(w.competing),
            "reason": w.reason,
        }
        for w in report.insight.weak_articles
    ]


def _creator_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "platform": c.platform,
            "items": c.items,
            "complaint_volume_addressed": c.complaint_volume_addressed,
            "best_item_url": c.best_item_url,
            "best_item_title": c.best_item_title,
            "topics": "; ".join(c.topics),
        }
        for c in report.insight.creators
    ]


def report_tables(report: Report) -> dict[str, list[dict[str, Any]]]:
    """Name -> rows, for every table in the report."""
    cov = report.coverage
    return {
        "actions": [a.as_row() for a in report.actions],
        "headlines": [h.as_dict() for h in report.headlines],
        "trend": [w.as_row() for w in report.trend],
        "topics": _topic_rows(report),
        "howto": _howto_rows(report),
        "gaps": _gap_rows(report),
        "weak_articles": _weak_rows(report),
        "creators": _creator_rows(report),
        "coverage_sources": [s.as_row() for s in cov.sources],
        "coverage_quota": list(cov.quota),
        "coverage_quarantine": list(cov.quarantined),
    }
