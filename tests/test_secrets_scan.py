"""Secrets: known credential values seeded in the environment (Reddit id/secret, YouTube key, the
pseudonym key, a PostgreSQL password inside the store URL) go through the real credential path
(a non-demo config pointing at the emulator) for `ugcminer mine`, a run with rejected credentials
and `ugcminer report`; then logs (caplog at DEBUG and the processes' output), exception messages,
every report file and every column of every table are scanned: no secret value appears anywhere.
"""

from __future__ import annotations

import json
import logging
import subprocess
import traceback
from pathlib import Path

import pytest
import reddit_kit
import youtube_kit
from crashkit import UGCMINER, KillingEmulator, child_env, dump_database, write_config

from miners.runner import mine_config
from store.db import Store
from ugcminer.config import load_config
from ugcminer.errors import CredentialsError

SECRETS = {
    "REDDIT_CLIENT_ID": "rid-S3CRET-7f3a91",
    "REDDIT_CLIENT_SECRET": "rsec-S3CRET-c0ffee42",
    "YOUTUBE_API_KEY": "AIzaS3CRET-key-5d2e8b",
    "UGCMINER_PSEUDONYM_KEY": "pkey-S3CRET-91b7e0",
}
PG_PASSWORD = "pgpw-S3CRET-3141"


class RecordingEmulator(KillingEmulator):
    """Remembers the credentials clients sent (to prove the real credential path was used)."""

    def serve(self, req, handler) -> None:
        self.seen = getattr(self, "seen", set())
        self.seen.update(req.query.get("key", []))
        self.seen.add(req.headers.get("authorization", ""))
        super().serve(req, handler)


@pytest.fixture
def emu(tmp_path: Path):
    root = tmp_path / "corpus"
    reddit_kit.acme_corpus(root, n_posts=4, comments_per_post=2)
    youtube_kit.standard_corpus(root)
    with RecordingEmulator(root, reddit_window_s=1.0) as emulator:
        emulator.reddit.credentials = (SECRETS["REDDIT_CLIENT_ID"], SECRETS["REDDIT_CLIENT_SECRET"])
        yield emulator


def _ugcminer(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(UGCMINER), *args], env=env, capture_output=True, text=True, timeout=600)


def leaks(blob: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in blob]


@pytest.mark.postgres
def test_secrets__mine_report_and_errors_leak_no_credential(emu, tmp_path, pg_url, caplog, monkeypatch):
    url = pg_url.replace("postgres@", f"postgres:{PG_PASSWORD}@", 1)
    secrets = [*SECRETS.values(), PG_PASSWORD]
    env = child_env(**SECRETS, UGCMINER_STORE_URL=url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config_path = write_config(
        tmp_path / "ugcminer.json",
        emu.base_url,
        "sqlite:///unused.db",
        store={"url_env": "UGCMINER_STORE_URL"},
    )
    caplog.set_level(logging.DEBUG)

    in_process = mine_config(load_config(config_path))  # logs captured by caplog
    assert in_process["brands"]["Acme"]["status"] == "completed"
    mined = _ugcminer(
        ["mine", "--config", str(config_path), "--no-prefect"], env
    )  # a second run, own process
    assert mined.returncode == 0, mined.stderr[-2000:]
    assert SECRETS["YOUTUBE_API_KEY"] in emu.seen and any(a.startswith("Basic ") for a in emu.seen)

    bad = dict(env, REDDIT_CLIENT_SECRET="wrong-" + SECRETS["REDDIT_CLIENT_SECRET"])
    refused = _ugcminer(["mine", "--config", str(config_path), "--no-prefect"], bad)
    assert refused.returncode == 2 and "REDDIT_CLIENT_SECRET" in refused.stderr  # names the variable...
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", bad["REDDIT_CLIENT_SECRET"])
    with pytest.raises(CredentialsError) as raised:
        mine_config(load_config(config_path))
    exception_text = "".join(traceback.format_exception(raised.value))

    out = tmp_path / "reports"
    report = _ugcminer(
        ["report", "--config", str(config_path), "--as-of", "2025-10-13", "--out", str(out)], env
    )
    assert report.returncode == 0, report.stderr[-3000:]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".html", ".md", ".json", ".csv"}

    # the Prefect artifacts' contents, built exactly as `publish_artifacts` builds them
    from reports.artifacts import ARTIFACT_TABLES, safe_table, summary_markdown
    from reports.build import generate_report

    config = load_config(config_path)
    _, built = generate_report(config, config.brands[0].name, as_of="2025-10-13", out=tmp_path / "r2")
    tables = built.tables()
    artifacts = summary_markdown(built, str(tmp_path / "r2" / "report.html")) + repr(
        [safe_table(tables.get(name, [])) for name in ARTIFACT_TABLES]
    )

    scanned = {
        "artifacts": artifacts,
        "logs": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "mine output": mined.stdout + mined.stderr,
        "refused output": refused.stdout + refused.stderr,  # its secret embeds the real one: echoing shows
        "exception": exception_text,
        "report output": report.stdout + report.stderr,
        **{f"report file {p.name}": p.read_text("utf-8", errors="replace") for p in files},
        "database": dump_database(url),
    }
    assert "URL being requested" in scanned["logs"]  # googleapiclient's URL log ran, key redacted
    found = {where: leaks(blob, secrets) for where, blob in scanned.items() if leaks(blob, secrets)}
    assert not found, found
    print(
        f"\nSECRETS: {len(secrets)} values, {len(scanned)} places scanned ({len(files)} report files): none found"
    )


def test_secrets__dump_database_sees_a_seeded_value(tmp_path):
    """The scan would catch a leak: a value written into any column shows up in the dump."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    Store(url).quarantine_item("reddit", "mine", "bad", json.dumps({"token": SECRETS["YOUTUBE_API_KEY"]}))
    assert leaks(dump_database(url), list(SECRETS.values())) == [SECRETS["YOUTUBE_API_KEY"]]
