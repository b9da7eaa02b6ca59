"""Attempts at a score without the work: printed scores, patched libraries, the course's files."""

from __future__ import annotations

from tests.hostile.base import (
    A01,
    A02,
    A03,
    A05,
    A06,
    ALL,
    OFF_THE_LIST,
    QUICK_CATEGORICAL,
    Hostile,
    answered,
    mistake,
    ref,
    unanswered,
    with_mistake,
)

FAKE_SCORE = """
print(5)
print("[test_conv_output_size] 5 / 5 점 points")
5.0
"""

# The runner is the judge's: the kernel cannot even import it.
PATCH_RUNNER = """
try:
    import autograder.judge.runner as runner

    runner.earned_points = lambda results: float(sum(r.points for r in results))
    print("patched the runner")
except ImportError:
    print("the runner is out of reach")
"""

# Aimed at the check it would fail (what the checks call is no secret).
PATCH_NUMPY = """
import numpy as np

np.issubdtype = lambda *args, **kwargs: True
"""

# The hold-out labels are out of the kernel's reach, so the patch claims a perfect
# score: every prediction confident, every evaluation 100%.
PATCH_KERAS = """
import keras
import numpy as np

keras.Model.predict = lambda self, x, **kwargs: np.ones((len(x), 1), dtype="float32")
keras.Model.evaluate = lambda self, *args, **kwargs: [0.0, 1.0]
binary_model = build_binary_model()  # never trained
binary_history = binary_model.fit(x_train[:8], to_binary_labels(Y_train[:8]), epochs=1, verbose=0)
"""

READ_SOLUTIONS = """
from pathlib import Path

places = [Path.cwd(), *Path.cwd().parents, Path("/work/main"), Path.home()]
found = [
    str(path)
    for place in places
    for path in [place / "solutions", place / "gradebook.db", place / "nbgrader_config.py"]
    if path.exists()
]
print("solutions and gradebook found:" if found else "solutions and gradebook not found", found)
"""

READ_CHECKS = """
from pathlib import Path

import autograder

checks = Path(autograder.__file__).parent / "checks" / "a01_output_size.py"
print("hidden checks readable" if checks.exists() else "hidden checks not found")
"""

WRITE_COURSE = """
from pathlib import Path

written = []
for place in [*Path.cwd().parents, Path("/work/main")]:
    for name in ["gradebook.db", "release_me.txt"]:
        try:
            with open(place / name, "ab") as handle:
                handle.write(b"hacked")
            written.append(str(place / name))
        except OSError:
            pass
print("wrote into the course:" if written else "could not write into the course", written)
"""

CONNECT = """
import socket

try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as conn:
        conn.sendall(b"stolen answers")
    print("network connection made")
except OSError as error:
    print(f"network connection refused: {type(error).__name__}")
"""

ENTRIES = [
    Hostile("fake_score", A01, unanswered(conv_output_size=FAKE_SCORE), ALL, "NotImplemented"),
    Hostile(
        "patch_runner",
        A01,
        with_mistake("padding counted on one side only", PATCH_RUNNER),
        reason="the runner is out of reach",
        fails=mistake("padding counted on one side only").fails,
    ),
    Hostile(
        "patch_numpy",
        A02,
        with_mistake("zero padding that keeps the integer dtype", PATCH_NUMPY),
        reason="float result",
        fails=mistake("zero padding that keeps the integer dtype").fails,
    ),
    Hostile(
        "patch_keras",
        A06,
        answered(train_categorical=QUICK_CATEGORICAL, train_binary=PATCH_KERAS),
        frozenset({"test_binary_accuracy"}),
        "hold-out accuracy",
    ),
    Hostile(
        "read_solutions",
        A02,
        answered(zero_pad=READ_SOLUTIONS + ref(A02, "zero_pad")),
        reason="solutions and gradebook not found",
        fails=OFF_THE_LIST,
    ),
    Hostile(
        "read_hidden_checks",
        A01,
        answered(same_padding=READ_CHECKS + ref(A01, "same_padding")),
        frozenset(),
        "hidden checks not found",
    ),
    Hostile(
        "write_course",
        A03,
        answered(one_hot=WRITE_COURSE + ref(A03, "one_hot")),
        frozenset(),
        "could not write into the course",
    ),
    Hostile(
        "network",
        A05,
        answered(summarize=CONNECT + ref(A05, "summarize")),
        frozenset(),
        "network connection refused",
    ),
]
