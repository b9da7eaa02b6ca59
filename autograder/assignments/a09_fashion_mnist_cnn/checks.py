"""Hidden checks for 09_fashion_mnist_cnn: the CNN slides' Fashion-MNIST exercise.

The label names, the preprocessing and the CNN are checked on data the
checks make (no Fashion-MNIST needed); the trained model is measured on
Fashion-MNIST's 10,000 test images, which the kernel cannot read while
graded (``source_data.grading_view``), once it is shown to be learnt in the
graded run (``models.expect_own_model``). Models are judged through Keras 3's
public API (:mod:`.models`).

The tiers are published results, one point each:

* 0.8735: the slides' own model after its 5 epochs (the lecture's run);
* 0.8833: an MLP (256-128-100), in the benchmark table of Zalando's
  repository (zalandoresearch/fashion-mnist, README): a CNN should beat it;
* 0.903: "2 Conv+pooling+ELU activation", a small two-convolution CNN, in the
  same table (Zalando's own "2 Conv+pooling" rows read 0.876 and 0.916).

``benchmarks/fashion_mnist.py`` measures the reference where the data is.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

from autograder.checks.api import CheckFailed, StudentCodeError, check, describe, expect
from autograder.checks.figures import classifier_figure
from autograder.checks.models import (
    all_layers,
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

TIERS = (0.8735, 0.8833, 0.903)
# The slides' label names, in label order (Zalando's README lists the same).
SLIDES_LABELS = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
IMAGE_SHAPE = (28, 28, 1)


@cache
def fashion_test() -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's 10,000 test images (uint8) and labels: the grader's alone while grading."""
    from source_data.course_data import load_fashion_mnist

    return load_fashion_mnist()[1]


def made_images(n: int, seed: int) -> np.ndarray:
    """``n`` uint8 images of 28x28, every grey level among them."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[0, 0, :2] = (0, 255)
    return images


def scaled(x: np.ndarray) -> np.ndarray:
    """Images as ``preprocess`` must return them: (N, 28, 28, 1) float32 in [0, 1]."""
    return (np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, *IMAGE_SHAPE)


INPUT_HINT = (
    "모델의 입력은 preprocess의 출력 (N, 28, 28, 1)과 맞아야 합니다 / "
    "the model's input must match preprocess's output, (N, 28, 28, 1)"
)


@check(points=1, cell="labels", self_check=True)
def test_label_names_are_the_slides(student):
    """슬라이드의 레이블 이름 10개, 레이블 순서대로 / the slides' 10 label names, in label order"""
    names = student.raw("LABEL_NAMES")
    found = list(names) if isinstance(names, list | tuple) else names
    wrong = (
        [i for i, (a, b) in enumerate(zip(found, SLIDES_LABELS, strict=True)) if a != b]
        if isinstance(found, list) and len(found) == len(SLIDES_LABELS)
        else None
    )
    expect(
        wrong == [],
        expected="the slides' 10 names, the name of label i at index i",
        found=describe(names) if wrong is None else f"other names at labels {wrong}",
        hint="슬라이드의 fashion_mnist_labels: 0 T-shirt/top, 1 Trouser, ..., 9 Ankle boot / "
        "the slides' fashion_mnist_labels: 0 T-shirt/top, 1 Trouser, ..., 9 Ankle boot",
    )


@check(points=1, cell="labels", self_check=True)
def test_label_names_name_the_most_probable_class(student):
    """각 행에서 확률이 가장 큰 클래스의 이름 / each row's most probable class, by name"""
    names = student.raw("LABEL_NAMES")
    rng = np.random.default_rng(11)
    raw = rng.uniform(0.0, 1.0, (12, 10))
    probabilities = raw / raw.sum(axis=1, keepdims=True)
    result = student.label_names(probabilities)
    found = list(result) if isinstance(result, list | tuple | np.ndarray) else None
    try:
        wanted = [names[int(i)] for i in probabilities.argmax(axis=1)]
    except (TypeError, IndexError, KeyError):
        raise CheckFailed(
            expected="LABEL_NAMES to hold a name for each of the 10 labels",
            found=describe(names),
            hint="LABEL_NAMES는 이름 10개의 리스트입니다 / LABEL_NAMES is a list of 10 names",
        ) from None
    expect(
        found is not None and [str(f) for f in found] == wanted,
        expected=f"label_names(<12 rows of probabilities>) to give LABEL_NAMES[argmax] of each "
        f"row, such as {wanted[:2]}",
        found=describe(result) if found is None else f"{[str(f) for f in found][:2]} ...",
        hint="슬라이드처럼 LABEL_NAMES[np.argmax(row)]: 가장 큰 확률의 번호입니다 / as the slides: "
        "LABEL_NAMES[np.argmax(row)], the index of the largest probability",
    )


