"""Hidden checks for 07_digits_cnn: the Keras digits post, rebuilt in today's Keras.

The post splits scikit-learn's 1,797 digits (8x8, values 0-16) with
``train_test_split(test_size=0.3, random_state=777)``, trains a small CNN for
100 epochs and reports a test accuracy of 0.972. Its code no longer runs as
written (``keras.utils.np_utils``, ``Adam(lr=...)``, ``history['acc']``): the
checks of ``encode_labels``, ``build_model`` and ``accuracy_curves`` are
where those breakages cost points.

The model is judged by behaviour through Keras's public API: its weight
shapes, then what it computes with random weights set in the judge's own
copy, against a NumPy forward pass of the post's network (so ``Conv2D(...,
activation="relu")`` and a separate ``Activation("relu")`` are the same
answer; average pooling or a missing ReLU is not).

Accuracy is measured on the post's 540 test images, which the kernel cannot
read while graded (``source_data.grading_view`` and the sandbox's hiding of
scikit-learn's copy), with the trained model the kernel sends, once it is
shown to be learnt in the graded run (``models.expect_own_model``), one
point per tier. The reference (the post's code, fixed for Keras 3) reached
0.9648-0.9796 on the test images over nine seeds (benchmarks/digits.md); every
tier lies below all of them, and the post itself reports 0.972:

* 0.94, 0.95 and 0.96.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pytest

from autograder.checks.api import StudentCodeError, check, describe, expect
from autograder.checks.figures import classifier_figure
from autograder.checks.models import (
    expect_compiled_loss,
    expect_compiled_model,
    expect_own_model,
    expect_tier,
    expect_within_budget,
    keras_module,
    pixel_scaling,
    predict,
    predictions_once,
)

TIERS = (0.94, 0.95, 0.96)
IMAGE_SHAPE = (8, 8, 1)
TEST_SIZE, RANDOM_STATE, DIGITS = 0.3, 777, 1797  # the post's split of all the digits
# The post's network: Conv2D(10, 3x3, valid), ReLU, MaxPooling2D(2x2), Flatten, Dense(50, relu),
# Dense(10, softmax); its weights in Keras's order.
POSTS_WEIGHT_SHAPES = [(3, 3, 1, 10), (10,), (90, 50), (50,), (50, 10), (10,)]
POSTS_PARAMETERS = sum(int(np.prod(shape)) for shape in POSTS_WEIGHT_SHAPES)  # 5,160
LEARNING_RATE = 0.001


@cache
def digits_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """One side of the post's split (the test side is the grader's alone while grading)."""
    from source_data.course_data import load_digits_split

    return load_digits_split(split)


def as_posted(images: np.ndarray) -> np.ndarray:
    """Images as the post feeds them to its model: (N, 8, 8, 1) float32, values 0-16."""
    return np.asarray(images, dtype=np.float32).reshape(-1, *IMAGE_SHAPE)


def replayed_preprocess(student: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The student's ``preprocess``, replayed by the grader for the test images.

    The test images never enter the kernel. ``preprocess`` is called on
    training images, which the kernel has, and where it scales every pixel
    alike (``a * x + b``: none, /16) the grader applies the same scaling to
    the test images; anything else is replaced by the post's (none).
    """
    fit = pixel_scaling(student, digits_split("train")[0][:200])
    if fit is None:
        return as_posted
    return lambda images: as_posted(fit.a * np.asarray(images, dtype=np.float64) + fit.b)


INPUT_HINT = (
    "모델의 입력은 preprocess의 출력 (N, 8, 8, 1)과 맞아야 합니다 / "
    "the model's input must match preprocess's output, (N, 8, 8, 1)"
)


