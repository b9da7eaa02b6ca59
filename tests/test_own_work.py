"""The rules that keep points for the student's own work, on small real inputs.

``allowlist`` reads 02's code for anything off the list a manual convolution
may use; ``models.expect_graded_model`` ties 04's and 06's graded models to
their build functions (the grader then trains their recipes itself:
``tests/test_replay.py``). Each rule is shown to pass honest work and to
catch the way around it.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from autograder import mistakes, notebooks
from autograder.checks import allowlist
from autograder.checks.a02_manual_convolution import released_names
from autograder.checks.allowlist import unlisted_uses
from autograder.checks.api import CheckFailed, Submission
from autograder.checks.models import MAX_PARAMETERS, expect_graded_model
from autograder.course import samples
from tests.helpers import failed_checks, judge_notebook
from tests.hostile import own_work
from tests.hostile.own_work import CHECKED, HONEST_CONVOLUTIONS, ROUTES

A02 = "02_manual_convolution"


def uses_of(**answers: str) -> list[str]:
    """What 02's rule finds in the reference notebook with these answer cells."""
    nb = samples.submission(A02, answers)
    return unlisted_uses(notebooks.student_sources(nb), given=released_names())


@pytest.mark.parametrize("name", HONEST_CONVOLUTIONS)
def test_manual_convolutions_as_students_and_textbooks_write_them_keep_the_list(name):
    assert uses_of(conv2d=HONEST_CONVOLUTIONS[name]) == []


def test_the_reference_and_every_catalogued_02_mistake_but_the_library_keep_the_list():
    assert uses_of() == []
    for mistake in mistakes.for_assignment(A02):
        found = uses_of(**mistake.answers)
        assert bool(found) == ("library" in mistake.name), mistake.name


def test_a_cell_that_times_and_tests_conv2d_keeps_the_list():
    nb = samples.submission(A02)
    nb.cells.append(nbformat.v4.new_code_cell(own_work.SELF_TEST_CELL))
    nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\n%time conv2d(digit, digit)"))
    assert unlisted_uses(notebooks.student_sources(nb), given=released_names()) == []


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_to_a_library_is_off_the_list_and_named(route):
    found = uses_of(conv2d=samples.reference_answers(A02)["conv2d"] + ROUTES[route])
    assert found and all(use.startswith("`conv2d` line ") for use in found)


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"conv2d": own_work.RESOLVED_IN_A_THREAD}, ["import _thread", "import pkgutil"]),
        ({"conv2d": own_work.FROM_A_COMMENT}, ["_ih (a name", "get_ipython (a name"]),
        ({"conv2d": own_work.RUNS_THE_FILE + CHECKED}, ["%run (an IPython magic)"]),
        ({"zero_pad": own_work.WRITTEN_AND_RUN}, ["%%writefile (an IPython magic)"]),
    ],
)
def test_the_catalogued_routes_are_named_in_the_finding(answers, named):
    found = " ".join(uses_of(**answers))
    assert all(words in found for words in named)


def test_a_library_computed_in_a_thread_of_its_own_costs_the_value_points():
    """The review's attack, judged in-process: the probe cannot see the thread; the rule does."""
    nb = samples.submission(A02, {"conv2d": own_work.RESOLVED_IN_A_THREAD})
    library = next(m for m in mistakes.for_assignment(A02) if "library" in m.name)
    assert failed_checks(judge_notebook(A02, nb)) == library.fails


def test_own_class_members_unlock_no_attribute_the_allowed_objects_have():
    own = "class Mine:\n    def forward(self):\n        return np.zeros(1)\n"
    assert unlisted_uses({"a": "import numpy as np\n" + own + "Mine().forward()"}) == []
    named_like_numpy = own.replace("forward", "convolve") + "Mine().convolve()"
    assert unlisted_uses({"a": "import numpy as np\n" + named_like_numpy})


def test_code_that_does_not_parse_has_nothing_to_find():
    assert unlisted_uses({"a": "def conv2d(:\n    import scipy"}) == []


# What no chain of listed attribute names may reach from what the notebook can hold.
FORBIDDEN_MODULES = ("scipy", "cv2", "tensorflow", "keras", "torch", "threading", "_thread",
                     "multiprocessing", "concurrent", "subprocess", "os", "posix", "sys",
                     "importlib", "pkgutil", "ctypes", "pickle", "codecs", "struct", "operator",
                     "inspect", "gc", "runpy", "pydoc", "signal", "numpy.fft")  # fmt: skip


LOOKUPS = ("getattr", "eval", "exec", "compile", "__import__", "globals", "vars", "locals",
           "open", "setattr", "breakpoint")  # fmt: skip


def test_no_chain_of_listed_names_reaches_a_convolution_a_lookup_or_a_thread():
    import builtins

    np_forbidden = [np.convolve, np.correlate, np.polymul, np.poly1d, np.fft, np.load]
    lookups = [getattr(builtins, name) for name in LOOKUPS]
    reached = allowlist.reachable().values()
    assert not any(obj is bad for obj in reached for bad in [*np_forbidden, *lookups])
    modules = {obj.__name__ for obj in reached if isinstance(obj, type(np))}  # not builtins
    assert modules <= allowlist.MODULES | {"numpy.lib", "numpy.lib.format"}
    homes = {getattr(obj, "__module__", None) or "" for obj in reached}
    assert not [home for home in homes if home.startswith(FORBIDDEN_MODULES)]


def small_model(units: int = 8):
    import keras

    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, "relu"), keras.layers.Dense(3, "softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def student(model, build=small_model) -> Submission:
    return Submission({"model": model, "build_model": build})


def test_a_model_built_by_its_build_function_is_the_graded_one():
    expect_graded_model(student(small_model()), "model", "build_model")


def test_a_graded_model_other_than_the_built_one_is_caught():
    with pytest.raises(CheckFailed, match="other layers"):
        expect_graded_model(student(small_model(16)), "model", "build_model")


def test_a_model_over_the_parameter_budget_is_caught():
    big = small_model(MAX_PARAMETERS // 4)
    with pytest.raises(CheckFailed, match="parameters"):
        expect_graded_model(student(big, lambda: big), "model", "build_model")


# --- 04: weights trained elsewhere ------------------------------------------------------


def accuracy_with(weights) -> float:
    """The small model's accuracy on the 10,000 test images once the weights are set,
    by the very code the catalogue entry's notebook runs."""
    import keras

    from source_data.course_data import load_mnist

    namespace = {"np": np, "keras": keras}
    exec(own_work.TINY_BUILD_MLP, namespace)
    namespace["mlp"] = namespace["build_mlp"]()
    exec(weights(), namespace)
    x_test, y_test = load_mnist()[1]
    x = (x_test.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
    predicted = namespace["mlp"].predict(x, batch_size=1000, verbose=0).argmax(axis=1)
    return float(np.mean(predicted == y_test))


@pytest.mark.parametrize("weights", [own_work.docstring_weights, own_work.packed_weights])
def test_the_written_in_weights_reach_the_first_mlp_tier_and_no_further(weights):
    assert 0.96 <= accuracy_with(weights) < 0.975


def test_the_smallest_model_is_368_characters_of_a_string():
    """Below any budget of text honest notebooks keep (docs/security-notes/own-work.md)."""
    assert len(own_work.packed_in_characters(own_work.MLP_CODES)) == 368
