"""The rules that keep points for the student's own work, on small real inputs.

``source_rules`` reads the code the student wrote; ``models.expect_own_model``
decides whether a trained Keras model was learnt in the graded run. Each
rule is shown to pass honest work and to catch the way around it.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks.api import CheckFailed, Submission
from autograder.checks.models import MAX_PARAMETERS, expect_own_model
from autograder.checks.source_rules import OWN_CONVOLUTION, OWN_TRAINING, forbidden_uses


@pytest.mark.parametrize(
    "source",
    [
        "import cv2\nout = cv2.filter2D(image, -1, kernel)",
        "from scipy.signal import correlate2d",
        "out = np.correlate(a, b)",
        "f = getattr(np, 'correl' + 'ate')",
        "import importlib\nsignal = importlib.import_module('scipy.signal')",
        "import threading",
        "import sys\nsys.setprofile(None)",
        "list(map(np.core.multiarray.correlate2, rows, kernels))",
        "__import__('scipy')",
        # Ways to name a function from strings that the first rules missed (review of the
        # README's limits): the operator and builtins modules, pydoc, and a Fourier route.
        "import operator\nf = operator.attrgetter('correl' + 'ate')(np)",
        "import builtins\nf = builtins.getattr(np, 'correl' + 'ate')",
        "import pydoc\nf = pydoc.locate('scipy.signal.correlate2d')",
        "out = np.real(np.fft.ifft2(np.fft.fft2(image) * np.fft.fft2(kernel, image.shape)))",
        "f = np.__dict__['correl' + 'ate']",
        "f = (lambda: 0).__globals__",
    ],
)
def test_the_convolution_rule_sees_each_way_to_a_library(source):
    assert forbidden_uses(source, OWN_CONVOLUTION)


@pytest.mark.parametrize(
    "source",
    [
        "model.set_weights(table)",
        "model.load_weights('w.h5')",
        "weights = np.load('w.npy')",
        "import base64",
        "data = open('x').read()",
        "layer.kernel.assign(values)",
        "model = keras.models.load_model('m.keras')",
        "w = getattr(model, 'set_' + 'weights')",
        "import operator\noperator.methodcaller('set_' + 'weights', table)(model)",
    ],
)
def test_the_training_rule_sees_weights_and_data_written_in(source):
    assert forbidden_uses(source, OWN_TRAINING)


def test_honest_notebook_code_keeps_both_rules():
    source = (
        '''
def build_cnn():
    """A docstring is prose, however long: '''
        + "x" * 3000
        + '''"""
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3)])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model

history = model.fit(X_train, Y_train, validation_split=0.1, epochs=3, batch_size=128)
print(f"trained in {time.perf_counter() - started:.0f} s")
'''
    )
    assert forbidden_uses(source, OWN_TRAINING) == []
    assert forbidden_uses(source, OWN_CONVOLUTION) == []


def small_model(units: int = 8):
    import keras

    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, "relu"), keras.layers.Dense(3, "softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def student(model, build=small_model, sources=None) -> Submission:
    return Submission({"model": model, "build_model": build}, sources or {"train": "model.fit()"})


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(300, 4)).astype(np.float32), rng.integers(0, 3, size=300)


def test_a_model_built_and_trained_in_the_notebook_is_its_own(sample):
    expect_own_model(student(small_model()), "model", "build_model", sample, floor=0.9)


@pytest.mark.parametrize(
    "sources",
    [
        {"train": "table = [" + ", ".join(["0.125"] * 1000) + "]"},
        {"train": "blob = '" + "A" * 3000 + "'"},
        # The same table split over cells, each within the budget: the notebook's total counts.
        {f"cell {i}": "part = [" + ", ".join(["0.125"] * 100) + "]" for i in range(5)},
    ],
)
def test_literal_data_is_counted_over_the_whole_notebook(sample, sources):
    with pytest.raises(CheckFailed, match="literal data"):
        expect_own_model(
            student(small_model(), sources=sources), "model", "build_model", sample, 0.9
        )


def test_weights_written_in_are_caught_in_the_source(sample):
    honest = student(small_model(), sources={"train": "model.set_weights(TABLE)"})
    with pytest.raises(CheckFailed, match="set_weights"):
        expect_own_model(honest, "model", "build_model", sample, floor=0.9)


def test_a_graded_model_other_than_the_built_one_is_caught(sample):
    with pytest.raises(CheckFailed, match="other layers"):
        expect_own_model(student(small_model(16)), "model", "build_model", sample, floor=0.9)


def test_a_model_over_the_parameter_budget_is_caught(sample):
    big = small_model(MAX_PARAMETERS // 4)
    with pytest.raises(CheckFailed, match="parameters"):
        expect_own_model(student(big, lambda: big), "model", "build_model", sample, floor=0.9)


def test_a_model_that_knows_the_answers_before_training_is_caught(sample):
    x, _ = sample
    model = small_model()
    knows = (x, np.asarray(model.predict(x, verbose=0)).argmax(axis=1))  # its own guesses
    with pytest.raises(CheckFailed, match="before any training"):
        expect_own_model(student(model, lambda: model), "model", "build_model", knows, 0.9)
