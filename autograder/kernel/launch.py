"""The student kernel's entry point in the sandbox: ipykernel, with the training budget's stop.

Started as ``python -m autograder.kernel.launch -f <connection file>`` in place
of ``ipykernel_launcher``. A notebook that trains models has a budget of CPU
seconds (the registry's ``cpu_budget``), which the sandbox makes the kernel's
soft ``RLIMIT_CPU``: the operating system counts the kernel's computing, the
same on a quiet machine and a busy one, and signals ``SIGXCPU`` when it is
spent. :mod:`autograder.kernel.budget` makes that signal
``TrainingBudgetSpent`` in the cell that is running, so the training stops
with a message naming the budget and the notebook goes on; the hard limit a
little later ends a kernel that ignores it.

Nothing here decides a grade: the judge measures the spend from outside the
kernel, as this process could lie about it.
"""

from __future__ import annotations

import os

from autograder.kernel import budget, recipes
from autograder.kernel.budget import BUDGET_VARIABLE, TrainingBudgetSpent, budget_message

__all__ = ["BUDGET_VARIABLE", "TrainingBudgetSpent", "budget_message", "main"]


def main() -> None:
    """Install the budget's stop, then run ipykernel as ``ipykernel_launcher`` would."""
    budgeted = bool(os.environ.get(BUDGET_VARIABLE))
    if budgeted:
        budget.install()  # before anything starts a thread: they all inherit its mask
    recipes.install()  # the judge trains each graded model's fit recipe again
    from ipykernel import iostream, kernelapp

    # At a cell's end the kernel waits for its output to be sent before it replies, 10 s
    # at most, twice (stdout, stderr): a thread printing without end would make every
    # later cell 20 s longer. The grader waits for the rest of the output after the reply.
    iostream.OutStream.flush_timeout = 1
    app = kernelapp.IPKernelApp.instance()
    app.initialize()
    if budgeted and app.shell is not None:
        budget.watch_cells(app.shell.events)
    app.start()


if __name__ == "__main__":
    main()
