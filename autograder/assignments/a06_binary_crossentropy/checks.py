"""Hidden checks for 06_binary_crossentropy: the two losses, the two heads, the switch.

The NumPy losses are compared with ``keras.losses`` in float64 (Keras clips
predictions to [1e-7, 1 - 1e-7], so a prediction of exactly 0 or 1 costs
-log(1e-7), about 16.1, instead of infinity), within ``TOLERANCE``. Random
predictions stay in [0.02, 0.98], where clipping and ``log(p + eps)`` agree
with Keras to well under the tolerance: either way of guarding ``log(0)`` is
accepted.

Models are judged through Keras 3's public API only (:mod:`.models`). The
binary model's recipe, as the grader trains it again itself on the training
photos (``models.graded_accuracy``, :mod:`autograder.checks.replay`), is measured on the
PetImages hold-out split (``course_data.load_pet_arrays("holdout")``: 1,200
photos, those whose number is a multiple of 5, which the kernel cannot read
while graded), one point per tier; the report shows the accuracy of the
model the notebook trained beside it:

* 0.60, 0.65 and 0.68. The reference (a three-conv CNN, 10 epochs, about 70
  CPU seconds of training on one thread) reaches about 0.72; a model that
  predicts one class for everything scores 0.50, and 0.60 is the least a CNN
  that learned anything reaches within the budget.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

from autograder import assignments
from autograder.checks import replay
from autograder.checks.api import (
    CheckFailed,
    StudentCodeError,
    StudentFunction,
    check,
    describe,
    expect,
)
from autograder.checks.figures import classifier_figure
from autograder.checks.models import (
    Accuracy,
    expect_compiled_loss,
    expect_compiled_model,
    expect_tier,
    graded_accuracy,
    keras_module,
    predict,
)

TOLERANCE = 1e-6
INPUT_SHAPE = (50, 50, 1)


@cache
def pet_holdout() -> tuple[np.ndarray, np.ndarray]:
    """The PetImages hold-out images and labels, through the course's data loader."""
    from source_data.course_data import load_pet_arrays

    return load_pet_arrays("holdout")


