"""What a hostile submission is, and the factories that build one from the real stubs.

Each :class:`Hostile` is what one student hands in: a notebook made from the
released stub (with the reference answers where the attack needs a working
notebook around it), raw bytes, nothing at all, or files arranged in the
submission folder by ``arrange``. ``lost`` names the test cells it must
score zero on (every other cell full marks), and ``reason`` a text its
feedback must contain so the student can tell why.

``fails`` names hidden checks it must fail where the honest score of a cell
is partial: an attack that hides a real mistake must earn exactly what the
mistake earns (``autograder.mistakes``). ``absent`` is a text its feedback
must not show (what the attack tried to leak or to fake). ``small_budget``
entries are graded in a course whose training budget is a few CPU seconds
(``SPENDING_BUDGET``), where seconds of work decide a tier.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import mistakes, notebooks
from autograder.course import samples

ALL = "every test cell"
A01, A02, A03 = "01_output_size", "02_manual_convolution", "03_one_hot"
A04, A05, A06 = "04_mnist_cnn", "05_petimages_loading", "06_binary_crossentropy"
A07, A08, A09 = "07_digits_cnn", "08_petimages_augmentation", "09_fashion_mnist_cnn"


@dataclass(frozen=True)
class Hostile:
    """One hostile or broken submission and the outcome it must get."""

    name: str  # also the student id
    assignment: str
    build: Callable[[Hostile, int], NotebookNode | bytes | None]  # (self, loopback port)
    lost: frozenset[str] | str = frozenset()  # test cells scoring zero
    reason: str = ""
    filename: str | None = None
    fails: frozenset[str] = frozenset()  # hidden checks failed in cells scoring partly
    arrange: Callable[[Path], None] | None = None  # then shapes the submission folder
    # Waits out a time limit: graded in the course with short limits (tests/conftest.py).
    times_out: bool = False
    absent: str = ""  # a text its feedback must not contain (a leaked case, a fake report)
    # Graded in the course with a training budget of SPENDING_BUDGET CPU seconds.
    small_budget: bool = False


# The training budget of the course the small_budget entries are graded in (CPU seconds):
# a 04 notebook that trains its MLP for one epoch spends about two thirds of it.
SPENDING_BUDGET = 30

# Training cells trained for a moment instead of for real, where an entry (or a
# graded mistake, tests/conftest.py) leaves that model alone or loses its
# accuracy anyway, for a reason its feedback names: most of 04's and 06's
# grading time is training. 06's categorical model and 08's plain one are measured by no
# check.
QUICK_MLP = """
started = time.perf_counter()
X_train, Y_train = preprocess(x_train), encode_labels(y_train)
X_val, Y_val = X_train[-6000:], Y_train[-6000:]
mlp = build_mlp()
mlp_history = mlp.fit(X_train[:256], Y_train[:256], epochs=1, verbose=0)
"""

QUICK_CNN = """
model = build_cnn()
history = model.fit(X_train[:256], Y_train[:256], epochs=1, verbose=0)
"""

QUICK_CATEGORICAL = """
categorical_model = build_categorical_model()
categorical_history = categorical_model.fit(x_train[:64], Y_train[:64], epochs=1, verbose=0)
"""

QUICK_BINARY = """
binary_model = build_binary_model()
binary_history = binary_model.fit(x_train[:64], to_binary_labels(Y_train[:64]), epochs=1, verbose=0)
"""

QUICK_DIGITS = """
X_train, Y_train = preprocess(x_train), encode_labels(y_train)
validation_start = int(np.ceil(len(X_train) * 0.8))
X_val, Y_val = X_train[validation_start:], Y_train[validation_start:]
model = build_model()
history = model.fit(X_train[:50], Y_train[:50], validation_split=0.2, epochs=1, verbose=0)
"""

QUICK_FASHION = """
X_train, Y_train = preprocess(x_train), encode_labels(y_train)
X_val, Y_val = X_train[-6000:], Y_train[-6000:]
model = build_cnn()
history = model.fit(X_train[:256], Y_train[:256], epochs=1, verbose=0)
"""

QUICK_PLAIN = """
plain_model = build_model(augment=False)
plain_history = plain_model.fit(x_train[:64], y_train[:64], epochs=1, verbose=0)
"""

QUICK_AUGMENTED = """
model = build_model()
history = model.fit(x_train[:64], y_train[:64], epochs=1, verbose=0)
"""

# assignment -> training cell -> (its quick version, the accuracy cell of its model)
QUICK_TRAINING: dict[str, dict[str, tuple[str, str | None]]] = {
    A04: {"train_mlp": (QUICK_MLP, "mlp_accuracy"), "train_cnn": (QUICK_CNN, "cnn_accuracy")},
    A06: {
        "train_categorical": (QUICK_CATEGORICAL, None),
        "train_binary": (QUICK_BINARY, "binary_accuracy"),
    },
    A07: {"train": (QUICK_DIGITS, "digits_accuracy")},
    A08: {"train_plain": (QUICK_PLAIN, None), "train_augmented": (QUICK_AUGMENTED, "accuracy")},
    A09: {"train_cnn": (QUICK_FASHION, "fashion_accuracy")},
}


def ref(assignment: str, cell: str) -> str:
    """The reference answer of one answer cell."""
    return samples.reference_answers(assignment)[cell]


def answered(**replacements: str) -> Callable[[Hostile, int], NotebookNode]:
    """The reference submission with some answer cells replaced (``{port}`` is filled in)."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        filled = {cell: code.replace("{port}", str(port)) for cell, code in replacements.items()}
        return samples.submission(entry.assignment, filled)

    return build


