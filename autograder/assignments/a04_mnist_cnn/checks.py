"""Hidden checks for 04_mnist_cnn: preprocessing, the two models, and their test accuracy.

Models are judged through Keras 3's public API only (:mod:`.models`).

Accuracy is measured on all 10,000 MNIST test images, which the student's
kernel cannot read while graded (``source_data.grading_view``): the grader
replays the student's ``preprocess`` on them (:func:`replayed_preprocess`).
The tiers are measured on the model's recipe as the grader trains it again
itself (``models.graded_accuracy``, :mod:`autograder.checks.replay`): the same configuration
from fresh weights, compiled as the notebook compiled it, fitted as the
notebook's ``fit`` calls asked, on the 60,000 training images scaled as
``preprocess`` scales them; the report shows the accuracy of the model the
notebook trained beside it. Each accuracy tier is a check of its own, so
partial credit is the number of tiers reached:

* CNN (4 points): 0.975, 0.980, 0.985, 0.990. The floor is the lecture's
  784-512-10 MLP (0.9816 in the lecture, 0.975 for full MLP marks here): a
  CNN that does no better than the MLP has gained nothing from convolution.
* MLP (2 points): 0.960, 0.975. Under 0.96 the MLP is barely better than
  logistic regression (about 0.92) and is undertrained.

Grading is deterministic on one machine: the grader trains under a fixed
seed with TensorFlow's op determinism on one thread (as the notebook's
locked first cell does), so re-grading a notebook gives the same accuracy
to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pytest

from autograder import assignments
from autograder.checks import replay
from autograder.checks.api import StudentCodeError, check, describe, expect
from autograder.checks.figures import classifier_figure
from autograder.checks.models import (
    Accuracy,
    all_layers,
    expect_compiled_loss,
    expect_compiled_model,
    expect_tier,
    expect_within_budget,
    graded_accuracy,
    keras_module,
    pixel_scaling,
    predict,
    predictions_once,
)

MLP_PARAMETERS = 784 * 512 + 512 + 512 * 10 + 10  # the lecture's 784-512-10 network


@cache
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test images (uint8) and labels: the grader's alone while grading."""
    from source_data.course_data import load_mnist

    return load_mnist()[1]


@cache
def mnist_training() -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 MNIST training images (uint8) and labels, which the notebook has too."""
    from source_data.course_data import load_mnist_training

    return load_mnist_training()


@dataclass(frozen=True)
class Scaling:
    """Every pixel scaled alike, ``a * x + b``, into the (N, 28, 28, 1) float32 a model takes."""

    a: float = 1 / 255
    b: float = 0.0

    def __call__(self, images: np.ndarray) -> np.ndarray:
        if self == SCALED:  # to the bit as the notebook divides: the grader trains on it too
            return (images.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
        scaled = self.a * images.astype(np.float64) + self.b
        return scaled.astype(np.float32).reshape(-1, 28, 28, 1)


SCALED = Scaling()  # what preprocess must do: divide by 255


def replayed_preprocess(student: Any) -> Scaling:
    """The student's ``preprocess``, replayed by the grader for the test and training images.

    The test images never enter the kernel, where ``preprocess`` runs. So it
    is called on training images, which the kernel has anyway, and where it
    scales every pixel alike (``a * x + b``: /255, standardisation, none) the
    grader applies the same scaling to the test images and to the training
    images it trains the recipe on; anything else is replaced by the scaling
    ``preprocess`` must do (its own checks say so).
    """
    x = mnist_training()[0][:200]
    fit = pixel_scaling(student, x)
    if fit is None or np.allclose(SCALED(x).ravel(), fit.output, rtol=1e-6, atol=1e-7):
        return SCALED  # the scaling preprocess must do, or /255 itself, to the bit
    return Scaling(fit.a, fit.b)


@lru_cache(maxsize=1)
def training_set(scaling: Scaling) -> replay.TrainingSet:
    """The 60,000 training images, scaled as the student's ``preprocess`` does, and labels."""
    x, y = mnist_training()
    return replay.TrainingSet(scaling(x), y)


def expect_categorical_loss(model: Any, name: str) -> None:
    """Expect the model to be compiled with categorical crossentropy."""
    expect_compiled_loss(
        model,
        name,
        "categorical_crossentropy",
        "encode_labels의 원-핫 레이블에는 categorical crossentropy를 씁니다 / "
        "one-hot labels from encode_labels go with categorical crossentropy",
    )


INPUT_HINT = (
    "모델의 입력은 preprocess의 출력 (N, 28, 28, 1)과 맞아야 합니다 / "
    "the model's input must match preprocess's output, (N, 28, 28, 1)"
)


