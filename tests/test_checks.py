"""Are the hidden checks right? Each one proven both ways, in this process.

These run the checks through the runner's own ``judge`` on notebooks built
from the real student stubs; ``test_grading.py`` does the same through
nbgrader.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import checks, grade, mistakes, notebook, samples
from autograder.checking import Submission
from autograder.course import ASSIGNMENTS, solution_path
from autograder.probes import library_calls
from autograder.runner import GradingError, explain, format_report, judge
from autograder.sandbox import GRADE_CALL
from tests.helpers import (
    QUICK_ASSIGNMENTS,
    TRAINS_MODELS,
    failed_checks,
    grade_id_of,
    judge_notebook,
)


@pytest.mark.parametrize("assignment", QUICK_ASSIGNMENTS)
def test_reference_solution_passes_every_check(assignment):
    results = judge_notebook(assignment, samples.submission(assignment))
    assert failed_checks(results) == set()


@pytest.mark.parametrize("assignment", QUICK_ASSIGNMENTS)
def test_untouched_stub_fails_every_check(assignment):
    results = judge_notebook(assignment, samples.stub(assignment))
    every_check = {name for cell in checks.check_points(assignment).values() for name in cell}
    assert failed_checks(results) == every_check
    found = [r.found for cell in results.values() for r in cell]
    assert all("NotImplementedError" in text for text in found), found


QUICK_MISTAKES = [m for m in mistakes.CATALOGUE if m.assignment not in TRAINS_MODELS]


@pytest.mark.parametrize("mistake", QUICK_MISTAKES, ids=lambda m: m.name)
def test_each_mistake_fails_exactly_the_checks_that_guard_it(mistake):
    nb = samples.submission(mistake.assignment, mistake.answers)
    assert failed_checks(judge_notebook(mistake.assignment, nb)) == mistake.fails


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_check_is_failed_by_some_realistic_mistake(assignment):
    caught = set().union(*(m.fails for m in mistakes.for_assignment(assignment)))
    every_check = {name for cell in checks.check_points(assignment).values() for name in cell}
    assert every_check - caught == set(), "checks no mistake in the catalogue fails"
    assert len(mistakes.for_assignment(assignment)) >= 5 + (assignment in TRAINS_MODELS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_test_cell_is_worth_the_points_of_its_checks(assignment):
    """A test cell's points must equal its checks' points, or nbgrader's partial credit lies."""
    points = checks.check_points(assignment)
    cells = notebook.test_cells(notebook.read(solution_path(assignment)))
    graded = {}
    for cell in cells:
        call = GRADE_CALL.search(cell.source)
        assert call and call["assignment"] == assignment, cell.source
        assert notebook.nbgrader_meta(cell)["grade_id"] == grade_id_of(call["cell"])
        graded[call["cell"]] = notebook.nbgrader_meta(cell)["points"]
    assert graded == {cell: sum(p.values()) for cell, p in points.items()}


def test_hidden_part_of_a_test_cell_is_only_a_call_into_the_package():
    for assignment in ASSIGNMENTS:
        for cell in notebook.test_cells(notebook.read(solution_path(assignment))):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")
            lines = [line for line in hidden[0].strip().splitlines() if line.strip()]
            assert lines[0] == "from autograder import grade"
            assert GRADE_CALL.fullmatch(lines[1]) and len(lines) == 2


def test_grade_returns_a_plain_float_and_prints_the_report(capsys):
    namespace = notebook.run_answer_cells(samples.submission("03_one_hot"))
    capsys.readouterr()
    points = grade("03_one_hot", "from_one_hot", namespace)
    assert type(points) is float and points == 2.0
    report = capsys.readouterr().out
    assert report.startswith("[from_one_hot] 2 / 2") and report.count("✓") == 2


def test_grade_raises_rather_than_awarding_points_when_no_check_runs():
    with pytest.raises(GradingError):
        grade("03_one_hot", "no_such_cell", {})


def test_a_check_module_that_cannot_load_is_a_grading_error_not_a_timeout(monkeypatch, tmp_path):
    broken = tmp_path / "a99_broken.py"
    broken.write_text("import no_such_module_anywhere\n")
    monkeypatch.setattr(checks, "check_module_path", lambda assignment: broken)
    with pytest.raises(GradingError, match="could not be loaded"):
        judge("99_broken", "cell", Submission({}))


def test_missing_definition_is_reported_as_such():
    results = judge("03_one_hot", "one_hot", Submission({}))
    assert all("not defined" in r.found for r in results)


def test_grading_writes_nothing_to_stderr_even_when_libraries_do(capfd):
    """nbgrader zeroes a test cell with stderr output; TensorFlow logs at import."""
    scipy_mistake = next(m for m in mistakes.CATALOGUE if "scipy" in m.name)
    nb = samples.submission("02_manual_convolution", scipy_mistake.answers)
    namespace = notebook.run_answer_cells(nb)
    capfd.readouterr()
    assert grade("02_manual_convolution", "conv2d", namespace) == 1.0  # only the errors check
    assert capfd.readouterr().err == ""


def test_report_says_expected_found_and_hint_for_a_failure():
    mistake = next(m for m in mistakes.CATALOGUE if m.name == "padding counted on one side only")
    results = judge_notebook(
        "01_output_size", samples.submission("01_output_size", mistake.answers)
    )
    report = format_report("conv_output_size", results["conv_output_size"])
    assert "4 / 5" in report
    assert "expected" in report and "raised ValueError" in report and "BOTH sides" in report


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

    from autograder.checks.a04_mnist_cnn import is_categorical_crossentropy

    spellings = [
        "categorical_crossentropy",
        keras.losses.CategoricalCrossentropy(),
        keras.losses.categorical_crossentropy,
    ]
    assert all(is_categorical_crossentropy(loss) for loss in spellings)
    assert not is_categorical_crossentropy("sparse_categorical_crossentropy")
    assert not is_categorical_crossentropy(keras.losses.BinaryCrossentropy())


def test_an_uncompiled_model_is_reported_as_not_compiled():
    import keras

    from autograder.checking import CheckFailed
    from autograder.checks.a04_mnist_cnn import expect_model

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(CheckFailed, match="compiled"):
        expect_model(model, "build_cnn()")