def keras_categorical(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Keras's categorical crossentropy, mean over samples, in float64."""
    losses = keras_module().losses.categorical_crossentropy(y_true, y_pred)
    return float(np.mean(np.asarray(losses)))


def keras_binary(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Keras's binary crossentropy of (N,) labels and probabilities, mean over samples."""
    losses = keras_module().losses.binary_crossentropy(y_true[:, None], y_pred[:, None])
    return float(np.mean(np.asarray(losses)))


def random_categorical(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One-hot labels and softmax-like predictions in [0.02, 0.98], 2 to 5 classes."""
    n, classes = int(rng.integers(5, 40)), int(rng.integers(2, 6))
    y_true = np.eye(classes)[rng.integers(0, classes, n)]
    raw = rng.uniform(0.1, 1.0, (n, classes))
    return y_true, raw / raw.sum(axis=1, keepdims=True)


def random_binary(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and probabilities in [0.02, 0.98]."""
    n = int(rng.integers(5, 40))
    return rng.integers(0, 2, n).astype(np.float64), rng.uniform(0.02, 0.98, n)


def loss_value(found: Any, call: str) -> float:
    """The student's loss as a float, or a finding if it is not one number."""
    try:
        return float(found)
    except (TypeError, ValueError):
        raise CheckFailed(
            expected=f"{call} to return one number (the mean loss)",
            found=describe(found),
            hint="샘플별 손실을 np.mean으로 평균해서 float로 반환하세요 / "
            "average the per-sample losses with np.mean and return a float",
        ) from None


def expect_loss(found: Any, reference: float, call: str, hint: str) -> None:
    """Expect a float within TOLERANCE of Keras's value."""
    value = loss_value(found, call)
    expect(
        np.isfinite(value) and abs(value - reference) <= TOLERANCE,
        expected=f"{call} to equal keras.losses within {TOLERANCE:g}",
        found=show_loss(value),
        hint=hint,
    )


def show_loss(value: float | None) -> str:
    if value is None:
        return "no number"
    return f"{value:.6g}" if np.isfinite(value) else f"{value} (log of 0?)"


NOTEBOOK_EPS = 1e-7  # the default of eps in the notebook's signatures, which Keras uses too


def expect_certain_predictions(
    loss: StudentFunction,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    reference: float,
    one_sample: dict[float, tuple[np.ndarray, np.ndarray]],
    formula_hint: str,
) -> None:
    """Expect Keras's value where predictions are exactly 0 or 1; else say how the loss guards.

    A failure shows what the student's own function gives for one sample
    whose true class is predicted with p = 0 and with p = 1 (``one_sample``),
    called as the check calls it, without ``eps``: a loss that clips at
    another eps than the argument shows it there. Where the clipping is
    right, ``formula_hint`` points at the rest of the formula.
    """
    call = f"{loss.name} on predictions that are exactly 0 or 1"
    value = loss_value(loss(y_true, y_pred), call)
    if np.isfinite(value) and abs(value - reference) <= TOLERANCE:
        return
    at_0, at_1 = (sample_loss(loss, *one_sample[p]) for p in (0.0, 1.0))
    keras_at_0 = -np.log(NOTEBOOK_EPS)
    added = constant_after_the_clip(loss, one_sample[0.0], at_0)
    if at_0 is None or not np.isfinite(at_0):
        hint = (
            "log(0)은 -inf입니다: Keras처럼 먼저 y_pred를 [eps, 1 - eps]로 자르세요(clip) / "
            "log(0) is -inf: clip y_pred to [eps, 1 - eps] first, as Keras does"
        )
    elif added is not None:
        hint = (
            f"eps로 자른 뒤에 상수 {added:.0e}를 더했습니다: p = 0의 손실이 -log(eps + "
            f"{added:.0e})가 됩니다; np.clip이 이미 log(0)을 막으니 log(p)만 쓰세요 / a constant "
            f"{added:.0e} is added after the clip: p = 0 costs -log(eps + {added:.0e}) instead "
            f"of -log(eps) ≈ {keras_at_0:.3f}; np.clip already keeps log away from 0, take log(p) "
            "of the clipped p alone"
        )
    elif abs(at_0) > 1 and abs(abs(at_0) - keras_at_0) > 1e-3:  # guarded, at another eps
        clipped_at = f"{np.exp(-abs(at_0)):.0e}"
        hint = (
            f"p = 0의 손실이 -log({clipped_at})입니다: 직접 정한 상수가 아니라 인자 eps로 "
            f"np.clip(y_pred, eps, 1 - eps)하세요 (eps = {NOTEBOOK_EPS:g}이면 "
            f"-log(eps) ≈ {keras_at_0:.2f}) / p = 0 costs -log({clipped_at}) here: clip "
            "with the eps argument, np.clip(y_pred, eps, 1 - eps), not a constant of your "
            f"own (with eps = {NOTEBOOK_EPS:g}, -log(eps) ≈ {keras_at_0:.2f})"
        )
    else:
        hint = f"p = 0은 잘 처리합니다 / p = 0 is handled; the formula: {formula_hint}"
    raise CheckFailed(
        expected=f"{call} to equal keras.losses within {TOLERANCE:g}, which clip y_pred to "
        f"[eps, 1 - eps] with eps = {NOTEBOOK_EPS:g} (the check passes no eps: your "
        "default is used)",
        found=f"{show_loss(value)}; for one sample your function gives {show_loss(at_0)} "
        f"when the true class has p = 0 and {show_loss(at_1)} when it has p = 1",
        hint=hint,
    )


def sample_loss(
    loss: StudentFunction, y_true: np.ndarray, y_pred: np.ndarray, **eps: float
) -> float | None:
    """The student's loss on one sample, or None if it gives no number."""
    try:
        return float(loss(y_true, y_pred, **eps))
    except (StudentCodeError, TypeError, ValueError):
        return None


def constant_after_the_clip(
    loss: StudentFunction, sample: tuple[np.ndarray, np.ndarray], at_0: float | None
) -> float | None:
    """The constant c a loss adds after clipping at its eps argument (log(p + c)), if it does.

    A loss that clips at the ``eps`` it is given costs -log(eps) for a true
    class predicted with p = 0, whatever eps is; one that adds c after the
    clip costs -log(eps + c). So the loss is asked again with a large eps,
    where c hardly shows: if it follows the argument there, c is what is
    left over at the notebook's eps.
    """
    large = 1e-3
    at_large = sample_loss(loss, *sample, eps=large)
    if at_0 is None or at_large is None or not np.isfinite(at_0):
        return None
    if abs(abs(at_large) + np.log(large)) > 1e-3:  # not clipped at the eps it was given
        return None
    added = float(np.exp(-abs(at_0))) - NOTEBOOK_EPS
    return added if added > 1e-3 * NOTEBOOK_EPS else None


# Right and certain, wrong and certain, and a hedge: Keras clips the zeros to 1e-7.
EXTREME_CATEGORICAL = (
    np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]),
    np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]),
)
EXTREME_BINARY = (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0]))
# One sample whose true class is predicted with p = 0, and one with p = 1.
ONE_CATEGORICAL = {
    0.0: (np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])),
    1.0: (np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])),
}
ONE_BINARY = {0.0: (np.array([1.0]), np.array([0.0])), 1.0: (np.array([1.0]), np.array([1.0]))}


