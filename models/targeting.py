"""Whether a complaint is about the brand, or names it only in passing.

A Reddit post becomes a brand mention when the brand or an alias appears anywhere in it, often deep in
the body ("I use Chrome", "I googled it", a list of things tried). On the demo's 388 complaint posts two
AI annotators (agreement 376/388, Cohen's kappa 0.92; `bench/data/complaint_targets_labelled.csv`)
found 101 of the 376 they agreed on to be about something else (Yahoo mail, Amazon Instant Video, a
PC's hardware, a carrier). Rule (`about_brand`): a Reddit post is about the brand when it is posted in
one of the brand's own subreddits (`brand_subreddits`, default the watched ones) or its title (for a
post without one, the first 200 characters of its text) names the brand or an alias; other mentions (comments, videos, video comments) always count. With the demo's
`brand_subreddits` (google, Android, AndroidQuestions, chrome) and aliases it keeps 271 of the 275
on-brand complaints (the 4 it loses name YouTube in the title, which is not among the demo brand's
aliases: list a brand's products as aliases) and leaves out 48 of the 101 off-brand ones. Looking for
a name in the first 100 / 200 / 300 characters of the text instead of the title lost 55 / 30 / 16
on-brand ones even with YouTube counted. The rule was chosen on these labels (no held-out set). Topics
and, since 2026-12-07, the report's complaint rate use it (``reports.metrics``).
"""

from __future__ import annotations

from miners.base import match_alias
from miners.mention import Mention, MentionKind, Source
from ugcminer.config import BrandConfig

HEADLINE_CHARS = 200  # a post without a title: its text's opening stands in for one


def names_brand(text: str, brand: BrandConfig) -> bool:
    """Whether `text` names the brand or one of its aliases as the miners match them (whole words, any
    case, links and exclusion phrases aside: ``miners.base.match_alias``).
    """
    return match_alias(brand, text) is not None


def about_brand(mention: Mention, brand: BrandConfig) -> bool:
    """Whether `mention`'s complaint is taken to be about `brand` (see the module docstring)."""
    if mention.source is not Source.REDDIT or mention.kind is not MentionKind.POST:
        return True
    if (mention.community or "").lower() in brand.home_subreddits:
        return True
    return names_brand(mention.title or (mention.text or "")[:HEADLINE_CHARS], brand)