def posts_network(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """The post's network in NumPy: what its model computes from ``x`` with these weights."""
    kernel, bias, dense_w, dense_b, out_w, out_b = (w.astype(np.float64) for w in weights)
    n = len(x)
    windows = np.lib.stride_tricks.sliding_window_view(x[..., 0], (3, 3), axis=(1, 2))
    features = np.einsum("nijuv,uvf->nijf", windows, kernel[:, :, 0, :]) + bias  # valid, 6x6
    features = np.maximum(features, 0.0)
    pooled = features.reshape(n, 3, 2, 3, 2, 10).max(axis=(2, 4))  # 2x2 max pooling, 3x3
    hidden = np.maximum(pooled.reshape(n, 90) @ dense_w + dense_b, 0.0)  # Flatten, channels last
    logits = hidden @ out_w + out_b
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def weight_shapes(model: Any) -> list[tuple[int, ...]]:
    return [tuple(int(n) for n in w.shape) for w in model.get_weights()]


LAYERS_HINT = (
    "Conv2D(10, (3, 3), padding='valid') → ReLU → MaxPooling2D((2, 2)) → Flatten → "
    "Dense(50, relu) → Dense(10, softmax), 입력 (8, 8, 1) / input (8, 8, 1)"
)


@check(points=1, cell="preprocess", self_check=True)
def test_preprocess_adds_the_channel_axis(student):
    """(N, 8, 8, 1) float32 반환 / returns (N, 8, 8, 1) float32"""
    x = digits_split("train")[0][:5]
    result = student.preprocess(x)
    expect(
        isinstance(result, np.ndarray) and result.shape == (5, *IMAGE_SHAPE),
        expected="shape (5, 8, 8, 1) for 5 images: Conv2D wants a channel axis, last",
        found=describe(result),
        hint="images.reshape(-1, 8, 8, 1)이나 images[..., np.newaxis]를 쓰세요; (N, 64)는 MLP의 "
        "입력입니다 / images.reshape(-1, 8, 8, 1) or images[..., np.newaxis]; (N, 64) is an "
        "MLP's input",
    )
    expect(
        result.dtype == np.float32,
        expected="dtype float32",
        found=f"dtype {result.dtype}",
        hint=".astype('float32')를 쓰세요 / .astype('float32')",
    )


@check(points=1, cell="preprocess")
def test_preprocess_keeps_the_digits_values(student):
    """픽셀 값 0–16 그대로, 또는 16으로 나눠서 / pixel values kept 0-16, or divided by 16"""
    x = digits_split("train")[0][:50]
    result = np.asarray(student.preprocess(x), dtype=np.float64)
    pixels = x.reshape(-1)
    found = result.reshape(-1) if result.size == pixels.size else None
    kept = found is not None and any(
        np.allclose(found, pixels / scale, atol=1e-6) for scale in (1.0, 16.0)
    )
    expect(
        kept,
        expected="each pixel as load_digits gives it (0-16), or divided by 16 (0-1), in place",
        found="other values"
        if found is None
        else f"values from {found.min():g} to {found.max():g}",
        hint="digits의 최댓값은 16입니다: 255로 나누면 0–0.063이 됩니다 / the digits' pixels go up "
        "to 16, not 255: divided by 255 they only reach 0.063",
    )


@check(points=1, cell="preprocess", self_check=True)
def test_encode_labels_has_ten_columns_for_any_batch(student):
    """묶음에 9가 없어도 (N, 10) 원-핫 / (N, 10) one-hot even without a 9 in the batch"""
    labels = np.array([3, 0, 8, 1, 5, 2, 7, 4, 6, 0])  # no 9, as in many a batch
    result = np.asarray(student.encode_labels(labels))
    expect(
        result.shape == (10, 10) and np.array_equal(result, np.eye(10)[labels]),
        expected="one-hot rows of 10 columns for labels 0-8 (no 9 among them)",
        found=describe(result),
        hint="to_categorical(labels)은 가장 큰 레이블로 열 수를 짐작합니다: "
        "keras.utils.to_categorical(labels, num_classes=10) / to_categorical(labels) guesses the "
        "columns from the largest label: keras.utils.to_categorical(labels, num_classes=10)",
    )


def stand_ins() -> tuple[np.ndarray, np.ndarray]:
    """1,797 stand-in images and labels, each image filled with its own number."""
    numbers = np.arange(DIGITS)
    return np.broadcast_to(numbers[:, None, None], (DIGITS, 8, 8)).astype(np.float64), numbers


def posts_split() -> list[np.ndarray]:
    from sklearn.model_selection import train_test_split

    return train_test_split(*stand_ins(), test_size=TEST_SIZE, random_state=RANDOM_STATE)


ORDER_HINT = (
    "train_test_split은 x_train, x_test, y_train, y_test 순서로 반환합니다 / "
    "train_test_split returns x_train, x_test, y_train, y_test, in that order"
)


def split_of(student: Any) -> list[Any]:
    parts = student.split_digits(*stand_ins())
    expect(
        isinstance(parts, list | tuple) and len(parts) == 4,
        expected="four arrays: x_train, x_test, y_train, y_test",
        found=describe(parts),
        hint=ORDER_HINT,
    )
    return [np.asarray(part) for part in parts]


@check(points=1, cell="split", self_check=True)
def test_split_has_the_posts_sizes(student):
    """1,257 / 540 (test_size=0.3) / the post's 1,257 / 540"""
    sizes = [len(part) for part in split_of(student)]
    expect(
        sizes == [1257, 540, 1257, 540],
        expected="x_train, x_test, y_train, y_test of 1257, 540, 1257 and 540 images",
        found=f"sizes {sizes}",
        hint="test_size=0.3, " + ORDER_HINT,
    )


@check(points=1, cell="split")
def test_split_is_the_posts_split(student):
    """random_state=777의 바로 그 분할 / the very split of random_state=777"""
    parts = split_of(student)
    same = all(
        a.shape == b.shape and np.array_equal(a, b)
        for a, b in zip(parts, posts_split(), strict=True)
    )
    expect(
        same,
        expected="the post's split: the same images in the same order on every run",
        found=f"other images or another order (first test numbers {parts[3][:5].tolist()})",
        hint="train_test_split(images, labels, test_size=0.3, random_state=777): random_state가 "
        "없으면 실행할 때마다 분할이 바뀝니다 / without random_state every run splits anew",
    )


def built_model(student: Any) -> Any:
    model = student.build_model()
    expect_compiled_model(model, "build_model()")
    return model


@check(points=1, cell="build_model", self_check=True)
def test_model_has_the_posts_layers(student):
    """글의 층: 5,160개의 파라미터 / the post's layers: 5,160 parameters"""
    model = built_model(student)
    output = predict(model, np.zeros((2, *IMAGE_SHAPE), np.float32), "build_model()", INPUT_HINT)
    shapes = weight_shapes(model)
    expect(
        output.shape == (2, 10) and shapes == POSTS_WEIGHT_SHAPES,
        expected=f"the post's network on (8, 8, 1) inputs: {POSTS_PARAMETERS:,} parameters, "
        f"weights {POSTS_WEIGHT_SHAPES}",
        found=f"output {output.shape}, {model.count_params():,} parameters, weights {shapes}",
        hint=LAYERS_HINT,
    )


@check(points=1, cell="build_model")
def test_model_computes_what_the_posts_network_computes(student):
    """같은 가중치로 글의 신경망과 같은 출력 / with the same weights, the post's outputs"""
    model = built_model(student)
    expect(
        weight_shapes(model) == POSTS_WEIGHT_SHAPES,
        expected="the post's weights, to compare what the model computes",
        found=f"weights {weight_shapes(model)}",
        hint=LAYERS_HINT,
    )
    rng = np.random.default_rng(7)
    weights = [rng.normal(0.0, 0.3, shape).astype(np.float32) for shape in POSTS_WEIGHT_SHAPES]
    model.set_weights(weights)
    x = rng.integers(0, 17, (16, *IMAGE_SHAPE)).astype(np.float32)
    found = predict(model, x, "build_model()", INPUT_HINT).astype(np.float64)
    expected = posts_network(x, weights)
    worst = float(np.max(np.abs(found - expected))) if found.shape == expected.shape else np.inf
    expect(
        worst <= 1e-4,
        expected="the post's outputs for the same weights and inputs (ReLU after the "
        "convolution, max pooling, ReLU in Dense(50), softmax)",
        found=f"outputs up to {worst:.3g} away from them",
        hint="합성곱 뒤의 Activation('relu'), MaxPooling2D(평균이 아닌 최대), Dense(50, "
        "activation='relu'), Dense(10, activation='softmax')를 확인하세요 / check the ReLU after "
        "the convolution, MaxPooling2D (max, not average), Dense(50, activation='relu') and "
        "Dense(10, activation='softmax')",
    )


@check(points=1, cell="build_model")
def test_model_compiled_as_the_post(student):
    """Adam(learning_rate=0.001)과 categorical crossentropy / Adam at 0.001, categorical loss"""
    keras = keras_module()
    model = built_model(student)
    expect_compiled_loss(
        model,
        "build_model()",
        "categorical_crossentropy",
        "원-핫 레이블에는 categorical crossentropy를 씁니다 / one-hot labels go with "
        "categorical crossentropy",
    )
    optimizer = model.optimizer
    try:
        rate: float | None = float(np.asarray(optimizer.learning_rate))
    except (TypeError, ValueError):
        rate = None  # a schedule
    expect(
        isinstance(optimizer, keras.optimizers.Adam)
        and rate is not None
        and abs(rate - LEARNING_RATE) <= 1e-6,
        expected="optimizer=keras.optimizers.Adam(learning_rate=0.001), as the post",
        found=f"{type(optimizer).__name__} with learning rate "
        + ("a schedule" if rate is None else f"{rate:g}"),
        hint="글의 Adam(lr=0.001)은 Keras 3에서 오류입니다: Adam(learning_rate=0.001) / the post's "
        "Adam(lr=0.001) is an error in Keras 3: Adam(learning_rate=0.001)",
    )


@check(points=1, cell="accuracy_curves", self_check=True)
def test_accuracy_curves_reads_todays_names(student):
    """Keras 3의 'accuracy'와 'val_accuracy' / Keras 3's 'accuracy' and 'val_accuracy'"""
    rng = np.random.default_rng(3)
    names = ("accuracy", "loss", "val_accuracy", "val_loss")
    history = {name: rng.uniform(0, 1, 7).round(4).tolist() for name in names}
    try:
        result = student.accuracy_curves(history)
    except StudentCodeError as error:
        if not isinstance(error.error, KeyError):
            raise
        result = error
    curves = None if isinstance(result, StudentCodeError) else result
    right = (
        isinstance(curves, list | tuple)
        and len(curves) == 2
        and [list(np.asarray(c, dtype=float)) for c in curves]
        == [history["accuracy"], history["val_accuracy"]]
    )
    expect(
        right,
        expected="(history['accuracy'], history['val_accuracy']) of a Keras 3 History",
        found=f"KeyError {result.error}" if curves is None else describe(curves),
        hint="Keras 2.3부터 'acc'는 'accuracy', 'val_acc'는 'val_accuracy'입니다 / since Keras 2.3 "
        "'acc' is 'accuracy' and 'val_acc' is 'val_accuracy'",
    )


def predictions_on_test_images(student: Any) -> np.ndarray:
    """The trained model's class scores for the 540 test images, through ``preprocess``."""

    def compute() -> np.ndarray:
        x = replayed_preprocess(student)(digits_split("test")[0])
        return predict(student.model, x, "model", INPUT_HINT)

    return predictions_once(student, "model", compute)


@pytest.fixture(scope="module")
def digits_accuracy(student) -> float:
    """The trained model's accuracy on the 540 test images, measured once per grading run."""
    expect_within_budget(student, "model")
    x_test, y_test = digits_split("test")
    sample = replayed_preprocess(student)(x_test[:200]), y_test[:200]
    expect_own_model(student, "model", "build_model", sample, TIERS[0])
    predictions = predictions_on_test_images(student)
    expect(
        predictions.shape == (len(y_test), 10),
        expected="model to predict 10 class scores per image",
        found=f"predictions of shape {predictions.shape}",
        hint="마지막 층은 Dense(10, activation='softmax')입니다 / the last layer is "
        "Dense(10, activation='softmax')",
    )
    return float(np.mean(predictions.argmax(axis=1) == y_test))


@check(points=1, cell="digits_accuracy")
@pytest.mark.parametrize("tier", TIERS)
def test_digits_accuracy_at_least(digits_accuracy, tier):
    """테스트 정확도 ≥ {tier} / test accuracy ≥ {tier}"""
    expect_tier(
        digits_accuracy,
        tier,
        "model's accuracy on the 540 test images",
        "글처럼 batch_size=50으로 100 에포크 훈련하세요 / train as the post does: 100 epochs, "
        "batch_size=50",
    )


def digits_figure(student: Any) -> bytes:
    """The feedback picture of the trained model on the test images."""
    x_test, y_test = digits_split("test")
    return classifier_figure(
        x_test,
        y_test,
        predictions_on_test_images(student).argmax(axis=1),
        [str(digit) for digit in range(10)],
        student.objects.get("history"),
        "model on the 540 test images of the post's split",
    )


FEEDBACK_FIGURES = {"digits_accuracy": digits_figure}
