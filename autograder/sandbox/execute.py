"""The nbgrader preprocessor that runs a notebook in the sandbox and scores it from the judge.

:class:`SandboxedExecute` is nbgrader's ``Execute``: per notebook it starts a
judge and a sandboxed kernel (:mod:`autograder.sandbox.kernel`), runs the
cells, and after each test cell replaces what the kernel showed with the
judge's verdict (:func:`apply_verdict`).

When a kernel dies (a segfault, ``os._exit``, a limit reached) or the wall
clock runs out, the reason is recorded in the cell that was running and in
every test cell that could not run, so those cells score zero with an
explanation instead of the whole submission failing.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool

from autograder import notebooks
from autograder.sandbox.command import SandboxUnavailable, missing_tools
from autograder.sandbox.kernel import Judge, SandboxedKernelManager


class SandboxedExecute(Execute):
    """nbgrader's Execute: a sandboxed kernel, a judge beside it, the judge's scores.

    Per notebook it starts a :class:`Judge` and a kernel in the sandbox,
    runs the cells, and after each test cell replaces what the kernel showed
    with the judge's verdict (:func:`apply_verdict`). nbgrader gives full
    marks to a test cell with no error output, and a cell that never ran has
    none; so once the kernel is gone every remaining test cell gets an error
    output that says why.
    """

    sandbox = Bool(
        True,
        help="Run kernels in the bubblewrap sandbox and judge outside them. Off, the checks "
        "run in the student's kernel: only to debug the grader itself.",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self.kernel_gone: str | None = None
        self.judge: Judge | None = None

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        self.kernel_gone = None
        if not self.sandbox:
            self.kernel_manager_class = AsyncKernelManager
            return super().preprocess(nb, resources, km)
        missing = missing_tools()
        if missing:
            raise SandboxUnavailable(
                f"cannot sandbox student kernels: {', '.join(missing)} not found. "
                "Install them (Debian: apt-get install bubblewrap util-linux coreutils)."
            )
        self.judge = Judge()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.judge.close()
            self.judge = None

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.judge = self.judge
        return km

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        call = (
            grade_call(cell) if self.judge is not None and notebooks.is_graded_cell(cell) else None
        )
        already = len(self.judge.verdicts()) if call else 0
        self._execute(cell, resources, index)
        if call:
            verdicts = [
                v
                for v in self.judge.verdicts()[already:]
                if (v["assignment"], v["cell"]) == call and v["complete"]
            ]
            apply_verdict(cell, verdicts[-1] if verdicts else None)
        return cell, resources

    def _execute(self, cell: NotebookNode, resources: Any, index: int) -> None:
        if self.kernel_gone is not None:
            if cell.cell_type == "code":
                cell.outputs = (
                    [kernel_gone_output(self.kernel_gone)] if notebooks.is_graded_cell(cell) else []
                )
            return
        try:
            super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.kernel_gone = (
                f"the kernel stopped while cell {index} was running: the code crashed Python, "
                "called os._exit(), or went over a memory, CPU or time limit"
            )
            cell.outputs.append(kernel_gone_output(self.kernel_gone))


# Where a graded cell's metadata keeps the judge's per-check verdict, for the item analysis.
VERDICT_KEY = "cnn_grader"

GRADE_CALL = re.compile(r'grade\("(?P<assignment>[^"]+)", "(?P<cell>[^"]+)", globals\(\)\)')


def grade_call(cell: NotebookNode) -> tuple[str, str] | None:
    """The (assignment, cell) a test cell's hidden ``grade(...)`` call judges, if any.

    nbgrader has restored the test cell's source from the gradebook by now,
    so this is the instructor's call, whatever the student wrote.
    """
    match = GRADE_CALL.search(cell.source) if cell.cell_type == "code" else None
    return (match["assignment"], match["cell"]) if match else None


def apply_verdict(cell: NotebookNode, verdict: dict[str, Any] | None) -> None:
    """Make the judge's verdict the test cell's score, whatever the kernel printed.

    nbgrader scores a test cell from its outputs: zero with an error output,
    else the number of an ``execute_result``. With a verdict, the kernel's
    printed lines (the visible self-check's) stay, everything else it
    produced goes, and the judge's report, picture and points are added.
    Without one, the checks never ran (the self-check failed, the code
    stopped or hung): the kernel's error stands, or one is added.
    """
    if verdict is None:
        if not any(o.output_type == "error" for o in cell.outputs):
            cell.outputs.append(
                error_output(
                    "ChecksDidNotRun",
                    "the hidden checks of this cell did not run, so it scores zero "
                    "(채점 코드가 실행되지 않았습니다)",
                )
            )
        return
    cell.metadata[VERDICT_KEY] = {
        "cell": verdict["cell"],
        "earned": float(verdict["earned"]),
        "checks": verdict["checks"],
    }
    printed = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"]
    cell.outputs = [
        *printed,
        NotebookNode(output_type="stream", name="stdout", text=verdict["report"] + "\n"),
    ]
    if verdict.get("figure"):
        cell.outputs.append(
            NotebookNode(
                output_type="display_data",
                data={"image/png": verdict["figure"], "text/plain": "<feedback figure>"},
                metadata={},
            )
        )
    cell.outputs.append(
        NotebookNode(
            output_type="execute_result",
            execution_count=cell.get("execution_count"),
            data={"text/plain": repr(float(verdict["earned"]))},
            metadata={},
        )
    )


def kernel_gone_output(reason: str) -> NotebookNode:
    """The error output that makes nbgrader score a cell zero, with the reason for the student."""
    return error_output("KernelDied", f"{reason}. (커널이 중지되어 이 셀은 실행되지 않았습니다.)")


def error_output(name: str, message: str) -> NotebookNode:
    """An error output: nbgrader scores its cell zero; the feedback shows the message."""
    return NotebookNode(
        output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"]
    )
