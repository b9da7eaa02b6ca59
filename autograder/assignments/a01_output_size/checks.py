"""Hidden checks for 01_output_size: the conv/pool output-size formula.

The reference is Keras itself: every random case is compared with the shape
``Conv2D``, ``ZeroPadding2D`` and ``MaxPooling2D`` produce, and with
``Conv2D.count_params``, so the checks agree with the library the course
trains with rather than with a second hand-written formula. Keras's answers
were recorded once for every case the checks can draw
(:mod:`.keras_values`), so grading never imports TensorFlow. The cases are
drawn afresh at every grading (the ``rng`` fixture).
"""

from __future__ import annotations

import numpy as np

from autograder.checks import keras_values
from autograder.checks.api import (
    CheckFailed,
    StudentCodeError,
    StudentFunction,
    check,
    describe,
    expect,
    expect_raises,
    format_call,
)


def conv_cases(
    rng: np.random.Generator, count: int, paddings: range, strides: range
) -> list[tuple[int, int, int, int]]:
    """Random (input_size, filter_size, stride, padding) cases that Keras accepts."""
    cases: list[tuple[int, int, int, int]] = []
    while len(cases) < count:
        size, kernel = int(rng.integers(1, 65)), int(rng.integers(1, 8))
        stride, padding = int(rng.choice(strides)), int(rng.choice(paddings))
        if kernel <= size + 2 * padding:
            cases.append((size, kernel, stride, padding))
    return cases


def expect_matches(func: StudentFunction, cases: list[tuple], reference, hint: str) -> None:
    """Expect ``func(*case) == reference(*case)`` for every case; report the first miss."""
    expected = f"the value Keras computes, on all {len(cases)} generated cases"
    try:
        answers = [(case, func(*case)) for case in cases]
    except StudentCodeError as error:
        raise error.finding(expected, hint) from error
    wrong = [(case, answer) for case, answer in answers if answer != reference(*case)]
    if wrong:
        (case, answer), count = wrong[0], len(wrong)
        call = format_call(func.name, case, {})
        raise CheckFailed(
            expected, f"{count} wrong, for example {call} returned {describe(answer)}", hint
        )


def expect_values(func: StudentFunction, known: dict[tuple, int], hint: str) -> None:
    """Expect the lecture's published values (safe to show: they are on the slides)."""
    for args, value in known.items():
        result = func(*args)
        expect(
            result == value,
            expected=f"{format_call(func.name, args, {})} == {value} (lecture)",
            found=describe(result),
            hint=hint,
        )


FORMULA_HINT = "출력 크기 = (W - F + 2P) / S + 1, 나눗셈은 내림 / floor the division, as Keras does"


@check(points=1, cell="conv_output_size", self_check=True)
def test_lecture_conv_shapes(student):
    """강의 모델의 크기 28→26, 13→11, 5→3 / the lecture model's sizes"""
    lecture = {(28, 3): 26, (13, 3): 11, (5, 3): 3}
    expect_values(student.conv_output_size, lecture, FORMULA_HINT)


@check(points=1, cell="conv_output_size")
def test_conv_strides_match_keras(student, rng):
    """스트라이드가 있는 경우 Keras Conv2D와 일치 / strides agree with Keras Conv2D"""
    cases = conv_cases(rng, 120, paddings=range(1), strides=range(1, 5))
    hint = (
        "스트라이드가 S이면 필터는 한 번에 S픽셀씩 움직입니다; "
        "1을 더하기 전에 (W - F) / S를 내림하세요 / "
        "with stride S the filter moves S pixels at a time; floor (W - F) / S before adding 1"
    )
    expect_matches(student.conv_output_size, cases, keras_values.conv_size, hint)


@check(points=1, cell="conv_output_size")
def test_conv_padding_matches_keras(student, rng):
    """패딩이 있는 경우 Keras와 일치 / padding agrees with ZeroPadding2D + Conv2D"""
    cases = conv_cases(rng, 120, paddings=range(1, 4), strides=range(1, 4))
    hint = (
        "패딩 P는 양쪽 모두에 P픽셀을 더합니다: 패딩 후 크기는 W + 2P입니다 / "
        "padding P adds P pixels on BOTH sides: the padded size is W + 2P"
    )
    expect_matches(student.conv_output_size, cases, keras_values.conv_size, hint)


@check(points=1, cell="conv_output_size")
def test_conv_returns_int(student):
    """정수(int)를 반환 / returns an int, not a float"""
    result = student.conv_output_size(28, 3, stride=2, padding=1)
    expect(
        isinstance(result, int | np.integer) and not isinstance(result, bool),
        expected="an int (a layer cannot have 13.5 pixels)",
        found=describe(result),
        hint="/ 대신 // (정수 나눗셈)이나 int(...)를 쓰세요 / "
        "use // (floor division) or int(...) instead of /",
    )


@check(points=1, cell="conv_output_size")
def test_conv_rejects_invalid_arguments(student):
    """잘못된 인자에 ValueError / ValueError for impossible arguments"""
    func = student.conv_output_size
    hint = (
        "계산하기 전에 크기와 stride > 0, padding >= 0, filter <= W + 2P인지 확인하세요 / "
        "check sizes and stride > 0, padding >= 0, and filter <= W + 2P before computing"
    )
    expect_raises(ValueError, func, 0, 3, hint=hint)
    expect_raises(ValueError, func, 28, 0, hint=hint)
    expect_raises(ValueError, func, 28, 3, stride=0, hint=hint)
    expect_raises(ValueError, func, 28, 3, stride=-1, hint=hint)
    expect_raises(ValueError, func, 28, 3, padding=-1, hint=hint)
    expect_raises(ValueError, func, 4, 7, hint=hint)
    expect_raises(ValueError, func, 4, 7, stride=1, padding=1, hint=hint)


