"""The grader trains the student's recipe: recording it, screening it, training it, on real parts.

The course's kernel records every ``fit`` (:mod:`autograder.kernel.recipes`)
in a real IPython kernel started by the course's launcher; the judge asks
for the record over the real wire format; the screening of a model's
configuration (:func:`replay.screen`) is proven on the references and on
each way to write data in; the judge's training (:func:`replay.replay`) on
small real Keras models; and 04's accuracy cell is judged in-process, as
under nbgrader, on the attacks of ``tests/hostile/replay.py``, each against
its honest twin. The catalogue grades three of them through nbgrader.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jupyter_client.manager import KernelManager

from autograder.checks import replay
from autograder.checks.api import CheckFailed
from autograder.judge.service import KernelConnection
from autograder.kernel import recipes, serve, wire
from autograder.sandbox.processes import launched_by_the_course
from tests.hostile.base import QUICK_MLP
from tests.hostile.replay import ATTACKS, CLAIMS_MORE_THAN_IT_RAN, TRAINS_THE_CLAIM

# --- recording, in the course's own kernel ------------------------------------------------


class CourseKernelManager(KernelManager):
    """A plain (unsandboxed) kernel started by the course's launcher, as the sandbox does."""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return launched_by_the_course(super().format_kernel_cmd(extra_arguments))


def run_in_kernel(*cells: str) -> list[str]:
    """What each cell printed, run one after the other in a kernel of the course's launcher."""
    manager = CourseKernelManager(kernel_name="python3")
    manager.start_kernel(env={"TF_CPP_MIN_LOG_LEVEL": "3", **_one_thread()})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        printed = []
        for cell in cells:
            texts: list[str] = []

            def collect(message: dict[str, Any], texts: list[str] = texts) -> None:
                if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                    texts.append(message["content"]["text"])
                elif message["msg_type"] == "error":
                    texts.append("ERROR " + message["content"]["evalue"])

            client.execute_interactive(cell, output_hook=collect, timeout=300)
            printed.append("".join(texts))
        return printed
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _one_thread() -> dict[str, str]:
    from autograder.sandbox.command import ONE_THREAD

    return dict(ONE_THREAD)


SMALL_DATA = """
import sys
print("keras imported before the student:", "keras" in sys.modules)
import json
import keras
import numpy as np
from autograder.kernel import recipes

x = np.random.default_rng(0).random((120, 4)).astype("float32")
y = keras.utils.to_categorical(np.arange(120) % 3, 3)


def small():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model
"""

FITS = """
fitted = small()
fitted.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
           callbacks=[keras.callbacks.TerminateOnNaN()])
fitted.fit(x[:50], y[:50], epochs=2, shuffle=False, verbose=0, sample_weight=np.ones(50))
by_hand = small()
by_hand.train_on_batch(x, y)
interrupted = small()
try:
    interrupted.fit(x, y[:, :2], epochs=1, verbose=0)
except ValueError:
    pass
print(json.dumps([recipes.recipe_of(m) for m in (fitted, by_hand, interrupted)]))
"""


def test_the_courses_kernel_records_each_finished_fit_without_importing_keras_first():
    imported, recorded = run_in_kernel(SMALL_DATA, FITS)
    assert "keras imported before the student: False" in imported
    fitted, by_hand, interrupted = json.loads(recorded)
    assert fitted == [
        {"epochs": 3, "batch_size": 16, "samples": 120, "validation_split": 0.25,
         "validation_data": False, "shuffle": True, "steps_per_epoch": None,
         "ignored": ["callback TerminateOnNaN"]},
        {"epochs": 2, "batch_size": None, "samples": 50, "validation_split": 0.0,
         "validation_data": False, "shuffle": False, "steps_per_epoch": None,
         "ignored": ["sample_weight"]},
    ]  # fmt: skip
    assert by_hand is None and interrupted is None  # no fit, and a fit that never finished


def test_the_epochs_a_callback_stopped_at_are_what_is_recorded():
    import keras

    recipes.install()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    model.fit(np.zeros((8, 2)), np.zeros(8), epochs=50, callbacks=[stop], verbose=0)
    [fit] = recipes.recipe_of(model) or []
    assert fit["epochs"] == 2 and fit["ignored"] == ["callback EarlyStopping"]


