"""What does 09's reference reach on Fashion-MNIST's test images, and what does it cost?

Runs the reference notebook's code cells (hidden tests and plots left out)
in a fresh process per seed, with one TensorFlow thread as a graded kernel
has, the locked seed 42 replaced by each seed in turn; prints the CPU seconds
of the training cell and of the whole notebook, the validation accuracy and,
where Fashion-MNIST is present, the accuracy on its 10,000 test images
against the tiers (``TIERS`` in ``autograder/assignments/a09_fashion_mnist_cnn/checks.py``,
published results).

Where Fashion-MNIST is not present (no copy is reachable from the course's
machines), it says so in one line and measures the cost on MNIST's arrays
instead: the same shapes and dtype, so the same CPU seconds (training costs
what the arrays' shapes cost, whatever their pixels), and no accuracy.

    export CNN_COURSE_DATA=../shared/datasets   # with fashion-mnist/, or online
    python benchmarks/fashion_mnist.py          # seed 42, the graded one: about 4 CPU minutes
    python benchmarks/fashion_mnist.py 1 2 42   # some seeds
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

from autograder.sandbox.command import ONE_THREAD

ASSIGNMENT = "09_fashion_mnist_cnn"
LOADER = "load_fashion_mnist_training"
STAND_IN = "load_mnist_training"  # MNIST's training arrays: Fashion-MNIST's shapes and dtype


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_once(seed: int, stand_in: bool) -> dict[str, float | None]:
    """The reference notebook, run here with ``seed``: CPU seconds and accuracies."""
    import numpy as np

    from autograder import notebooks
    from autograder.assignments import REPO_ROOT, solution_path

    sys.path.insert(0, str(REPO_ROOT / "solutions" / ASSIGNMENT))  # its course_data.py
    namespace: dict = {}
    started, training = cpu_seconds(), 0.0
    for cell in notebooks.read(solution_path(ASSIGNMENT)).cells:
        if cell.cell_type != "code" or "plt.show" in cell.source:
            continue
        source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        source = source.replace("set_random_seed(42)", f"set_random_seed({seed})")
        if stand_in:
            source = source.replace(LOADER, STAND_IN)
        before = cpu_seconds()
        exec(compile(source, ASSIGNMENT, "exec"), namespace)
        if notebooks.grade_id_of(cell) == "train_cnn":
            training = cpu_seconds() - before
    notebook_cpu = cpu_seconds() - started
    model, preprocess = namespace["model"], namespace["preprocess"]
    validation = float(model.evaluate(namespace["X_val"], namespace["Y_val"], verbose=0)[1])
    test = None
    if not stand_in:
        from source_data.course_data import load_fashion_mnist

        x_test, y_test = load_fashion_mnist()[1]
        predicted = model.predict(preprocess(x_test), verbose=0).argmax(axis=1)
        test = float(np.mean(predicted == y_test))
    return {
        "seed": seed,
        "training_cpu": training,
        "notebook_cpu": notebook_cpu,
        "validation": validation,
        "test": test,
    }


def fashion_mnist_missing() -> str | None:
    from autograder.course.demo import missing_data

    return missing_data(ASSIGNMENT)


def main(seeds: tuple[int, ...]) -> None:
    from autograder.assignments.a09_fashion_mnist_cnn.checks import TIERS

    missing = fashion_mnist_missing()
    if missing:
        print(f"no Fashion-MNIST ({missing}): CPU seconds on MNIST's arrays, no accuracy")
    for seed in seeds:  # a process per seed: TensorFlow's state starts afresh
        environment = {**os.environ, **ONE_THREAD, "TF_CPP_MIN_LOG_LEVEL": "3"}
        environment.setdefault("MPLBACKEND", "Agg")
        printed = subprocess.run(
            [sys.executable, __file__, "--one", str(seed), "stand-in" if missing else "real"],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        ).stdout
        result = json.loads(printed.strip().splitlines()[-1])
        test = result["test"]
        reached = "" if test is None else f", tiers {sum(test >= t for t in TIERS)} of {len(TIERS)}"
        print(
            f"seed {seed:>2}: test accuracy {'-' if test is None else f'{test:.4f}'}{reached}, "
            f"validation {result['validation']:.4f}; training {result['training_cpu']:.0f} CPU s, "
            f"notebook {result['notebook_cpu']:.0f} CPU s",
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_once(int(sys.argv[2]), sys.argv[3] == "stand-in")))
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or (42,))
