"""Hidden checks for 03_one_hot: one-hot encoding as ``keras.utils.to_categorical`` does.

Values are compared with what Keras's own ``to_categorical`` returns,
computed here with NumPy so that grading never imports TensorFlow
(``tests/test_references.py`` holds the two equal). The dtype must be
float32, which Keras 2 returned and models train on (Keras 3 returns float64
for NumPy input, so the dtype is checked on its own, not against Keras).
Random labels are drawn afresh at every grading.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.checks.api import check, describe, expect, expect_raises


def to_categorical(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """``keras.utils.to_categorical`` for 1-D integer labels: rows of ``np.eye``."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    classes = int(labels.max()) + 1 if num_classes is None else num_classes
    return np.eye(classes)[labels]


def random_labels(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Labels of a random length over a random number of classes (not all classes present)."""
    num_classes = int(rng.integers(2, 13))
    return rng.integers(0, num_classes, size=int(rng.integers(1, 40))), num_classes


def as_array(result: Any) -> np.ndarray | None:
    """A returned value as an array of numbers, or None if it is not one (None, ragged lists)."""
    if result is None:
        return None
    try:
        return np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return None


def shape_of(raw: Any, result: np.ndarray | None) -> str:
    """A wrong result's shape, or what it is when it is no array (None, a list...)."""
    return describe(raw) if result is None else f"shape {result.shape}"


def first_wrong_row(raw: Any, reference: np.ndarray, labels: list[int]) -> str:
    """What differs: the shape, or (when the shape is right) the first row that is wrong."""
    result = as_array(raw)
    if result is None or result.shape != reference.shape:
        return shape_of(raw, result)
    wrong = np.flatnonzero(np.any(result != reference, axis=tuple(range(1, result.ndim))))
    if not len(wrong):
        return "the right values"
    row = int(wrong[0])
    values = np.asarray(result[row]).tolist()
    shown = f"{values}" if len(values) <= 12 else describe(np.asarray(result[row]))
    return (
        f"shape {result.shape} as expected, but row {row} (label {labels[row]}) is {shown} "
        f"({len(wrong)} of {len(result)} rows wrong)"
    )


# Every check but the one about lists passes arrays: a one_hot that needs an array loses
# that check's point only.


@check(points=1, cell="one_hot", self_check=True)
def test_mnist_label_five(student):
    """MNIST 예: 5 → [0 0 0 0 0 1 0 0 0 0] / the MNIST example"""
    raw = student.one_hot(np.array([5]), 10)
    result = as_array(raw)
    expect(
        result is not None
        and result.shape == (1, 10)
        and result.tolist() == [[0, 0, 0, 0, 0, 1, 0, 0, 0, 0]],
        expected="[[0 0 0 0 0 1 0 0 0 0]] for label 5 with 10 classes",
        found=f"{result.tolist()}" if result is not None and result.size <= 20 else describe(raw),
        hint="i번째 행에는 labels[i] 열에만 1이 하나 있습니다 / "
        "row i has a single 1, in column labels[i]",
    )


@check(points=1, cell="one_hot")
def test_matches_to_categorical(student, rng):
    """무작위 레이블에서 to_categorical과 같은 값 / same values as to_categorical"""
    for trial in range(30):
        labels, num_classes = random_labels(rng)
        given = num_classes if trial % 2 else None
        raw = student.one_hot(labels, given)
        result = as_array(raw)
        reference = to_categorical(labels, given)
        shaped = result is not None and result.shape == reference.shape
        expect(
            shaped and result is not None and np.array_equal(result, reference),
            expected=f"one_hot(<{len(labels)} labels>, num_classes={given}) to equal "
            "keras.utils.to_categorical",
            found=shape_of(raw, result) if not shaped else "other values",
            hint="num_classes=None이면 나오지 않는 클래스가 있어도 max(labels) + 1입니다 / "
            "num_classes=None means max(labels) + 1, even if some classes never appear",
        )


@check(points=1, cell="one_hot", self_check=True)
def test_returns_float32(student):
    """float32 반환 / returns float32"""
    result = student.one_hot(np.array([0, 2, 1]), 3)
    expect(
        isinstance(result, np.ndarray) and result.dtype == np.float32,
        expected="a float32 array (what Keras models train on)",
        found=describe(result),
        hint="np.zeros(..., dtype=np.float32)나 .astype(np.float32)를 쓰세요 / "
        "np.zeros(..., dtype=np.float32) or .astype(np.float32)",
    )


@check(points=1, cell="one_hot")
def test_accepts_list_array_and_column(student):
    """리스트·1차원 배열·(N, 1) 열 모두 처리 / accepts a list, a 1-D array and an (N, 1) column"""
    labels = [3, 0, 1, 3]
    reference = np.eye(4)[labels]
    for given in (labels, np.array(labels), np.array(labels).reshape(-1, 1)):
        raw = student.one_hot(given, 4)
        result = as_array(raw)
        kind = f"an ndarray of shape {given.shape}" if hasattr(given, "shape") else "a list"
        expect(
            result is not None and result.shape == (4, 4) and np.array_equal(result, reference),
            expected=f"shape (4, 4) and the right rows for labels {labels} given as {kind}",
            found=first_wrong_row(raw, reference, labels),
            hint="(N, 1) 열은 먼저 (N,)으로 펴세요. 예: np.asarray(labels).reshape(-1) / "
            "flatten an (N, 1) column to (N,) first, e.g. np.asarray(labels).reshape(-1)",
        )


@check(points=1, cell="one_hot")
def test_rejects_bad_labels(student):
    """음수·범위 밖·정수가 아닌 레이블에 ValueError / ValueError for bad labels"""
    hint = (
        "인코딩하기 전에 검사하세요: NumPy는 음수 인덱스를 조용히 뒤에서부터 셉니다 / "
        "validate before encoding: NumPy would silently wrap a negative index around"
    )
    expect_raises(ValueError, student.one_hot, np.array([0, -1, 2]), 3, hint=hint)
    expect_raises(ValueError, student.one_hot, np.array([0, 3]), 3, hint=hint)
    expect_raises(ValueError, student.one_hot, np.array([0.0, 1.5]), 3, hint=hint)


SELF_CHECK_LABELS = (np.array([3, 0, 9]), 10)  # the notebook's self-check


@check(points=1, cell="from_one_hot", self_check=True)
def test_from_one_hot_round_trip(student, rng):
    """to_categorical의 역변환 / inverts to_categorical"""
    for labels, num_classes in [SELF_CHECK_LABELS, *(random_labels(rng) for _ in range(20))]:
        raw = student.from_one_hot(to_categorical(labels, num_classes))
        result = as_array(raw)
        shaped = result is not None and result.shape == labels.shape
        expect(
            shaped and result is not None and np.array_equal(result, labels),
            expected=f"the {len(labels)} original labels back, shape ({len(labels)},)",
            found=shape_of(raw, result) if not shaped else "other labels",
            hint="각 행(ROW)의 argmax를 구하세요 (axis=1) / take the argmax of each ROW (axis=1)",
        )


@check(points=1, cell="from_one_hot", self_check=True)
def test_from_probabilities_gives_integer_labels(student):
    """softmax 확률에서 정수 레이블 / integer labels from softmax probabilities"""
    probabilities = np.array(
        [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]], np.float32
    )
    result = student.from_one_hot(probabilities)
    expect(
        isinstance(result, np.ndarray)
        and np.issubdtype(result.dtype, np.integer)
        and result.tolist() == [1, 0, 2, 1],
        expected="an integer array [1, 0, 2, 1] for four rows of probabilities",
        found=describe(result),
        hint="np.argmax는 정수 인덱스를 반환합니다; 반올림하거나 float로 바꾸지 마세요 / "
        "np.argmax returns integer indices; do not round or cast to float",
    )
