"""The student kernel's entry point in the sandbox: ipykernel, with the training budget's stop.

Started as ``python -m autograder.kernel.launch -f <connection file>`` in place
of ``ipykernel_launcher``. A notebook that trains models has a budget of CPU
seconds (the registry's ``cpu_budget``), which the sandbox makes the kernel's
soft ``RLIMIT_CPU``: the operating system counts the kernel's computing, the
same on a quiet machine and a busy one, and signals ``SIGXCPU`` when it is
spent. Here that signal becomes :class:`TrainingBudgetSpent` in the cell that
is running, so the training stops with a message naming the budget and the
notebook goes on; the hard limit a little later ends a kernel that ignores it.

Nothing here decides a grade: the judge measures the spend from outside the
kernel (``SandboxedExecute``), as this process could lie about it.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

from autograder.kernel import recipes

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


def stop_at_budget(signum: int, frame: FrameType | None) -> None:
    """SIGXCPU's handler: stop what runs, once (the hard limit is the end after that)."""
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    raise TrainingBudgetSpent(budget_message(os.environ.get(BUDGET_VARIABLE, "?")))


def main() -> None:
    """Install the budget's handler, then run ipykernel as ``ipykernel_launcher`` would."""
    if os.environ.get(BUDGET_VARIABLE):
        signal.signal(signal.SIGXCPU, stop_at_budget)
    recipes.install()  # the judge trains each graded model's fit recipe again
    from ipykernel import iostream, kernelapp

    # At a cell's end the kernel waits for its output to be sent before it replies, 10 s
    # at most, twice (stdout, stderr): a thread printing without end would make every
    # later cell 20 s longer. The grader waits for the rest of the output after the reply.
    iostream.OutStream.flush_timeout = 1
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