def unanswered(**replacements: str) -> Callable[[Hostile, int], NotebookNode]:
    """The stub, answers left unsolved, with some answer cells replaced."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        return samples.submission(entry.assignment, replacements, solved=False)

    return build


def mistake(name: str) -> mistakes.Mistake:
    return next(m for m in mistakes.CATALOGUE if m.name == name)


# 02's value checks of conv2d: code in any cell off the notebook's allowlist costs them, so
# an attack written in 02 with modules a convolution does not need (os, json, ...) loses
# them as a library convolution does, whatever else it achieves.
OFF_THE_LIST = mistake("a library convolution (scipy.signal.correlate2d)").fails


def with_mistake(name: str, patch: str) -> Callable[[Hostile, int], NotebookNode]:
    """A catalogued mistake (``autograder.mistakes``) with code that tries to hide it."""
    (cell, code), *_ = mistake(name).answers.items()
    return answered(**{cell: code + patch})


def with_cell_after(
    grade_id: str, source: str, **replacements: str
) -> Callable[[Hostile, int], NotebookNode]:
    """The reference submission (``replacements`` answered) with a code cell the student
    added after cell ``grade_id``."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        nb = samples.submission(entry.assignment, replacements)
        nb.cells.insert(cell_index(nb, grade_id) + 1, nbformat.v4.new_code_cell(source))
        return nb

    return build


def raw(data: bytes | None) -> Callable[[Hostile, int], bytes | None]:
    return lambda entry, port: data


def edited(change: Callable[[NotebookNode], None]) -> Callable[[Hostile, int], NotebookNode]:
    """The reference submission with its cells changed by ``change``."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        nb = samples.submission(entry.assignment)
        change(nb)
        return nb

    return build


def cell_index(nb: NotebookNode, grade_id: str) -> int:
    return next(
        i for i, c in enumerate(nb.cells) if notebooks.nbgrader_meta(c).get("grade_id") == grade_id
    )


def delete_cells(*grade_ids: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        for grade_id in grade_ids:
            del nb.cells[cell_index(nb, grade_id)]

    return change


def duplicate_cell(grade_id: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        index = cell_index(nb, grade_id)
        nb.cells.insert(index + 1, nbformat.from_dict(json.loads(json.dumps(nb.cells[index]))))

    return change


def move_before(grade_id: str, before: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        cell = nb.cells.pop(cell_index(nb, grade_id))
        nb.cells.insert(cell_index(nb, before), cell)

    return change


def set_source(grade_id: str, source: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        nb.cells[cell_index(nb, grade_id)].source = source

    return change


def set_metadata(cell: str, **values: object) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        nb.cells[cell_index(nb, cell)].metadata.nbgrader.update(values)

    return change
