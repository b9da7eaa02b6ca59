"""Hidden checks for 02_manual_convolution: zero padding, conv2d and max pooling in NumPy.

References are independent of the student's approach: ``np.pad`` for
padding, and for the rest what TensorFlow's ``tf.nn.conv2d``
(cross-correlation, as CNN layers compute it) and ``tf.nn.max_pool2d``
compute, here in NumPy over sliding windows in float64 so that grading never
imports TensorFlow (``tests/test_references.py`` holds them equal to
TensorFlow's). Values must agree to a relative error (CS231n's
``rel_error``) below ``TOLERANCE``; a correct loop or vectorised NumPy
version lands near 1e-16. Random cases are drawn afresh at every grading.

A ``conv2d`` that hands the work to a library convolution earns none of the
value checks: every cell the student wrote must keep to the list of modules,
attributes and built-ins a manual convolution may use (:mod:`.allowlist`),
and every call runs under the ``library_calls`` probe
(:mod:`autograder.kernel.probes`), which can only take points, never give them.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from autograder import notebooks
from autograder.assignments import release_path
from autograder.checks.allowlist import bound_names, unlisted_uses
from autograder.checks.api import (
    CheckFailed,
    StudentCodeError,
    StudentFunction,
    check,
    describe,
    expect,
    expect_raises,
    format_call,
    rel_error,
)
from autograder.kernel.probes import Probe

TOLERANCE = 1e-9

LECTURE_IMAGE = np.array(
    [[7, 8, 1, 8, 8], [4, 8, 1, 8, 4], [3, 8, 8, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
)
LECTURE_KERNEL = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1]])
LECTURE_OUTPUT = np.array([[32, 56, 34], [33, 49, 33], [33, 39, 39]])

POOL_EXAMPLE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
POOL_EXAMPLE_OUTPUT = np.array([[6, 8], [3, 4]])


OWN_WORK_HINT = (
    "반복문과 노트북 규칙에 있는 NumPy 연산(슬라이싱, np.sum, np.pad, np.zeros, ...)만으로 "
    "윈도우마다 곱해서 더하세요; 목록에 없는 모듈·속성·getattr·스레드는 어느 셀에서든 conv2d의 "
    "값 점수를 잃습니다 / multiply each window by the kernel and sum it yourself, with loops and "
    "the NumPy operations the notebook's rule lists (slicing, np.sum, np.pad, np.zeros, ...): "
    "a module, attribute, lookup by name or thread off that list, in any cell, costs conv2d's "
    "value points"
)
RULE = (
    "{name} to compute the convolution itself, in code that keeps to the notebook's list "
    "of modules and NumPy operations (loops, slicing, np.sum, ...)"
)


@dataclasses.dataclass
class ComputedByStudent(StudentFunction):
    """A student's function whose result only counts if no library convolution made it.

    The rule is read from the submitted code of every cell the student wrote
    (:mod:`.allowlist`); a library call the kernel-side probe sees costs the
    points too. ``uses`` are what the code uses off the list.
    """

    probes: tuple[Probe, ...] = (("library_calls", {}),)
    uses: tuple[str, ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        more = f" and {len(self.uses) - 3} more" if len(self.uses) > 3 else ""
        expect(
            not self.uses,
            expected=RULE.format(name=self.name),
            found=f"the code uses {'; '.join(self.uses[:3])}{more}",
            hint=OWN_WORK_HINT,
        )
        result = super().__call__(*args, **kwargs)
        called = self.observed.get("library_calls") or []
        expect(
            not called,
            expected=RULE.format(name=self.name),
            found=f"it called {', '.join(sorted(set(map(str, called)))[:3])}",
            hint=OWN_WORK_HINT,
        )
        return result


@pytest.fixture
def conv2d(student) -> StudentFunction:
    """The student's conv2d, failing the value checks if any cell goes off the list."""
    uses = tuple(unlisted_uses(student.sources, given=released_names()))
    return ComputedByStudent("conv2d", student.raw("conv2d"), uses=uses)


@cache
def released_names() -> frozenset[str]:
    """The names the notebook's locked cells bind (``image`` and ``kernel`` of a self-check)."""
    released = notebooks.read(release_path("02_manual_convolution"))
    locked = {
        f"locked {index}": cell.source
        for index, cell in enumerate(released.cells)
        if cell.cell_type == "code" and notebooks.nbgrader_meta(cell).get("locked")
    }
    return frozenset(bound_names(locked))


