"""Code that never ends, exits, crashes or eats the machine: each costs only its own cells."""

from __future__ import annotations

from tests.hostile.base import A01, A02, A03, A06, QUICK_CATEGORICAL, Hostile, answered, ref

# Top-level code that must not leave huge objects behind: it runs in a function.
MEMORY_BOMB = """
import numpy as np

def fill_memory():
    blocks = []
    while True:  # 512 MB at a time, each page written, until the limit stops it
        blocks.append(np.ones(64 * 1024 * 1024))

try:
    fill_memory()
except MemoryError:
    print("memory bomb stopped by MemoryError")
"""

PROCESS_BOMB = """
import subprocess

children = []
try:
    for _ in range(1000):  # bounded: the limit must stop it long before
        children.append(subprocess.Popen(["sleep", "60"]))
except OSError as error:
    print(f"process bomb stopped after {len(children)} processes: {type(error).__name__}")
for child in children:
    child.kill()
    child.wait()
"""

LOOPING_SAME_PADDING = """
def same_padding(filter_size):
    while True:  # never returns
        pass
"""

# Every process it can signal: its parent, its session, and -1 (all it may).
KILL_GRADER = """
import os
import signal

for target in (lambda: os.kill(os.getppid(), 9), lambda: os.kill(-1, 9), lambda: os.killpg(0, 9)):
    try:
        target()
    except OSError as error:
        print("could not signal:", error)
"""

SEGFAULT = "import ctypes\n\nctypes.string_at(0)  # reads address 0: SIGSEGV\n"

NAN_TRAINING = """
binary_model = build_binary_model()
binary_model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=1e30), loss="binary_crossentropy"
)
binary_history = binary_model.fit(
    x_train[:512], to_binary_labels(Y_train[:512]), epochs=1, batch_size=64, verbose=2
)
print("loss after training:", binary_history.history["loss"][-1])
"""

ENDLESS_TRAINING = """
model = build_binary_model()
model.fit(x_train, to_binary_labels(Y_train), epochs=1_000_000, batch_size=BATCH_SIZE, verbose=0)
binary_model = model  # never reached
"""

ENTRIES = [
    Hostile(
        "infinite_loop",
        A01,
        answered(same_padding=LOOPING_SAME_PADDING),
        frozenset({"test_same_padding"}),
        "CellTimeoutError",
        times_out=True,
    ),
    Hostile(
        "sys_exit",
        A01,
        answered(same_padding="import sys\n\nsys.exit(0)\n" + ref(A01, "same_padding")),
        frozenset({"test_same_padding"}),
        "SystemExit",
    ),
    Hostile(
        "os_exit",
        A02,
        answered(conv2d=ref(A02, "conv2d") + "\nimport os\n\nos._exit(1)\n"),
        frozenset({"test_conv2d", "test_max_pool2d"}),
        "KernelDied",
    ),
    Hostile(
        "segfault",
        A03,
        answered(from_one_hot=SEGFAULT + ref(A03, "from_one_hot")),
        frozenset({"test_from_one_hot"}),
        "KernelDied",
    ),
    Hostile(
        "kill_grader",
        A03,
        answered(one_hot=ref(A03, "one_hot") + KILL_GRADER),
        frozenset({"test_one_hot", "test_from_one_hot"}),
        "KernelDied",
    ),
    Hostile(
        "memory_bomb",
        A01,
        answered(pool_output_size=MEMORY_BOMB + ref(A01, "pool_output_size")),
        frozenset(),
        "memory bomb stopped by MemoryError",
    ),
    Hostile(
        "process_bomb",
        A03,  # in 02, naming subprocess alone costs conv2d's values (its own-work rule)
        answered(from_one_hot=PROCESS_BOMB + ref(A03, "from_one_hot")),
        frozenset(),
        "process bomb stopped after",
    ),
    Hostile(
        "nan_model",
        A06,
        answered(train_categorical=QUICK_CATEGORICAL, train_binary=NAN_TRAINING),
        frozenset({"test_binary_accuracy"}),
        "accuracy",
    ),
    Hostile(
        "endless_training",
        A06,
        answered(train_categorical=QUICK_CATEGORICAL, train_binary=ENDLESS_TRAINING),
        frozenset({"test_binary_accuracy"}),
        "CellTimeoutError",
        times_out=True,
    ),
]