CATEGORICAL_HINT = (
    "클래스에 대한 -sum(y_true * log(y_pred))를 샘플에 대해 평균하세요 / "
    "mean over samples of -sum(y_true * log(y_pred)) over the classes"
)
BINARY_HINT = (
    "-(y log p + (1 - y) log(1 - p))의 평균: 두 항 모두 필요합니다 / "
    "mean of -(y log p + (1 - y) log(1 - p)): both terms"
)


# The notebook's self-checks: one sample whose true class is predicted with 0.8.
SELF_CHECK_CATEGORICAL = (np.array([[0.0, 1.0]]), np.array([[0.2, 0.8]]))
SELF_CHECK_BINARY = (np.array([1.0]), np.array([0.8]))


@check(points=1, cell="categorical_crossentropy", self_check=True)
def test_categorical_matches_keras_on_random_predictions(student, rng):
    """무작위 예측에서 Keras와 같은 값 / equals Keras on random predictions"""
    for y_true, y_pred in [SELF_CHECK_CATEGORICAL, *(random_categorical(rng) for _ in range(20))]:
        expect_loss(
            student.categorical_crossentropy(y_true, y_pred),
            keras_categorical(y_true, y_pred),
            f"categorical_crossentropy(<{y_true.shape} one-hot>, <{y_pred.shape} probabilities>)",
            CATEGORICAL_HINT,
        )


@check(points=1, cell="categorical_crossentropy")
def test_categorical_handles_predictions_of_0_and_1(student):
    """예측이 정확히 0이나 1일 때 / predictions of exactly 0 and 1"""
    y_true, y_pred = EXTREME_CATEGORICAL
    expect_certain_predictions(
        student.categorical_crossentropy,
        y_true,
        y_pred,
        keras_categorical(y_true, y_pred),
        ONE_CATEGORICAL,
        CATEGORICAL_HINT,
    )


@check(points=1, cell="binary_crossentropy", self_check=True)
def test_binary_matches_keras_on_random_predictions(student, rng):
    """무작위 예측에서 Keras와 같은 값 / equals Keras on random predictions"""
    for y_true, y_pred in [SELF_CHECK_BINARY, *(random_binary(rng) for _ in range(20))]:
        expect_loss(
            student.binary_crossentropy(y_true, y_pred),
            keras_binary(y_true, y_pred),
            f"binary_crossentropy(<{len(y_true)} labels>, <{len(y_pred)} probabilities>)",
            BINARY_HINT,
        )


@check(points=1, cell="binary_crossentropy")
def test_binary_handles_predictions_of_0_and_1(student):
    """예측이 정확히 0이나 1일 때 / predictions of exactly 0 and 1"""
    y_true, y_pred = EXTREME_BINARY
    expect_certain_predictions(
        student.binary_crossentropy,
        y_true,
        y_pred,
        keras_binary(y_true, y_pred),
        ONE_BINARY,
        BINARY_HINT,
    )


@check(points=1, cell="binary_crossentropy")
def test_binary_accepts_a_column_of_predictions(student, rng):
    """(N, 1) 예측도 처리 / accepts (N, 1) predictions, as model.predict returns"""
    y_true, y_pred = random_binary(rng)
    expect_loss(
        student.binary_crossentropy(y_true, y_pred[:, None]),
        keras_binary(y_true, y_pred),
        f"binary_crossentropy(<({len(y_true)},) labels>, <({len(y_pred)}, 1) predictions>)",
        "(N,)과 (N, 1)은 (N, N)으로 브로드캐스트됩니다: 먼저 둘 다 np.ravel로 펴세요 / "
        "(N,) and (N, 1) broadcast to (N, N): flatten both with np.ravel first",
    )


