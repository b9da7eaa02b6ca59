"""Spending that is not counted: CPU time where the reading did not look, memory held as a whole.

The 04 entries are graded in a course whose training budget is
:data:`SPENDING_BUDGET` CPU seconds: an MLP trained for one epoch reaches
its first tier with about two thirds of it, and each attack adds 20 CPU
seconds where the budget's reading did not look, once in a child nobody
reaps, once after the reading. Each must score what the same work scores
when it is counted (``counted_spending``): no MLP tier. The sandbox is one
control group, whose CPU time the judge reads as it takes the model.

The 01 entries hold more memory than the sandbox may hold as a whole: in
processes of its own, each within its own limits, and in files in its tmpfs
(pages and the kernel's memory for their inodes). The sandbox's memory
limit stops them, and the notebook is graded as the reference is.
"""

from __future__ import annotations

from autograder.sandbox.command import LIMITS
from tests.hostile.base import (
    A01,
    A04,
    QUICK_CNN,
    QUICK_MLP,
    SPENDING_BUDGET,
    Hostile,
    answered,
    ref,
)

MiB = 2**20

# The MLP trained on all of MNIST for one epoch: its first tier (0.96), not its second.
FULL_MLP = QUICK_MLP.replace("X_train[:256], Y_train[:256], epochs=1", "X_train, Y_train, epochs=1")

# CPU seconds computed in a loop that the budget's stop does not end (a stop is caught).
BURN = """
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        try:
            while time.process_time() < end:
                pass
        except BaseException:  # the training budget's stop
            pass
"""

EXTRA_SECONDS = 20

# The child's CPU time reaches no parent's counter: with SIGCHLD ignored the kernel
# reaps it, and its times go nowhere but the sandbox's control group.
UNREAPED_CHILD = f"""
import posix
import signal

signal.signal(signal.SIGCHLD, signal.SIG_IGN)
if posix.fork() == 0:
    try:
        burn({EXTRA_SECONDS})
    finally:
        posix._exit(0)
while True:
    try:
        posix.waitpid(-1, 0)  # returns once the child has ended, reaped by nobody
    except ChildProcessError:
        break
print("the child's CPU time was reaped by nobody")
"""

# The same work counted the ordinary way: the parent waits for (reaps) its child.
REAPED_CHILD = f"""
import posix

child = posix.fork()
if child == 0:
    try:
        burn({EXTRA_SECONDS})
    finally:
        posix._exit(0)
posix.waitpid(child, 0)
print("the child's CPU time was reaped by its parent")
"""

# Trained for a moment in its cell; trained for real, and computed on, by an IPython
# hook as the accuracy cell starts: after the moment a reading taken when the cell starts
# would see.
AFTER_THE_READING = f"""
def train_after_the_reading(info):
    if "mlp_accuracy" in info.raw_cell:
        mlp.fit(X_train, Y_train, epochs=1, verbose=0)
        burn({EXTRA_SECONDS})
        print("trained after the reading")


get_ipython().events.register("pre_run_cell", train_after_the_reading)
"""

OVER_BUDGET = f"at most {SPENDING_BUDGET} CPU seconds spent up to the moment the grader took mlp"
NO_TIER = frozenset({"test_mlp_accuracy", "test_cnn_accuracy"})
FIRST_TIER_ONLY = frozenset({"test_mlp_accuracy_at_least[0.975]"})

# Three children, each holding half of what the whole sandbox may hold: each is within
# its own limits (address space), together they are not. The kernel kills one at least.
HALF = LIMITS.memory // 2
THREE_CHILDREN = f"""
import os
import select
import signal
import time

import numpy as np

ready, say = os.pipe()
children = []
for _ in range(3):
    child = os.fork()
    if child == 0:
        try:
            held = np.ones({HALF} // 8)  # every page touched: resident
            os.write(say, b"+")
            time.sleep(600)
        finally:
            os._exit(0)
    children.append(child)
os.close(say)
holding, ended = 0, []
while holding + len(ended) < 3:  # until each holds its memory or has ended
    if select.select([ready], [], [], 0.1)[0]:
        holding += len(os.read(ready, 3))
    for child in list(children):
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            children.remove(child)
            ended.append(signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status)
                         else "its own end")
for child in children:
    os.kill(child, signal.SIGTERM)
    os.waitpid(child, 0)
print(f"children ended by {{' '.join(sorted(set(ended))) or 'nothing'}}")
"""

# Files in the sandbox's tmpfs take memory: pages for their data, and the kernel's own
# memory for their inodes (about a kilobyte each, 400,000 empty files). With both
# counted, a child holding the rest of the sandbox's memory goes over; with either
# left out, it would fit with room to spare.
FILES_AND_MEMORY = f"""
import os
import signal

import numpy as np

os.mkdir("/tmp/many")
for i in range(400_000):
    with open(f"/tmp/many/{{i}}", "wb"):
        pass
with open("/tmp/data", "wb") as data:
    for _ in range(768):
        data.write(b"x" * {MiB})
child = os.fork()
if child == 0:
    try:
        with open("/proc/self/oom_score_adj", "w") as adjust:
            adjust.write("1000")  # the one the kernel kills first
        held = np.ones(({LIMITS.memory} - 1024 * {MiB}) // 8)
    finally:
        os._exit(0)
status = os.waitpid(child, 0)[1]
ended = signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else "nothing"
print(f"the child holding memory beside the files: ended by {{ended}}")
"""

ENTRIES = [
    Hostile(
        "unreaped_child_computes",
        A04,
        answered(train_mlp=FULL_MLP + BURN + UNREAPED_CHILD, train_cnn=QUICK_CNN),
        NO_TIER,
        OVER_BUDGET,
        small_budget=True,
    ),
    Hostile(
        "trains_after_the_reading",
        A04,
        answered(train_mlp=QUICK_MLP + BURN + AFTER_THE_READING, train_cnn=QUICK_CNN),
        NO_TIER,
        OVER_BUDGET,
        small_budget=True,
    ),
    Hostile(  # the honest twin of both: the same work, counted
        "counted_spending",
        A04,
        answered(train_mlp=FULL_MLP + BURN + REAPED_CHILD, train_cnn=QUICK_CNN),
        NO_TIER,
        OVER_BUDGET,
        small_budget=True,
    ),
    Hostile(  # and without the extra work: the tier it deserves
        "within_the_budget",
        A04,
        answered(train_mlp=FULL_MLP, train_cnn=QUICK_CNN),
        frozenset({"test_cnn_accuracy"}),
        "[mlp_accuracy] 1 / 2",
        fails=FIRST_TIER_ONLY,
        small_budget=True,
    ),
    Hostile(
        "three_children_hold_too_much",
        A01,
        answered(same_padding=THREE_CHILDREN + ref(A01, "same_padding")),
        frozenset(),
        "children ended by SIGKILL",
    ),
    Hostile(
        "files_fill_the_memory",
        A01,
        answered(pool_output_size=FILES_AND_MEMORY + ref(A01, "pool_output_size")),
        frozenset(),
        "beside the files: ended by SIGKILL",
    ),
]
