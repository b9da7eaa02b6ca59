"""What does grading 04_mnist_cnn cost, for the reference and for the lecture's model?

Autogrades the reference twice and the lecture's model once, with real
nbgrader in a scratch course (one thread per kernel, as always), and prints
for each: the CNN training cell's wall seconds and the notebook's CPU
seconds after it (both as the graded notebook printed them), the CNN's
validation accuracy, its test-accuracy points (of 4), and the whole
``nbgrader autograde`` in seconds.

    export CNN_COURSE_DATA=../shared/datasets       # or online, or a filled cache
    python benchmarks/mnist.py                      # about 15 minutes

The lecture's model is the classic Keras CNN of the slides, trained as the
lecture does: batch 200, a 25% validation split, up to 30 epochs with early
stopping (patience 10 on the validation loss). The training budget (360 CPU
seconds) stops it.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

from autograder import notebooks as notebook
from autograder.course import samples
from autograder.course.directory import Course

ASSIGNMENT = "04_mnist_cnn"

LECTURE_CNN = "EPOCHS = {epochs}\nBATCH_SIZE = 200\n" + samples.LECTURE_BUILD_CNN

LECTURE_TRAINING = """
started = time.perf_counter()
model = build_cnn()
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
history = model.fit(X_train, Y_train, validation_split=0.25, epochs=EPOCHS,
                    batch_size=BATCH_SIZE, verbose=0, callbacks=[early_stopping])
print(f"CNN trained in {time.perf_counter() - started:.0f} s; "
      f"CPU time so far {time.process_time():.0f} of 360 s")
"""


def graded_figures(course: Course, student: str) -> tuple[str, str, str, float]:
    """CNN training s, CPU s so far, validation accuracy (as printed), test-accuracy points."""
    nb = notebook.read(course.graded_path(student, ASSIGNMENT))
    text = notebook.printed_text(nb)
    trained = re.search(r"CNN trained in (\d+) s; CPU time so far (\d+)", text)
    accuracy = re.search(r"CNN validation accuracy: ([\d.]+)", text)
    if "TrainingBudgetSpent" in json.dumps(nb):
        trained_s, cpu_s = "stopped", "budget"
    else:
        trained_s, cpu_s = trained.groups() if trained else ("-", "-")
    points = course.cell_scores(ASSIGNMENT)[student]["test_cnn_accuracy"]
    return trained_s, cpu_s, accuracy.group(1) if accuracy else "-", points


def autograde_one(course: Course, student: str, nb) -> tuple[str, str, str, float, float]:
    """Autograde one submission alone; its figures and the autograde seconds."""
    course.submit(student, ASSIGNMENT, nb)
    started = time.monotonic()
    course.nbgrader("autograde", ASSIGNMENT, "--student", student, "--force")
    total = time.monotonic() - started
    return (*graded_figures(course, student), total)


def main() -> None:
    lecture = samples.submission(
        ASSIGNMENT, {"build_cnn": LECTURE_CNN.format(epochs=30), "train_cnn": LECTURE_TRAINING}
    )
    with tempfile.TemporaryDirectory() as scratch:
        course = Course.create(Path(scratch) / "course", (ASSIGNMENT,))
        course.generate(ASSIGNMENT)
        reference = samples.submission(ASSIGNMENT)
        rows = {
            # Graded twice: determinism means the same accuracy to the last digit.
            "reference, run 1": autograde_one(course, "reference", reference),
            "reference, run 2": autograde_one(course, "reference-again", reference),
            "lecture (30 epochs max)": autograde_one(course, "lecture", lecture),
        }
    print(
        f"{'submission':<26}{'CNN training s':>15}{'CPU s so far':>13}"
        f"{'val. accuracy':>14}{'test points':>12}{'autograde s':>12}"
    )
    for name, (train, cpu, accuracy, points, total) in rows.items():
        print(f"{name:<26}{train:>15}{cpu:>13}{accuracy:>14}{points:>12g}{total:>12.0f}")


if __name__ == "__main__":
    main()
