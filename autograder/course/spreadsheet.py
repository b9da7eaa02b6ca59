"""CSV cells a spreadsheet shows as text, never runs as a formula.

Student ids and names reach the course's CSV files (grades, grading times,
similarity pairs), and a spreadsheet opening one runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)`` sends data
away; tab and carriage return start one in some spreadsheets too). Every
CSV writer of the course passes its cells through :func:`to_cell`, which
puts an apostrophe before such text, as OWASP's "CSV injection" advice
says; numbers stay numbers. Text that starts with an apostrophe gets one
more, so :func:`from_cell` gives back exactly what was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def to_cell(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs: text starting like a formula (or with the
    mark itself) gets :data:`TEXT_MARK` in front; numbers and other text are unchanged."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    return TEXT_MARK + value if value.startswith((*FORMULA_STARTS, TEXT_MARK)) else value


def from_cell(text: str) -> str:
    """What :func:`to_cell` was given, from the cell it wrote."""
    return text[len(TEXT_MARK) :] if text.startswith(TEXT_MARK) else text


def row(values: Iterable[Any]) -> list[Any]:
    """A row of cells through :func:`to_cell`."""
    return [to_cell(value) for value in values]


def record(values: Mapping[str, Any]) -> dict[str, Any]:
    """A ``csv.DictWriter`` row through :func:`to_cell` (the keys are the writer's own)."""
    return {key: to_cell(value) for key, value in values.items()}
