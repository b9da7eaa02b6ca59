"""The rules that keep points for the student's own work, on small real inputs.

``allowlist`` reads 02's code for anything off the list a manual convolution
may use; ``source_rules`` reads 07's, 08's and 09's for weights written in;
``models.expect_own_model`` decides whether such a trained Keras model was
learnt in the graded run. 04's and 06's graded models are tied to their
build functions alone (``models.expect_graded_model``): the grader trains
their recipes itself (``tests/test_replay.py``). Each rule is shown to pass
honest work and to catch the way around it.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from autograder import mistakes, notebooks
from autograder.assignments.a02_manual_convolution.checks import released_names
from autograder.checks import allowlist
from autograder.checks.allowlist import unlisted_uses
from autograder.checks.api import CheckFailed, Submission
from autograder.checks.models import MAX_PARAMETERS, expect_own_model, own_training_findings
from autograder.checks.source_rules import OWN_TRAINING, forbidden_uses, literal_characters
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


# --- 04: weights trained elsewhere ------------------------------------------------------

A04 = "04_mnist_cnn"


def weights_cell_sources(weights) -> dict[str, str]:
    """The student's cells of 04 with the small build_mlp given these weights."""
    return notebooks.student_sources(own_work.tiny_mlp_with(weights)(None, 0))


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


def test_weights_in_a_docstring_read_with_fromhex_a_buffer_and_assign_add_are_caught():
    found = " ".join(own_training_findings(weights_cell_sources(own_work.docstring_weights)))
    assert all(words in found for words in ("fromhex", "buffer=", "assign_add", "literal data"))


def test_the_smallest_model_built_keeps_the_source_rule():
    """Why 04 and 06 are replayed (docs/own-work.md): 368 characters of
    weights and a step of an optimizer break none of the rule's names nor its literal
    budget. The rule, kept for 07, 08 and 09, does not hold them off there either."""
    sources = weights_cell_sources(own_work.packed_weights)
    assert own_training_findings(sources) == []
    assert len(own_work.packed_in_characters(own_work.MLP_CODES)) == 368


@pytest.mark.parametrize(
    "source",
    [
        "# w = [0.1, 0.2]\nw = [float(x) for x in In[-1].split('[')[1].split(']')[0].split(',')]",
        "table = get_ipython().history_manager.input_hist_raw",
        "%history -n 1-3\nx = _ih[2]",
        "import codecs\nw = codecs.decode(s, 'hex')",
        "import struct\nw = struct.unpack('f' * n, blob)",
        "import pkgutil\nload = pkgutil.resolve_name('numpy:load')",
        "import posix\nposix.system('true')",
    ],
)
def test_the_training_rule_sees_the_reviews_named_routes(source):
    assert forbidden_uses(source, OWN_TRAINING)


def test_docstrings_count_as_literal_data_and_comments_do_not():
    docstring = 'def f():\n    """' + "x" * 100 + '"""\n'
    assert literal_characters(docstring) == 100
    assert literal_characters("# " + "x" * 100 + "\nx = 1\n") == 1


def test_honest_07_08_and_09_notebooks_keep_the_training_rule_with_room_to_spare():
    for assignment in ("07_digits_cnn", "08_petimages_augmentation", "09_fashion_mnist_cnn"):
        sources = notebooks.student_sources(samples.submission(assignment))
        assert own_training_findings(sources) == []
        assert sum(map(literal_characters, sources.values())) < OWN_TRAINING.literal_budget / 2
