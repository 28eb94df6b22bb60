"""CSV imports for a real network: every bad line reported, nothing of a bad file applied."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class LineError:
    """What is wrong with one line of the file (line 1 is the header).

    ``message`` is English, for the command line; ``code`` and ``values`` let chat say the
    same in the reader's language (``bots.dealer.documents``).
    """

    line: int
    message: str
    code: str = ""
    values: dict[str, str] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """The good rows of a file, each with its line number, and the errors of the bad ones."""

    rows: list[tuple[int, T]]
    errors: list[LineError]


# A record is its fields plus "__line__", its line number; or the error that line has.
Record = dict[str, str] | LineError


def csv_records(text: str, required: set[str]) -> tuple[Iterator[Record], list[LineError]]:
    """The records of a CSV text, or the one header error that stops it."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=None))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        return iter(()), [LineError(1, f"not a CSV file: {exc}", "not_csv")]
    missing = sorted(required - set(header))
    if missing:
        columns = ", ".join(missing)
        return iter(()), [
            LineError(1, f"the header lacks: {columns}", "header_lacks", {"columns": columns})
        ]
    reader.fieldnames = header

    def records() -> Iterator[Record]:
        try:
            for record in reader:
                if None in record:
                    yield LineError(
                        reader.line_num, "more values than the header has columns", "too_many"
                    )
                    continue
                fields = {k: (v or "").strip() for k, v in record.items()}
                yield fields | {"__line__": str(reader.line_num)}
        except csv.Error as exc:
            yield LineError(reader.line_num, f"not valid CSV here: {exc}", "bad_csv")

    return records(), []


def parse_models(
    text: str,
    model: type[M],
    key: str,
    required: set[str],
    convert: Callable[[dict[str, str]], dict[str, Any]],
) -> Parsed[tuple[str, M]]:
    """Validate every line as ``model`` (after ``convert``), keyed by column ``key``."""
    records, errors = csv_records(text, required | {key})
    rows: list[tuple[int, tuple[str, M]]] = []
    seen: dict[str, int] = {}
    for record in records:
        if isinstance(record, LineError):
            errors.append(record)
            continue
        line = int(record.pop("__line__"))
        ident = record.get(key, "")
        if not ident:
            errors.append(LineError(line, f"{key} is empty"))
            continue
        if ident in seen:
            errors.append(LineError(line, f"{key} {ident!r} is also on line {seen[ident]}"))
            continue
        seen[ident] = line
        fields = {k: v for k, v in record.items() if k != key and v != ""}
        try:
            rows.append((line, (ident, model.model_validate(convert(fields)))))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or key
                errors.append(
                    LineError(line, f"{where}: {err['msg'].removeprefix('Value error, ')}")
                )
        except ValueError as exc:
            errors.append(LineError(line, str(exc)))
    return Parsed(rows, errors)


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.tty = sys.stderr.isatty()
        self._last_pct = -1

    def __call__(self, done: int) -> None:
        pct = done * 100 // self.total
        if pct == self._last_pct or (not self.tty and pct % 25 and done != self.total):
            return
        self._last_pct = pct
        bar = "#" * (pct // 4)
        end = "" if self.tty and done < self.total else "\n"
        start = "\r" if self.tty else ""
        print(
            f"{start}{self.label} [{bar:<25}] {done}/{self.total} ({pct}%)",
            end=end,
            file=sys.stderr,
            flush=True,
        )


def report(errors: list[LineError], limit: int = 50) -> str:
    """The errors of a file, one a line, the first ``limit`` of them."""
    lines = [str(error) for error in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"… and {len(errors) - limit} more")
    return "\n".join(lines)
