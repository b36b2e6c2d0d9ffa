"""The served deployments: schedules from config, brand timezone, one run at a time."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.serve import build_deployments
from ugcminer.config import load_config

REPO = Path(__file__).resolve().parent.parent


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "ugcminer.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "brands": [
                    {"name": "Acme Pay", "timezone": "Europe/Berlin"},
                    {"name": "Globex", "timezone": "America/New_York"},
                ],
                "store": {"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                "schedules": {
                    "mine_cron": "15 */3 * * *",
                    "report_cron": "0 6 * * 1",
                    "prune_cron": "45 2 * * *",
                },
            }
        )
    )
    return path


def test_build_deployments__schedules_timezones_and_concurrency(tmp_path: Path):
    path = _config(tmp_path)
    deps = {d.name: d for d in build_deployments(load_config(path), path)}
    assert set(deps) == {
        "mine-analyze-acme-pay",
        "weekly-report-acme-pay",
        "pipeline-acme-pay",
        "mine-analyze-globex",
        "weekly-report-globex",
        "pipeline-globex",
        "prune",
    }

    def crons(name):
        return [(s.schedule.cron, s.schedule.timezone) for s in deps[name].schedules or []]

    assert crons("weekly-report-acme-pay") == [("0 6 * * 1", "Europe/Berlin")]
    assert crons("weekly-report-globex") == [("0 6 * * 1", "America/New_York")]
    assert crons("mine-analyze-globex") == [("15 */3 * * *", "America/New_York")]
    assert crons("prune") == [("45 2 * * *", "UTC")]
    assert crons("pipeline-globex") == []
    for dep in deps.values():
        assert dep.concurrency_limit == 1
        assert dep.concurrency_options.collision_strategy == "ENQUEUE"
        assert dep.parameters["config_path"] == str(path.resolve())
    assert deps["weekly-report-globex"].parameters["brand"] == "Globex"


def test_prefect_yaml__has_the_same_deployments():
    from prefect.cli.deploy._models import PrefectYamlModel

    data = yaml.safe_load((REPO / "prefect.yaml").read_text())
    parsed = PrefectYamlModel.model_validate(data)  # what `prefect deploy` reads
    assert all(d.concurrency_limit.collision_strategy == "ENQUEUE" for d in parsed.deployments)
    by_name = {d["name"]: d for d in data["deployments"]}
    assert {"mine-analyze-acme", "weekly-report-acme", "pipeline-acme", "prune"} <= set(by_name)
    for dep in by_name.values():
        module, func = dep["entrypoint"].split(":")
        assert (REPO / module).exists()
        assert f"def {func}(" in (REPO / module).read_text()
        assert dep["concurrency_limit"]["limit"] == 1
    report = by_name["weekly-report-acme"]["schedules"][0]
    assert report["cron"] == "0 7 * * 1" and report["timezone"] == "Europe/London"