@check(points=1, cell="preprocess", self_check=True)
def test_preprocess_shape_and_dtype(student):
    """(N, 28, 28, 1) float32 반환 / returns (N, 28, 28, 1) float32"""
    result = student.preprocess(made_images(5, 1))
    expect(
        isinstance(result, np.ndarray) and result.shape == (5, *IMAGE_SHAPE),
        expected="shape (5, 28, 28, 1) for 5 images: Conv2D needs a channel axis",
        found=describe(result),
        hint="x.reshape(-1, 28, 28, 1)이나 x[..., np.newaxis]를 쓰세요 / "
        "x.reshape(-1, 28, 28, 1) or x[..., np.newaxis]",
    )
    expect(
        result.dtype == np.float32,
        expected="dtype float32",
        found=f"dtype {result.dtype}",
        hint=".astype('float32')를 쓰세요 / .astype('float32')",
    )


@check(points=1, cell="preprocess")
def test_preprocess_scales_pixels_once_to_unit_range(student):
    """픽셀 값을 한 번 255로 나눠 0–1로 / pixels divided by 255 once, into [0, 1]"""
    x = made_images(20, 2)
    result = np.asarray(student.preprocess(x), dtype=np.float64).reshape(-1)
    expected = x.reshape(-1) / 255.0
    expect(
        result.shape == expected.shape and np.allclose(result, expected, atol=1e-6),
        expected="every pixel divided by 255, so values lie in [0, 1]",
        found=f"values from {result.min():g} to {result.max():g}" if result.size else "none",
        hint="float32로 바꾼 뒤 255로 한 번만 나누세요 / divide by 255 once, after converting "
        "to float32",
    )


@check(points=1, cell="preprocess", self_check=True)
def test_encode_labels_one_hot(student):
    """레이블을 원-핫 (N, 10)으로 / labels one-hot encoded, (N, 10)"""
    labels = np.random.default_rng(4).integers(0, 10, 100).astype(np.uint8)
    labels[:10] = np.arange(10)
    result = np.asarray(student.encode_labels(labels))
    expect(
        result.shape == (100, 10) and np.array_equal(result, np.eye(10)[labels]),
        expected="one-hot rows of shape (100, 10) for 100 labels",
        found=describe(result),
        hint="keras.utils.to_categorical(y, 10)을 쓰세요 / keras.utils.to_categorical(y, 10)",
    )


def built_cnn(student: Any) -> Any:
    cnn = student.build_cnn()
    expect_compiled_model(cnn, "build_cnn()")
    return cnn


@check(points=1, cell="build_cnn")
def test_cnn_has_convolution_and_pooling(student):
    """Conv2D와 풀링 층 / has Conv2D and pooling layers"""
    keras = keras_module()
    cnn = built_cnn(student)
    layers = all_layers(cnn)
    kinds = {type(layer).__name__ for layer in layers}
    expect(
        any(isinstance(layer, keras.layers.Conv2D) for layer in layers)
        and any("Pooling2D" in kind for kind in kinds),
        expected="at least one Conv2D and one pooling layer (MaxPooling2D, ...)",
        found=f"layers {sorted(kinds)}",
        hint="CNN은 합성곱 + 풀링입니다; 슬라이드의 모델에서 시작하면 좋습니다 / "
        "a CNN is convolution + pooling; the slides' model is a good start",
    )