@check(points=1, cell="to_binary_labels", self_check=True)
def test_to_binary_labels(student, rng):
    """(N, 2) 원-핫 → (N,) 0/1 / (N, 2) one-hot to (N,) 0/1"""
    labels = rng.integers(0, 2, 25)
    raw = student.to_binary_labels(np.eye(2, dtype=np.float32)[labels])
    result = np.asarray(raw)
    expect(
        result.shape == labels.shape and np.array_equal(result, labels),
        expected="shape (25,) with 1 where the one-hot row is [0, 1] (Dog) and 0 for [1, 0]",
        found=describe(raw) if result.shape != labels.shape else "other values",
        hint="각 행에서 1이 있는 위치: y_onehot.argmax(axis=1) / "
        "the index of the 1 in each row: y_onehot.argmax(axis=1)",
    )


def model_outputs(model: Any, name: str) -> np.ndarray:
    """The model's outputs for four random 50x50 grayscale images."""
    x = np.random.default_rng(0).random((4, *INPUT_SHAPE), dtype=np.float32)  # fixed probe
    return predict(
        model, x, name, "input_shape=(50, 50, 1)을 유지하세요 / keep input_shape=(50, 50, 1)"
    )


@check(points=1, cell="build_categorical_model", self_check=True)
def test_categorical_model_outputs_a_2_way_softmax(student):
    """2개 유닛 softmax 출력 / outputs a 2-way softmax"""
    model = student.build_categorical_model()
    expect_compiled_model(model, "build_categorical_model()")
    output = model_outputs(model, "build_categorical_model()")
    sums = output.sum(axis=-1) if output.ndim == 2 else np.array([np.nan])
    expect(
        output.shape == (4, 2) and np.allclose(sums, 1.0, atol=1e-5) and output.min() >= 0,
        expected="2 probabilities per image that sum to 1: Dense(2, activation='softmax')",
        found=f"output {output.shape}, row sums {np.round(sums, 3).tolist()}",
        hint="categorical 출력층은 Dense(2, activation='softmax')입니다 / "
        "the categorical head is Dense(2, activation='softmax')",
    )


@check(points=1, cell="build_categorical_model")
def test_categorical_model_compiled_with_categorical_crossentropy(student):
    """categorical_crossentropy 손실 / compiled with categorical crossentropy"""
    expect_compiled_loss(
        student.build_categorical_model(),
        "build_categorical_model()",
        "categorical_crossentropy",
        "원-핫 레이블과 softmax에는 categorical crossentropy를 씁니다 / "
        "a softmax over one-hot labels goes with categorical crossentropy",
    )


@check(points=1, cell="build_binary_model", self_check=True)
def test_binary_model_outputs_one_sigmoid_probability(student):
    """1개 유닛 sigmoid 출력 / outputs one sigmoid probability"""
    model = student.build_binary_model()
    expect_compiled_model(model, "build_binary_model()")
    output = model_outputs(model, "build_binary_model()")
    expect(
        output.shape == (4, 1) and np.all((output > 0) & (output < 1)),
        expected="one probability strictly between 0 and 1 per image: Dense(1, 'sigmoid')",
        found=f"output {output.shape}, values {np.round(output.ravel()[:4], 3).tolist()}",
        hint="유닛 하나의 softmax는 항상 정확히 1입니다: activation='sigmoid'를 쓰세요 / "
        "a softmax over one unit is always exactly 1: use activation='sigmoid'",
    )


@check(points=1, cell="build_binary_model")
def test_binary_model_compiled_with_binary_crossentropy(student):
    """binary_crossentropy 손실 / compiled with binary crossentropy"""
    expect_compiled_loss(
        student.build_binary_model(),
        "build_binary_model()",
        "binary_crossentropy",
        "sigmoid 유닛 하나에는 binary crossentropy와 0/1 레이블을 씁니다 / "
        "one sigmoid unit goes with binary crossentropy and 0/1 labels",
    )


@cache
def fixed_models() -> tuple[Any, Any]:
    """A binary and a categorical model whose outputs are known for the inputs below."""
    keras = keras_module()
    binary = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    binary.set_weights([np.array([[1.0]]), np.array([0.0])])  # p = sigmoid(x)
    categorical = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="softmax")])
    categorical.set_weights([np.array([[-1.0, 1.0]]), np.zeros(2)])  # p(Dog) = sigmoid(2x)
    return binary, categorical


# Inputs near 0 too, where p is near 0.5: a threshold other than 0.5 shows.
FIXED_INPUTS = np.array([[-3.0], [-0.2], [-0.05], [0.05], [0.2], [3.0]], dtype=np.float32)
FIXED_LABELS = np.array([0, 0, 0, 1, 1, 1])


