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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from autograder.kernel import probes
from autograder.kernel.wire import Kept


def check(points: float, cell: str) -> pytest.MarkDecorator:
    """Mark a pytest test as a hidden check worth ``points`` in test cell ``cell``."""
    return pytest.mark.check(points=points, cell=cell)


class CheckFailed(AssertionError):
    """A check's verdict on the student's work, in words meant for the student."""

    def __init__(self, expected: str, found: str, hint: str = "") -> None:
        super().__init__(f"expected {expected}; found {found}")
        self.expected = expected
        self.found = found
        self.hint = hint


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
    """Describe a returned value for a student without dumping large arrays."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{_short_repr(value)} (type {type(value).__name__})"


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


@dataclass(frozen=True)
class Spend:
    """What a notebook's training cost, as the grader measured it outside the kernel.

    ``cpu_seconds`` is every process of the student's sandbox, up to the
    test cell being judged (None when the kernel had already ended);
    ``stopped`` are the cells stopped at their wall-clock limit.
    """

    budget: int
    cpu_seconds: float | None
    stopped: tuple[str, ...] = ()


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
        expect(
            isinstance(raised.error, error_type),
            expected=f"{call} to raise {error_type.__name__}",
            found=f"it raised {type(raised.error).__name__}: {raised.error}",
            hint=hint,
        )
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
