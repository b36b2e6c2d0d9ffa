from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ugcminer.config import load_config, parse_config
from ugcminer.errors import ConfigError
from ugcminer.example_config import EXAMPLE_CONFIG


def test_config__typo_names_file_key_and_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "ugcminer.yaml"
    path.write_text("brands:\n  - name: Acme\n    alaises: [AcmePhone]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert "brands[0].alaises: unknown key (did you mean 'aliases'?)" in str(err.value)


def test_config__wrong_type_and_missing_key_are_named() -> None:
    with pytest.raises(ConfigError, match=r"x.yaml: youtube.daily_quota: .*got 'lots'"):
        parse_config({"brands": [{"name": "A"}], "youtube": {"daily_quota": "lots"}}, "x.yaml")
    with pytest.raises(ConfigError, match=r"brands\[0\].name: required key is missing"):
        parse_config({"brands": [{"aliases": ["a"]}]}, "x.yaml")


def test_config__invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("brands:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+ is not valid YAML"):
        load_config(path)


def test_config__missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ugcminer init"):
        load_config(tmp_path / "nope.yaml")


def test_config__example_written_by_init_is_valid_and_commented() -> None:
    config = parse_config(yaml.safe_load(EXAMPLE_CONFIG), "example")
    assert config.brands[0].name == "Acme"
    assert config.models.encoder.backend == "auto" and config.models.taxonomy_threshold == 0.2
    assert EXAMPLE_CONFIG.count("#") > 10


def test_config__relative_sqlite_url_resolves_next_to_the_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("brands: [{name: A}]\nstore: {url: 'sqlite:///data/x.db'}\n")
    assert load_config(path).store_url() == f"sqlite:///{tmp_path / 'data/x.db'}"
