"""The training budget's stop, in the student's kernel: ``TrainingBudgetSpent`` in the running cell.

The sandbox makes the notebook's budget of CPU seconds the kernel's soft
``RLIMIT_CPU``: the operating system sends ``SIGXCPU`` when the kernel has
spent it, and once a second after that, until the hard limit ends the
kernel. :func:`install` turns those signals into :class:`TrainingBudgetSpent`
in the cell that is running when the budget runs out, and in each later cell
once it has computed :data:`LATER_CELL_GRACE` CPU seconds: a training stopped
at the budget reads as such, a later training cell is stopped too rather than
run on to the hard limit, and the short cells after them (self-checks,
plots) still run.

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
import time
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


# CPU seconds a cell started after the budget ran out may compute before it is stopped.
LATER_CELL_GRACE = 10.0


@dataclass
class State:
    """Which cell runs, since when, and which was stopped last (one stop per cell)."""

    cell: int = 0  # cells started so far
    running: bool = True  # whether a cell runs now (always, in a process without cells)
    started: float = 0.0  # the process's CPU seconds when the running cell started
    stopped: int = -1  # the last cell a stop was sent to
    spent: bool = False  # whether a cell has been stopped (the budget has run out)
    serving: int = 0  # nested grade() calls serving the judge now


STATE = State()


def stop_at_budget(signum: int, frame: FrameType | None) -> None:
    """The main thread's handler: raise the budget's exception where the cell runs (not if
    the kernel began to serve the judge in the meantime)."""
    if STATE.serving:
        STATE.stopped = -1  # not stopped after all: the cell's one stop is still to come
        return
    STATE.spent = True
    raise TrainingBudgetSpent(budget_message(os.environ.get(BUDGET_VARIABLE, "?")))


def should_stop(state: State, cpu_seconds: float) -> bool:
    """Whether a ``SIGXCPU`` at ``cpu_seconds`` stops the running cell (its one stop): the
    cell running when the budget ran out at once, a later one after its grace."""
    if not state.running or state.serving or state.stopped == state.cell:
        return False
    if state.spent and cpu_seconds - state.started < LATER_CELL_GRACE:
        return False
    state.stopped = state.cell
    return True


def _take_signals() -> None:
    """The thread that receives every ``SIGXCPU`` and stops the running cell, if it should."""
    while True:
        signal.sigwait({signal.SIGXCPU})
        if should_stop(STATE, time.process_time()):
            _thread.interrupt_main(signal.SIGXCPU)


def cell_started(*_: Any) -> None:
    """IPython's ``pre_run_cell``: a cell starts."""
    STATE.cell += 1
    STATE.started = time.process_time()
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
