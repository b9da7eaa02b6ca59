"""What a catalogued mistake is: a realistic wrong submission and the checks it must fail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """One realistic wrong submission: some answer cells replaced by a student's code."""

    name: str
    assignment: str
    answers: dict[str, str]
    fails: frozenset[str]
    self_check_fails: frozenset[str] = frozenset()  # test cells whose visible self-check fails
    demo: bool = False  # part of the demo's "typical mistakes" student


def mistake(name: str, assignment: str, answer: str, code: str, fails: set[str], **kw) -> Mistake:
    return Mistake(name, assignment, {answer: code.strip() + "\n"}, frozenset(fails), **kw)
