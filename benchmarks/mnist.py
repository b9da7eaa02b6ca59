"""How long does grading 04_mnist_cnn take, for the reference and for the lecture's model?

Autogrades the reference twice and the lecture's model once, with real
nbgrader in a scratch course, and prints for each: CNN training seconds and
test accuracy (read from the graded notebook) and the total ``nbgrader
autograde`` seconds; then the lecture-to-reference ratios.

    export CNN_COURSE_DATA=../shared/datasets       # or online, or a filled cache
    python benchmarks/mnist.py                      # the lecture's model as written: ~15 min
    python benchmarks/mnist.py --lecture-epochs 2   # a quick look

The lecture's model is the classic Keras CNN of the slides, trained as the
lecture does: batch 200, a 25% validation split, up to 30 epochs with early
stopping (patience 10 on the validation loss).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from autograder import notebooks as notebook
from autograder.course import samples
from autograder.course.directory import Course

ASSIGNMENT = "04_mnist_cnn"

LECTURE_CNN = """
EPOCHS = {epochs}
BATCH_SIZE = 200


def build_cnn():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=2),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
"""

LECTURE_TRAINING = """
started = time.perf_counter()
model = build_cnn()
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
history = model.fit(X_train, Y_train, validation_split=0.25, epochs=EPOCHS,
                    batch_size=BATCH_SIZE, verbose=0, callbacks=[early_stopping])
print(f"CNN trained in {time.perf_counter() - started:.0f} s")
"""


def graded_figures(path: Path) -> tuple[float, float]:
    """CNN training seconds and test accuracy, as the graded notebook printed them."""
    text = notebook.printed_text(notebook.read(path))
    seconds = float(re.search(r"CNN trained in (\d+) s", text).group(1))
    accuracy = float(re.search(r"CNN test accuracy: ([\d.]+)", text).group(1))
    return seconds, accuracy


def autograde_one(course: Course, student: str, nb, timeout: int) -> tuple[float, float, float]:
    """Autograde one submission alone; return (training s, accuracy, autograde s)."""
    course.submit(student, ASSIGNMENT, nb)
    started = time.monotonic()
    course.nbgrader(
        "autograde", ASSIGNMENT, "--student", student, "--force", f"--Execute.timeout={timeout}"
    )
    total = time.monotonic() - started
    return (*graded_figures(course.graded_path(student, ASSIGNMENT)), total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lecture-epochs", type=int, default=30)
    args = parser.parse_args()
    lecture = samples.submission(
        ASSIGNMENT,
        {
            "build_cnn": LECTURE_CNN.format(epochs=args.lecture_epochs),
            "train_cnn": LECTURE_TRAINING,
        },
    )
    with tempfile.TemporaryDirectory() as scratch:
        course = Course.create(Path(scratch) / "course", (ASSIGNMENT,))
        course.generate(ASSIGNMENT)
        reference = samples.submission(ASSIGNMENT)
        rows = {
            # Graded twice: determinism means the same accuracy to the last digit.
            "reference, run 1": autograde_one(course, "reference", reference, 600),
            "reference, run 2": autograde_one(course, "reference-again", reference, 600),
            f"lecture ({args.lecture_epochs} epochs max)": autograde_one(
                course, "lecture", lecture, 4 * 3600
            ),
        }
    print(f"{'submission':<28}{'CNN training s':>16}{'test accuracy':>15}{'autograde s':>13}")
    for name, (train, accuracy, total) in rows.items():
        print(f"{name:<28}{train:>16.0f}{accuracy:>15.4f}{total:>13.0f}")
    (ref_train, _, ref_total), _, (lec_train, _, lec_total) = rows.values()
    print(
        f"lecture / reference: training {lec_train / ref_train:.1f}x, "
        f"autograde {lec_total / ref_total:.1f}x"
    )


if __name__ == "__main__":
    main()
