"""The course's assignments: one registry of the facts every layer needs about them.

Each :class:`Assignment` says what the grader must know without opening a
notebook: its points, the names the hidden checks take from the student's
notebook, the data sets it needs, and which cells train models (the slow,
budgeted part). The notebooks themselves live in ``solutions/<id>/`` (the
instructor's source) and ``assignments/<id>/`` (the student release).

This module imports nothing from the rest of the package, so that the
course, the sandbox, the judge and the checks can all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def _course_checkout() -> Path:
    """The course's own folder: the checkout this package lies in (``make`` installs it
    editable), or, for a regular ``pip install`` into site-packages, the folder the
    command runs in, where the instructor keeps the course."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "nbgrader_config.py").is_file() else Path.cwd()


REPO_ROOT = _course_checkout()
COURSE_ID = "cnn-course"  # CourseDirectory.course_id in nbgrader_config.py


@dataclass(frozen=True)
class Assignment:
    """What the grader knows about one assignment."""

    id: str
    topic: str
    points: int  # the sum of its test cells' points, and of its hidden checks' points
    student_names: tuple[str, ...]  # what the hidden checks take from the notebook
    data: tuple[str, ...] = ()  # data sets (course_data.MANIFEST keys) its notebook loads
    training_cells: tuple[str, ...] = ()  # answer cells (grade ids) that train models
    accuracy_cells: tuple[str, ...] = ()  # check cells that measure a trained model
    # CPU seconds the notebook may compute up to its accuracy cells (one thread, see
    # sandbox.command.ONE_THREAD): counted by the operating system, so a busy grading
    # machine does not move it. None: the notebook trains nothing.
    cpu_budget: int | None = None

    @property
    def trains_models(self) -> bool:
        """Whether grading this assignment trains models (tens of seconds per notebook)."""
        return bool(self.training_cells)


# The training budget of 04 and 06, in CPU seconds. Their references spend about
# 175 and 150 (benchmarks/budget.md): the budget leaves room for a student's
# heavier model, and stops the lecture's CNN as written (about 3,500).
CPU_BUDGET = 360
# 07's budget: its reference (the post's 100 epochs) spends 21-27 CPU seconds in all
# (benchmarks/digits.md); about five times that leaves room for more epochs or filters.
DIGITS_CPU_BUDGET = 120
# 08's reference spends 36-42 CPU seconds in its two trainings, 39-47 up to its accuracy
# cell (benchmarks/augmentation.md): room for more epochs; one epoch of the lecture's
# model as written spends 75.
AUGMENTATION_CPU_BUDGET = 120

# Fashion-MNIST's four files (course_data.MANIFEST): the kernel reads the training pair.
FASHION_MNIST = (
    "fashion_mnist_train_images",
    "fashion_mnist_train_labels",
    "fashion_mnist_test_images",
    "fashion_mnist_test_labels",
)

REGISTRY: dict[str, Assignment] = {
    a.id: a
    for a in (
        Assignment(
            "01_output_size",
            "conv/pool output size (W - F + 2P) / S + 1, parameter counts",
            12,
            ("conv_output_size", "same_padding", "pool_output_size", "conv_param_count"),
        ),
        Assignment(
            "02_manual_convolution",
            "zero_pad, conv2d (cross-correlation) and max_pool2d in NumPy",
            14,
            ("zero_pad", "conv2d", "max_pool2d"),
        ),
        Assignment(
            "03_one_hot",
            "one_hot as to_categorical does, and back",
            7,
            ("one_hot", "from_one_hot"),
        ),
        Assignment(
            "04_mnist_cnn",
            "MNIST: preprocessing, the lecture's MLP, a CNN, test-accuracy tiers",
            14,
            (
                "preprocess",
                "encode_labels",
                "build_mlp",
                "build_cnn",
                "mlp",
                "model",
                "mlp_history",
                "history",
            ),
            data=("mnist",),
            training_cells=("train_mlp", "train_cnn"),
            accuracy_cells=("mlp_accuracy", "cnn_accuracy"),
            cpu_budget=CPU_BUDGET,
        ),
        Assignment(
            "05_petimages_loading",
            "PetImages with OpenCV (grayscale, resize) that survives damaged files",
            12,
            ("load_pet_images", "summarize"),
            data=("petimages",),
        ),
        Assignment(
            "06_binary_crossentropy",
            "both crossentropies in NumPy, softmax vs sigmoid heads, hold-out accuracy",
            15,
            (
                "categorical_crossentropy",
                "binary_crossentropy",
                "to_binary_labels",
                "build_categorical_model",
                "build_binary_model",
                "predict_labels",
                "binary_model",
                "binary_history",
            ),
            data=("petimages",),
            training_cells=("train_categorical", "train_binary"),
            accuracy_cells=("binary_accuracy",),
            cpu_budget=CPU_BUDGET,
        ),
        Assignment(
            "07_digits_cnn",
            "the Keras digits post in today's Keras: 8x8 digits, the post's split and CNN, "
            "test-accuracy tiers",
            12,
            (
                "preprocess",
                "encode_labels",
                "split_digits",
                "build_model",
                "accuracy_curves",
                "model",
                "history",
            ),
            data=("digits",),
            training_cells=("train",),
            accuracy_cells=("digits_accuracy",),
            cpu_budget=DIGITS_CPU_BUDGET,
        ),
        Assignment(
            "08_petimages_augmentation",
            "data augmentation and dropout on PetImages, judged by behaviour; hold-out accuracy",
            13,
            (
                "build_augmentation",
                "build_model",
                "plain_model",
                "plain_history",
                "model",
                "history",
            ),
            data=("petimages",),
            training_cells=("train_plain", "train_augmented"),
            accuracy_cells=("accuracy",),
            cpu_budget=AUGMENTATION_CPU_BUDGET,
        ),
        Assignment(
            "09_fashion_mnist_cnn",
            "the CNN slides' exercise: Fashion-MNIST's 10 clothing classes, a CNN, "
            "test-accuracy tiers",
            11,
            (
                "LABEL_NAMES",
                "label_names",
                "preprocess",
                "encode_labels",
                "build_cnn",
                "model",
                "history",
            ),
            data=FASHION_MNIST,
            training_cells=("train_cnn",),
            accuracy_cells=("fashion_accuracy",),
            cpu_budget=CPU_BUDGET,
        ),
    )
}

IDS: tuple[str, ...] = tuple(REGISTRY)


def get(assignment_id: str) -> Assignment:
    """The registry's entry for an assignment id; KeyError naming the known ids."""
    try:
        return REGISTRY[assignment_id]
    except KeyError:
        raise KeyError(
            f"unknown assignment {assignment_id!r}; the course has {', '.join(IDS)}"
        ) from None


def solution_path(assignment_id: str, root: Path = REPO_ROOT) -> Path:
    """The instructor's notebook of an assignment (nbgrader's source)."""
    return root / "solutions" / assignment_id / f"{assignment_id}.ipynb"


def release_path(assignment_id: str, root: Path = REPO_ROOT) -> Path:
    """The student version of an assignment (nbgrader's release)."""
    return root / "assignments" / assignment_id / f"{assignment_id}.ipynb"


def grade_id_for(check_cell: str) -> str:
    """The nbgrader ``grade_id`` of the notebook test cell that runs check cell ``check_cell``."""
    return f"test_{check_cell}"