def reference_conv2d(
    image: np.ndarray, kernel: np.ndarray, stride: int, padding: int
) -> np.ndarray:
    """TensorFlow's 2-D cross-correlation of one single-channel image, in float64."""
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    windows = sliding_window_view(padded, np.shape(kernel))[::stride, ::stride]
    return np.einsum("ijkl,kl->ij", windows, np.asarray(kernel, dtype=np.float64))


def reference_max_pool(feature_map: np.ndarray, pool: int, stride: int | None) -> np.ndarray:
    """TensorFlow's 'VALID' max pooling of one single-channel map, in float64."""
    step = stride or pool
    windows = sliding_window_view(np.asarray(feature_map, dtype=np.float64), (pool, pool))
    return windows[::step, ::step].max(axis=(2, 3))


def conv_cases(
    rng: np.random.Generator, count: int, strides: tuple[int, ...], paddings: tuple[int, ...]
) -> list[dict]:
    """Random images and kernels (with negative values) that fit, one feature at a time first.

    The first cases differ from a plain one (a square image and kernel, the
    least stride and padding) in one feature each: a non-square image, a
    non-square kernel, then, where the check allows them, a stride > 1 and a
    padding > 0. Any mix of them follows. So the first case a wrong conv2d
    fails is the simplest one, and its feature (:func:`case_features`) names
    what the code gets wrong.
    """
    stride, padding = min(strides), min(paddings)
    side, size = int(rng.integers(5, 10)), int(rng.integers(2, 4))
    longer, tall = side + int(rng.integers(1, 4)), bool(rng.integers(0, 2))
    shapes = [
        ((side, side), (size, size), stride, padding),
        ((longer, side) if tall else (side, longer), (size, size), stride, padding),
        ((side, side), (size + 1, size) if tall else (size, size + 1), stride, padding),
    ]
    if max(strides) > stride:
        shapes.append(((side, side), (size, size), max(strides), padding))
    if max(paddings) > padding:
        shapes.append(((side, side), (size, size), stride, max(paddings)))
    cases: list[dict[str, Any]] = [
        {"image": rng.normal(size=i), "kernel": rng.normal(size=k), "stride": s, "padding": p}
        for i, k, s, p in shapes
    ]
    while len(cases) < count:
        image = rng.normal(size=tuple(rng.integers(3, 13, size=2)))
        kernel = rng.normal(size=tuple(rng.integers(1, 6, size=2)))
        stride, padding = int(rng.choice(strides)), int(rng.choice(paddings))
        if all(k <= s + 2 * padding for k, s in zip(kernel.shape, image.shape, strict=True)):
            cases.append({"image": image, "kernel": kernel, "stride": stride, "padding": padding})
    return cases[:count]


WINDOW_HINT = (
    "kh×kw 윈도우마다 커널과 원소별로 곱해서 더하세요 / "
    "multiply each kh×kw window by the kernel element-wise and sum"
)
FLIP_HINT = (
    "CNN 층은 커널을 뒤집지 않습니다(교차상관): 결과가 뒤집은 커널의 합성곱과 같습니다 / "
    "CNN layers do not flip the kernel (cross-correlation): your result is the flipped "
    "kernel's"
)
EVEN_HINT = (
    "짝수 크기 커널에는 가운데 칸이 없습니다: 중심에서 k // 2씩 뻗는 윈도우는 한 칸 넓어집니다; "
    "왼쪽 위 (i*S, j*S)에서 kh×kw 윈도우를 자르세요 / an even-sized kernel has no centre: "
    "a window reaching k // 2 each way from one is a row or column too wide; cut the kh×kw "
    "window whose top-left corner is (i*S, j*S)"
)
FEATURE_HINTS = {
    "kernel": "커널은 정사각형이 아닐 수 있습니다: kh, kw = kernel.shape로 "
    "kh×kw 윈도우를 자르세요 / "
    "a kernel need not be square: take kh, kw = kernel.shape and cut kh×kw windows",
    "stride": "윈도우를 한 번에 S픽셀씩 옮기세요: out[i, j]는 (i*S, j*S)에서 시작합니다 / "
    "move the window S pixels per step: out[i, j] starts at (i*S, j*S)",
    "padding": "먼저 모든 면에 P개의 0을 붙이세요 / pad P zeros on every side first (zero_pad)",
    "image": "출력의 높이와 너비를 따로 계산하세요 / compute the output's height and width "
    "separately: (H - kh + 2P) // S + 1 and (W - kw + 2P) // S + 1",
}
SIZE_HINT = (
    "출력 크기는 공식으로 정해집니다 / the output's size is the formula's, not the input's: "
    "(H - kh + 2P) // S + 1 by (W - kw + 2P) // S + 1"
)


