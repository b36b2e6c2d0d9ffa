"""The README tells the truth: its commands exist, every CLI command is documented, and CI runs the
README's test command.
"""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from ugcminer.cli import app

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _cli_commands() -> set[str]:
    return set(get_command(app).commands)  # type: ignore[attr-defined]


def test_readme__every_documented_command_exists() -> None:
    documented = set(re.findall(r"ugcminer (\w+)", README))
    documented -= {"is", "turns", "demo's"}
    assert documented, "README documents no ugcminer commands"
    missing = documented - _cli_commands()
    assert not missing, f"README documents commands the CLI lacks: {sorted(missing)}"


def test_readme__every_cli_command_is_documented() -> None:
    undocumented = {c for c in _cli_commands() if f"ugcminer {c}" not in README}
    assert not undocumented, f"CLI commands missing from the README: {sorted(undocumented)}"


def test_readme__ci_runs_the_readme_test_command() -> None:
    test_cmd = re.search(r"^(\.venv/bin/python -m pytest[^\n]*)$", README, re.MULTILINE)
    assert test_cmd, "README has no test command"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd.group(1) in ci


def test_readme__setup_command_installs_cpu_torch_first() -> None:
    assert "bash scripts/setup.sh && .venv/bin/ugcminer demo" in README
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert setup.index("torch==2.13.0") < setup.index("-e '.[dev]'")
