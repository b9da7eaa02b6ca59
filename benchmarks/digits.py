"""What does 07's reference reach on the 540 test images, and what does it cost, seed by seed?

Runs the reference notebook's code cells (hidden tests and plots left out) in
a fresh process per seed, with one TensorFlow thread as a graded kernel has,
the locked seed 42 replaced by each seed in turn; prints the CPU seconds of
the training cell and of the whole notebook, the validation accuracy and the
accuracy on the post's 540 test images (which the grader measures). The
tiers (``TIERS`` in ``autograder/assignments/a07_digits_cnn/checks.py``) lie below the
lowest test accuracy over the seeds; the budget is the registry's.

    python benchmarks/digits.py                 # seeds 1-8 and 42: about 5 CPU minutes
    python benchmarks/digits.py 42 7            # some seeds
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

from autograder.sandbox.command import ONE_THREAD

ASSIGNMENT = "07_digits_cnn"
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8, 42)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_once(seed: int) -> dict[str, float]:
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
        before = cpu_seconds()
        exec(compile(source, ASSIGNMENT, "exec"), namespace)
        if notebooks.grade_id_of(cell) == "train":
            training = cpu_seconds() - before
    notebook_cpu = cpu_seconds() - started
    x_test, y_test = namespace["load_digits_split"]("test")
    model, preprocess = namespace["model"], namespace["preprocess"]
    predicted = model.predict(preprocess(x_test), verbose=0).argmax(axis=1)
    validation = model.evaluate(namespace["X_val"], namespace["Y_val"], verbose=0)[1]
    return {
        "seed": seed,
        "training_cpu": training,
        "notebook_cpu": notebook_cpu,
        "validation": float(validation),
        "test": float(np.mean(predicted == y_test)),
    }


def main(seeds: tuple[int, ...]) -> None:
    results = []
    for seed in seeds:  # a process per seed: TensorFlow's state starts afresh
        environment = {**os.environ, **ONE_THREAD, "TF_CPP_MIN_LOG_LEVEL": "3"}
        environment.setdefault("MPLBACKEND", "Agg")
        printed = subprocess.run(
            [sys.executable, __file__, "--one", str(seed)],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        ).stdout
        result = json.loads(printed.strip().splitlines()[-1])
        results.append(result)
        print(
            f"seed {seed:>2}: test accuracy {result['test']:.4f}, validation "
            f"{result['validation']:.4f}; training {result['training_cpu']:.0f} CPU s, "
            f"notebook {result['notebook_cpu']:.0f} CPU s",
            flush=True,
        )
    tests = [r["test"] for r in results]
    costs = [r["notebook_cpu"] for r in results]
    print(
        f"test accuracy {min(tests):.4f}-{max(tests):.4f} over {len(tests)} seeds; "
        f"notebook {min(costs):.0f}-{max(costs):.0f} CPU s"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_once(int(sys.argv[2]))))
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or SEEDS)
