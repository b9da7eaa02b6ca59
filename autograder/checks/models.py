"""What the checks of the model-training assignments (04, 06-09) share: judging Keras models.

Models are judged through Keras 3's public API only: ``isinstance`` of
``keras.Model``, predictions, output shapes, ``model.layers`` and their
classes, ``model.loss`` and ``count_params``. Keras is imported on first use:
it takes seconds to load, and the NumPy assignments never need it.

04's and 06's accuracy tiers are measured on the recipe as the grader
trains it (:func:`graded_accuracy`, :mod:`.replay`), never on weights from
the student's kernel. 07's, 08's and 09's are measured on the model the
kernel trained, once it is shown to keep the own-training rule
(:func:`expect_own_model`, :data:`.source_rules.OWN_TRAINING`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.checks import replay
from autograder.checks.api import CheckFailed, StudentCodeError, describe, expect


def keras_module() -> Any:
    """Keras, imported on first use."""
    import keras

    return keras


def all_layers(model: Any) -> list[Any]:
    """The model's layers, nested models included."""
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if hasattr(layer, "layers"):
            layers.extend(all_layers(layer))
    return layers


def expect_compiled_model(model: Any, name: str) -> None:
    """Expect a Keras model, compiled."""
    keras = keras_module()
    expect(
        isinstance(model, keras.Model),
        expected=f"{name} to be a keras.Model",
        found=describe(model),
        hint="모델 객체 자체를 반환하세요 (keras.Sequential([...])나 keras.Model) / "
        "return the model object itself (keras.Sequential([...]) or keras.Model)",
    )
    expect(
        # An uncompiled Keras 3 model has no `optimizer` attribute at all.
        getattr(model, "optimizer", None) is not None and getattr(model, "loss", None) is not None,
        expected=f"{name} to be compiled",
        found="a model without an optimizer or loss",
        hint="반환하기 전에 "
        "model.compile(optimizer=..., loss=..., metrics=['accuracy'])를 호출하세요 / "
        "call model.compile(optimizer=..., loss=..., metrics=['accuracy']) before returning",
    )


def loss_name(loss: Any) -> str:
    """The snake_case name of a compiled loss, in any of its spellings.

    ``"categorical_crossentropy"``, ``keras.losses.CategoricalCrossentropy()``
    and ``keras.losses.categorical_crossentropy`` all read as
    ``categorical_crossentropy``.
    """
    keras = keras_module()
    if isinstance(loss, str):
        return loss
    if isinstance(loss, keras.losses.Loss):
        return keras.losses.serialize(loss)["config"].get("name", type(loss).__name__)
    return getattr(loss, "__name__", repr(loss))


def expect_compiled_loss(model: Any, name: str, loss: str, hint: str) -> None:
    """Expect a compiled model whose loss is the named Keras loss."""
    expect_compiled_model(model, name)
    expect(
        loss_name(model.loss) == loss,
        expected=f"{name} compiled with loss='{loss}'",
        found=f"loss={model.loss!r}",
        hint=hint,
    )


@dataclass(frozen=True)
class PixelScaling:
    """What ``preprocess`` gave every pixel alike, ``a * x + b``, and its own output."""

    a: float
    b: float
    output: np.ndarray  # preprocess's output on the sample, flattened, as float64


def pixel_scaling(student: Any, sample: np.ndarray) -> PixelScaling | None:
    """The scaling the student's ``preprocess`` gives every pixel of ``sample`` alike, or None
    where it raises, changes the number of values or does anything else.

    The test images never enter the kernel, where ``preprocess`` runs: it is
    called on images the kernel may see, and the grader applies the same
    scaling to the test images itself.
    """
    try:
        y = np.asarray(student.preprocess(sample), dtype=np.float64).ravel()
    except (StudentCodeError, TypeError, ValueError):
        return None
    pixels = sample.ravel().astype(np.float64)
    if y.shape != pixels.shape or not np.all(np.isfinite(y)):
        return None
    a, b = np.polyfit(pixels, y, 1)
    if not np.allclose(a * pixels + b, y, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(y).max())):
        return None
    return PixelScaling(float(a), float(b), y)


# The last model's predictions on the held-back test images, for the cell's picture after
# its checks: the model and the preprocessed images cross the wire once, not twice.
_last_predictions: dict[tuple[int, str], np.ndarray] = {}


