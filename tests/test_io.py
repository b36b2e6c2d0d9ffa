"""models/io.py: reading CSV/JSONL inputs and writing JSONL/CSV outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from models.io import (
    columns_of,
    csv_cell,
    default_output_path,
    formula_safe,
    read_rows,
    require_column,
    safe_text,
    write_rows,
)
from ugcminer.errors import ModelError

FIXTURES = Path(__file__).parent / "fixtures" / "labeled"
BAD_TEXTS = [
    "",
    "   \n\t ",
    "x" * 100_000,
    "<p>Card <b>declined</b> &amp; refund?</p>",
    "lone \ud800 surrogate",
    "emoji 😡🔥👍🏽",
    "מה קרה לכרטיס שלי؟ لماذا",
]


def test_read_rows__csv_fixture_in_file_order() -> None:
    rows = read_rows(FIXTURES / "complaints_sample.csv")
    with (FIXTURES / "complaints_sample.csv").open(encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    assert rows == expected
    assert columns_of(rows) == ["tweet_id", "text", "label", "domain"]


def test_read_rows__jsonl_fixture_keeps_types() -> None:
    rows = read_rows(FIXTURES / "semeval_sentiment_sample.jsonl")
    lines = (FIXTURES / "semeval_sentiment_sample.jsonl").read_text(encoding="utf-8").splitlines()
    assert rows == [json.loads(line) for line in lines]
    assert all(isinstance(r["label_id"], int) for r in rows)


def test_read_rows__jsonl_blank_lines_skipped_and_bad_line_named(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a"}\n\n{"text": "b"}\n', encoding="utf-8")
    assert [r["text"] for r in read_rows(path)] == ["a", "b"]
    path.write_text('{"text": "a"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(ModelError, match=r"in.jsonl: line 2 is not valid JSON"):
        read_rows(path)
    path.write_text('["not", "an", "object"]\n', encoding="utf-8")
    with pytest.raises(ModelError, match=r"line 1 must be a JSON object, got list"):
        read_rows(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("in.txt", b"text\n", r"must end in .csv or .tsv or .jsonl or .json"),
        ("in.tsv", b"", r"empty TSV file"),
        ("in.json", b'{"text": "a"}', r"must hold a JSON array of objects .* got dict"),
        ("in.json", b'[{"text": "a"}, "b"]', r"item 2 must be a JSON object, got str"),
        ("in.json", b'[{"text": "a"},', r"in.json: not valid JSON"),
        ("in.csv", b"", r"empty CSV file"),
        ("in.csv", b"text\n\xff\xfe bad\n", r"not UTF-8"),
    ],
)
def test_read_rows__bad_files_raise_one_sentence(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        read_rows(path)


def test_read_rows__tsv_and_json_array_read_like_csv(tmp_path: Path) -> None:
    csv_rows = read_rows(FIXTURES / "complaints_sample.csv")
    tsv = tmp_path / "export.tsv"
    with tsv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns_of(csv_rows), delimiter="\t")
        writer.writeheader()
        writer.writerows(csv_rows)
    assert read_rows(tsv) == csv_rows
    array = tmp_path / "export.json"
    array.write_text(json.dumps(csv_rows, indent=2), encoding="utf-8")
    assert read_rows(array) == csv_rows


def test_read_rows__missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nope.csv: input file not found"):
        read_rows(tmp_path / "nope.csv")


def test_require_column__names_column_and_columns_found() -> None:
    rows = [{"body": "x", "id": 1}]
    require_column(rows, "body", "in.csv")
    with pytest.raises(ModelError) as info:
        require_column(rows, "text", "in.csv")
    assert str(info.value) == (
        "in.csv: no column 'text' (columns found: 'body', 'id'); choose one with --text-column"
    )


def test_write_rows__jsonl_round_trip_of_bad_texts(tmp_path: Path) -> None:
    rows = [{"text": t, "n": i, "scores": {"a": 0.5}, "flag": None} for i, t in enumerate(BAD_TEXTS)]
    path = tmp_path / "out.jsonl"
    assert write_rows(path, rows) == len(rows)
    assert read_rows(path) == rows  # lone surrogate survives as its JSON escape


def test_write_rows__csv_is_formula_safe_and_typed(tmp_path: Path) -> None:
    rows = [
        {"text": '=HYPERLINK("http://x")', "score": -0.25, "ok": True, "scores": {"neg": 0.1}, "none": None},
        {"text": "+1 great", "score": 0.5, "ok": False, "scores": {}, "none": None},
        {"text": "@user hi", "score": "-3", "ok": False, "scores": {}, "none": None},
        {"text": "-", "score": "12", "ok": False, "scores": {}, "none": None},
    ]
    path = tmp_path / "out.csv"
    write_rows(path, rows)
    with path.open(encoding="utf-8", newline="") as handle:
        back = list(csv.DictReader(handle))
    assert [r["text"] for r in back] == ['\'=HYPERLINK("http://x")', "'+1 great", "'@user hi", "'-"]
    assert [r["score"] for r in back] == ["-0.25", "0.5", "-3", "12"]
    assert [r["ok"] for r in back] == ["true", "false", "false", "false"]
    assert back[0]["scores"] == '{"neg": 0.1}' and back[0]["none"] == ""


def test_write_rows__csv_long_and_odd_texts_round_trip(tmp_path: Path) -> None:
    texts = [t for t in BAD_TEXTS if "\ud800" not in t]
    path = tmp_path / "out.csv"
    write_rows(path, [{"text": t} for t in texts])
    assert [r["text"] for r in read_rows(path)] == texts


def test_formula_safe__prefixes() -> None:
    assert [formula_safe(t) for t in ["=1+1", "\tx", "\rx", "-1e5", "a=b", ""]] == [
        "'=1+1",
        "'\tx",
        "'\rx",
        "-1e5",
        "a=b",
        "",
    ]
    assert csv_cell(["a"]) == '["a"]'


def test_safe_text__replaces_lone_surrogates_only() -> None:
    assert safe_text("ok 😡") == "ok 😡"
    cleaned = safe_text("a\ud800b")
    cleaned.encode("utf-8")  # no longer raises
    assert cleaned.startswith("a") and cleaned.endswith("b") and "\ufffd" in cleaned


def test_default_output_path__stem_labeled_jsonl() -> None:
    assert default_output_path(Path("/data/tickets.csv")) == Path("/data/tickets.labeled.jsonl")


def test_write_rows__unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"output file must end in .jsonl or .csv"):
        write_rows(tmp_path / "out.xlsx", [{"a": 1}])
