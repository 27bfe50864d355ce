"""Reading the fields of a record's CSV file (`sim.hindcast.record`), each problem one line
``file:line: column: message`` (`sim.program.errors.UserError`): the file itself (not UTF-8 —
what it looks like instead —, empty, a row wider than its header), a missing column, a date or
a number that is not one, an empty required number (coordinates), a negative count (deaths), an
event id given twice.
Rows are named by their line in the file, also after rows were dropped (the frame's index).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sim.program.errors import UserError
from sim.scenario.encoding import NotUTF8, decode_utf8


def row_problem(path: Path, row: int | None, column: str, message: str) -> UserError:
    """A UserError for CSV row `row` (0-based data row: file line row + 2)."""
    line = "" if row is None else f":{row + 2}"
    return UserError(f"{path}{line}: {column}: {message}")


def parse_dates(path: Path, values: pd.Series, column: str, formats=("%Y-%m-%d",)) -> pd.Series:
    """The dates of `values` as ISO strings, each tried in `formats` in turn; UserError on the
    first that none reads."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna()
        out[todo] = pd.to_datetime(values[todo].astype(str).str.strip(), format=fmt, errors="coerce")
    bad = np.flatnonzero(out.isna().to_numpy())
    if len(bad):
        raise row_problem(path, int(values.index[bad[0]]), column,
                          f"expected a date (YYYY-MM-DD), found '{values.iloc[bad[0]]}'")
    return out.dt.strftime("%Y-%m-%d")


def read_csv(path: Path, **options) -> pd.DataFrame:
    """`pd.read_csv(path, **options)` (UTF-8, a byte-order mark dropped), its failures as one
    line ``file:line: message``: a file that is not UTF-8 (what it looks like instead), an empty
    file, a row with more fields than the header."""
    try:
        return pd.read_csv(path, encoding="utf-8", **options)
    except UnicodeDecodeError:
        try:
            decode_utf8(Path(path).read_bytes())
        except NotUTF8 as exc:
            raise UserError(f"{path}:{exc.line or 1}: {exc}") from None
        raise
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}:1: the file is empty (expected a header line; see docs/hindcast.md)") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found is None:
            raise UserError(f"{path}: not a CSV file pandas can read ({str(exc).strip()})") from None
        fields, line, saw = found.groups()
        raise UserError(f"{path}:{line}: expected {fields} fields, as in the header, found {saw} "
                        f"(a comma inside a field needs the field in double quotes)") from None


def parse_numbers(path: Path, frame: pd.DataFrame, column: str, *, required: bool = False,
                  nonnegative: bool = False) -> np.ndarray:
    """The column as floats; UserError on the first row that is not a number, that is empty when
    `required` (coordinates: an event without them would be dropped as off the map unseen) or
    negative when `nonnegative` (deaths)."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() & frame[column].notna().to_numpy())
    if len(bad):
        raise row_problem(path, int(frame.index[bad[0]]), column, f"expected a number, found '{frame[column].iloc[bad[0]]}'")
    if required and values.isna().any():
        raise row_problem(path, int(frame.index[np.flatnonzero(values.isna().to_numpy())[0]]), column,
                          "expected a number, found nothing")
    if nonnegative and (values < 0).any():
        row = int(np.flatnonzero((values < 0).to_numpy())[0])
        raise row_problem(path, int(frame.index[row]), column, f"expected a number ≥ 0, found '{frame[column].iloc[row]}'")
    return values.to_numpy(dtype=float)


def need_columns(path: Path, frame: pd.DataFrame, columns) -> None:
    """UserError naming the header's missing `columns`."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"{path}:1: the header lacks {', '.join(missing)}")


def unique_ids(path: Path, ids: pd.Series, column: str) -> None:
    """UserError on the first id of `ids` (the frame's index: file rows) that an earlier row
    already has: an events file names each event once, and one given twice (a file concatenated
    twice, two versions of a download) would be counted twice."""
    again = ids.duplicated(keep="first").to_numpy()
    if again.any():
        row = int(np.flatnonzero(again)[0])
        first = int(np.flatnonzero((ids == ids.iloc[row]).to_numpy())[0])
        raise row_problem(path, int(ids.index[row]), column,
                          f"'{ids.iloc[row]}' is already the id of line {int(ids.index[first]) + 2}: each event once "
                          f"(remove the repeated row, or give it its own id if it is another event)")
