"""The demo brand and its config: everything `ugcminer demo` needs, no credentials, no network.

The bundled corpus (`miners/emulator/demo_corpus/`, see its PROVENANCE.md) holds real public Reddit
posts and YouTube video statistics about **Google** (and some that only look like it), re-timed into
the ten ISO weeks before `DEMO_AS_OF`, so the demo report covers the ISO week before that date with
an eight-week trend behind it.

    from ugcminer.demo import demo_config
    config = demo_config(Path("/tmp/demo"))   # a validated Config: emulator on, SQLite in /tmp/demo
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ugcminer.config import BrandConfig, Config, parse_config

#: the bundled demo corpus (emulator format; rebuilt by `python -m miners.emulator.build_demo_corpus`)
DEMO_CORPUS_DIR = Path(__file__).resolve().parent.parent / "miners" / "emulator" / "demo_corpus"

#: the Monday the demo corpus ends on (exclusive); the demo report is for the ISO week before it
DEMO_AS_OF = date(2026, 11, 16)

#: the demo brand (chosen by counting real complaint and how-to posts; see PROVENANCE.md)
DEMO_BRAND = "Google"

#: Google's own YouTube channels, as recorded in ../shared/api_samples/youtube/Y10 (real ids)
DEMO_OFFICIAL_CHANNELS = ("UCK8sQmJBp8GCxrOtXWBpyEA", "UC_x5XG1OV2P6uZZ5FSM9Ttw")

_BRAND: dict[str, Any] = {
    "name": DEMO_BRAND,
    "aliases": [
        "Android",
        "Chrome",
        "Chromebook",
        "Chromecast",
        "Chrome OS",
        "Gmail",
        "Nexus",
        "Google Play",
        "Google Maps",
        "Google Drive",
        "Google Glass",
        "Hangouts",
    ],
    # "Chrome" is also a bag maker and a metal finish: these phrases mark the false matches
    "exclude": [
        "chrome bags",
        "chrome bag",
        "chrome metropolitan",
        "timbuk2",
        "chrome plated",
        "chrome-plated",
        "chrome finish",
        "brass and chrome",
    ],
    "subreddits": ["google", "Android", "AndroidQuestions", "chrome", "techsupport"],
    "brand_subreddits": ["google", "Android", "AndroidQuestions", "chrome"],  # r/techsupport is general
    "search_all": True,
    "youtube_queries": ["google", "android", "chrome"],
    "official": {"youtube_channels": list(DEMO_OFFICIAL_CHANNELS), "reddit_accounts": []},
    "timezone": "UTC",
}


def demo_brand() -> BrandConfig:
    """The demo brand's config (aliases, exclusions, subreddits, queries, official channels)."""
    return BrandConfig.model_validate(
        {
            **_BRAND,
            "taxonomy": str(DEMO_CORPUS_DIR / "taxonomy.yaml"),
            "knowledge_base": str(DEMO_CORPUS_DIR / "kb"),
        }
    )


def demo_config(workdir: Path) -> Config:
    """A validated config for the demo: emulator on, SQLite store and reports under `workdir`."""
    workdir = Path(workdir).resolve()
    data = {
        "brands": [demo_brand().model_dump()],
        "store": {"url": f"sqlite:///{workdir / 'ugcminer-demo.db'}"},
        "reports": {"output_dir": str(workdir / "reports")},
        "emulator": {"enabled": True, "corpus": str(DEMO_CORPUS_DIR)},
    }
    return parse_config(data, source="demo config (ugcminer.demo)")
