"""What a hidden check is made of: its points, the student's objects, and failures.

A check module (one per assignment, in ``autograder/checks/``) is an ordinary
pytest module. Each test is marked with :func:`check`, receives the student's
objects through the ``student`` fixture, and reports a failure with
:func:`expect`, whose message a student reads in the feedback::

    @check(points=1, cell="conv2d")
    def test_lecture_example(student):
        out = student.conv2d(LECTURE_IMAGE, LECTURE_KERNEL)
        expect(np.array_equal(out, LECTURE_OUTPUT),
               expected="the lecture's 3x3 result", found=describe_array(out),
               hint="...")

Messages say what was expected, what was found, and a hint; they never
print a hidden expected value.
"""

from __future__ import annotations

import inspect
import os
import re
import textwrap
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from autograder.kernel import probes
from autograder.kernel.wire import Kept, read_frames, student_frames


def check(points: float, cell: str, *, self_check: bool = False) -> pytest.MarkDecorator:
    """Mark a pytest test as a hidden check worth ``points`` in test cell ``cell``.

    ``self_check`` marks the twin of the cell's visible self-check: it judges
    what the self-check asserts (its case among others), so a self-check that
    fails in the notebook costs these points, and only these, in the grade.
    """
    return pytest.mark.check(points=points, cell=cell, self_check=self_check)


class CheckFailed(AssertionError):
    """A check's verdict on the student's work, in words meant for the student.

    ``where`` is the student's own code the failure came from, a line per
    frame (see :meth:`StudentCodeError.where`), when their function raised.
    """

    def __init__(self, expected: str, found: str, hint: str = "", where: str = "") -> None:
        super().__init__(f"expected {expected}; found {found}")
        self.expected = expected
        self.found = found
        self.hint = hint
        self.where = where


class MissingDefinition(Exception):
    """The submission does not define a name a check needs."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class StudentCodeError(Exception):
    """The student's function raised while a check was calling it."""

    def __init__(self, call: str, error: BaseException) -> None:
        super().__init__(f"{call} raised {type(error).__name__}: {error}")
        self.call = call
        self.error = error

    @property
    def raised(self) -> str:
        """What was raised, in one line: ``TypeError: only 0-dimensional arrays ...``."""
        return one_line(self.error)

    @property
    def where(self) -> str:
        """The innermost of the student's frames it was raised in, a line each, outermost first:
        ``window_response, line 2: return np.sum(window * weights) + float(bias)``."""
        frames = getattr(self.error, "student_frames", None) or student_frames_here(self.error)
        return "\n".join(
            f"{f['function']}, line {f['line']}" + (f": {f['code']}" if f["code"] else "")
            for f in frames[-SHOWN_FRAMES:]
        )

    def finding(self, expected: str, hint: str, case: str = "") -> CheckFailed:
        """This error as a check's finding: the call and what it raised, and a hint naming
        the error's cause where it has a known one (:func:`cause_hint`), else ``hint``."""
        return CheckFailed(
            expected=expected,
            found=f"{self.call} raised {self.raised}{case}",
            hint=cause_hint(self.error) or hint,
            where=self.where,
        )


SHOWN_FRAMES = 3  # of the student's frames, the innermost, shown with an error


def student_frames_here(error: BaseException) -> tuple[dict[str, Any], ...]:
    """The student's frames of an error raised in this process (grading without a judge)."""
    return read_frames(student_frames(error))


def one_line(error: BaseException, limit: int = 200) -> str:
    """``Name: message`` on one line, the message shortened to about ``limit`` characters."""
    message = textwrap.shorten(str(error), limit, placeholder=" …")
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


NOT_ATTEMPTED = (
    "`raise NotImplementedError()`를 지우고 코드를 작성하세요 / "
    "replace `raise NotImplementedError()` with your code"
)


def cause_hint(error: BaseException) -> str | None:
    """A bilingual hint naming what an exception from the student's code usually means, or
    None when its cause is not one of the common ones.

    Read from the exception's class names and message only (as the kernel sent
    them): not attempted, a Python list used as an array, NumPy 2's scalar
    conversion, a reshape to a fixed count, shapes that do not broadcast, an
    axis or index past an array's shape, a call that does not fit the
    function's parameters, a None default not handled.
    """
    names = {cls.__name__ for cls in type(error).__mro__}
    message = str(error)
    if "NotImplementedError" in names:
        return NOT_ATTEMPTED
    for pattern, hint in CAUSES:
        match = pattern.search(message)
        if match:
            return hint.format(*match.groups())
    return None