def expect_predicted_labels(student: Any, model: Any, kind: str, hint: str) -> None:
    try:
        raw = student.predict_labels(model, FIXED_INPUTS)
    except StudentCodeError as error:
        if isinstance(error.error, NotImplementedError):
            raise
        raise error.finding(f"predict_labels(<{kind} model>, x) to work", hint) from error
    result = np.asarray(raw)
    expect(
        result.shape == FIXED_LABELS.shape and np.array_equal(result, FIXED_LABELS),
        expected=f"(6,) labels 0/1 from a {kind} model, one per image",
        found=describe(raw if result.ndim == 0 else result)
        if result.shape != FIXED_LABELS.shape
        else "other labels",
        hint=hint,
    )


@check(points=1, cell="predict_labels", self_check=True)
def test_predict_labels_of_a_binary_model(student):
    """sigmoid 모델: p > 0.5이면 1 / a sigmoid model: 1 where p > 0.5"""
    expect_predicted_labels(
        student,
        fixed_models()[0],
        "binary (one sigmoid unit)",
        "(N, 1) 출력은 P(Dog)입니다: 0.5보다 크면 1, (N,) 배열로 반환하세요 / "
        "an (N, 1) output is P(Dog): 1 where it is above 0.5, as a (N,) array",
    )


@check(points=1, cell="predict_labels")
def test_predict_labels_of_a_categorical_model(student):
    """softmax 모델: 가장 큰 확률의 번호 / a softmax model: the most likely class"""
    expect_predicted_labels(
        student,
        fixed_models()[1],
        "categorical (2-way softmax)",
        "(N, 2) 출력에는 클래스마다 확률이 하나씩 있습니다: argmax(axis=1) / "
        "an (N, 2) output has one probability per class: argmax(axis=1)",
    )


@cache
def pet_training() -> replay.TrainingSet:
    """The PetImages training split, as the notebook loads it, for the grader's training."""
    from source_data.course_data import load_pet_arrays

    return replay.TrainingSet(*load_pet_arrays("train"))


def holdout_accuracy_of(model: Any) -> float:
    """A binary model's accuracy on the hold-out photos."""
    x, y = pet_holdout()
    output = predict(
        model,
        x,
        "binary_model",
        "binary_model은 build_binary_model이 반환한 모델을 학습시킨 것이어야 합니다 / "
        "binary_model must be the model returned by build_binary_model, trained",
        batch_size=500,
    )
    expect(
        output.shape == (len(y), 1),
        expected="binary_model to output one probability per image, (N, 1)",
        found=f"outputs of shape {output.shape}",
        hint="binary_model은 build_binary_model의 sigmoid 모델입니다 / "
        "binary_model is the sigmoid model of build_binary_model",
    )
    return float(np.mean((output[:, 0] > 0.5) == y))


@pytest.fixture(scope="module")
def holdout_accuracy(student) -> Accuracy:
    """The binary model's hold-out accuracy, and its recipe's as the grader trains it
    (graded), measured once."""
    x, y = pet_holdout()
    budget = assignments.get("06_binary_crossentropy").cpu_budget or 0
    return graded_accuracy(
        student,
        "binary_model",
        "build_binary_model",
        pet_training(),
        holdout_accuracy_of,
        (x[:500], y[:500], TIERS[0]),
        budget,
    )


TIERS = (0.60, 0.65, 0.68)


@check(points=1, cell="binary_accuracy")
@pytest.mark.parametrize("tier", TIERS)
def test_binary_accuracy_at_least(holdout_accuracy, tier):
    """hold-out 정확도 ≥ {tier} / hold-out accuracy ≥ {tier}"""
    expect_tier(
        holdout_accuracy,
        tier,
        "binary_model's accuracy on the hold-out images",
        "to_binary_labels(Y_train)과 binary crossentropy로 모든 에포크 동안 학습하세요 / "
        "train on to_binary_labels(Y_train) with binary crossentropy, for all the epochs",
    )


def pets_figure(student: Any) -> bytes:
    """The feedback picture of the trained binary model on the hold-out images."""
    x, y = pet_holdout()
    output = np.asarray(student.binary_model.predict(x, batch_size=500, verbose=0))
    return classifier_figure(
        x,
        y,
        (output[:, 0] > 0.5).astype(int),
        ["Cat", "Dog"],
        student.objects.get("binary_history"),
        "binary_model on the hold-out images",
    )


FEEDBACK_FIGURES = {"binary_accuracy": pets_figure}