def case_features(case: dict) -> list[tuple[str, str]]:
    """What sets a conv2d case apart from a plain one, as (kind, words for the student).

    Plain is a square image and kernel, stride 1 and no padding.
    """
    (height, width), (kh, kw) = np.shape(case["image"]), np.shape(case["kernel"])
    features = [
        ("kernel", f"a non-square {kh}×{kw} kernel") if kh != kw else None,
        ("stride", f"stride {case['stride']} > 1") if case["stride"] > 1 else None,
        ("padding", f"padding {case['padding']} > 0") if case["padding"] > 0 else None,
        ("image", f"a non-square {height}×{width} image") if height != width else None,
    ]
    return [feature for feature in features if feature]


def has_even_side(case: dict) -> bool:
    """Whether the case's kernel has an even height or width."""
    return any(side % 2 == 0 for side in np.shape(case["kernel"]))


def as_array(result: Any) -> np.ndarray | None:
    """A returned value as an array, if NumPy makes one of numbers of it."""
    try:
        array = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if result is not None else None


def expect_close(
    func: StudentFunction, case: dict, reference: np.ndarray, hint: str, *, named: bool = False
) -> None:
    """Expect ``func(**case)`` to have the reference's shape and values.

    With ``named`` (a conv2d case), a failure names the case's features (a
    non-square kernel, a stride > 1, ...) and the hint its distinctive cause:
    a case with one feature gets that feature's hint; a plain case the cause
    of the error it raised, the output size when the shape is wrong, the
    kernel's orientation only when the result is the flipped kernel's, else
    how a window is computed. An error the function raises is then a finding
    on the case too. A result that is not an array of numbers (None, a list
    of another shape) is described as what it is.
    """
    call = format_call(func.name, (), case)
    features = case_features(case) if named else []
    this_case = ""
    if named:
        words = ", ".join(words for _, words in features)
        plain = "a plain one (square image and kernel, stride 1, no padding)"
        this_case = f"; the case has {words}" if features else f"; the case is {plain}"
        if len(features) == 1:
            hint = FEATURE_HINTS[features[0][0]]
    try:
        raw = func(**case)
    except StudentCodeError as raised:
        if not named or isinstance(raised.error, NotImplementedError):
            raise
        finding = raised.finding(f"{call} to return a result", hint, this_case)
        if len(features) == 1:  # the feature is the distinctive cause, the error its symptom
            finding.hint = hint
        elif not features and finding.hint == hint:  # a plain case, an error of no known cause
            finding.hint = WINDOW_HINT
        raise finding from raised
    result = as_array(raw)
    shaped = result is not None and result.shape == reference.shape
    if named and not features and not shaped:
        hint = SIZE_HINT
    expect(
        shaped,
        expected=f"{call} to have the output shape of the formula (W - F + 2P) // S + 1",
        found=f"{describe(raw) if result is None else f'shape {result.shape}'}{this_case}",
        hint=hint,
    )
    assert result is not None
    error = rel_error(result, reference)
    if named and not features and error >= TOLERANCE:
        hint = FLIP_HINT if is_flipped_result(result, case) else WINDOW_HINT
    expect(
        error < TOLERANCE,
        expected=f"{call} to match the reference to a relative error below {TOLERANCE:g}",
        found=f"relative error {error:.2g}{this_case}",
        hint=hint,
    )


def is_flipped_result(result: np.ndarray, case: dict) -> bool:
    """Whether ``result`` is the true convolution's: the case with its kernel flipped."""
    kernel = np.asarray(case["kernel"])[::-1, ::-1]
    flipped = reference_conv2d(case["image"], kernel, case["stride"], case["padding"])
    return result.shape == flipped.shape and rel_error(result, flipped) < TOLERANCE


