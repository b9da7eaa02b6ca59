"""The grader trains the student's recipe: graded weights are the judge's by construction.

A model's accuracy tiers are not measured on the weights the notebook
trained, which come from the student's process and could have been written
in. The judge trains the notebook's recipe again, itself, and measures that:

1. **The recipe.** The model the kernel sends (a ``.keras`` archive, loaded
   in ``safe_mode``) gives its configuration and compile settings; the
   kernel's record (:mod:`autograder.kernel.recipes`) gives every ``fit``
   of that model: samples, epochs run, batch size, validation split,
   shuffling. Both are claims; they decide only *what* the judge trains.
2. **No data in the configuration** (:func:`screen`): only the layers,
   initialisers, regularisers and constraints of :data:`LAYERS` and
   :data:`INITIALIZERS` (and the like), a ``Constant`` initialiser only
   with one number, no array anywhere, at most :data:`MAX_LIST` numbers in
   a list, :data:`MAX_NUMBERS` in all and :data:`MAX_LAYERS` layers. Every
   ``seed`` is dropped, so that initial weights come from the judge's seed.
3. **Fresh weights** (:func:`fresh_model`): the model is built again from
   the screened configuration under :data:`REPLAY_SEED`; not one weight
   of the student's is read. Untrained, it must score below the first tier.
4. **The judge's training** (:func:`replay`): compiled with the student's
   optimizer (afresh, without its state) and loss, fitted on the course's
   training data that the judge loads itself, labels encoded by the judge,
   fit after fit as recorded, on one thread with TensorFlow's op
   determinism. Its CPU time, measured in the judge, must stay within the
   notebook's budget (with the other models the judge trained for the same
   notebook); a recipe over :data:`MAX_PASSES` passes over the training set
   is refused before it starts.

What is not replayed: sample and class weights, callbacks (the epochs a fit
really ran are replayed, so early stopping is), ``validation_data``, data
other than the course's (augmented copies, another order), a custom
training loop (no recipe at all: no tier). ``docs/own-work.md``
says why this is sound and what it costs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.checks.api import CheckFailed, expect

REPLAY_SEED = 42  # the notebooks' own seed: a grade is the same at every regrading
MAX_FITS = 20  # recorded fits of one model
MAX_LAYERS = 64  # layers in a graded model (the course's models have 4 to 12)
MAX_NUMBERS = 400  # numbers in its configuration and compile settings (the references: 11 to 47)
MAX_LIST = 8  # numbers in one list: a shape, a kernel size, strides, padding, a factor range
MAX_PASSES = 1_000  # passes over the whole training set that one model's recipe may ask for
MAX_EPOCHS = 100_000  # epochs of one fit (a fit on a handful of samples is cheap per epoch)

# Layers whose weights all come from initialisers and whose configuration holds no data:
# everything a CNN course's model is made of. Lookups, vocabularies, Normalization's
# adapted statistics, Lambda, TFSMLayer (a file) and custom classes are not here.
LAYERS = frozenset(
    {
        "InputLayer", "Dense", "Activation", "Flatten", "Reshape", "Permute", "RepeatVector",
        "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
        "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
        "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
        "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
        "GlobalAveragePooling3D", "BatchNormalization", "LayerNormalization",
        "GroupNormalization", "UnitNormalization", "ReLU", "LeakyReLU", "PReLU", "ELU",
        "Softmax", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
        "Concatenate", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D",
        "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
        "Rescaling", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation",
        "RandomTranslation", "RandomZoom", "RandomContrast", "RandomBrightness", "RandomCrop",
        "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "Bidirectional",
        "TimeDistributed",
    }
)  # fmt: skip
MODELS = frozenset({"Sequential", "Functional"})
# Random initialisers draw from the judge's seed; the others set a whole tensor to one value.
INITIALIZERS = frozenset(
    {"Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
     "VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
     "LecunNormal", "LecunUniform", "Orthogonal", "OrthogonalInitializer", "Identity",
     "IdentityInitializer"}
)  # fmt: skip
ALLOWED = {
    "keras": MODELS | {"DTypePolicy", "FloatDTypePolicy"},
    "keras.src.models.functional": MODELS,
    "keras.layers": LAYERS,
    "keras.initializers": INITIALIZERS,
    "keras.regularizers": frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer"}),
    "keras.constraints": frozenset({"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"}),
}
# Compile settings: any of Keras's own optimizers, learning-rate schedules and losses.
COMPILE_MODULES = ("keras.optimizers", "keras.optimizers.schedules", "keras.losses")
# Keys whose numbers are shapes or the graph's wiring, not values the model computes with.
STRUCTURE = frozenset(
    {"build_config", "batch_shape", "batch_input_shape", "shape", "keras_history"}
)

RECIPE_HINT = (
    "모델은 fit으로 훈련하세요: 채점기는 fit의 설정(에포크, 배치 크기, validation_split)대로 "
    "같은 모델을 새로 훈련해서 채점합니다. 직접 쓴 훈련 루프나 train_on_batch는 다시 할 수 "
    "없습니다 / train the model with model.fit: the grader trains the same model afresh with "
    "fit's settings (epochs, batch size, validation_split) and grades that; a training loop "
    "of your own or train_on_batch cannot be replayed"
)
CONFIGURATION_HINT = (
    "채점기는 모델을 설정에서 새로 만들어 훈련합니다: Keras의 표준 층과 초기화만 쓰고, 배열이나 "
    "정해 둔 가중치를 넣지 마세요 / the grader builds the model afresh from its configuration: "
    "Keras's standard layers and initialisers only, no arrays or weights written in"
)
BUDGET_HINT = (
    "채점기가 레시피대로 훈련하는 데 쓰는 CPU 시간도 노트북의 예산 안이어야 합니다: 에포크를 "
    "줄이거나 모델을 가볍게 하세요 / the grader's training of your recipe must fit the "
    "notebook's budget too: fewer epochs or a leaner model"
)


@dataclass(frozen=True)
class Fit:
    """One recorded ``fit`` of a model, as the judge will replay it."""

    epochs: int  # epochs the fit ran
    samples: int  # samples given to fit, validation split included
    batch_size: int | None = None  # None: Keras's 32
    validation_split: float = 0.0
    validation_data: bool = False  # given: then every sample given was trained on
    shuffle: bool | str = True
    steps_per_epoch: int | None = None
    ignored: tuple[str, ...] = ()  # what the judge does not replay (sample_weight, callbacks)

    def trained_on(self, available: int) -> int:
        """How many of the first samples of the training set the judge trains on."""
        given = min(self.samples, available)
        if self.validation_data or not self.validation_split:
            return given
        return math.floor(given * (1.0 - self.validation_split))

    def passes(self, available: int) -> float:
        """Passes over the whole training set this fit asks for."""
        per_epoch = self.trained_on(available)
        if self.steps_per_epoch is not None:
            per_epoch = min(per_epoch, self.steps_per_epoch * (self.batch_size or 32))
        return self.epochs * max(per_epoch, 1) / available


def read_recipe(raw: Any, name: str) -> tuple[Fit, ...]:
    """The recorded fits of model ``name`` as the kernel reported them, read as hostile data."""
    expect(
        isinstance(raw, list) and raw,
        expected=f"{name} trained by fit in this notebook: the grader trains the same recipe "
        "again and grades that",
        found=f"no finished fit of {name} was recorded (a training loop of its own, "
        "train_on_batch, or weights set another way?)",
        hint=RECIPE_HINT,
    )
    fits = tuple(_fit(item, name) for item in raw[:MAX_FITS])
    expect(
        len(raw) <= MAX_FITS,
        expected=f"at most {MAX_FITS} fits of {name}",
        found=f"{len(raw)} fits",
        hint=RECIPE_HINT,
    )
    return fits


def _fit(item: Any, name: str) -> Fit:
    unreadable = CheckFailed(
        expected=f"a recorded fit of {name} the grader can replay",
        found="a record that is not one (changed in the kernel?)",
        hint=RECIPE_HINT,
    )
    if not isinstance(item, dict):
        raise unreadable
    epochs: Any = item.get("epochs")
    samples: Any = item.get("samples")
    batch, split = item.get("batch_size"), item.get("validation_split", 0.0)
    steps, shuffle = item.get("steps_per_epoch"), item.get("shuffle", True)
    ignored = item.get("ignored", [])
    if samples is None:
        raise CheckFailed(
            expected=f"{name} fitted on arrays (x, y), which the grader can replay",
            found="a fit on data of another kind (a tf.data.Dataset, a generator)",
            hint=RECIPE_HINT,
        )
    if not (
        _whole(epochs, 0, MAX_EPOCHS)
        and _whole(samples, 1, 2**62)
        and (batch is None or _whole(batch, 1, 2**62))
        and (steps is None or _whole(steps, 1, 2**62))
        and isinstance(split, int | float)
        and not isinstance(split, bool)
        and 0.0 <= split < 1.0
        and (isinstance(shuffle, bool) or shuffle == "batch")
        and isinstance(ignored, list)
        and all(isinstance(text, str) for text in ignored)
    ):
        raise unreadable
    return Fit(
        epochs,
        samples,
        batch,
        float(split),
        item.get("validation_data") is True,
        shuffle,
        steps,
        tuple(text[:80] for text in ignored[:10]),
    )


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# --- the configuration ------------------------------------------------------------------


@dataclass
class Screening:
    """What :func:`screen` found in a configuration: findings, and the counts it bounds."""

    findings: list[str] = field(default_factory=list)
    numbers: int = 0
    layers: int = 0


def screen(config: Any, compile_settings: bool = False) -> tuple[Any, Screening]:
    """A copy of a serialised Keras configuration with every ``seed`` dropped, and what in it
    is data rather than a recipe (:class:`Screening`); ``compile_settings`` screens an
    optimizer or a loss instead of a model."""
    screening = Screening()
    cleaned = _screened(config, None, screening, compile_settings)
    if screening.layers > MAX_LAYERS:
        screening.findings.append(f"{screening.layers} layers (at most {MAX_LAYERS})")
    return cleaned, screening


def _screened(
    value: Any, key: str | None, found: Screening, compile_settings: bool, in_list: bool = False
) -> Any:
    if key == "seed":
        return None  # every random draw comes from the judge's seed
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        if key not in STRUCTURE:
            found.numbers += 1
        return value
    if key in STRUCTURE:
        return value
    if isinstance(value, list | tuple):
        numbers = _numbers_in(value)
        if numbers > MAX_LIST and not in_list:
            found.findings.append(f"a list of {numbers} numbers (at most {MAX_LIST})")
        return [_screened(item, None, found, compile_settings, True) for item in value]
    if isinstance(value, dict):
        if "class_name" in value and not _screen_object(value, found, compile_settings):
            return value  # data, already found: nothing in it is built
        return {k: _screened(v, k, found, compile_settings) for k, v in value.items()}
    found.findings.append(f"a value of type {type(value).__name__}")
    return value


def _numbers_in(items: list[Any] | tuple[Any, ...]) -> int:
    """Numbers in a list and the lists nested in it (an array written as lists)."""
    return sum(
        _numbers_in(item)
        if isinstance(item, list | tuple)
        else isinstance(item, int | float) and not isinstance(item, bool)
        for item in items
    )


def _screen_object(value: dict[str, Any], found: Screening, compile_settings: bool) -> bool:
    """Add a finding if a serialised Keras object is not one a recipe may hold; whether
    what it holds is to be screened too (not for data, which is a finding whole)."""
    name, module = str(value.get("class_name")), str(value.get("module"))
    if name == "__keras_tensor__":  # the wiring of a functional model
        return True
    if name.startswith("__"):
        found.findings.append(f"data written into the configuration ({name.strip('_')})")
        return False
    registered = value.get("registered_name")
    if registered is not None and registered != name:  # Keras's own: none, or the class name
        found.findings.append(f"a class of your own ({str(registered)[:60]})")
        return True
    if module == "keras.layers":
        found.layers += 1
    if compile_settings and module in COMPILE_MODULES:
        return True
    if name not in ALLOWED.get(module, frozenset()):
        found.findings.append(f"{name[:60]} (not on the list of what the grader builds)")
    elif name == "Constant":
        number = value.get("config", {}).get("value")
        if not isinstance(number, int | float) or isinstance(number, bool):
            found.findings.append("a Constant initialiser holding more than one number")
    return True


# --- training ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSet:
    """The course's training data as the judge loads it: inputs as the model sees them
    (after the student's scaling, where there is one) and integer class labels."""

    x: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Replayed:
    """The model as the judge trained it, and what that cost."""

    model: Any
    cpu_seconds: float
    fits: tuple[Fit, ...]

    @property
    def ignored(self) -> tuple[str, ...]:
        """What the recorded fits used that the judge did not replay."""
        return tuple(dict.fromkeys(text for fit in self.fits for text in fit.ignored))


class Ledger:
    """The CPU seconds the judge spent training each model of one notebook.

    One judge process grades one notebook (``autograder.judge.service``), so
    the module's :data:`LEDGER` is that notebook's: the trainings of all its
    graded models together stay within its budget, as the kernel's did.
    Training a model again replaces what it cost before.
    """

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def left(self, budget: float, name: str) -> float:
        """CPU seconds left for model ``name`` once the others have been trained."""
        return budget - sum(seconds for other, seconds in self.spent.items() if other != name)


LEDGER = Ledger()


def configuration(model: Any) -> tuple[dict[str, Any], Screening]:
    """A model's configuration without seeds or compile settings, ready to build, and what
    it and its compile settings (optimizer, loss) hold that is data rather than a recipe."""
    keras = _keras()
    serialized = keras.saving.serialize_keras_object(model)
    serialized.pop("compile_config", None)
    cleaned, screening = screen(serialized)
    settings = [keras.optimizers.serialize(model.optimizer)]
    if not isinstance(model.loss, str):
        settings.append(keras.losses.serialize(model.loss))
    for setting in settings:
        _, compiled = screen(setting, compile_settings=True)
        screening.findings += compiled.findings
        screening.numbers += compiled.numbers
    if screening.numbers > MAX_NUMBERS:
        screening.findings.append(
            f"{screening.numbers} numbers in the configuration (at most {MAX_NUMBERS})"
        )
    return cleaned, screening


def fresh_model(model: Any, name: str) -> Any:
    """A new model built from ``model``'s screened configuration under the judge's seed.

    Raises :class:`CheckFailed` for a configuration that carries data.
    """
    cleaned, screening = configuration(model)
    expect(
        not screening.findings,
        expected=f"a configuration of {name} the grader can train afresh: Keras's standard "
        "layers and initialisers, no weights or arrays written in",
        found="; ".join(dict.fromkeys(screening.findings[:3])),
        hint=CONFIGURATION_HINT,
    )
    keras = _keras()
    keras.utils.set_random_seed(REPLAY_SEED)
    try:
        return keras.saving.deserialize_keras_object(cleaned, safe_mode=True)
    except Exception as error:
        raise CheckFailed(
            expected=f"{name}'s configuration to build a model",
            found=f"{type(error).__name__}: {str(error)[:200]}",
            hint=CONFIGURATION_HINT,
        ) from error


def replay(
    model: Any,
    fits: tuple[Fit, ...],
    data: TrainingSet,
    budget: float,
    name: str,
    floor: tuple[np.ndarray, np.ndarray, float] | None = None,
    ledger: Ledger | None = None,
) -> Replayed:
    """Train ``model``'s recipe afresh on ``data``, fit after fit, within ``budget`` CPU seconds.

    ``model`` is the trained model the kernel sent: only its configuration
    and compile settings are used. ``floor`` (images, labels, accuracy): the
    fresh model, untrained, must score below it. ``ledger`` holds what the
    notebook's other models cost (their trainings share the budget) and is
    told what this one cost, finished or not.
    """
    ledger = ledger or Ledger()
    left = ledger.left(budget, name)
    available = len(data.labels)
    passes = sum(fit.passes(available) for fit in fits)
    expect(
        passes <= MAX_PASSES,
        expected=f"a recipe the grader can train: at most {MAX_PASSES:,} passes over the "
        f"{available:,} training samples",
        found=f"{passes:,.0f} passes",
        hint=BUDGET_HINT,
    )
    started = time.process_time()
    stop = _budget_stop(started + left)
    try:
        fresh = _trained(model, fits, data, name, floor, stop)
    finally:
        spent = ledger.spent[name] = time.process_time() - started
    expect(
        not stop.reached,
        expected=f"the grader's training of {name}'s recipe within the notebook's budget "
        f"({left:.0f} of its {budget:.0f} CPU seconds left for it)",
        found=f"it was stopped after {spent:.0f} CPU seconds",
        hint=BUDGET_HINT,
    )
    return Replayed(fresh, spent, fits)


def _trained(
    model: Any,
    fits: tuple[Fit, ...],
    data: TrainingSet,
    name: str,
    floor: tuple[np.ndarray, np.ndarray, float] | None,
    stop: Any,
) -> Any:
    """The model built afresh, checked untrained against ``floor``, compiled and fitted."""
    _deterministic()
    fresh = fresh_model(model, name)
    if floor is not None:
        _expect_untrained_below(fresh, name, *floor)
    keras = _keras()
    fresh.compile(
        optimizer=keras.optimizers.deserialize(keras.optimizers.serialize(model.optimizer)),
        loss=model.loss,
        jit_compile=False,
    )
    for fit in fits:
        _train(fresh, fit, data, stop, name)
    return fresh


def _train(model: Any, fit: Fit, data: TrainingSet, stop: Any, name: str) -> None:
    count = fit.trained_on(len(data.labels))
    expect(
        count > 0,
        expected=f"a fit of {name} on at least one training sample",
        found=f"a fit on {fit.samples} samples with validation_split={fit.validation_split}",
        hint=RECIPE_HINT,
    )
    x, y = data.x[:count], encoded_labels(model, data.labels[:count])
    try:
        model.fit(
            x,
            y,
            epochs=fit.epochs,
            batch_size=fit.batch_size,
            shuffle=fit.shuffle,
            steps_per_epoch=fit.steps_per_epoch,
            callbacks=[stop],
            verbose=0,
        )
    except Exception as error:
        raise CheckFailed(
            expected=f"{name}'s recipe to train when the grader runs it",
            found=f"{type(error).__name__}: {str(error)[:200]}",
            hint=RECIPE_HINT,
        ) from error


def encoded_labels(model: Any, labels: np.ndarray) -> np.ndarray:
    """Labels as the model's loss takes them: class numbers for a sparse loss, else one-hot
    of the output's width (0/1 for a single output)."""
    from autograder.checks.models import loss_name

    if loss_name(model.loss).startswith("sparse"):
        return labels
    width = int(model.output_shape[-1])
    if width == 1:
        return labels.astype(np.float32)
    if int(labels.max()) >= width:
        raise CheckFailed(
            expected=f"an output of at least {int(labels.max()) + 1} classes",
            found=f"an output of width {width}",
            hint=RECIPE_HINT,
        )
    return np.eye(width, dtype=np.float32)[labels]


def classify(model: Any, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The classes a model predicts: above 0.5 for one output, else the most likely."""
    scores = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    return (scores[:, 0] > 0.5).astype(np.int64) if scores.shape[-1] == 1 else scores.argmax(-1)


def _expect_untrained_below(
    model: Any, name: str, x: np.ndarray, y: np.ndarray, floor: float
) -> None:
    untrained = float(np.mean(classify(model, x) == y))
    expect(
        untrained < floor,
        expected=f"{name}, untrained as the grader built it, to guess (below {floor:g})",
        found=f"it scored {untrained:.3f} before any training",
        hint=CONFIGURATION_HINT,
    )


def _deterministic() -> None:
    """TensorFlow's op determinism, as the notebooks' locked set-up cells turn it on."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


def _keras() -> Any:
    import keras

    return keras


def _budget_stop(deadline: float) -> Any:
    callback: Any = _keras().callbacks.Callback

    class BudgetStop(callback):
        """Stops training once the judge's CPU time reaches ``deadline``."""

        reached = False

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if time.process_time() > deadline:
                self.reached = True
                self.model.stop_training = True

        on_epoch_end = on_train_batch_end

    return BudgetStop()
