"""models/auto_backend.py: `backend: auto` measures the candidates once per host and records the choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import auto_backend as auto
from ugcminer.config import EncoderConfig


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("UGCMINER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(auto, "candidates", lambda: ["torch", "openvino"])
    return tmp_path


def _timer(speeds: dict[str, float], calls: list[str]):  # noqa: ANN202
    def measure(cfg: EncoderConfig, texts: list[str]) -> float:
        calls.append(cfg.backend)
        assert len(texts) == auto.SAMPLE
        if speeds[cfg.backend] < 0:
            raise RuntimeError("no such plugin")
        return speeds[cfg.backend]

    return measure


def test_choose__torch_unless_another_is_clearly_faster() -> None:
    assert auto.choose({"torch": 200.0, "openvino": 720.0}) == "openvino"
    assert auto.choose({"torch": 200.0, "openvino": 220.0}) == "torch"  # within the margin
    assert auto.choose({"torch": 200.0, "openvino": 150.0, "torch-bf16": 500.0}) == "torch-bf16"
    assert auto.choose({"openvino": 10.0}) == "openvino"


def test_auto_backend__measures_once_then_reads_the_record(cache: Path) -> None:
    calls: list[str] = []
    measure = _timer({"torch": 200.0, "openvino": 720.0}, calls)
    assert auto.auto_backend(EncoderConfig(), measure) == "openvino"
    assert calls == ["torch", "openvino"]
    record = json.loads(auto.choice_file().read_text())
    (entry,) = record.values()
    assert entry == {"backend": "openvino", "texts_per_s": {"torch": 200.0, "openvino": 720.0}}
    assert auto.auto_backend(EncoderConfig(), measure) == "openvino" and len(calls) == 2
    # other encoder settings are another entry, measured on their own
    assert (
        auto.auto_backend(EncoderConfig(max_length=256), _timer({"torch": 9.0, "openvino": 8.0}, calls))
        == "torch"
    )
    assert len(json.loads(auto.choice_file().read_text())) == 2


def test_auto_backend__a_backend_that_fails_is_skipped(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    assert auto.auto_backend(EncoderConfig(), _timer({"torch": 200.0, "openvino": -1.0}, calls)) == "torch"
    assert "openvino cannot run here" in caplog.text


def test_auto_backend__a_broken_record_is_measured_again(cache: Path) -> None:
    auto.choice_file().parent.mkdir(parents=True)
    auto.choice_file().write_text("{not json")
    calls: list[str] = []
    assert auto.auto_backend(EncoderConfig(), _timer({"torch": 5.0, "openvino": 50.0}, calls)) == "openvino"
    assert calls == ["torch", "openvino"]


def test_host_key__depends_on_the_encoder_settings() -> None:
    assert auto.host_key(EncoderConfig()) == auto.host_key(EncoderConfig())
    assert auto.host_key(EncoderConfig()) != auto.host_key(EncoderConfig(threads=1))


def test_sample_texts__real_and_stable() -> None:
    texts = auto.sample_texts()
    assert len(texts) == auto.SAMPLE and len(set(texts)) > 200 and texts == auto.sample_texts()


@pytest.mark.slow
def test_load_encoder__auto_runs_the_measured_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from models.encoder import load_encoder

    monkeypatch.setenv("UGCMINER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(auto, "SAMPLE", 64)
    encoder = load_encoder(EncoderConfig(backend="auto", threads=2))
    (entry,) = json.loads(auto.choice_file().read_text()).values()
    assert set(entry["texts_per_s"]) == set(auto.candidates())
    assert getattr(encoder, "backend", "torch") == entry["backend"]
    assert encoder.encode(["my phone will not charge"]).shape == (1, encoder.dim)