def expect_conv_cases(func: StudentFunction, cases: list[dict], hint: str) -> None:
    """Expect every case to match the reference; report the first that does not.

    When every failing case has a kernel of an even height or width and some
    odd-sized kernel passed, that is the distinctive cause: a window centred
    on a kernel's middle (k // 2 each way), which an even kernel has not.
    """
    failures: list[tuple[dict, CheckFailed]] = []
    odd_passed = False
    for case in cases:
        reference = reference_conv2d(case["image"], case["kernel"], case["stride"], case["padding"])
        try:
            expect_close(func, case, reference, hint, named=True)
        except CheckFailed as failure:
            failures.append((case, failure))
        else:
            odd_passed = odd_passed or not has_even_side(case)
    if not failures:
        return
    case, first = failures[0]
    if odd_passed and all(has_even_side(failed) for failed, _ in failures):
        kh, kw = np.shape(case["kernel"])
        raise CheckFailed(
            first.expected,
            f"{first.found}; every case that fails has a kernel with an even side (here "
            f"{kh}×{kw}), and the odd-sized kernels pass",
            EVEN_HINT,
            first.where,
        )
    raise first


def expect_float_result(func: StudentFunction, *inputs: np.ndarray, **kwargs: Any) -> None:
    """Expect a float array from integer inputs (options other than arrays in ``kwargs``)."""
    result = func(*inputs, **kwargs)
    hint = (
        "출력은 dtype=float로 만드세요 (np.zeros_like(image)는 int dtype을 유지합니다) / "
        "create the output with dtype=float (np.zeros_like(image) keeps int dtype)"
    )
    if not isinstance(result, np.ndarray):
        hint = (
            "리스트가 아니라 NumPy 배열을 반환하세요: np.zeros((out_h, out_w))에 값을 채우거나 "
            "np.array(result, dtype=float) / return a NumPy array, not a list: fill "
            "np.zeros((out_h, out_w)), or return np.array(result, dtype=float)"
        )
    expect(
        isinstance(result, np.ndarray) and np.issubdtype(result.dtype, np.floating),
        expected=f"{func.name} on integer input to return a float array",
        found=describe(result),
        hint=hint,
    )


def expect_inputs_kept(func: StudentFunction, *inputs: np.ndarray, **kwargs: Any) -> None:
    """Expect the same result twice for the very same (float) input objects.

    What a function does to its inputs happens in the student's process; the
    judge sees only what it returns. So it is called twice on the very same
    input objects, kept in the kernel: a function that wrote into them meets
    what it wrote, and returns something else the second time. Code in the
    kernel can hide that (a cache by object, say), so the checks that use
    this give advice and no points.
    """
    first, second = (
        np.asarray(r) for r in func.repeated(*(x.astype(float) for x in inputs), **kwargs)
    )
    expect(
        first.shape == second.shape and np.array_equal(first, second),
        expected=f"{func.name} to return the same result when called twice on the same arrays",
        found="the second call returned something else: the first one changed its input",
        hint="입력에 직접 쓰지 말고 새 배열(np.zeros(...)나 .copy())에서 작업하세요 / "
        "work on a new array (np.zeros(...) or .copy()) instead of writing into the input",
    )


SELF_CHECK_PAD = (np.array([[1, 2], [3, 4]]), 1)  # the notebook's self-check


@check(points=1, cell="zero_pad", self_check=True)
def test_zero_pad_matches_np_pad(student, rng):
    """np.pad와 같은 값 / same values as np.pad with zeros"""
    cases = [SELF_CHECK_PAD]
    for _ in range(20):
        cases.append((rng.normal(size=tuple(rng.integers(1, 9, size=2))), int(rng.integers(0, 4))))
    for image, pad in cases:
        raw = student.zero_pad(image, pad)
        result = as_array(raw)
        reference = np.pad(image, pad)
        same_shape = result is not None and result.shape == reference.shape
        shape = describe(raw) if result is None else f"shape {result.shape}"
        expect(
            same_shape and result is not None and np.array_equal(result, reference),
            expected=f"zero_pad(<{image.shape} array>, {pad}) to add {pad} zero rows and "
            "columns on every side",
            found=shape if not same_shape else "the right shape, other values",
            hint="패딩은 위·아래·왼쪽·오른쪽 모두에 / pad top, bottom, left AND right",
        )


