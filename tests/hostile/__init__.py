"""Hostile and broken submissions, built from the real student stubs (test data).

One module per family of attack; :data:`CATALOGUE` is all of them, graded
beside correct submissions in one run by ``tests/conftest.py`` and judged by
``tests/test_hostile.py``. What each entry is, and how its expected outcome
is said, is in :mod:`tests.hostile.base`.
"""

from __future__ import annotations

from tests.hostile import (
    broken_files,
    cells,
    cheats,
    collect_and_holes,
    crashes,
    escape,
    feedback_pages,
    honest_scores,
    judge_attacks,
    late_rewrites,
    own_work,
    replay,
    spending,
    unresponsive,
)
from tests.hostile.base import ALL, Hostile

CATALOGUE: list[Hostile] = [
    *crashes.ENTRIES,
    *broken_files.ENTRIES,
    *cells.ENTRIES,
    *cheats.ENTRIES,
    *escape.ENTRIES,
    *judge_attacks.ENTRIES,
    *late_rewrites.ENTRIES,
    *feedback_pages.ENTRIES,
    *honest_scores.ENTRIES,
    *own_work.ENTRIES,
    *replay.ENTRIES,
    *unresponsive.ENTRIES,
    *collect_and_holes.ENTRIES,
    *spending.ENTRIES,
]

__all__ = ["ALL", "CATALOGUE", "Hostile"]