def test_the_judge_asks_the_kernel_for_a_models_record_over_the_wire():
    import keras

    recipes.install()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((10, 2)), np.zeros(10), epochs=2, batch_size=5, verbose=0)
    namespace = {"model": model, "untrained": keras.Sequential([keras.Input((2,))]), "n": 3}
    asked = ask_over_the_wire(namespace, ("model", "untrained", "n", "absent"))
    assert asked["model"] == recipes.recipe_of(model) and asked["model"][0]["epochs"] == 2
    assert asked["untrained"] is None and asked["n"] is None and asked["absent"] is None


def ask_over_the_wire(namespace: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The judge's :meth:`RemoteObjects.recipe` for each name, the kernel's side serving it."""
    judge_end, kernel_end = socket.socketpair()
    with tempfile.TemporaryDirectory() as scratch, judge_end, kernel_end:
        codec = wire.Codec(Path(scratch))
        kernel_side = threading.Thread(
            target=serve.serve_on, args=(kernel_end, "04_mnist_cnn", "x", namespace, codec)
        )
        kernel_side.start()
        wire.receive(judge_end)  # the kernel's hello
        remote = KernelConnection(judge_end, Path(scratch), None).collect(names)
        asked = {name: remote.recipe(name) for name in names}
        wire.send(judge_end, {"op": "done", "report": ""})
        kernel_side.join()
    return asked


# --- reading the record as hostile data ---------------------------------------------------

A_FIT = {"epochs": 3, "samples": 600, "batch_size": 32, "validation_split": 0.1}


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        (None, "no finished fit"),
        ([], "no finished fit"),
        ("fit", "no finished fit"),
        ([{**A_FIT, "samples": None}], "data of another kind"),
        ([{**A_FIT, "epochs": -1}], "not one"),
        ([{**A_FIT, "epochs": True}], "not one"),
        ([{**A_FIT, "epochs": 10**9}], "not one"),
        ([{**A_FIT, "batch_size": 0}], "not one"),
        ([{**A_FIT, "validation_split": 1.0}], "not one"),
        ([{**A_FIT, "shuffle": "sometimes"}], "not one"),
        ([{**A_FIT, "ignored": [3]}], "not one"),
        ([A_FIT] * (replay.MAX_FITS + 1), f"{replay.MAX_FITS + 1} fits"),
        (["fit"], "not one"),
    ],
)
def test_a_record_that_cannot_be_replayed_is_a_finding_not_a_crash(raw, found):
    with pytest.raises(CheckFailed) as failed:
        replay.read_recipe(raw, "mlp")
    assert found in failed.value.found


def test_a_record_is_read_into_the_fits_the_judge_replays():
    fits = replay.read_recipe([A_FIT, {**A_FIT, "validation_data": True, "samples": 10**9}], "m")
    assert [fit.trained_on(600) for fit in fits] == [540, 600]
    assert fits[1].passes(600) == 3.0  # a billion samples claimed: the training set's 600


# --- screening a configuration ------------------------------------------------------------


def reference_models() -> dict[str, Any]:
    """The graded models of the references, built (untrained) by their own build functions."""
    import keras

    from autograder.course import samples

    namespace: dict[str, Any] = {"keras": keras, "np": np, "x_train": np.zeros((60000, 1))}
    for assignment in ("04_mnist_cnn", "06_binary_crossentropy"):
        for code in samples.reference_answers(assignment).values():
            if "def build" in code:
                exec(code, namespace)
        if assignment == "06_binary_crossentropy":
            exec(conv_base_source(), namespace)
    return {
        "mlp": namespace["build_mlp"](),
        "model": namespace["build_cnn"](),
        "binary_model": namespace["build_binary_model"](),
    }


def conv_base_source() -> str:
    from autograder import notebooks
    from autograder.assignments import solution_path

    nb = notebooks.read(solution_path("06_binary_crossentropy"))
    return next(cell.source for cell in nb.cells if "def conv_base" in cell.source)


def screened(model: Any) -> replay.Screening:
    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer="adam", loss="mse")
    return replay.configuration(model)[1]


def test_the_references_models_are_recipes_well_within_every_bound():
    for name, model in reference_models().items():
        screening = screened(model)
        assert screening.findings == [], name
        assert screening.numbers <= replay.MAX_NUMBERS / 8 and screening.layers <= 12, name


def a_students_own_cnn() -> Any:
    """A functional CNN as a student who read ahead writes it: augmentation, batch
    normalisation, a residual connection, a regulariser, a decaying AdamW, label smoothing."""
    import keras

    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    x = layers.Rescaling(np.float32(1.0))(inputs)
    x = layers.RandomRotation(0.05)(layers.RandomZoom(0.1)(x))
    x = layers.Conv2D(16, 3, padding="same", kernel_regularizer=keras.regularizers.l2(1e-4))(x)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    y = layers.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer="he_normal")(x)
    x = layers.SpatialDropout2D(0.1)(layers.MaxPooling2D()(layers.Add()([x, y])))
    x = layers.GlobalAveragePooling2D()(layers.DepthwiseConv2D(3)(x))
    x = layers.Dense(32, "relu", bias_initializer=keras.initializers.Constant(0.1))(x)
    model = keras.Model(inputs, layers.Dense(10, "softmax")(layers.Dropout(0.5)(x)))
    decay = keras.optimizers.schedules.ExponentialDecay(1e-3, 1000, 0.9)
    smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    model.compile(optimizer=keras.optimizers.AdamW(decay), loss=smoothed, metrics=["accuracy"])
    return model


def test_a_students_own_functional_cnn_is_a_recipe_the_judge_builds_again():
    model = a_students_own_cnn()
    assert screened(model).findings == []
    assert replay.fresh_model(model, "model").count_params() == model.count_params()


def sequential(*layers: Any) -> Any:
    import keras

    return keras.Sequential([keras.Input((28, 28, 1)), *layers])


def smuggling() -> dict[str, tuple[Any, str]]:
    """Models that carry data in their configuration, and what the screening says."""
    import keras

    table = keras.initializers.Constant(np.linspace(-1, 1, 7840).reshape(784, 10))
    flat = [keras.layers.Flatten()]
    vocabulary = keras.layers.IntegerLookup(vocabulary=[1, 2])
    return {
        "a Constant initialiser holding the weights": (
            sequential(*flat, keras.layers.Dense(10, kernel_initializer=table)),
            "data written into the configuration",
        ),
        "an array in a layer's arguments": (
            sequential(keras.layers.Rescaling(np.ones((28, 28, 1), "float32"))),
            "data written into the configuration",
        ),
        "nested lists in a layer's arguments": (
            sequential(keras.layers.Rescaling(np.ones((28, 28, 1)).tolist())),
            "a list of 784 numbers",
        ),
        "a lookup layer's vocabulary": (
            keras.Sequential([keras.Input((1,), dtype="int64"), vocabulary]),
            "IntegerLookup (not on the list",
        ),
        "a Lambda": (sequential(keras.layers.Lambda(lambda t: t)), "Lambda (not on the list"),
        "a layer per weight": (
            sequential(*flat, *[keras.layers.Dense(1) for _ in range(replay.MAX_LAYERS)]),
            f"layers (at most {replay.MAX_LAYERS})",
        ),
    }  # fmt: skip


ROUTES = (
    "a Constant initialiser holding the weights",
    "an array in a layer's arguments",
    "nested lists in a layer's arguments",
    "a lookup layer's vocabulary",
    "a Lambda",
    "a layer per weight",
)  # built when a test asks: TensorFlow may not start while tests are collected


def test_every_route_is_tested():
    assert set(ROUTES) == set(smuggling())


@pytest.mark.parametrize("route", ROUTES)
def test_data_in_a_configuration_is_found_and_named(route):
    model, named = smuggling()[route]
    assert any(named in finding for finding in screened(model).findings)


def test_a_class_of_ones_own_is_found_even_when_registered():
    import keras

    @keras.saving.register_keras_serializable(package="tests_replay")
    class Mine(keras.layers.Layer):
        def call(self, x):
            return x

    assert any("of your own" in finding for finding in screened(sequential(Mine())).findings)


def test_a_schedule_listing_a_learning_rate_per_step_is_data_too():
    import keras

    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(list(range(1, 100)), [0.001] * 100)
    settings = keras.optimizers.serialize(keras.optimizers.Adam(schedule))
    findings = replay.screen(settings, compile_settings=True)[1].findings
    assert "a list of 100 numbers (at most 8)" in findings


def test_every_seed_is_dropped_so_that_the_judge_draws_the_weights():
    import keras

    seeded = sequential(
        keras.layers.Flatten(),
        keras.layers.Dense(10, kernel_initializer=keras.initializers.GlorotUniform(seed=7)),
        keras.layers.Dropout(0.5, seed=7),
    )
    seeded.compile(optimizer="adam", loss="mse")
    cleaned, screening = replay.configuration(seeded)
    assert screening.findings == []
    assert seeds_in(cleaned) == [None, None]


def seeds_in(config: Any) -> list[Any]:
    """Every ``seed`` of a serialised configuration."""
    if isinstance(config, dict):
        own = [config["seed"]] if "seed" in config else []
        return own + [seed for key, v in config.items() if key != "seed" for seed in seeds_in(v)]
    if isinstance(config, list):
        return [seed for item in config for seed in seeds_in(item)]
    return []


# --- the judge's training -----------------------------------------------------------------


def blobs(n: int = 600) -> replay.TrainingSet:
    """Three classes of points around three centres: learnt in a few epochs."""
    rng = np.random.default_rng(1)
    labels = np.arange(n) % 3
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return replay.TrainingSet((centres[labels] + rng.normal(size=(n, 2))).astype("float32"), labels)


def blob_model(optimizer: str = "adam") -> Any:
    import keras

    hidden, output = keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, "softmax")
    model = keras.Sequential([keras.Input((2,)), hidden, output])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    return model


EPOCHS = (replay.Fit(epochs=20, samples=600, batch_size=16),)


def accuracy_on(model: Any, data: replay.TrainingSet) -> float:
    return float(np.mean(replay.classify(model, data.x) == data.labels))


def test_the_judge_trains_the_recipe_from_fresh_weights_never_reading_the_students():
    data = blobs()
    sent = blob_model()
    for weight in sent.weights:  # whatever the kernel's model holds, it is not used
        weight.assign(np.full(weight.shape, 1e9, "float32"))
    replayed = replay.replay(sent, EPOCHS, data, 60, "model")
    assert replayed.model is not sent and accuracy_on(replayed.model, data) > 0.9
    assert all(np.abs(w.numpy()).max() < 100 for w in replayed.model.weights)
    assert 0 < replayed.cpu_seconds < 60


def test_the_same_recipe_trains_to_the_same_weights_every_time():
    data, sent = blobs(), blob_model()
    first, second = (replay.replay(sent, EPOCHS, data, 60, "model") for _ in range(2))
    for a, b in zip(first.model.weights, second.model.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fit_after_fit_on_the_first_samples_with_the_validation_split_left_out():
    data = blobs()
    fits = (replay.Fit(2, 300, 50, 0.5), replay.Fit(1, 10**9, 100, shuffle=False))
    replayed = replay.replay(blob_model("sgd"), fits, data, 60, "model")
    assert int(replayed.model.optimizer.iterations.numpy()) == 2 * 3 + 1 * 6


def test_a_recipe_over_the_budget_is_stopped_and_earns_nothing():
    recipe = (replay.Fit(epochs=replay.MAX_PASSES, samples=600, batch_size=1),)
    with pytest.raises(CheckFailed) as failed:
        replay.replay(blob_model(), recipe, blobs(), 1.0, "model")
    assert "stopped after" in failed.value.found and "1 CPU seconds" in failed.value.expected


def test_a_recipe_no_budget_allows_is_refused_before_it_starts():
    recipe = (replay.Fit(epochs=replay.MAX_EPOCHS, samples=10**9, batch_size=1),)
    with pytest.raises(CheckFailed, match="passes"):
        replay.replay(blob_model(), recipe, blobs(), 3600, "model")


def test_a_model_that_knows_the_answers_untrained_is_refused():
    data, sent = blobs(), blob_model()
    import keras

    keras.utils.set_random_seed(replay.REPLAY_SEED)
    guesses = replay.classify(replay.fresh_model(sent, "model"), data.x)  # its own guesses
    knows = (data.x, guesses, 0.9)
    with pytest.raises(CheckFailed, match="before any training"):
        replay.replay(sent, EPOCHS, data, 60, "model", knows)


@pytest.mark.parametrize(
    ("loss", "width", "first"),
    [
        ("sparse_categorical_crossentropy", 3, 2),
        ("categorical_crossentropy", 3, [0.0, 0.0, 1.0]),
        ("binary_crossentropy", 1, 1.0),
    ],
)
def test_the_judge_encodes_the_labels_as_the_loss_takes_them(loss, width, first):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(width)])
    model.compile(optimizer="sgd", loss=loss)
    labels = np.array([2, 0, 1]) if width > 1 else np.array([1, 0, 1])
    assert replay.encoded_labels(model, labels)[0].tolist() == first


def test_the_trainings_of_one_notebook_share_its_budget():
    ledger = replay.Ledger()
    ledger.spent["mlp"] = 100.0  # the notebook's other model
    recipe = (replay.Fit(epochs=replay.MAX_PASSES, samples=600, batch_size=1),)
    with pytest.raises(CheckFailed) as failed:
        replay.replay(blob_model(), recipe, blobs(), 101, "model", ledger=ledger)
    assert "(1 of its 101 CPU seconds left for it)" in failed.value.expected
    assert 1 <= ledger.spent["model"] < 10  # counted, though it earned nothing
    assert ledger.left(101, "mlp") == 101 - ledger.spent["model"]


# --- 04's accuracy cell, judged in-process as under nbgrader ------------------------------

A04 = "04_mnist_cnn"


def judged_mlp_accuracy(**answers: str) -> dict[str, Any]:
    """The judge's verdict on 04's MLP accuracy cell, the notebook run in this process."""
    from autograder import notebooks
    from autograder.assignments import release_path
    from autograder.course import samples
    from autograder.judge.service import judge_in_process

    recipes.install()
    nb = samples.submission(A04, answers)
    for cell in nb.cells:  # this process's TensorFlow may have started: its threads are set
        cell.source = cell.source.replace("tf.config.threading.set_", "# ")
    namespace = notebooks.run_answer_cells(nb, release_path(A04).parent, skip={"train_cnn"})
    return judge_in_process(A04, "mlp_accuracy", namespace, None, notebooks.student_sources(nb))


def test_weights_written_in_earn_what_the_recipe_earns_and_the_report_shows_both():
    from tests.hostile import own_work

    twin = judged_mlp_accuracy(build_mlp=own_work.TINY_BUILD_MLP, train_mlp=QUICK_MLP)
    attack = judged_mlp_accuracy(
        build_mlp=own_work.TINY_BUILD_MLP,
        train_mlp=own_work.QUICK_TINY_MLP + own_work.packed_weights(),
    )
    assert attack.earned == twin.earned == 0.0
    assert "as the grader trained it (the model your notebook trained: 0.968" in attack.report


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_each_attack_on_the_recipe_earns_no_tier_and_says_why(attack):
    answers, finding = ATTACKS[attack]
    verdict = judged_mlp_accuracy(**answers)
    assert verdict.earned == 0.0 and verdict.error is None
    assert finding in verdict.report


def test_a_claim_of_more_training_earns_what_the_claimed_recipe_earns():
    claimed = judged_mlp_accuracy(train_mlp=CLAIMS_MORE_THAN_IT_RAN)
    honest = judged_mlp_accuracy(train_mlp=TRAINS_THE_CLAIM)
    assert claimed.earned == honest.earned == 1.0
    replayed = claimed.report.split("found    결과: ")[1].split(" as the grader")[0]
    assert replayed in honest.report  # the very same training, to the last digit


def test_the_accuracy_cells_have_the_training_cells_time_limit_as_the_judge_trains_in_them():
    from autograder import notebooks
    from autograder.assignments import release_path
    from autograder.sandbox.execute import SandboxedExecute

    execute = SandboxedExecute(timeout=180, training_timeout=900)
    execute.assignment = A04
    limits = {
        notebooks.grade_id_of(cell): execute._timeout_of(cell)
        for cell in notebooks.read(release_path(A04)).cells
        if notebooks.grade_id_of(cell)
    }
    assert limits["test_mlp_accuracy"] == limits["test_cnn_accuracy"] == 900
    assert limits["train_mlp"] == 900 and limits["test_preprocess"] == 180