CAUSES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"'(list|tuple)' object has no attribute '(\w+)'"),
        "파이썬 {0}를 NumPy 배열처럼 썼습니다(.{1}): 입력은 먼저 np.asarray(...)로 바꾸고, "
        "결과는 np.array(...)로 반환하세요 / a Python {0} was used as a NumPy array (.{1}): "
        "convert the input with np.asarray(...) first, and return np.array(...)",
    ),
    (
        re.compile(r"only (?:0-dimensional|length-1|integer scalar) arrays can be converted"),
        "NumPy 2의 float()와 int()는 0차원 배열만 변환합니다: (1, 1, 1) 같은 배열의 값 하나는 "
        ".item()으로 꺼내세요 / NumPy 2's float() and int() convert only 0-d arrays: take the "
        "one value of an array such as a (1, 1, 1) bias with .item()",
    ),
    (
        re.compile(r"cannot reshape array of size (\d+) into shape"),
        "개수를 고정한 reshape입니다(원소 {0}개): 개수 자리에는 -1이나 x.shape[0]을 쓰세요 "
        "(x.reshape(-1, 28, 28, 1)) / a reshape to a fixed count ({0} values here): use -1 or "
        "x.shape[0] for the number of items, x.reshape(-1, 28, 28, 1), so any count works",
    ),
    (
        re.compile(
            r"operands could not be broadcast together|could not broadcast input array"
            r"|non-broadcastable output"
        ),
        "두 배열의 모양이 맞지 않습니다(브로드캐스팅): 그 줄에 있는 배열들의 .shape를 "
        "출력해 보세요; 원소별로 곱하는 배열(윈도우와 커널 등)은 모양이 같아야 합니다 / shapes "
        "that do not line up (broadcasting): print the .shape of the arrays on that line; "
        "arrays multiplied element-wise, such as a window and the kernel, need the same shape",
    ),
    (
        re.compile(r"index -?\d+ is out of bounds|list index out of range"),
        "인덱스가 배열 밖입니다: 반복 범위를 배열의 .shape와 비교하세요(출력 크기는 입력 "
        "크기가 아니라 공식에서 나옵니다) / an index past the end of an axis: compare the loops' "
        "ranges with the array's .shape (the output's size comes from the formula, not from "
        "the input's)",
    ),
    (
        re.compile(r"axis -?\d+ is out of bounds"),
        "배열에 없는 축이나 인덱스입니다: .ndim과 .shape를 확인하세요(행은 axis 0, 열은 axis "
        "1) / an axis or index the array does not have: check its .ndim and .shape (rows are "
        "axis 0, columns axis 1) and the loops' ranges",
    ),
    (
        re.compile(
            r"missing \d+ required (?:positional|keyword-only) argument"
            r"|takes \d+ positional arguments? but \d+ (?:were|was) given"
            r"|got an unexpected keyword argument"
        ),
        "호출이 함수의 매개변수와 맞지 않습니다: 노트북의 함수 이름, 인자와 기본값(stride=1, "
        "num_classes=None, ...)을 그대로 두세요 / the call does not fit the function's "
        "parameters: keep the notebook's signature, its argument names and defaults "
        "(stride=1, num_classes=None, ...)",
    ),
    (
        re.compile(
            r"'NoneType' object (?:cannot be interpreted as an integer|is not subscriptable"
            r"|is not iterable|has no attribute)|for [^:]*: 'NoneType'|'NoneType' and"
            r"|not 'NoneType'"
        ),
        "None인 값을 썼습니다: 기본값이 None인 인자(num_classes=None, stride=None)는 쓰기 "
        "전에 값을 정하고, 함수는 return으로 결과를 돌려주세요 / a value was None: give an "
        "argument whose default is None (num_classes=None, stride=None) its value before "
        "using it, and return results with `return`",
    ),
]


def expect(condition: object, *, expected: str, found: str, hint: str = "") -> None:
    """Fail the running check with a student-facing message unless ``condition``."""
    if not condition:
        raise CheckFailed(expected, found, hint)


