"""The grading runner: judges one test cell with its hidden checks.

A hidden test cell ends with::

    from autograder import grade
    grade("02_manual_convolution", "conv2d", globals())

Under nbgrader that call only serves the judge (:mod:`autograder.judge.service`),
which runs :func:`judge_cell` in a process of its own and calls the student's
functions back in the kernel; nbgrader then takes the judge's report and
points as the cell's output and partial credit (:mod:`autograder.sandbox`).
Anywhere else (plain Jupyter, the tests) the same judge runs in the
notebook's own process (:func:`autograder.judge.service.grade_here`).

Two rules keep the score honest:

* outside nbgrader the return value is always a plain ``float`` (under
  nbgrader the cell's outputs are rebuilt from the verdict instead): a cell
  that shows no number would get full marks from nbgrader, so anything
  that stops the judging raises instead, and an error scores zero;
* nothing reaches stderr: nbgrader scores a test cell with stderr output as
  zero, so pytest's own output, warnings and library logs are swallowed
  while the checks run.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import pytest

from autograder import checks
from autograder.checks.api import (
    NOT_ATTEMPTED,
    CheckFailed,
    MissingDefinition,
    StudentCodeError,
    Submission,
    cause_hint,
)
from autograder.checks.plugin import CELL, SEED, SUBMISSION, cell_of, fresh_seed
from autograder.verdicts import CheckOutcome

MAX_REPORT_FIELD = 500  # characters of one expected/found/hint line in the report


class GradingError(Exception):
    """The hidden checks could not be run; the cell scores zero with this reason."""


@dataclass(frozen=True)
class CheckInfo:
    """One hidden check as pytest collects it: its name, test cell, points and title, and
    whether it is the twin of the cell's visible self-check."""

    name: str
    cell: str
    points: float
    title: str
    self_check: bool = False


@dataclass(frozen=True)
class CheckResult:
    """One hidden check's outcome, as the student will read it."""

    name: str
    title: str
    points: float
    earned: float
    expected: str = ""
    found: str = ""
    hint: str = ""
    passed: bool = True  # a check of 0 points (advice) fails without losing any
    where: str = ""  # the student's frames an error came from, a line each
    self_check: bool = False  # the twin of the cell's visible self-check


@dataclass
class Verdict:
    """The judge's decision on one test cell: what each check found, the points, the report."""

    assignment: str
    cell: str
    seed: int  # of the random cases, so that a TA can replay them
    results: list[CheckResult] = field(default_factory=list)
    figure: bytes | None = None
    error: str | None = None  # why no check could run (the cell then scores zero)

    @property
    def earned(self) -> float:
        return earned_points(self.results)

    @property
    def report(self) -> str:
        if self.error is not None:
            return f"[{self.cell}] 0 점 points: {self.error}"
        return format_report(self.cell, self.results, self.seed)

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        """Per check: name, title, points, points earned and whether it passed, for the graded
        cell's metadata."""
        return tuple(
            CheckOutcome(r.name, r.title, r.points, r.earned, r.passed) for r in self.results
        )


def judge_cell(
    assignment: str, cell: str, submission: Submission, seed: int | None = None
) -> Verdict:
    """Run a test cell's hidden checks on a submission; its verdict, with the cell's picture.

    Random cases come from ``seed`` (a fresh one by default). A reason the
    checks could not run at all becomes the verdict's ``error``.
    """
    verdict = Verdict(assignment, cell, fresh_seed() if seed is None else seed)
    try:
        verdict.results = run_checks(assignment, cell, submission, verdict.seed)
    except GradingError as error:
        verdict.error = str(error)
        return verdict
    verdict.figure = feedback_figure(assignment, cell, submission)
    return verdict


def feedback_figure(assignment: str, cell: str, submission: Submission) -> bytes | None:
    """The check module's picture for this cell (``FEEDBACK_FIGURES``) as PNG, if it has one.

    A picture is a bonus: failing to draw one never costs a point.
    """
    make = getattr(checks.load(assignment), "FEEDBACK_FIGURES", {}).get(cell)
    if make is None:
        return None
    try:
        with _silenced():
            return make(submission)
    except Exception:
        return None


def earned_points(results: list[CheckResult]) -> float:
    """The cell's score: the sum of the points of the checks that passed."""
    return float(sum(result.earned for result in results))


def _pytest_args(assignment: str, *extra: str) -> list[str]:
    return [
        str(checks.check_module_path(assignment)),
        "-c",
        str(checks.PYTEST_INI),
        "--rootdir",
        str(checks.ASSIGNMENTS_DIR),
        "-q",
        *extra,
    ]


