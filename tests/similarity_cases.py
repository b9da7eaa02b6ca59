"""Generated classes for the similarity report: copies in disguise, independent work, stubs.

Shared by ``tests/test_similarity.py`` and ``benchmarks/similarity.py``.
"""

from __future__ import annotations

import ast
import builtins
import io
import itertools
import keyword
import random
import tokenize
from copy import deepcopy

from nbformat import NotebookNode

from autograder import mistakes
from autograder.course import samples

NEW_NAMES = ("tmp", "val", "arr", "res", "acc", "buf", "item", "cur", "aux", "part", "blk")


def renamed(source: str, salt: int = 0) -> str:
    """The code with every local variable renamed and every comment replaced, as a copier would.

    Function names and parameters stay (the checks call them by name); names
    bound inside the code (assignments, loops, comprehensions, ``with``,
    ``except``) get new, ordinary names.
    """
    tree = ast.parse(source)
    keep = set(dir(builtins)) | set(keyword.kwlist)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            keep.add(node.name)
        if isinstance(node, ast.arguments):
            keep |= {a.arg for a in [*node.posonlyargs, *node.args, *node.kwonlyargs]}
        if isinstance(node, ast.Import | ast.ImportFrom):
            keep |= {(a.asname or a.name).split(".")[0] for a in node.names}
    bound = sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        - keep
    )
    pool = (f"{name}_{i + salt}" for i, name in enumerate(itertools.cycle(NEW_NAMES)))
    mapping = dict(zip(bound, pool, strict=False))
    out = []
    previous = ""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in mapping and previous != ".":
            tok = tok._replace(string=mapping[tok.string])
        elif tok.type == tokenize.COMMENT:
            tok = tok._replace(string="# step")
        out.append(tok)
        previous = tok.string
    return tokenize.untokenize(out)


def disguised_copy(nb: NotebookNode, salt: int = 0) -> NotebookNode:
    """Another student's notebook, copied: variables renamed, comments changed, cells reordered."""
    copy = deepcopy(nb)
    answers = {id(cell) for cell in samples.answer_cells(copy).values()}
    order = [i for i, cell in enumerate(copy.cells) if id(cell) in answers]
    cells = [copy.cells[i] for i in order]
    for i, cell in zip(order, reversed(cells), strict=True):
        cell.source = "# my solution\n" + renamed(cell.source, salt)
        copy.cells[i] = cell
    return copy


def catalogue_answers(assignment: str) -> dict[str, list[str]]:
    """Each answer cell's answers written apart from the reference: the catalogue's, by cell."""
    answers: dict[str, list[str]] = {}
    for mistake in mistakes.for_assignment(assignment):
        for cell, code in mistake.answers.items():
            answers.setdefault(cell, []).append(code)
    return answers


EXTRA_LINES = (
    "checked = {n}",
    "assert {n} >= 0",
    "step_{n} = {n} * 2",
    "print('debug', {n})",
)


def personalised(source: str, rng: random.Random, rate: float = 0.5) -> str:
    """The code with a statement of the student's own after some of its statements.

    Stands in for the many small ways honest students differ, so that a
    generated class built from a few answers is not a class of copies.
    """
    lines = source.splitlines()
    ends: list[tuple[int, str]] = []  # (last line of a statement, its indentation)
    first = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if first is None and tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT):
                first = tok.start[0]
            if tok.type == tokenize.NEWLINE and first is not None:
                indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
                if not tok.line.rstrip().endswith(":"):
                    ends.append((tok.end[0], indent))
                first = None
            if tok.type in (tokenize.DEDENT, tokenize.INDENT):
                first = None
    except (tokenize.TokenError, SyntaxError):
        return source
    for row, indent in reversed(ends):
        if rng.random() < rate:
            extra = rng.choice(EXTRA_LINES).format(n=rng.randint(0, 999))
            lines.insert(row, indent + extra)
    return "\n".join(lines) + "\n"


def generated_class(assignment: str, size: int, seed: int = 0) -> dict[str, NotebookNode]:
    """A class of ``size``: mostly students built from the reference and the catalogue's answers,
    each with statements of their own; a few untouched stubs; three disguised copies.
    """
    rng = random.Random(seed)
    pool = catalogue_answers(assignment)
    reference = samples.reference_answers(assignment)
    students: dict[str, NotebookNode] = {}
    for i in range(size - 8 - 3):
        answers = {
            cell: personalised(rng.choice([reference[cell], *pool.get(cell, [])]), rng)
            for cell in reference
        }
        students[f"student-{i:03d}"] = samples.submission(assignment, answers)
    for i in range(8):
        students[f"stub-{i}"] = samples.stub(assignment)
    for i, original in enumerate(["student-000", "student-001", "student-002"]):
        students[f"copy-of-{original}"] = disguised_copy(students[original], salt=i)
    return students


def catalogue_student(assignment: str, index: int) -> NotebookNode:
    """A submission whose every answer cell is the catalogue's ``index``-th answer for it."""
    chosen = {
        cell: codes[index % len(codes)] for cell, codes in catalogue_answers(assignment).items()
    }
    return samples.submission(assignment, chosen)