def format_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """Show a call the way a student would write it, arrays by shape only."""
    parts = [_short_repr(a) for a in args] + [f"{k}={_short_repr(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array shape={value.shape} dtype={value.dtype}>"
    if isinstance(value, Kept):
        return "<array>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(value: Any) -> str:
    """Describe a returned value for a student without dumping large arrays.

    ``None`` and Python lists and tuples are named as such, with their length
    or nested shape, never as the shape NumPy would give them.
    """
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None: nothing was returned (is a `return` missing?)"
    if isinstance(value, list | tuple):
        kind = type(value).__name__
        shape = _nested_shape(value)
        size = f"nested lists of shape {shape}" if len(shape) > 1 else f"{len(value)} items"
        return f"a Python {kind} ({size}), not a NumPy array"
    return f"{_short_repr(value)} (type {type(value).__name__})"


def _nested_shape(value: list[Any] | tuple[Any, ...]) -> tuple[int, ...]:
    """The shape of regular nested lists of numbers, else just their length."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shape = np.shape(value)
    except (ValueError, TypeError):
        return (len(value),)
    return tuple(int(n) for n in shape)


@dataclass
class StudentFunction:
    """A student's function, called so that its errors read as findings, not crashes.

    Array arguments are copied first, so a function that writes into its
    input cannot change a check's data; :meth:`repeated` calls it again on
    the very same inputs, to see whether it changed them.

    ``probes`` (see :mod:`autograder.kernel.probes`) are applied around each
    call in the process the function lives in, the student's kernel when it
    is judged from outside; what they saw is in ``observed`` afterwards. Such
    observations come from the student's own process: checks may take points
    for what they show, never give them. ``report_interrupts`` makes a
    KeyboardInterrupt the function lets out a finding rather than the end of
    grading (for a check's own Ctrl-C).
    """

    name: str
    func: Callable[..., Any]
    probes: tuple[probes.Probe, ...] = ()
    report_interrupts: bool = False
    observed: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def process_id(self) -> int:
        """The process the function runs in (the student's kernel, when judged from outside)."""
        return getattr(self.func, "process_id", os.getpid())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(_copied(a) for a in args)
        kwargs = {k: _copied(v) for k, v in kwargs.items()}
        return self._call(args, kwargs)

    def repeated(self, *args: Any, times: int = 2, **kwargs: Any) -> list[Any]:
        """The results of calling it ``times`` times on the very same (copied) input objects.

        Where the function lives in the kernel, the kernel keeps the inputs
        between the calls; a function that writes into its input then meets
        what it wrote, and its results differ.
        """
        args = tuple(_copied(a) for a in args)
        keep = getattr(self.func, "keep", None)
        if keep is not None:
            args = tuple(keep(a) if isinstance(a, np.ndarray) else a for a in args)
        return [self._call(args, kwargs) for _ in range(times)]

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        remote = getattr(self.func, "call_with_probes", None)
        try:
            if remote is not None:
                result, self.observed = remote(args, kwargs, self.probes, self.report_interrupts)
                return result
            with probes.applied(self.probes) as observed:
                self.observed = observed
                return self.func(*args, **kwargs)
        except BaseException as error:
            if remote is not None:  # what the probes saw before the error
                self.observed = getattr(error, "observed", {})
            if isinstance(error, Exception):  # the student's own bug, reported as such
                raise StudentCodeError(format_call(self.name, args, kwargs), error) from error
            raise


def _copied(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


@dataclass
class Spend:
    """What a notebook's training cost, as the grader measured it outside the kernel.

    ``taken`` holds, for each object the judge took from the kernel, the CPU
    seconds of the whole sandbox when it took it: read by the judge once the
    object had arrived, with the sandbox frozen where it has a control group,
    so every computation that could have shaped the object is counted; None
    where no reading could be made (the kernel had ended). ``stopped`` are
    the cells stopped at their wall-clock limit.
    """

    budget: int
    stopped: tuple[str, ...] = ()
    taken: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Submission:
    """The student's objects that the checks of one assignment need, by name.

    This is the boundary between collecting a student's work and judging it:
    checks only ever see a ``Submission``, never the notebook's namespace.
    ``sources`` are the code the student wrote, by cell
    (``notebooks.student_sources``), as the grader read them from the
    submitted file (never as the kernel reports them). ``spend`` is what the
    training cost, measured by the grader (never by the kernel).
    """

    objects: Mapping[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    spend: Spend | None = None  # None: no budget applies (a notebook run in-process)

    @classmethod
    def collect(
        cls, namespace: dict[str, Any], names: Iterable[str], sources: dict[str, str] | None = None
    ) -> Submission:
        """Take the named objects out of a notebook's namespace (missing ones stay missing)."""
        return cls({name: namespace[name] for name in names if name in namespace}, sources or {})

    def __getattr__(self, name: str) -> Any:
        objects = self.__dict__.get("objects", {})
        if name not in objects:
            raise MissingDefinition(name)
        value = objects[name]
        # Functions (here or in the student's kernel) are wrapped; callable
        # objects such as Keras models are not.
        is_function = inspect.isfunction(value) or hasattr(value, "call_with_probes")
        return StudentFunction(name, value) if is_function else value

    def recipe(self, name: str) -> Any:
        """The recorded fits of the student's model ``name`` (:mod:`autograder.kernel.recipes`),
        as the kernel reports them, or None: a claim, to be read as hostile data."""
        asked = getattr(self.objects, "recipe", None)
        if asked is not None:  # a kernel at the other end of the wire
            return asked(name)
        from autograder.kernel import recipes  # the notebook ran in this process

        return recipes.recipe_of(self.objects.get(name))

    def raw(self, name: str) -> Any:
        """The object itself, for checks that inspect rather than call it."""
        if name not in self.objects:
            raise MissingDefinition(name)
        return self.objects[name]


def expect_raises(
    error_type: type[BaseException],
    func: StudentFunction,
    *args: Any,
    hint: str = "",
    **kwargs: Any,
) -> None:
    """Expect the student's function to reject this call with ``error_type``."""
    call = format_call(func.name, args, kwargs)
    try:
        result = func(*args, **kwargs)
    except StudentCodeError as raised:
        if isinstance(raised.error, NotImplementedError):
            raise
        if not isinstance(raised.error, error_type):
            raise CheckFailed(
                expected=f"{call} to raise {error_type.__name__}",
                found=f"it raised {raised.raised}",
                hint=hint,
                where=raised.where,
            ) from raised
        return
    raise CheckFailed(
        expected=f"{call} to raise {error_type.__name__}",
        found=f"it returned {describe(result)}",
        hint=hint,
    )


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """CS231n's relative error, max |x - y| / max(1e-8, |x| + |y|); about 1e-12 for float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
