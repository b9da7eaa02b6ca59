"""How alike the students' code is within an assignment: token fingerprints, winnowed as in MOSS.

Each submission is reduced to the code the student wrote: its answer cells
and any code cell it added (:func:`student_code`); which cells are locked,
and so the instructor's, only the released notebook says.
Every cell is read with Python's own tokenizer and normalised so that what
a copier changes cheaply does not count: every name the student chose
becomes ``V`` (names after a dot, such as ``np.zeros``, keywords and
builtins stay, so independent NumPy code still differs), every string
``S``; comments, blank lines and layout are gone. Runs of :data:`K` tokens
are hashed (blake2b: the same fingerprints in every process and run), and
winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003, the algorithm of
MOSS) keeps the smallest hash of every :data:`WINDOW` consecutive ones, so
that any shared run of ``K + WINDOW - 1`` tokens is always found. Runs
never span two cells, so reordered cells change nothing.

Shared scaffolding never counts: every run found anywhere in the released
stub (all its code cells) or the files released beside it is dropped, so
the untouched stub has no fingerprint at all; and in a class of at least
:data:`COMMON_MIN` students, a run in more than :data:`COMMON_SHARE` of the
submissions is the assignment's own idiom, dropped as MOSS drops passages
common to many programs.

A pair's two shares are the parts of each student's fingerprinted code
that lie in runs shared with the other; its score is their mean (JPlag's
average similarity), so a short submission does not reach the top by
sharing its few lines with a long one. ``copydetect`` (MIT) does the same
winnowing, but its filter turns attribute names into ``V`` too, its runs
cross cell boundaries (the stub was never wholly scaffolding), its hashes
change between processes, and its report loads Bootstrap from a CDN; so
the ~100 lines of it this needs are written here on the standard library.
"""

from __future__ import annotations

import builtins
import csv
import hashlib
import io
import keyword
import tokenize
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nbformat import NotebookNode

from autograder import notebooks
from autograder.assignments import release_path
from autograder.course import spreadsheet
from autograder.course.directory import Course
from autograder.course.intake import read_notebook

K = 15  # tokens in a fingerprinted run: shorter shared runs are noise
WINDOW = 6  # winnowing window: a shared run of K + WINDOW - 1 tokens is always found
COMMON_SHARE = 0.5  # a run in more of the class than this is the assignment's idiom ...
COMMON_MIN = 10  # ... once the class has at least this many submissions
FLAG_SCORE = 0.6  # pairs at or above this score are flagged on the page