def run_checks(
    assignment: str, cell: str, submission: Submission, seed: int | None = None
) -> list[CheckResult]:
    """Run the hidden checks of one test cell against a submission.

    It runs pytest in this process: in the judge when nbgrader grades, where
    the submission's functions run in the student's kernel, or wherever
    ``grade()`` is called without a judge. Random cases come from ``seed``.
    """
    # Keep TensorFlow's C++ start-up lines off stderr if a check is first to import it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    collector = _ResultCollector()
    plugin = _SubmissionPlugin(submission, cell, fresh_seed() if seed is None else seed)
    args = _pytest_args(assignment, "--capture=sys")
    with _silenced():
        exit_code = pytest.main(args, plugins=[plugin, collector])
    if collector.broken or exit_code in (
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
    ):
        raise GradingError(
            f"The hidden checks of {assignment!r} could not be loaded (pytest exit code "
            f"{int(exit_code)}). This is not your fault: please tell your instructor."
        )
    if exit_code == pytest.ExitCode.INTERRUPTED:
        raise GradingError(
            "Grading of this cell was interrupted, most likely by nbgrader's time limit "
            "while your code was running. Look for a loop that never ends. "
            "(채점이 시간 제한으로 중단되었습니다. 끝나지 않는 반복문이 있는지 확인하세요.)"
        )
    if not collector.results:
        raise GradingError(f"no hidden checks ran for cell {cell!r} of {assignment!r}")
    return collector.results


@cache
def collect_checks(assignment: str) -> tuple[CheckInfo, ...]:
    """Every hidden check of an assignment, in file order, as pytest collects it.

    Parametrised checks (an accuracy tier ladder, say) count once per
    parameter, each with its own points.
    """
    collector = _ItemCollector()
    with _silenced():
        exit_code = pytest.main(_pytest_args(assignment, "--collect-only"), plugins=[collector])
    if exit_code != pytest.ExitCode.OK:
        raise GradingError(f"the hidden checks of {assignment!r} could not be collected")
    return tuple(collector.checks)


def check_points(assignment: str) -> dict[str, dict[str, float]]:
    """Points of every hidden check of an assignment, by check cell then check name."""
    cells: dict[str, dict[str, float]] = {}
    for info in collect_checks(assignment):
        cells.setdefault(info.cell, {})[info.name] = info.points
    return cells


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Swallow stdout, stderr and warnings, from Python and from C libraries alike.

    TensorFlow writes its start-up lines to file descriptor 2 before its log
    level applies, which Jupyter kernels forward as stderr; so the descriptors
    are pointed at /dev/null too, not only ``sys.stdout``/``sys.stderr``.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in [*saved, devnull]:
            os.close(fd)


class _SubmissionPlugin:
    """Hands the submission, the selected cell and the seed to the checks' pytest plugin."""

    def __init__(self, submission: Submission, cell: str, seed: int) -> None:
        self.submission = submission
        self.cell = cell
        self.seed = seed

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SUBMISSION] = self.submission
        config.stash[CELL] = self.cell
        config.stash[SEED] = self.seed


def _info(item: pytest.Item) -> CheckInfo:
    """A collected check's name, cell, points and title (its docstring's first line).

    A parametrised check's docstring may name its parameters, ``{tier}``.
    """
    marker = item.get_closest_marker("check")
    points = float(marker.kwargs["points"]) if marker else 0.0
    twin = bool(marker.kwargs.get("self_check")) if marker else False
    function = getattr(item, "obj", None)
    doc = ((function.__doc__ if function else None) or item.name).strip().splitlines()[0]
    params = getattr(getattr(item, "callspec", None), "params", {})
    return CheckInfo(item.name, cell_of(item) or "", points, doc.format(**params), twin)


class _ItemCollector:
    """Records the checks pytest collects."""

    def __init__(self) -> None:
        self.checks: list[CheckInfo] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.checks = [_info(item) for item in items if item.get_closest_marker("check")]