def test_predictions(student: Any, model_name: str) -> np.ndarray:
    """A trained model's class scores for the 10,000 test images, through ``preprocess``."""
    return predictions_once(student, model_name, lambda: _predict_test_set(student, model_name))


def _predict_test_set(student: Any, model_name: str) -> np.ndarray:
    x = replayed_preprocess(student)(mnist_test()[0])
    return predict(getattr(student, model_name), x, model_name, INPUT_HINT)


def measure_accuracy(student: Any, model_name: str) -> float:
    """Accuracy of a trained model of the student's on the full MNIST test set."""
    return test_accuracy(model_name, test_predictions(student, model_name))


def test_accuracy(model_name: str, predictions: np.ndarray) -> float:
    """Accuracy of a model's class scores for the 10,000 test images."""
    _, y_test = mnist_test()
    expect(
        predictions.shape == (len(y_test), 10),
        expected=f"{model_name} to predict 10 class scores per image",
        found=f"predictions of shape {predictions.shape}",
        hint="모델의 마지막 층을 Dense(10, activation='softmax')로 하세요 / "
        "end the model with Dense(10, activation='softmax')",
    )
    return float(np.mean(predictions.argmax(axis=1) == y_test))


def graded_model_accuracy(student: Any, model_name: str, builder: str, floor: float) -> Accuracy:
    """A trained model's test accuracy, and its recipe's as the grader trains it (graded)."""
    expect_within_budget(student, model_name)  # first: over the budget, nothing else is asked of the kernel
    scaling = replayed_preprocess(student)
    x_test, y_test = mnist_test()

    def measure(model: Any) -> float:
        if model is getattr(student, model_name):
            return measure_accuracy(student, model_name)
        return test_accuracy(model_name, predict(model, scaling(x_test), model_name, INPUT_HINT))

    floor_sample = (scaling(x_test[:1000]), y_test[:1000], floor)
    budget = assignments.get("04_mnist_cnn").cpu_budget or 0
    return graded_accuracy(
        student, model_name, builder, training_set(scaling), measure, floor_sample, budget
    )


@pytest.fixture(scope="module")
def cnn_accuracy(student) -> Accuracy:
    """The trained CNN's (``model``) test accuracy, measured once per grading run."""
    return graded_model_accuracy(student, "model", "build_cnn", CNN_TIERS[0])


@pytest.fixture(scope="module")
def mlp_accuracy(student) -> Accuracy:
    """The trained MLP's (``mlp``) test accuracy, measured once per grading run."""
    return graded_model_accuracy(student, "mlp", "build_mlp", MLP_TIERS[0])


TIER_HINT = (
    "예산 안에서 더 오래 학습하거나 모델을 개선하세요 (노트북 참고) / "
    "train longer within the budget, or improve the model (see the notebook)"
)
CNN_TIERS = (0.975, 0.980, 0.985, 0.990)
MLP_TIERS = (0.960, 0.975)