def predictions_once(
    student: Any, model_name: str, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """``compute()``, the predictions of the submission's ``model_name``, computed once: the
    accuracy checks and the cell's picture share them."""
    key = (id(student.objects), model_name)
    if key not in _last_predictions:
        _last_predictions.clear()
        _last_predictions[key] = compute()
    return _last_predictions[key]


def predict(model: Any, x: np.ndarray, name: str, hint: str, batch_size: int = 1000) -> np.ndarray:
    """The model's predictions on ``x``, or a finding saying why it cannot make them."""
    try:
        return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    except Exception as error:
        raise CheckFailed(
            expected=f"{name}.predict on inputs of shape {x.shape}",
            found=f"{type(error).__name__}: {str(error)[:200]}",
            hint=hint,
        ) from error


@dataclass(frozen=True)
class Accuracy:
    """A graded model's accuracy: of its recipe as the grader trained it, which decides the
    tiers, and of the model the notebook trained, which the report shows beside it."""

    replayed: float
    notebook: float
    ignored: tuple[str, ...] = ()  # what the notebook's fits used that the grader did not replay


def expect_tier(accuracy: Accuracy | float, tier: float, what: str, hint: str) -> None:
    """Expect a graded accuracy at or above one tier: of the recipe as the grader trained it
    (an :class:`Accuracy`), or of the model the kernel trained (a number)."""
    if not isinstance(accuracy, Accuracy):
        expect(accuracy >= tier, expected=f"{what} >= {tier:g}", found=f"{accuracy:.4f}", hint=hint)
        return
    ignored = f"; not replayed: {', '.join(accuracy.ignored)}" if accuracy.ignored else ""
    expect(
        accuracy.replayed >= tier,
        expected=f"{what}, when the grader trains your recipe, >= {tier:g}",
        found=f"{accuracy.replayed:.4f} as the grader trained it (the model your notebook "
        f"trained: {accuracy.notebook:.4f}){ignored}",
        hint=hint,
    )


MAX_PARAMETERS = 1_500_000  # a graded model's size: far too small to hold a test set's images
GRADED_MODEL_HINT = (
    "채점하는 모델은 build 함수가 만든 모델을 이 노트북의 fit으로 훈련한 것입니다 (노트북의 규칙 "
    "참고) / the graded model is what the build function builds, trained by fit in this "
    "notebook (see the notebook's rule)"
)


def architecture(model: Any) -> list[tuple[str, tuple[tuple[int, ...], ...]]]:
    """Each layer's class and the shapes of its weights: what a model is, not what it knows."""
    return [
        (type(layer).__name__, tuple(tuple(w.shape) for w in layer.weights))
        for layer in all_layers(model)
    ]


BUDGET_HINT = (
    "예산을 넘기거나 중단된 훈련의 모델은 정확도 점수를 받지 못합니다: 에포크를 줄이거나 모델을 "
    "가볍게 하세요. 노트북의 훈련 셀이 지금까지 쓴 CPU 시간을 보여 줍니다 / a model whose "
    "training went over the budget or was stopped earns no accuracy tier: fewer epochs or a "
    "leaner model. The training cells print the CPU time your notebook has spent"
)


def expect_within_budget(student: Any, name: str) -> None:
    """Expect the training of the model ``name`` to have finished within the budget.

    Taking the model from the kernel is when the judge reads the sandbox's
    CPU time (``Submission.spend``): whatever computed the model, in any
    process of the sandbox and in any cell or hook before, is counted.
    Without a measurement (a notebook run in-process) there is nothing to check.
    """
    spend = student.spend
    if spend is None:
        return
    expect(
        not spend.stopped,
        expected=f"training that finishes (the budget is {spend.budget} CPU seconds)",
        found=f"{', '.join(spend.stopped)} stopped at its time limit, so the model is graded "
        "as untrained",
        hint=BUDGET_HINT,
    )
    student.raw(name)  # the reading is taken as the model arrives
    spent = spend.taken.get(name)
    expect(
        spent is not None and spent <= spend.budget,
        expected=f"at most {spend.budget} CPU seconds spent up to the moment the grader took "
        f"{name} (the budget)",
        found="no measurement: the kernel had ended, or its sandbox could not be stopped to "
        "be measured"
        if spent is None
        else f"{spent:.0f} CPU seconds",
        hint=BUDGET_HINT,
    )


def expect_graded_model(student: Any, trained: str, builder: str) -> Any:
    """Expect the graded model to be the one ``builder()`` builds, compiled, of a bounded size;
    the fresh ``builder()`` model it was compared with.

    The grader trains it again (:func:`graded_accuracy`), so what ties it to
    the notebook is its architecture: the layers and weight shapes of a fresh
    ``builder()``, the model the other checks judge.
    """
    model, fresh = getattr(student, trained), getattr(student, builder)()
    expect_compiled_model(model, trained)
    expect(
        architecture(model) == architecture(fresh),
        expected=f"{trained} to be the model {builder}() builds, trained",
        found=f"{trained} has other layers or weight shapes than {builder}()",
        hint=GRADED_MODEL_HINT,
    )
    expect(
        model.count_params() <= MAX_PARAMETERS,
        expected=f"at most {MAX_PARAMETERS:,} parameters",
        found=f"{model.count_params():,} parameters",
        hint="더 작은 모델로도 충분합니다 / a smaller model does the job",
    )
    return fresh


OWN_TRAINING_HINT = (
    "모델은 build 함수가 만들고, 이 노트북의 fit으로 학습합니다: 가중치를 불러오거나 "
    "정해 두지 마세요 (노트북의 규칙 참고) / the model is what the build function builds, "
    "trained by fit in this notebook: do not load or write in weights (see the notebook's rule)"
)


def own_training_findings(sources: Mapping[str, str]) -> list[str]:
    """Where the notebook's cells break :data:`source_rules.OWN_TRAINING`, cell by cell,
    and its literal data over the budget, all cells together."""
    from autograder.checks.source_rules import OWN_TRAINING, forbidden_uses, literal_characters

    uses = [
        f"`{cell}` {use}"
        for cell, source in sources.items()
        for use in forbidden_uses(source, OWN_TRAINING)
    ]
    literal = sum(literal_characters(source) for source in sources.values())
    budget = OWN_TRAINING.literal_budget or 0
    if literal > budget:
        uses.append(f"{literal:,} characters of literal data in all (at most {budget:,})")
    return uses


def expect_own_model(
    student: Any, trained: str, builder: str, sample: tuple[np.ndarray, np.ndarray], floor: float
) -> None:
    """Expect the graded model to be learnt in the graded run, by a rule on the source (07-09).

    The notebook's code keeps :data:`source_rules.OWN_TRAINING` (read from the
    submitted source, not observed in the kernel); the trained model is
    ``builder()``'s (:func:`expect_graded_model`); and a fresh ``builder()``
    model, before any training, does not already reach ``floor`` on
    ``sample`` (images and labels the kernel never saw). The rule is a list
    and cannot prove own work (``docs/security.md``); 04 and 06 are replayed
    instead (:func:`graded_accuracy`).
    """
    uses = own_training_findings(student.sources)
    expect(
        not uses,
        expected="weights learnt by fit in this notebook, with no weights or data loaded or "
        "written in",
        found="; ".join(uses[:3]) + (f" and {len(uses) - 3} more" if len(uses) > 3 else ""),
        hint=OWN_TRAINING_HINT,
    )
    fresh = expect_graded_model(student, trained, builder)
    x, y = sample
    scores = predict(fresh, x, f"{builder}()", OWN_TRAINING_HINT)
    guessed = scores.argmax(axis=1) if scores.shape[-1] > 1 else (scores[:, 0] > 0.5)
    untrained = float(np.mean(guessed == y))
    expect(
        untrained < floor,
        expected=f"an untrained {builder}() model to guess (below {floor:g})",
        found=f"it scored {untrained:.3f} before any training",
        hint=OWN_TRAINING_HINT,
    )


def graded_accuracy(
    student: Any,
    trained: str,
    builder: str,
    data: replay.TrainingSet,
    measure: Callable[[Any], float],
    floor: tuple[np.ndarray, np.ndarray, float],
    budget: int,
) -> Accuracy:
    """The accuracy a trained model is graded by: its recipe's, as the grader trains it.

    The notebook's training must have kept its budget (:func:`expect_within_budget`)
    and the model must be ``builder()``'s (:func:`expect_graded_model`); then
    the grader trains the recipe afresh (:func:`replay.replay`) on ``data``,
    the untrained model below ``floor`` (images, labels, tier), within the
    notebook's budget (``budget`` where no spend was measured), and
    ``measure`` gives each model's accuracy.
    """
    expect_within_budget(student, trained)
    expect_graded_model(student, trained, builder)
    model = getattr(student, trained)
    fits = replay.read_recipe(student.recipe(trained), trained)
    if student.spend is None:  # a notebook judged in-process: each training on its own
        replayed = replay.replay(model, fits, data, budget, trained, floor)
    else:  # this judge grades one notebook: its trainings share the budget
        ledger = replay.LEDGER
        replayed = replay.replay(model, fits, data, student.spend.budget, trained, floor, ledger)
    return Accuracy(measure(replayed.model), measure(model), replayed.ignored)
