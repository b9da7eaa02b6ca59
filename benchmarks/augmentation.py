"""What does 08's reference cost and reach, over several seeds, on the one thread a kernel has?

Runs the reference notebook's code cells in this process with one
TensorFlow thread, as the sandbox sets it: hidden tests left out, plots
drawn off screen (the picture of augmented photos draws from the random
generators, as in the graded notebook). Once per seed (the locked cell's
``set_random_seed(42)`` replaced): a student's honest notebook differs from
the reference in what it draws from the random generators, so the spread
over seeds is what its accuracy may be. Prints, per seed, the CPU seconds of
each training cell and of the notebook up to its accuracy cell, both models'
last training and validation accuracy and their accuracy on the hold-out
photos (measured as the hidden checks measure it). Then one epoch of the
lecture's model as written (180x180 photos, five convolutions) on 200 random
photos, scaled to the lecture's 2,000.

    export CNN_COURSE_DATA=../shared/datasets
    python benchmarks/augmentation.py              # seeds 42 1 2 3 4 5: about 4 minutes
    python benchmarks/augmentation.py 42 7         # chosen seeds
"""

from __future__ import annotations

import os
import resource
import sys
import time

from autograder.sandbox.command import ONE_THREAD

os.environ.update(ONE_THREAD)  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np

from autograder import notebooks
from autograder.assignments import REPO_ROOT, solution_path

ASSIGNMENT = "08_petimages_augmentation"
SEEDS = (42, 1, 2, 3, 4, 5)
LOCKED_SEED = "keras.utils.set_random_seed(42)"
LECTURE_PHOTOS = 200  # of 180x180, for one epoch of the lecture's model


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(seed: int) -> dict[str, float]:
    """The reference notebook's cells with this seed: CPU seconds and accuracies."""
    from autograder.assignments.a08_petimages_augmentation.checks import pet_holdout

    namespace: dict = {}
    started = cpu_seconds()
    spent: dict[str, float] = {}
    for cell in notebooks.read(solution_path(ASSIGNMENT)).cells:
        if cell.cell_type != "code":
            continue
        source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        if notebooks.grade_id_of(cell) == "test_accuracy":
            spent["notebook"] = cpu_seconds() - started
            break
        source = source.replace(LOCKED_SEED, f"keras.utils.set_random_seed({seed})")
        before = cpu_seconds()
        exec(compile(source, ASSIGNMENT, "exec"), namespace)
        name = notebooks.grade_id_of(cell) or ""
        if name.startswith("train"):
            spent[name] = cpu_seconds() - before
    x, y = pet_holdout()
    for model, history in (("plain_model", "plain_history"), ("model", "history")):
        predicted = namespace[model].predict(x, batch_size=600, verbose=0)[:, 0] > 0.5
        spent[f"{model} hold-out"] = float(np.mean(predicted == y))
        for key in ("accuracy", "val_accuracy"):
            spent[f"{model} {key}"] = namespace[history].history[key][-1]
    return spent


def lecture_epoch() -> float:
    """CPU seconds of one epoch of the lecture's model on 2,000 photos of 180x180 (scaled)."""
    import keras

    layers = keras.layers
    inputs = keras.Input(shape=(180, 180, 3))
    x = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)]
    )(inputs)
    x = layers.Rescaling(1 / 255)(x)
    for filters in (32, 64, 128, 256):
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters, 3, activation="relu")(x))
    x = layers.Flatten()(layers.Conv2D(256, 3, activation="relu")(x))
    outputs = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.5)(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    photos = rng.uniform(0, 255, (LECTURE_PHOTOS, 180, 180, 3)).astype(np.float32)
    labels = rng.integers(0, 2, LECTURE_PHOTOS)
    model.fit(photos[:32], labels[:32], epochs=1, verbose=0)  # built and traced
    before = cpu_seconds()
    model.fit(photos, labels, epochs=1, batch_size=32, verbose=0)
    return (cpu_seconds() - before) * 2000 / LECTURE_PHOTOS


def main() -> None:
    sys.path.insert(0, str(REPO_ROOT / "solutions" / ASSIGNMENT))  # its course_data.py
    seeds = [int(s) for s in sys.argv[1:]] or list(SEEDS)
    rows = []
    for seed in seeds:
        wall = time.monotonic()
        row = run(seed)
        rows.append(row)
        print(
            f"seed {seed:>3}: train_plain {row['train_plain']:.0f} CPU s, train_augmented "
            f"{row['train_augmented']:.0f}, notebook {row['notebook']:.0f} "
            f"({time.monotonic() - wall:.0f} s); "
            f"plain: training {row['plain_model accuracy']:.3f} validation "
            f"{row['plain_model val_accuracy']:.3f} hold-out {row['plain_model hold-out']:.4f}; "
            f"augmented: training {row['model accuracy']:.3f} validation "
            f"{row['model val_accuracy']:.3f} hold-out {row['model hold-out']:.4f}",
            flush=True,
        )
    for key in ("notebook", "plain_model hold-out", "model hold-out"):
        values = [row[key] for row in rows]
        print(f"{key}: {min(values):.4g} to {max(values):.4g}, mean {np.mean(values):.4g}")
    print(f"the lecture's model as written, one epoch of 2,000 photos: {lecture_epoch():.0f} CPU s")


if __name__ == "__main__":
    main()