@check(points=1, cell="zero_pad")
def test_zero_pad_returns_float(student):
    """실수 배열 반환 / float result"""
    expect_float_result(student.zero_pad, np.arange(12).reshape(3, 4), pad=2)


@check(points=0, cell="zero_pad")
def test_zero_pad_keeps_input(student):
    """입력은 그대로 / input untouched"""
    expect_inputs_kept(student.zero_pad, np.arange(12).reshape(3, 4), pad=2)


@check(points=1, cell="zero_pad")
def test_zero_pad_rejects_bad_arguments(student):
    """음수 패딩·2차원이 아닌 입력에 ValueError / ValueError for negative pad or non-2-D input"""
    hint = (
        "먼저 pad >= 0이고 image.ndim == 2인지 확인하세요 / "
        "check pad >= 0 and image.ndim == 2 first"
    )
    expect_raises(ValueError, student.zero_pad, np.ones((3, 3)), -1, hint=hint)
    expect_raises(ValueError, student.zero_pad, np.ones((2, 3, 3)), 1, hint=hint)


@check(points=1, cell="conv2d", self_check=True)
def test_conv2d_lecture_example(conv2d):
    """강의 예제 5×5 * 3×3 / the lecture's 5x5 example"""
    raw = conv2d(LECTURE_IMAGE, LECTURE_KERNEL)
    result = as_array(raw)
    shaped = result is not None and result.shape == LECTURE_OUTPUT.shape
    lecture = {"image": LECTURE_IMAGE, "kernel": LECTURE_KERNEL, "stride": 1, "padding": 0}
    if result is None or not shaped:
        raise CheckFailed(
            expected="the lecture's result 32 56 34 / 33 49 33 / 33 39 39",
            found=describe(raw if result is None else result),
            hint=SIZE_HINT,
        )
    expect(
        np.allclose(result, LECTURE_OUTPUT),
        expected="the lecture's result 32 56 34 / 33 49 33 / 33 39 39",
        found=f"{result.tolist()}",
        hint=FLIP_HINT if is_flipped_result(result, lecture) else WINDOW_HINT,
    )


@check(points=1, cell="conv2d")
def test_conv2d_matches_tensorflow_stride1(conv2d, rng):
    """무작위 입력에서 TensorFlow와 일치 (스트라이드 1) / random inputs vs TensorFlow, stride 1"""
    hint = (
        "높이와 너비를 따로: kh, kw = kernel.shape, 출력 (H - kh + 1, W - kw + 1) / "
        "height and width apart: kh, kw = kernel.shape, output (H - kh + 1, W - kw + 1)"
    )
    expect_conv_cases(conv2d, conv_cases(rng, 15, strides=(1,), paddings=(0,)), hint)


@check(points=2, cell="conv2d")
def test_conv2d_matches_tensorflow_strides_and_padding(conv2d, rng):
    """스트라이드·패딩에서 TensorFlow와 일치 / strides and padding vs TensorFlow"""
    hint = (
        "먼저 패딩하고(모든 면에 P), 윈도우를 한 번에 S픽셀씩 옮기세요 / "
        "pad first (P on every side), then move the window S pixels per step"
    )
    expect_conv_cases(conv2d, conv_cases(rng, 25, strides=(1, 2, 3), paddings=(0, 1, 2)), hint)


CONV_INPUTS = (
    np.array([[0, 1, 2, 3], [3, 2, 1, 0], [1, 1, 1, 1], [2, 0, 2, 0]]),
    np.array([[1, -1], [2, 0]]),
)


@check(points=1, cell="conv2d", self_check=True)
def test_conv2d_returns_float(conv2d):
    """실수 배열 반환 / float result"""
    expect_float_result(conv2d, *CONV_INPUTS, stride=1, padding=1)


@check(points=0, cell="conv2d")
def test_conv2d_keeps_inputs(student):
    """입력은 그대로 / inputs untouched"""
    expect_inputs_kept(student.conv2d, *CONV_INPUTS, stride=1, padding=1)


