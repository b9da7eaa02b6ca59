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
from autograder.assignments import IDS, grade_id_for
from autograder.checks.api import CheckFailed, Submission, cause_hint
from autograder.checks.plugin import fresh_seed
from autograder.course import samples
from autograder.judge.runner import GradingError, explain, format_report, run_checks
from autograder.kernel.probes import library_calls
from autograder.notebooks import run_answer_cells
from tests.helpers import (
    checks_of,
    failed_checks,
    failing_self_checks,
    grade_in_notebook_order,
    judge_notebook,
    self_check_twins,
    twins_failed_with_their_self_check,
    untrained_cells,
)
from tests.real_patterns import PATTERNS


@pytest.mark.parametrize("assignment", IDS)
def test_reference_solution_passes_every_check_and_every_self_check(assignment):
    """Each test cell that asserts something has hidden twins of its self-check (04's and
    06's accuracy cells only print)."""
    cells = untrained_cells(assignment)
    grades = grade_in_notebook_order(assignment, samples.submission(assignment), cells, 1)
    verdicts = {cell: grade.verdict for cell, grade in grades.items()}
    assert failed_checks(verdicts) == set()
    assert all(v.complete and v.error is None for v in verdicts.values())
    assert failing_self_checks(grades) == set()
    assert set(self_check_twins(assignment)) == cells


@pytest.mark.parametrize("assignment", IDS)
def test_untouched_stub_fails_every_check_and_every_self_check(assignment):
    cells = untrained_cells(assignment)
    grades = grade_in_notebook_order(assignment, samples.stub(assignment), cells, fresh_seed())
    verdicts = {cell: grade.verdict for cell, grade in grades.items()}
    assert failed_checks(verdicts) == checks_of(assignment, cells)
    assert failing_self_checks(grades) == {grade_id_for(cell) for cell in cells}
    for verdict in verdicts.values():
        assert verdict.earned == 0.0
        assert "NotImplementedError" in verdict.report or "not defined" in verdict.report


@pytest.mark.parametrize("mistake", mistakes.CATALOGUE, ids=lambda m: m.name)
def test_each_mistake_fails_exactly_the_checks_and_self_checks_that_guard_it(mistake):
    """Its hidden checks and its visible self-checks, each exactly, and every self-check it
    fails costs a twin's points. Checks of trained models are left to test_grading.py."""
    assignment = mistake.assignment
    cells = untrained_cells(assignment)
    nb = samples.submission(assignment, mistake.answers)
    grades = grade_in_notebook_order(assignment, nb, cells, fresh_seed())
    verdicts = {cell: grade.verdict for cell, grade in grades.items()}
    assert failed_checks(verdicts) == mistake.fails & checks_of(assignment, cells)
    assert failing_self_checks(grades) == mistake.self_check_fails & {
        grade_id_for(cell) for cell in cells
    }
    assert twins_failed_with_their_self_check(assignment, grades)


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
            "images standardised for training: (x - mean) / std",
            "load_pet_images",
            ["found    결과: cannot judge: none of the images matches a readable file"],
            ["with the other class's label"],
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
    report = judge_notebook(mistake.assignment, nb)[cell].report
    assert all(words in report for words in named), report
    assert not any(words in report for words in not_named), report


def _raised(call) -> BaseException:
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("it did not raise")


def _takes_two(a, b):
    return a, b


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: (_ for _ in ()).throw(NotImplementedError()), "raise NotImplementedError()"),
        (lambda: [1, 2].ndim, "np.asarray"),
        (lambda: float(np.zeros((1, 1, 1))), ".item()"),
        (lambda: np.zeros(3920).reshape(60000, 784), "-1"),
        (lambda: np.ones((3, 3)) * np.ones((2, 2)), "broadcasting"),
        (lambda: np.zeros(3).sum(axis=1), "axis 0"),
        (lambda: np.zeros((2, 2))[2, 0], ".shape"),
        (lambda: _takes_two(1), "signature"),
        (lambda: np.zeros((None, 3)), "None"),
    ],
    ids=["not attempted", "list", "NumPy 2", "reshape", "broadcast", "axis", "index",
         "missing argument", "None default"],
)  # fmt: skip
def test_an_error_of_the_students_code_gets_a_bilingual_hint_by_its_cause(call, words):
    hint = cause_hint(_raised(call))
    assert hint is not None and words in hint
    korean, english = hint.split(" / ", 1)
    assert any("가" <= ch <= "힣" for ch in korean) and english.isascii()


def test_a_raise_in_the_students_code_is_reported_with_its_call_cause_and_own_frames():
    """The call with its inputs described, the error in one line, the student's lines only."""
    needs_array = next(p for p in PATTERNS if p.name == "one_hot that needs an ndarray")
    nb = samples.submission("03_one_hot", needs_array.answers)
    report = judge_notebook("03_one_hot", nb)["one_hot"].report
    lines = report.splitlines()
    found = next(line for line in lines if "raised AttributeError" in line)
    assert "one_hot([3, 0, 1, 3], 4) raised AttributeError: 'list' object has no attribute" in found
    where = lines.index(next(line for line in lines if "where    위치:" in line))
    assert lines[where].endswith("one_hot, line 2: if labels.ndim == 2:")
    assert "np.asarray(...)" in lines[where + 1] and "site-packages" not in report


def test_unexpected_errors_in_a_check_do_not_leak_their_message():
    expected, found, hint, where = explain(AssertionError("assert 13 == 26"))
    assert "26" not in expected + found + hint + where


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
