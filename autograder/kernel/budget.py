"""The training budget's stop, in the student's kernel: ``TrainingBudgetSpent`` in the running cell.

The sandbox makes the notebook's budget of CPU seconds the kernel's soft
``RLIMIT_CPU``: the operating system sends ``SIGXCPU`` when the kernel has
spent it, and once a second after that, until the hard limit ends the
kernel. :func:`install` turns those signals into :class:`TrainingBudgetSpent`
in the cell that is running, once per cell, so that a training stopped at the
budget reads as such, and the notebook goes on.

The signal itself interrupts nothing. It is blocked in every thread (the
mask is set before the kernel starts any, and threads inherit it) and taken
by a thread of its own with ``sigwait``; that thread raises the exception in
the main thread, where the cell runs, as Ctrl-C would
(``_thread.interrupt_main``). Delivered to the process as it came,
``SIGXCPU`` landed in whichever thread ran, often one of TensorFlow's, and
the training process then corrupted its heap (``corrupted size vs.
prev_size``) or crashed in two runs of three: the kernel died instead of
being stopped.

The stop is not raised while the kernel serves the judge (:func:`serving`):
the checks of a test cell after the budget still run, and it is the judge
that refuses an accuracy tier over the budget. Nothing here decides a grade:
the judge reads the sandbox's CPU time from outside the kernel.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

BUDGET_VARIABLE = "CNN_CPU_BUDGET"  # the notebook's budget in CPU seconds, for the message


class TrainingBudgetSpent(BaseException):
    """The kernel has used its CPU budget; like Ctrl-C, ``except Exception`` does not catch it."""


def budget_message(budget: str) -> str:
    """What the student reads in the cell that was running when the budget ran out."""
    return (
        f"이 노트북의 계산 예산 {budget} CPU초를 다 써서 훈련을 멈췄습니다. 예산을 넘긴 모델은 "
        f"정확도 점수를 받지 못합니다. / This notebook used up its budget of {budget} CPU "
        "seconds, so the training was stopped; a model trained past the budget earns no "
        "accuracy tier. Train less: fewer epochs, a leaner model."
    )


@dataclass
class State:
    """Which cell runs, and which was stopped last (one stop per cell)."""

    cell: int = 0  # cells started so far
    running: bool = True  # whether a cell runs now (always, in a process without cells)
    stopped: int = -1  # the last cell stopped
    serving: int = 0  # nested grade() calls serving the judge now


STATE = State()


def stop_at_budget(signum: int, frame: FrameType | None) -> None:
    """The main thread's handler: raise the budget's exception where the cell runs (not if
    the kernel began to serve the judge in the meantime)."""
    if STATE.serving:
        STATE.stopped = -1  # not stopped after all: the cell's one stop is still to come
        return
    raise TrainingBudgetSpent(budget_message(os.environ.get(BUDGET_VARIABLE, "?")))


def should_stop(state: State) -> bool:
    """Whether a ``SIGXCPU`` now stops the running cell (and counts as its one stop)."""
    if not state.running or state.serving or state.stopped == state.cell:
        return False
    state.stopped = state.cell
    return True


def _take_signals() -> None:
    """The thread that receives every ``SIGXCPU`` and stops the running cell, once."""
    while True:
        signal.sigwait({signal.SIGXCPU})
        if should_stop(STATE):
            _thread.interrupt_main(signal.SIGXCPU)


def cell_started(*_: Any) -> None:
    """IPython's ``pre_run_cell``: a cell starts."""
    STATE.cell += 1
    STATE.running = True


def cell_finished(*_: Any) -> None:
    """IPython's ``post_run_cell``: the cell has ended."""
    STATE.running = False


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """While the kernel serves the judge (``grade()``), the budget stops nothing."""
    STATE.serving += 1
    try:
        yield
    finally:
        STATE.serving -= 1


def install() -> None:
    """Block ``SIGXCPU`` in this (the main) thread and every thread started after, and take
    it in a thread of its own. Call it before anything starts a thread.

    A child forked by Python, which has no such thread, takes the signal in its main
    thread again; a program it then runs keeps it blocked, and the hard limit ends it.
    """
    signal.signal(signal.SIGXCPU, stop_at_budget)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGXCPU})
    os.register_at_fork(after_in_child=_unblock)
    threading.Thread(target=_take_signals, name="training-budget", daemon=True).start()


def _unblock() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGXCPU})


def watch_cells(events: Any) -> None:
    """Follow the cells that run, through an IPython shell's ``events``: between cells (the
    kernel's own code) nothing is stopped."""
    STATE.running = False
    events.register("pre_run_cell", cell_started)
    events.register("post_run_cell", cell_finished)