@check(points=1, cell="same_padding", self_check=True)
def test_same_padding_keeps_size(student):
    """'same' 패딩이 크기를 유지 / the padding keeps the size, as Keras padding='same'"""
    for kernel in (1, 3, 5, 7, 9, 11):
        padding = student.same_padding(kernel)
        expect(
            isinstance(padding, int | np.integer) and padding >= 0,
            expected=f"same_padding({kernel}) to be a non-negative int",
            found=describe(padding),
            hint="홀수 필터 크기 F에 대해 P = (F - 1) / 2입니다 / "
            "P = (F - 1) / 2 for an odd filter size F",
        )
        expect(
            # Keras's padding='same' keeps the size at stride 1: 20 stays 20.
            padding in keras_values.PADDINGS
            and keras_values.conv_size(20, kernel, 1, padding) == 20,
            expected=f"padding that keeps a 20x20 input 20x20 under a {kernel}x{kernel} filter",
            found=f"same_padding({kernel}) returned {padding}",
            hint="출력 W - F + 2P + 1이 W와 같아야 합니다 / the output W - F + 2P + 1 must equal W",
        )


@check(points=1, cell="same_padding")
def test_same_padding_rejects_even_and_nonpositive(student):
    """짝수·0 이하 필터에 ValueError / ValueError for even or non-positive sizes"""
    hint = (
        "짝수 필터는 중심이 없어서 대칭 패딩으로는 크기를 유지할 수 없습니다 / "
        "an even filter has no centre, so no symmetric padding keeps the size"
    )
    for kernel in (2, 4, 0, -3):
        expect_raises(ValueError, student.same_padding, kernel, hint=hint)


@check(points=1, cell="pool_output_size", self_check=True)
def test_lecture_pool_shapes(student):
    """강의 모델의 풀링 26→13, 11→5 / the lecture model's pooling"""
    lecture = {(26,): 13, (11,): 5, (26, 2): 13, (28, 2, 2): 14}
    hint = (
        "stride의 기본값은 pool_size입니다; 나눗셈은 내림하세요 / "
        "stride defaults to pool_size; floor the division"
    )
    expect_values(student.pool_output_size, lecture, hint)


@check(points=1, cell="pool_output_size")
def test_pool_matches_keras(student, rng):
    """Keras MaxPooling2D와 일치 / agrees with Keras MaxPooling2D"""
    cases: list[tuple[int, int, int | None]] = []
    while len(cases) < 120:
        size, pool = int(rng.integers(1, 65)), int(rng.integers(1, 6))
        stride = [None, 1, 2, 3, 4][int(rng.integers(0, 5))]
        if pool <= size:
            cases.append((size, pool, stride))
    hint = (
        "(W - F) // S + 1, stride가 None이면 S = pool_size / "
        "(W - F) // S + 1, with S = pool_size when stride is None"
    )
    expect_matches(student.pool_output_size, cases, keras_values.pool_size, hint)


@check(points=1, cell="pool_output_size")
def test_pool_rejects_invalid_arguments(student):
    """잘못된 인자에 ValueError / ValueError for impossible arguments"""
    func = student.pool_output_size
    hint = (
        "input_size, pool_size, stride > 0이고 pool_size <= input_size인지 확인하세요 / "
        "check input_size, pool_size and stride > 0 and pool_size <= input_size"
    )
    expect_raises(ValueError, func, 1, 2, hint=hint)
    expect_raises(ValueError, func, 0, 2, hint=hint)
    expect_raises(ValueError, func, 28, 0, hint=hint)
    expect_raises(ValueError, func, 28, 2, 0, hint=hint)


@check(points=1, cell="conv_param_count", self_check=True)
def test_lecture_parameter_counts(student):
    """강의 모델의 파라미터 수 320, 18496, 73856 / the lecture's parameter counts"""
    lecture = {(1, 32, 3): 320, (32, 64, 3): 18496, (64, 128, 3): 73856}
    hint = (
        "필터마다 가중치 F*F*C개와 편향 1개가 있습니다 / each filter has F*F*C weights and one bias"
    )
    expect_values(student.conv_param_count, lecture, hint)


@check(points=1, cell="conv_param_count")
def test_parameter_counts_match_keras(student, rng):
    """Keras count_params()와 일치 / agrees with Conv2D.count_params()"""
    cases: list[tuple[int, int, int | tuple[int, int]]] = [
        (int(rng.integers(1, 65)), int(rng.integers(1, 129)), int(rng.integers(1, 8)))
        for _ in range(20)
    ]
    cases += [(3, 16, (3, 5)), (8, 4, (1, 7))]
    hint = (
        "kernel_size는 int이거나 (height, width)일 수 있습니다; 필터마다 편향 1개를 더하세요 / "
        "kernel_size may be an int or (height, width); add one bias per filter"
    )
    expect_matches(student.conv_param_count, cases, keras_values.param_count, hint)
