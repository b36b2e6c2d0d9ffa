"""Reading labelled or unlabelled rows (CSV, TSV, JSONL, a JSON array) and writing classified rows
(JSONL, CSV).

Rows are plain dicts in file order. Errors are one `ModelError` sentence naming the file (and the
line or column) to fix. Written CSV is safe to open in a spreadsheet: a text cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so it is never run as a
formula (plain numbers such as ``-1.5`` are left alone).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ugcminer.errors import ModelError

READ_FORMATS = (".csv", ".tsv", ".jsonl", ".json")
WRITE_FORMATS = (".jsonl", ".csv")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_CSV_FIELD_LIMIT = 64 * 1024 * 1024

Row = dict[str, Any]


def _suffix(path: Path, allowed: tuple[str, ...], what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ModelError(f"{path}: {what} must end in {' or '.join(allowed)} (got {suffix or 'no suffix'!r})")
    return suffix


def read_rows(path: str | Path) -> list[Row]:
    """All rows of a `.csv` or `.tsv` (header line), `.jsonl` (one JSON object a line) or `.json` (an
    array of objects, as many tools export) file, in file order.
    """
    path = Path(path)
    suffix = _suffix(path, READ_FORMATS, "input file")
    if not path.is_file():
        raise ModelError(f"{path}: input file not found")
    if suffix in (".csv", ".tsv"):
        return _read_csv(path, "\t" if suffix == ".tsv" else ",")
    return _read_jsonl(path) if suffix == ".jsonl" else _read_json(path)


def _read_csv(path: Path, delimiter: str = ",") -> list[Row]:
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    kind = "TSV" if delimiter == "\t" else "CSV"
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            if not reader.fieldnames:
                raise ModelError(f"{path}: empty {kind} file (expected a header line with column names)")
            return [{k: v for k, v in row.items() if k is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ModelError(f"{path}: malformed {kind} ({exc})") from None


def _read_jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                rows.append(_parse_json_line(path, number, line))
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return rows


def _read_json(path: Path) -> list[Row]:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(value, list):
        raise ModelError(
            f"{path}: must hold a JSON array of objects (one per row), got {type(value).__name__}"
        )
    return [_json_object(path, f"item {number}", row) for number, row in enumerate(value, start=1)]


def _parse_json_line(path: Path, number: int, line: str) -> Row:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
    return _json_object(path, f"line {number}", value)


def _json_object(path: Path, where: str, value: Any) -> Row:
    """`value` if it is a JSON object (one row), else the error naming the file and `where`."""
    if not isinstance(value, dict):
        raise ModelError(f"{path}: {where} must be a JSON object, got {type(value).__name__}")
    return value


def safe_text(text: str) -> str:
    """`text` with lone surrogates (invalid in UTF-8, fatal to tokenizers) replaced by U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def columns_of(rows: Sequence[Row]) -> list[str]:
    """Column names over all rows, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def require_column(
    rows: Sequence[Row], column: str, source: str | Path, option: str = "--text-column"
) -> None:
    """Raise a clear error when no row has `column`, naming the columns that were found."""
    if not rows:
        raise ModelError(f"{source}: no rows to read")
    found = columns_of(rows)
    if column not in found:
        raise ModelError(
            f"{source}: no column {column!r} (columns found: {', '.join(map(repr, found)) or 'none'}); "
            f"choose one with {option}"
        )


def default_output_path(input_path: str | Path) -> Path:
    """``<input stem>.labeled.jsonl`` next to the input."""
    path = Path(input_path)
    return path.with_name(f"{path.stem}.labeled.jsonl")


def write_rows(path: str | Path, rows: Iterable[Row]) -> int:
    """Write `rows` as JSONL or CSV (by suffix); return how many were written."""
    path = Path(path)
    suffix = _suffix(path, WRITE_FORMATS, "output file")
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write_jsonl(path, rows) if suffix == ".jsonl" else _write_csv(path, list(rows))


def _write_jsonl(path: Path, rows: Iterable[Row]) -> int:
    count = 0
    # backslashreplace turns a lone surrogate into its JSON escape (\udXXX): still valid JSON
    with path.open("w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def _write_csv(path: Path, rows: list[Row]) -> int:
    fields = columns_of(rows)
    with path.open("w", encoding="utf-8", errors="replace", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: csv_cell(row.get(key)) for key in fields})
    return len(rows)


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for nested values, lower-case booleans, '' for null, formula-safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return formula_safe(text)


def formula_safe(text: str) -> str:
    """`text` with a leading ``'`` when a spreadsheet would read it as a formula."""
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.match(text):
        return "'" + text
    return text