@check(points=1, cell="preprocess", self_check=True)
def test_preprocess_shape_and_dtype(student):
    """(N, 28, 28, 1) float32 반환 / returns (N, 28, 28, 1) float32"""
    x = mnist_training()[0][:5]
    result = student.preprocess(x)
    expect(
        isinstance(result, np.ndarray) and result.shape == (5, 28, 28, 1),
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
def test_preprocess_scales_pixels_to_unit_range(student):
    """픽셀 값을 0–1로 / pixel values scaled to [0, 1]"""
    x = mnist_training()[0][:50]
    result = np.asarray(student.preprocess(x), dtype=np.float64).reshape(-1)
    scaled = x.reshape(-1) / 255.0
    expect(
        result.shape == scaled.shape and np.allclose(result, scaled, atol=1e-6),
        expected="every pixel divided by 255, so values lie in [0, 1]",
        found=f"values from {result.min():g} to {result.max():g}",
        hint="float32로 변환한 뒤 255로 나누세요 / divide by 255 after converting to float32",
    )


@check(points=1, cell="preprocess", self_check=True)
def test_encode_labels_one_hot(student):
    """레이블을 원-핫 (N, 10)으로 / labels one-hot encoded, (N, 10)"""
    labels = mnist_training()[1][:100]
    result = np.asarray(student.encode_labels(labels))
    expect(
        result.shape == (100, 10) and np.array_equal(result, np.eye(10)[labels]),
        expected="one-hot rows of shape (100, 10) for 100 labels",
        found=describe(result),
        hint="keras.utils.to_categorical(y, 10)이나 과제 3의 one_hot을 쓰세요 / "
        "keras.utils.to_categorical(y, 10), or your one_hot from assignment 3",
    )


@check(points=1, cell="build_mlp", self_check=True)
def test_mlp_is_the_784_512_10_network(student):
    """강의의 784-512-10 MLP / the lecture's 784-512-10 MLP"""
    mlp = student.build_mlp()
    expect_compiled_model(mlp, "build_mlp()")
    output = predict(mlp, np.zeros((2, 28, 28, 1), np.float32), "build_mlp()", INPUT_HINT)
    expect(
        output.shape == (2, 10) and mlp.count_params() == MLP_PARAMETERS,
        expected=f"a 784-512-10 network: output (2, 10), {MLP_PARAMETERS:,} parameters",
        found=f"output {output.shape}, {mlp.count_params():,} parameters",
        hint="(28, 28, 1) 입력을 Flatten()한 뒤 Dense(512, relu)와 Dense(10, softmax)를 두세요 / "
        "Flatten() the (28, 28, 1) input, then Dense(512, relu) and Dense(10, softmax)",
    )


@check(points=1, cell="build_mlp")
def test_mlp_compiled_with_categorical_crossentropy(student):
    """MLP의 손실 함수 / the MLP's loss"""
    expect_categorical_loss(student.build_mlp(), "build_mlp()")


@check(points=1, cell="build_cnn")
def test_cnn_has_convolution_and_pooling(student):
    """Conv2D와 풀링 층 / has Conv2D and pooling layers"""
    keras = keras_module()
    cnn = student.build_cnn()
    expect_compiled_model(cnn, "build_cnn()")
    kinds = {type(layer).__name__ for layer in all_layers(cnn)}
    has_conv = any(isinstance(layer, keras.layers.Conv2D) for layer in all_layers(cnn))
    has_pool = any("Pooling2D" in kind for kind in kinds)
    expect(
        has_conv and has_pool,
        expected="at least one Conv2D and one pooling layer (MaxPooling2D, ...)",
        found=f"layers {sorted(kinds)}",
        hint="CNN은 합성곱 + 풀링입니다; 강의의 모델에서 시작하면 좋습니다 / "
        "a CNN is convolution + pooling; the lecture's model is a good start",
    )


@check(points=1, cell="build_cnn", self_check=True)
def test_cnn_outputs_a_10_way_softmax(student):
    """10개 클래스 softmax 출력 / outputs a 10-way softmax"""
    cnn = student.build_cnn()
    expect_compiled_model(cnn, "build_cnn()")
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    output = predict(cnn, x, "build_cnn()", INPUT_HINT)
    sums = output.sum(axis=-1) if output.ndim == 2 else np.array([np.nan])
    expect(
        output.shape == (4, 10) and np.allclose(sums, 1.0, atol=1e-4) and output.min() >= 0,
        expected="10 probabilities per image that sum to 1 (softmax)",
        found=f"output {output.shape}, row sums {np.round(sums, 3).tolist()}",
        hint="마지막 층은 Dense(10, activation='softmax')입니다; "
        "sigmoid는 합이 1이 되지 않습니다 / "
        "the last layer is Dense(10, activation='softmax'); sigmoid does not sum to 1",
    )


@check(points=1, cell="build_cnn")
def test_cnn_compiled_with_categorical_crossentropy(student):
    """CNN의 손실 함수 / the CNN's loss"""
    expect_categorical_loss(student.build_cnn(), "build_cnn()")


@check(points=1, cell="cnn_accuracy")
@pytest.mark.parametrize("tier", CNN_TIERS)
def test_cnn_accuracy_at_least(cnn_accuracy, tier):
    """CNN 테스트 정확도 ≥ {tier} / CNN test accuracy ≥ {tier}"""
    expect_tier(cnn_accuracy, tier, "model's accuracy on the 10,000 test images", TIER_HINT)


@check(points=1, cell="mlp_accuracy")
@pytest.mark.parametrize("tier", MLP_TIERS)
def test_mlp_accuracy_at_least(mlp_accuracy, tier):
    """MLP 테스트 정확도 ≥ {tier} / MLP test accuracy ≥ {tier}"""
    expect_tier(mlp_accuracy, tier, "mlp's accuracy on the 10,000 test images", TIER_HINT)


def mnist_figure(student: Any, model_name: str, history_name: str) -> bytes:
    """The feedback picture of a trained model on the test images."""
    x_test, y_test = mnist_test()
    predicted = test_predictions(student, model_name).argmax(axis=1)
    return classifier_figure(
        x_test,
        y_test,
        predicted,
        [str(digit) for digit in range(10)],
        student.objects.get(history_name),
        f"{model_name} on the 10,000 test images",
    )


FEEDBACK_FIGURES = {
    "cnn_accuracy": lambda student: mnist_figure(student, "model", "history"),
    "mlp_accuracy": lambda student: mnist_figure(student, "mlp", "mlp_history"),
}