@check(points=1, cell="conv2d")
def test_conv2d_rejects_impossible_shapes(student):
    """불가능한 크기에 ValueError / ValueError for impossible shapes"""
    hint = (
        "커널이 패딩된 이미지보다 크거나 stride < 1이면 ValueError를 발생시키세요 / "
        "raise ValueError when the kernel is larger than the padded image, or stride < 1"
    )
    func = student.conv2d
    expect_raises(ValueError, func, np.ones((3, 3)), np.ones((4, 4)), hint=hint)
    expect_raises(ValueError, func, np.ones((3, 5)), np.ones((2, 6)), padding=0, hint=hint)
    expect_raises(ValueError, func, np.ones((5, 5)), np.ones((3, 3)), stride=0, hint=hint)
    expect_raises(ValueError, func, np.ones((5, 5)), np.ones((3, 3)), padding=-1, hint=hint)


@check(points=1, cell="max_pool2d", self_check=True)
def test_max_pool_example(student):
    """4×4 예제 / the 4x4 example"""
    raw = student.max_pool2d(POOL_EXAMPLE)
    result = as_array(raw)
    shown = result is not None and result.size <= 16
    expect(
        result is not None
        and result.shape == (2, 2)
        and np.array_equal(result, POOL_EXAMPLE_OUTPUT),
        expected="[[6, 8], [3, 4]] for the 4x4 example with 2x2 pooling",
        found=f"{result.tolist()}" if shown and result is not None else describe(raw),
        hint="stride의 기본값은 pool_size입니다: 윈도우가 겹치지 않습니다 / "
        "the stride defaults to pool_size: windows do not overlap",
    )


@check(points=1, cell="max_pool2d")
def test_max_pool_matches_tensorflow(student, rng):
    """무작위 입력에서 TensorFlow와 일치 / random inputs vs tf.nn.max_pool2d"""
    hint = (
        "out[i, j] = (i*S, j*S)에서 시작하는 윈도우의 최댓값; None이면 S = pool_size / "
        "out[i, j] = max of the window starting at (i*S, j*S); S = pool_size when None"
    )
    for _ in range(25):
        # Positive values: negative maps have a check of their own.
        feature_map = rng.uniform(0.0, 10.0, size=tuple(rng.integers(3, 13, size=2)))
        pool = int(rng.integers(1, 4))
        stride = [None, 1, 2, 3][int(rng.integers(0, 4))]
        case = {"feature_map": feature_map, "pool_size": pool, "stride": stride}
        expect_close(student.max_pool2d, case, reference_max_pool(feature_map, pool, stride), hint)


@check(points=1, cell="max_pool2d")
def test_max_pool_negative_values(student):
    """음수만 있는 입력 / a map of negative values only"""
    feature_map = -np.arange(1.0, 37.0).reshape(6, 6)
    result = np.asarray(student.max_pool2d(feature_map, 2))
    expect(
        result.shape == (3, 3) and np.array_equal(result, reference_max_pool(feature_map, 2, None)),
        expected="negative maxima for a map whose values are all negative",
        found=f"{result.tolist()}" if result.size <= 16 else describe(result),
        hint="각 윈도우의 최댓값은 0이 아니라 윈도우의 값(또는 -inf)에서 시작하세요 / "
        "start each window's maximum from its values (or -inf), not from 0",
    )


POOL_INPUT = np.array([[1, -2, 3, 0], [4, 5, -6, 7]])


@check(points=1, cell="max_pool2d", self_check=True)
def test_max_pool_returns_float(student):
    """실수 배열 반환 / float result"""
    expect_float_result(student.max_pool2d, POOL_INPUT, pool_size=2)


@check(points=0, cell="max_pool2d")
def test_max_pool_keeps_input(student):
    """입력은 그대로 / input untouched"""
    expect_inputs_kept(student.max_pool2d, POOL_INPUT, pool_size=2)


@check(points=1, cell="max_pool2d")
def test_max_pool_rejects_impossible_shapes(student):
    """불가능한 크기에 ValueError / ValueError for impossible shapes"""
    hint = (
        "풀이 맵보다 크거나 pool/stride < 1이면 ValueError를 발생시키세요 / "
        "raise ValueError when the pool is larger than the map, or pool/stride < 1"
    )
    func = student.max_pool2d
    expect_raises(ValueError, func, np.ones((3, 3)), 4, hint=hint)
    expect_raises(ValueError, func, np.ones((4, 4)), 0, hint=hint)
    expect_raises(ValueError, func, np.ones((4, 4)), 2, 0, hint=hint)
