"""Are the hidden checks right? Each one proven both ways, through the production path.

Every test cell here is judged the way nbgrader's grading judges it: the real
judge (:func:`autograder.judge.service.judge_connection`) asks the real
kernel side (:func:`autograder.kernel.serve.serve_on`) for the student's
objects and calls the student's functions over the wire format, only over a
socket pair in this process instead of from a sandbox. Cells that measure a
trained model are proven through real nbgrader (``test_grading.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import grade, mistakes
from autograder.assignments import IDS
from autograder.checks.api import CheckFailed, Submission
from autograder.course import samples
from autograder.judge.runner import GradingError, explain, format_report, run_checks
from autograder.kernel.probes import library_calls
from autograder.notebooks import run_answer_cells
from tests.helpers import checks_of, failed_checks, judge_notebook, untrained_cells


@pytest.mark.parametrize("assignment", IDS)
def test_reference_solution_passes_every_check(assignment):
    verdicts = judge_notebook(assignment, samples.submission(assignment))
    assert failed_checks(verdicts) == set()
    assert all(v["complete"] and v["error"] is None for v in verdicts.values())


@pytest.mark.parametrize("assignment", IDS)
def test_untouched_stub_fails_every_check(assignment):
    verdicts = judge_notebook(assignment, samples.stub(assignment))
    assert failed_checks(verdicts) == checks_of(assignment, untrained_cells(assignment))
    for verdict in verdicts.values():
        assert verdict["earned"] == 0.0
        assert "NotImplementedError" in verdict["report"] or "not defined" in verdict["report"]


@pytest.mark.parametrize("mistake", mistakes.CATALOGUE, ids=lambda m: m.name)
def test_each_mistake_fails_exactly_the_checks_that_guard_it(mistake):
    """Checks of trained models are left to test_grading.py, which trains them."""
    judged = checks_of(mistake.assignment, untrained_cells(mistake.assignment))
    nb = samples.submission(mistake.assignment, mistake.answers)
    assert failed_checks(judge_notebook(mistake.assignment, nb)) == mistake.fails & judged


def test_grade_returns_a_plain_float_and_prints_the_report(capsys):
    namespace = run_answer_cells(samples.submission("03_one_hot"))
    capsys.readouterr()
    points = grade("03_one_hot", "from_one_hot", namespace)
    assert type(points) is float and points == 2.0
    report = capsys.readouterr().out
    assert report.startswith("[from_one_hot] 2 / 2") and report.count("✓") == 2


def test_grade_raises_rather_than_awarding_points_when_no_check_runs():
    with pytest.raises(GradingError):
        grade("03_one_hot", "no_such_cell", {})


def test_a_check_module_that_cannot_load_is_a_grading_error_not_a_timeout(monkeypatch, tmp_path):
    from autograder import checks

    broken = tmp_path / "a99_broken.py"
    broken.write_text("import no_such_module_anywhere\n")
    monkeypatch.setattr(checks, "check_module_path", lambda assignment: broken)
    with pytest.raises(GradingError, match="could not be loaded"):
        run_checks("99_broken", "cell", Submission({}))


def test_missing_definition_is_reported_as_such():
    results = run_checks("03_one_hot", "one_hot", Submission({}))
    assert all("not defined" in r.found for r in results)


def test_grading_writes_nothing_to_stderr_even_when_libraries_do(capfd):
    """nbgrader zeroes a test cell with stderr output; TensorFlow logs at import."""
    scipy_mistake = next(m for m in mistakes.CATALOGUE if "scipy" in m.name)
    nb = samples.submission("02_manual_convolution", scipy_mistake.answers)
    namespace = run_answer_cells(nb)
    capfd.readouterr()
    assert grade("02_manual_convolution", "conv2d", namespace) == 1.0  # only the errors check
    assert capfd.readouterr().err == ""


def test_report_says_expected_found_and_hint_for_a_failure():
    mistake = next(m for m in mistakes.CATALOGUE if m.name == "padding counted on one side only")
    namespace = run_answer_cells(samples.submission("01_output_size", mistake.answers))
    names = ("conv_output_size",)
    submission = Submission.collect(namespace, names)
    results = run_checks("01_output_size", "conv_output_size", submission, seed=1)
    report = format_report("conv_output_size", results, seed=1)
    assert "4 / 5" in report and "seed: 1)" in report
    assert "expected 기대: the value Keras computes" in report and "BOTH sides" in report


@pytest.mark.parametrize(
    ("name", "cell", "named", "not_named"),
    [
        (
            "an (N, 1) column not flattened",
            "one_hot",
            ["row 0 (label 3) is [1.0, 1.0, 0.0, 1.0]", "(4 of 4 rows wrong)"],
            [],
        ),
        (
            "clips at 1e-15 instead of eps",
            "binary_crossentropy",
            ["eps = 1e-07", "34.5388 when the true class has p = 0", "-log(1e-15)"],
            ["log of 0"],
        ),
        (
            "conv2d assumes a square kernel",
            "conv2d",
            ["the case has a non-square", "kh, kw = kernel.shape"],
            ["F×F", "pad first"],
        ),
    ],
)
def test_the_report_names_the_real_mistake(name, cell, named, not_named):
    mistake = next(m for m in mistakes.CATALOGUE if m.name == name)
    nb = samples.submission(mistake.assignment, mistake.answers)
    report = judge_notebook(mistake.assignment, nb)[cell]["report"]
    assert all(words in report for words in named), report
    assert not any(words in report for words in not_named), report


def test_unexpected_errors_in_a_check_do_not_leak_their_message():
    expected, found, hint = explain(AssertionError("assert 13 == 26"))
    assert "26" not in expected + found + hint


def test_library_detector_sees_aliased_and_numpy_convolutions():
    from scipy.signal import correlate2d as innocent_name

    with library_calls() as found:
        innocent_name(np.ones((3, 3)), np.ones((2, 2)), mode="valid")
        np.convolve([1, 2], [1, 1])
    assert any(name.startswith("scipy.signal") for name in found), found
    assert any(name.endswith(".convolve") for name in found), found
    with library_calls() as found:
        np.sum(np.ones((3, 3)) * 2)
    assert found == []


def test_compiled_loss_is_recognised_in_every_keras_spelling():
    import keras

    from autograder.checks.models import loss_name

    spellings = [
        "categorical_crossentropy",
        keras.losses.CategoricalCrossentropy(),
        keras.losses.categorical_crossentropy,
    ]
    assert {loss_name(loss) for loss in spellings} == {"categorical_crossentropy"}
    assert loss_name("sparse_categorical_crossentropy") != "categorical_crossentropy"
    assert loss_name(keras.losses.BinaryCrossentropy()) == "binary_crossentropy"


def test_an_uncompiled_model_is_reported_as_not_compiled():
    import keras

    from autograder.checks.models import expect_compiled_model

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(CheckFailed, match="compiled"):
        expect_compiled_model(model, "build_cnn()")