@check(points=1, cell="build_cnn", self_check=True)
def test_cnn_outputs_a_10_way_softmax(student):
    """10개 클래스 softmax 출력 / outputs a 10-way softmax"""
    cnn = built_cnn(student)
    x = np.random.default_rng(0).random((4, *IMAGE_SHAPE), dtype=np.float32)
    output = predict(cnn, x, "build_cnn()", INPUT_HINT)
    sums = output.sum(axis=-1) if output.ndim == 2 else np.array([np.nan])
    expect(
        output.shape == (4, 10) and np.allclose(sums, 1.0, atol=1e-4) and output.min() >= 0,
        expected="10 probabilities per image that sum to 1 (softmax)",
        found=f"output {output.shape}, row sums {np.round(sums, 3).tolist()}",
        hint="마지막 층은 Dense(10, activation='softmax')입니다 / the last layer is "
        "Dense(10, activation='softmax')",
    )


@check(points=1, cell="build_cnn")
def test_cnn_compiled_with_categorical_crossentropy(student):
    """CNN의 손실 함수 / the CNN's loss"""
    expect_compiled_loss(
        built_cnn(student),
        "build_cnn()",
        "categorical_crossentropy",
        "encode_labels의 원-핫 레이블에는 categorical crossentropy를 씁니다 / "
        "one-hot labels from encode_labels go with categorical crossentropy",
    )


def replayed_preprocess(student: Any):
    """The student's ``preprocess`` where it scales every pixel alike, else the right one.

    It is called on images the checks make (the test images never enter
    the kernel); its scaling ``a * x + b`` is then applied to the test images.
    """
    fit = pixel_scaling(student, made_images(50, 5))
    if fit is None:
        return scaled
    return lambda images: (
        (fit.a * np.asarray(images, dtype=np.float64) + fit.b)
        .astype(np.float32)
        .reshape(-1, *IMAGE_SHAPE)
    )


def predictions_on_test_images(student: Any) -> np.ndarray:
    """The trained model's class scores for the 10,000 test images, through ``preprocess``."""

    def compute() -> np.ndarray:
        return predict(student.model, replayed_preprocess(student)(fashion_test()[0]), "model", INPUT_HINT)

    return predictions_once(student, "model", compute)


@pytest.fixture(scope="module")
def fashion_accuracy(student) -> float:
    """The trained CNN's accuracy on the 10,000 test images, measured once per grading run."""
    expect_within_budget(student, "model")
    x_test, y_test = fashion_test()
    sample = replayed_preprocess(student)(x_test[:1000]), y_test[:1000]
    expect_own_model(student, "model", "build_cnn", sample, TIERS[0])
    predictions = predictions_on_test_images(student)
    expect(
        predictions.shape == (len(y_test), 10),
        expected="model to predict 10 class scores per image",
        found=f"predictions of shape {predictions.shape}",
        hint="마지막 층은 Dense(10, activation='softmax')입니다 / the last layer is "
        "Dense(10, activation='softmax')",
    )
    return float(np.mean(predictions.argmax(axis=1) == y_test))


@check(points=1, cell="fashion_accuracy")
@pytest.mark.parametrize("tier", TIERS)
def test_fashion_accuracy_at_least(fashion_accuracy, tier):
    """테스트 정확도 ≥ {tier} / test accuracy ≥ {tier}"""
    expect_tier(
        fashion_accuracy,
        tier,
        "model's accuracy on the 10,000 test images",
        "예산 안에서 더 오래 학습하거나 모델을 개선하세요 (노트북 참고) / "
        "train longer within the budget, or improve the model (see the notebook)",
    )


def fashion_figure(student: Any) -> bytes:
    """The feedback picture of the trained model on the test images."""
    x_test, y_test = fashion_test()
    return classifier_figure(
        x_test,
        y_test,
        predictions_on_test_images(student).argmax(axis=1),
        SLIDES_LABELS,
        student.objects.get("history"),
        "model on Fashion-MNIST's 10,000 test images",
    )


FEEDBACK_FIGURES = {"fashion_accuracy": fashion_figure}
