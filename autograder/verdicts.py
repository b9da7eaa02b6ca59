"""The judge's verdict on one test cell: one typed record from the judge to the feedback.

The judge (:mod:`autograder.judge.service`) writes a :class:`CellVerdict` as
one JSON line of its results file; nbgrader's executor
(:mod:`autograder.sandbox.execute`) reads it back with
:meth:`CellVerdict.from_json`, which refuses anything malformed, and stores
the part that outlives grading, a :class:`StoredVerdict`, in the test cell's
metadata under :data:`METADATA_KEY`. Feedback pages and the class report
(:mod:`autograder.course`) read it back with :meth:`StoredVerdict.of_cell`.
Every layer that reads a verdict reads these types, never a dict by key.

This module imports nothing from the rest of the package, so that the judge,
the sandbox and the course can all share it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

METADATA_KEY = "cnn_grader"  # the test cell's metadata key only the grader writes


@dataclass(frozen=True)
class CheckOutcome:
    """One hidden check's outcome, as the cell's metadata keeps it."""

    name: str
    title: str
    points: float
    earned: float
    passed: bool

    @classmethod
    def from_data(cls, data: Any) -> CheckOutcome | None:
        """The outcome in ``data`` (a JSON object), or None if it is not one."""
        if not isinstance(data, Mapping):
            return None
        name, title, passed = data.get("name"), data.get("title"), data.get("passed")
        points, earned = _number(data.get("points")), _number(data.get("earned"))
        if not (isinstance(name, str) and isinstance(title, str) and isinstance(passed, bool)):
            return None
        if points is None or earned is None:
            return None
        return cls(name, title, points, earned, passed)


@dataclass(frozen=True)
class StoredVerdict:
    """What a graded test cell keeps of its verdict: its points, checks and report."""

    cell: str
    earned: float
    report: str
    checks: tuple[CheckOutcome, ...] = ()

    def to_metadata(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"checks": [dataclasses.asdict(c) for c in self.checks]}

    @classmethod
    def from_data(cls, data: Any) -> StoredVerdict | None:
        """The verdict in ``data`` (a JSON object), or None if it is not a whole one."""
        if not isinstance(data, Mapping):
            return None
        cell, earned, report = data.get("cell"), _number(data.get("earned")), data.get("report")
        checks = _checks(data.get("checks", []))
        if not (isinstance(cell, str) and isinstance(report, str)):
            return None
        return None if earned is None or checks is None else cls(cell, earned, report, checks)

    @classmethod
    def of_cell(cls, cell: Mapping[str, Any]) -> StoredVerdict | None:
        """The verdict the grader stored in a notebook cell's metadata, if any."""
        return cls.from_data((cell.get("metadata") or {}).get(METADATA_KEY))


@dataclass(frozen=True)
class CellVerdict:
    """The judge's verdict on one test cell, as it travels from the judge to nbgrader.

    ``complete`` is whether the kernel answered every question and heard the
    result: an incomplete verdict never scores, and ``error`` says why the
    checks could not run (then the cell scores zero). ``accepted_at`` is when
    the judge took the connection (output after it is not shown); ``figure``
    is a PNG, base64-encoded.
    """

    token: int
    assignment: str
    cell: str
    complete: bool
    earned: float = 0.0
    report: str = ""
    checks: tuple[CheckOutcome, ...] = ()
    seed: int | None = None
    figure: str | None = None
    error: str | None = None
    accepted_at: float | None = None

    def stored(self) -> StoredVerdict:
        """The part of the verdict the graded cell keeps."""
        return StoredVerdict(self.cell, self.earned, self.report, self.checks)

    def to_json(self) -> str:
        data = dataclasses.asdict(self) | {"checks": [dataclasses.asdict(c) for c in self.checks]}
        return json.dumps(data)

    @classmethod
    def from_json(cls, line: str) -> CellVerdict | None:
        """The verdict on one line of the judge's results, or None if it is not a whole one."""
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        checks = _checks(data.get("checks", []))
        fields = {f.name: data.get(f.name, f.default) for f in dataclasses.fields(cls)}
        if checks is None or not _well_typed(fields):
            return None
        return cls(**(fields | {"checks": checks, "earned": float(fields["earned"])}))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _checks(data: Any) -> tuple[CheckOutcome, ...] | None:
    if not isinstance(data, list):
        return None
    outcomes = tuple(CheckOutcome.from_data(item) for item in data)
    return None if any(o is None for o in outcomes) else outcomes  # type: ignore[return-value]


def _well_typed(fields: dict[str, Any]) -> bool:
    """Whether a results line's fields have :class:`CellVerdict`'s types."""
    optional = {"seed": int, "figure": str, "error": str}
    return (
        isinstance(fields["token"], int)
        and isinstance(fields["assignment"], str)
        and isinstance(fields["cell"], str)
        and isinstance(fields["complete"], bool)
        and _is_number(fields["earned"])
        and isinstance(fields["report"], str)
        and all(fields[k] is None or isinstance(fields[k], t) for k, t in optional.items())
        and (fields["accepted_at"] is None or _is_number(fields["accepted_at"]))
    )