_BUILTINS = frozenset(dir(builtins))
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_PARTS = {
    getattr(tokenize, name) for name in ("FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, name)
}
_STRUCTURE = {tokenize.NEWLINE: ";", tokenize.INDENT: "{", tokenize.DEDENT: "}"}


@dataclass(frozen=True)
class Token:
    """One normalised token and where it is in its cell's source (character offsets)."""

    text: str
    start: int
    end: int


def tokens(source: str) -> list[Token]:
    """The normalised tokens of one cell; code that stops tokenizing keeps what came before."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, col: int) -> int:
        return starts[min(row - 1, len(lines))] + col if lines else 0

    found: list[Token] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIPPED or tok.type in _FSTRING_PARTS:
                continue
            text = _STRUCTURE.get(tok.type) or _normalised(tok, previous)
            found.append(Token(text, offset(*tok.start), offset(*tok.end)))
            previous = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass  # unfinished or mis-indented code: its tokens so far still count
    return _without_docstrings(found)


def _without_docstrings(found: list[Token]) -> list[Token]:
    """The tokens less every statement that is only a string (docstrings: comments, in effect)."""
    kept: list[Token] = []
    i = 0
    while i < len(found):
        alone = not kept or kept[-1].text in ";{}"
        if found[i].text == "S" and alone and (i + 1 == len(found) or found[i + 1].text == ";"):
            i += 2  # the string and the end of its statement
            continue
        kept.append(found[i])
        i += 1
    return kept


def _normalised(tok: tokenize.TokenInfo, previous: str) -> str:
    if tok.type == tokenize.NAME:
        kept = keyword.iskeyword(tok.string) or tok.string in _BUILTINS or previous == "."
        return tok.string if kept else "V"
    if tok.type == tokenize.STRING or tok.type not in (tokenize.OP, tokenize.NUMBER):
        return "S" if tok.type != tokenize.ERRORTOKEN else tok.string
    return tok.string


def run_hashes(toks: list[Token]) -> list[int]:
    """The hash of every run of :data:`K` tokens, in order."""
    texts = [t.text for t in toks]
    return [
        int.from_bytes(
            hashlib.blake2b("\x1f".join(texts[i : i + K]).encode(), digest_size=8).digest()
        )
        for i in range(len(texts) - K + 1)
    ]


def winnow(hashes: list[int | None]) -> list[int]:
    """Indices of the hashes winnowing keeps: the rightmost smallest of every window.

    ``None`` marks a hash that may not be kept (scaffolding); a window of only
    those keeps nothing.
    """
    kept: list[int] = []
    for first in range(max(1, len(hashes) - WINDOW + 1)):
        window = [(h, -i) for i, h in enumerate(hashes[first : first + WINDOW], first)]
        eligible = [w for w in window if w[0] is not None]
        if eligible:
            index = -min(eligible)[1]
            if not kept or kept[-1] != index:
                kept.append(index)
    return kept


@dataclass
class Fingerprints:
    """A student's fingerprinted code: where each kept hash occurs, and how much it covers."""

    student: str
    cells: dict[str, str]  # the student's code cells by name, as written
    cell_tokens: dict[str, list[Token]]
    where: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # hash: (cell, token)

    @property
    def hashes(self) -> set[int]:
        return set(self.where)

    @cached_property
    def coverage(self) -> int:
        """Tokens inside the runs of the kept fingerprints."""
        return _covered(p for places in self.where.values() for p in places)


def _covered(places: Iterable[tuple[str, int]]) -> int:
    return sum(end - start for _, start, end in spans(places))


def spans(places: Iterable[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """The token ranges ``(cell, start, end)`` that runs starting at ``places`` cover, merged."""
    merged: list[tuple[str, int, int]] = []
    for cell, start in sorted(set(places)):
        if merged and merged[-1][0] == cell and start <= merged[-1][2]:
            merged[-1] = (cell, merged[-1][1], start + K)
        else:
            merged.append((cell, start, start + K))
    return merged


def fingerprint(student: str, cells: Mapping[str, str], ignored: set[int]) -> Fingerprints:
    """Fingerprint a student's code cells, leaving out the hashes in ``ignored``."""
    prints = Fingerprints(student, dict(cells), {name: tokens(src) for name, src in cells.items()})
    for name, toks in prints.cell_tokens.items():
        hashes = run_hashes(toks)
        for index in winnow([None if h in ignored else h for h in hashes]):
            prints.where.setdefault(hashes[index], []).append((name, index))
    return prints


def scaffolding(course_root: Path, assignment: str) -> set[int]:
    """Every run hash of the released stub's code cells and of the files released beside it."""
    release = release_path(assignment, course_root)
    sources = [c.source for c in notebooks.read(release).cells if c.cell_type == "code"]
    sources += [p.read_text(errors="replace") for p in sorted(release.parent.glob("*.py"))]
    return {h for source in sources for h in run_hashes(tokens(source))}


@dataclass(frozen=True)
class Pair:
    """Two students' similarity: the share of each one's code found in the other's."""

    first: str
    second: str
    share_first: float
    share_second: float
    tokens_first: int  # tokens of the first student's code in shared runs
    tokens_second: int

    @property
    def score(self) -> float:
        return (self.share_first + self.share_second) / 2


def compare(a: Fingerprints, b: Fingerprints) -> Pair:
    """How much of each of two students' fingerprinted code the other shares."""
    common = a.where.keys() & b.where.keys()
    if not common:
        return Pair(a.student, b.student, 0.0, 0.0, 0, 0)
    in_a = _covered(p for h in common for p in a.where[h])
    in_b = _covered(p for h in common for p in b.where[h])
    return Pair(a.student, b.student, in_a / a.coverage, in_b / b.coverage, in_a, in_b)


def compare_all(prints: list[Fingerprints]) -> list[Pair]:
    """Every pair of students, most similar first, after dropping the class's common runs."""
    if len(prints) >= COMMON_MIN:
        counts = Counter(h for p in prints for h in p.where)
        common = {h for h, n in counts.items() if n > COMMON_SHARE * len(prints)}
        for p in prints:
            p.where = {h: places for h, places in p.where.items() if h not in common}
            p.__dict__.pop("coverage", None)
    pairs = [compare(a, b) for i, a in enumerate(prints) for b in prints[i + 1 :]]
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))


def matched_places(a: Fingerprints, b: Fingerprints) -> tuple[list[tuple[str, int]], ...]:
    """Where the runs two students share start, in each one's code."""
    common = a.where.keys() & b.where.keys()
    return [p for h in common for p in a.where[h]], [p for h in common for p in b.where[h]]


def read_class(course: Course, assignment: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Each submitted student's code cells, and why a submission could not be read.

    A notebook under another name, the only one in its folder, is read as the
    intake would grade it (:mod:`autograder.course.intake`); links are not followed.
    """
    code, unreadable = {}, {}
    locked = locked_cells(course.root, assignment)
    for student in course.submitted_students(assignment):
        folder = course.root / "submitted" / student / assignment
        path = folder / f"{assignment}.ipynb"
        others = sorted(p for p in folder.glob("*.ipynb") if not p.is_symlink())
        if not path.exists() and len(others) == 1:
            path = others[0]
        nb, problem = read_notebook(path)
        if nb is None:
            unreadable[student] = problem or "unreadable"
        else:
            code[student] = student_code(nb, locked)
    return code, unreadable


def locked_cells(course_root: Path, assignment: str) -> frozenset[str]:
    """The ``grade_id`` of every cell the instructor released locked (nbgrader grades the
    released source of those, whatever a submission holds)."""
    release = notebooks.read(release_path(assignment, course_root))
    return frozenset(
        str(notebooks.grade_id_of(cell))
        for cell in release.cells
        if notebooks.nbgrader_meta(cell).get("locked")
    )


def student_code(nb: NotebookNode, locked: Collection[str]) -> dict[str, str]:
    """The code cells a student could write, by name (answer cells by ``grade_id``).

    Only the instructor's notebook says what is locked: a cell is left out when
    it is the first with the ``grade_id`` of a cell in ``locked`` (whose source
    nbgrader replaces with the released one), never because the submission's own
    metadata says so. Every other code cell counts, under a name of its own.
    """
    code: dict[str, str] = {}
    instructors: set[str] = set()  # locked ids already met: their first cell is the release's
    for index, cell in enumerate(nb.cells):
        grade_id = notebooks.grade_id_of(cell)
        named = grade_id if isinstance(grade_id, str) else ""
        if named in locked and named not in instructors:
            instructors.add(named)
            continue
        if cell.cell_type == "code":
            own_name = named and named not in locked and named not in code
            code[named if own_name else f"cell {index}"] = cell.source
    return code


@dataclass
class Comparison:
    """An assignment's fingerprinted class and every pair of it, most similar first."""

    assignment: str
    prints: dict[str, Fingerprints]
    pairs: list[Pair]
    unreadable: dict[str, str]

    @property
    def without_own_code(self) -> list[str]:
        """Students with no fingerprint: only scaffolding (the untouched stub), code too short
        to fingerprint, or only what most of the class wrote too."""
        return sorted(s for s, p in self.prints.items() if not p.where)


def compare_class(course: Course, assignment: str) -> Comparison:
    """Fingerprint every submission of an assignment and compare every pair."""
    code, unreadable = read_class(course, assignment)
    ignored = scaffolding(course.root, assignment)
    prints = {student: fingerprint(student, cells, ignored) for student, cells in code.items()}
    pairs = compare_all(list(prints.values()))
    return Comparison(assignment, prints, pairs, unreadable)


CSV_FIELDS = ("rank", "first", "second", "score", "share_first", "share_second")


def write_csv(comparison: Comparison, path: Path) -> Path:
    """Every pair, most similar first: ranks, students, score and the two shares."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CSV_FIELDS, "tokens_first", "tokens_second"])
        for rank, p in enumerate(comparison.pairs, 1):
            writer.writerow(
                spreadsheet.row(
                    [
                        rank,
                        p.first,
                        p.second,
                        f"{p.score:.3f}",
                        f"{p.share_first:.3f}",
                        f"{p.share_second:.3f}",
                        p.tokens_first,
                        p.tokens_second,
                    ]
                )
            )
    return path


def write_similarity(course: Course, assignment: str, out: Path | None = None) -> tuple[Path, Path]:
    """Write ``index.html`` and ``pairs.csv`` for an assignment (under ``similarity/<id>/``)."""
    from autograder.course.similarity_page import page

    out = Path(out or course.root / "similarity" / assignment)
    out.mkdir(parents=True, exist_ok=True)
    comparison = compare_class(course, assignment)
    table = write_csv(comparison, out / "pairs.csv")
    html_path = out / "index.html"
    html_path.write_text(page(comparison), encoding="utf-8")
    return html_path, table
