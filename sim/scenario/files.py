"""Reading the files a scenario names (the scenario itself, region CSVs, incident logs) within limits.

Every read is bounded: a regular file (not a folder, device or pipe such as ``/dev/zero``) of at
most a given size, decoded as UTF-8 (a byte-order mark is allowed), CSV rows with their line
numbers. Anything else is a :class:`FileProblem` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from sim.errors import DataError

MiB = 1 << 20


class FileProblem(DataError):
    """A file that cannot be used, with the line where it goes wrong (0 when none applies)."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path, self.line, self.message = Path(path), line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


def read_text(path: Path, *, limit: int, what: str) -> str:
    """The text of a regular file of at most `limit` bytes, UTF-8 (with or without a BOM).

    Parameters
    ----------
    path
        The file.
    limit
        Most bytes accepted.
    what
        What the file is, for messages (``"scenario file"``, ``"incident log"``).

    Raises
    ------
    FileProblem
        When it is missing, not a regular file, larger than `limit`, unreadable or not UTF-8.
    """
    if not path.exists():
        raise FileProblem(path, 0, "no such file")
    if path.is_dir():
        raise FileProblem(path, 0, f"is a folder, not {_a(what)}")
    if not path.is_file():
        raise FileProblem(path, 0, f"is not a regular file (a device or a pipe?), not {_a(what)}")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise FileProblem(path, 0, f"cannot read it ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise FileProblem(path, 0, f"larger than {limit / MiB:g} MiB, the limit of {_a(what)}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileProblem(path, line, f"byte 0x{raw[exc.start]:02x} at column {col} is not UTF-8: "
                                      f"save the {what} as UTF-8") from None


def csv_rows(path: Path, required: tuple[str, ...], *, limit: int, what: str,
             max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with a header, as ``(line, row)``; every row has every column.

    Raises
    ------
    FileProblem
        As :func:`read_text`; or when a required column is missing, the file holds a NUL byte, a
        row is malformed or has fewer fields than the header, or there are more than `max_rows` rows.
    """
    text = read_text(path, limit=limit, what=what)
    nul = text.find("\x00")
    if nul >= 0:
        raise FileProblem(path, text.count("\n", 0, nul) + 1, "holds a NUL byte: not a text CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [k for k in required if k not in header]
        if missing:
            raise FileProblem(path, 1, f"missing column(s) {', '.join(missing)} "
                                       f"(needs {', '.join(required)})")
        rows: list[tuple[int, dict[str, str]]] = []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue  # a blank line
            if len(fields) < len(header):
                raise FileProblem(path, reader.line_num, f"{len(fields)} field(s) where the header has "
                                                         f"{len(header)} ({', '.join(header)})")
            if len(rows) >= max_rows:
                raise FileProblem(path, reader.line_num,
                                  f"more than {max_rows:,} rows, the limit of {_a(what)}")
            rows.append((reader.line_num, dict(zip(header, fields, strict=False))))
    except csv.Error as exc:
        raise FileProblem(path, reader.line_num, f"not valid CSV ({exc})") from None
    return rows


def number(path: Path, line: int, row: dict[str, str], key: str, *, low: float, high: float) -> float:
    """The finite number in column `key` of a row, between `low` and `high`."""
    text = row.get(key, "")
    try:
        value = float(text)
    except ValueError:
        raise FileProblem(path, line, f"field {key!r} must be a number, got {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise FileProblem(path, line, f"field {key!r} must be between {low:g} and {high:g}, got {text!r}")
    return value