class _ResultCollector:
    """Turns pytest's reports into :class:`CheckResult` objects."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []
        self.broken = False  # the check module failed to import or collect
        self._errors: dict[str, BaseException] = {}

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.broken = True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        yield
        if call.excinfo is not None and item.nodeid not in self._errors:
            self._errors[item.nodeid] = call.excinfo.value
        if call.when == "teardown":
            self.results.append(self._result(item, self._errors.get(item.nodeid)))

    @staticmethod
    def _result(item: pytest.Item, error: BaseException | None) -> CheckResult:
        info = _info(item)
        if error is None:
            return CheckResult(
                info.name, info.title, info.points, info.points, self_check=info.self_check
            )
        expected, found, hint, where = (_shortened(text) for text in explain(error))
        return CheckResult(
            info.name,
            info.title,
            info.points,
            0.0,
            expected,
            found,
            hint,
            passed=False,
            where=where,
            self_check=info.self_check,
        )


def _shortened(text: str, limit: int = MAX_REPORT_FIELD) -> str:
    """A report field cut to ``limit`` characters: student code chooses what errors say."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def explain(error: BaseException) -> tuple[str, str, str, str]:
    """Expected, found, hint and where (the student's frames) for a failed check, safe to show
    a student. An error of the student's code gets a hint by its cause
    (:func:`autograder.checks.api.cause_hint`)."""
    if isinstance(error, CheckFailed):
        return error.expected, error.found, error.hint, error.where
    if isinstance(error, StudentCodeError) and isinstance(error.error, NotImplementedError):
        return (
            "your implementation",
            f"{error.call} still raises NotImplementedError",
            NOT_ATTEMPTED,
            "",
        )
    if isinstance(error, StudentCodeError):
        return (
            "the call to return a result",
            f"{error.call} raised {error.raised}",
            cause_hint(error.error)
            or "그 줄에서 무엇이 잘못되었는지 노트북에서 같은 호출로 확인해 보세요 / run the same "
            "call in your notebook and look at the line it stops at",
            error.where,
        )
    if isinstance(error, MissingDefinition):
        return (
            f"a definition of `{error.name}`",
            "the name is not defined when the tests run",
            "run the cell that defines it, and keep the name given in the notebook",
            "",
        )
    if isinstance(error, SystemExit):
        return (
            "your code to return a result",
            "your code called sys.exit() / exit()",
            "remove the exit call; return the value instead",
            "",
        )
    return unusable_result(error)


def unusable_result(error: BaseException) -> tuple[str, str, str, str]:
    """A check tripped over a result it could not use. Its internals stay hidden: only the
    result's type is named, when the error names one (a list or None where an array was
    needed), never the check's message."""
    kind = NAMED_TYPE.search(str(error)) if isinstance(error, AttributeError | TypeError) else None
    if kind and kind[1] in ("list", "tuple"):
        return (
            "a NumPy array, as the docstring describes",
            f"a Python {kind[1]}, which the check could not use as an array",
            "결과를 np.array(...)로 반환하세요 / return the result as np.array(...)",
            "",
        )
    if kind and kind[1] == "NoneType":
        return (
            "a result, as the docstring describes",
            "None: nothing was returned (is a `return` missing?)",
            "함수 끝에서 결과를 return하세요 / return the result at the end of the function",
            "",
        )
    return (
        "a result of the type and shape the docstring describes",
        f"a result the check could not use ({type(error).__name__})",
        "compare your return value with the docstring (반환값의 형식을 확인하세요)",
        "",
    )


NAMED_TYPE = re.compile(r"^'(list|tuple|NoneType)' object ")


SELF_CHECK_MARK = "  (스스로 확인 / self-check)"


def format_report(cell: str, results: list[CheckResult], seed: int | None = None) -> str:
    """The per-check report shown under the test cell in the feedback.

    With ``seed``, the last line names the random cases' seed, so that a TA
    can replay them (``pytest <checks> --notebook <nb> --seed <seed>``).
    """
    total = sum(r.points for r in results)
    lines = [f"[{cell}] {earned_points(results):g} / {total:g} 점 points"]
    for r in results:
        mark = "✓" if r.passed else "✗" if r.points else "!"
        advice = "  (조언, 0점 / advice, no points)" if not r.points else ""
        twin = SELF_CHECK_MARK if r.self_check else ""
        lines.append(f"  {mark} {r.earned:g}/{r.points:g}  {r.title}{twin}{advice}")
        if not r.passed:
            lines.append(f"        expected 기대: {r.expected}")
            lines.append(f"        found    결과: {r.found}")
            for index, frame in enumerate(r.where.splitlines()):
                lines.append(f"        {'where    위치:' if index == 0 else ' ' * 14} {frame}")
            if r.hint:
                lines.append(f"        hint     힌트: {r.hint}")
    if seed is not None:
        lines.append(f"  (무작위 사례의 시드 / random cases' seed: {seed})")
    return "\n".join(lines)
