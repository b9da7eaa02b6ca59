"""The nbgrader preprocessor that runs a notebook in the sandbox and scores it from the judge.

:class:`SandboxedExecute` is nbgrader's ``Execute``: per notebook it starts a
judge and a sandboxed kernel (:mod:`autograder.sandbox.processes`) and runs the
cells, waiting after each test cell for the judge's verdict on it. A test
cell runs in two parts (:func:`split_test_cell`): its visible self-check, whose
error is kept as text, then its hidden ``grade(...)`` call, whose verdict
scores the whole cell: a failing self-check costs the points of its hidden
twin check, not the cell. Only once
the last cell has run and the kernel has been ended does it replace what
each test cell showed with its verdict (:func:`apply_verdict`): no student
code runs after that, so nothing can rewrite a score or a report. While the
kernel runs, display updates reach only the cell that is running, and every
output, update and error counts against a per-cell and a per-notebook
limit (:mod:`autograder.sandbox.outputs`).

Whatever the student's code does to its kernel, the notebook ends graded:
a kernel that dies (a segfault, ``os._exit``, a limit reached), stops
answering (patched builtins that break Jupyter's messaging, a stopped
process, closed sockets), or will not stop at the time limit is ended, and
the cell it was running and every test cell it could not run score zero
with the reason, which the student reads in the feedback. The cells it
ran keep their scores. nbgrader itself never sees an error from the
student's code, so it never removes a submission for one.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbformat import NotebookNode
from nbformat.v4 import output_from_msg
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer

from autograder import assignments, notebooks
from autograder.cgroups import group_unavailable
from autograder.sandbox.command import SandboxUnavailable, missing_tools
from autograder.sandbox.outputs import OutputBudget, output_size
from autograder.sandbox.processes import JudgeProcess, SandboxedKernelManager
from autograder.verdicts import METADATA_KEY, CellVerdict

# Seconds a cell waits for the rest of its output after one whose output was still coming.
LAGGING_OUTPUT_WAIT = 2

GRADE_CALL = re.compile(r'grade\("(?P<assignment>[^"]+)", "(?P<cell>[^"]+)", globals\(\)\)')
HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"  # nbgrader's marker, restored with the hidden region


class KernelGone(Exception):
    """The student's kernel can run no more cells; the message says why, for the student."""


@dataclass
class Judged:
    """A test cell run: the judge's verdict on it, when its outputs arrived, and its failed
    self-check as text (None when the self-check passed)."""

    cell: NotebookNode
    verdict: CellVerdict | None
    arrived: dict[int, float]
    self_check: NotebookNode | None = None


class SandboxedExecute(Execute):
    """nbgrader's Execute: a sandboxed kernel, a judge beside it, the judge's scores."""

    sandbox = Bool(
        True,
        help="Run kernels in the bubblewrap sandbox and judge outside them. Off, the checks "
        "run in the student's kernel: only to debug the grader itself.",
    ).tag(config=True)
    training_timeout = Integer(
        None,
        allow_none=True,
        help="Wall-clock limit of a cell that computes for long: one that trains models (the "
        "registry's training cells, and its accuracy cells, where the judge trains the "
        "recipes again) or loads the data sets (the locked set-up cell), in seconds; "
        "None: Execute.timeout, as for every other cell. A safety stop: the training "
        "budget is the registry's cpu_budget, in CPU seconds.",
    ).tag(config=True)
    cpu_budget = Integer(
        None,
        allow_none=True,
        help="CPU seconds a notebook that trains models may spend up to its accuracy cells; "
        "None: the registry's cpu_budget for its assignment.",
    ).tag(config=True)
    require_cgroup = Bool(
        False,
        help="Refuse to grade where the sandbox cannot have a control group of its own (not "
        "root, no delegation), rather than count its CPU time from /proc, where a process "
        "nobody reaps is not counted, and leave its memory unlimited as a whole.",
    ).tag(config=True)
    interrupt_grace = Integer(
        10,
        help="Seconds a cell has to stop after its time limit's interrupt before its "
        "kernel is ended.",
    ).tag(config=True)
    verdict_wait = Integer(
        30, help="Seconds to wait for the judge to finish a cell whose kernel is done with it."
    ).tag(config=True)
    # nbclient waits iopub_timeout (4 s by default) after a cell's reply for the rest of
    # its output, and nbgrader makes running out of it an error that ends the notebook:
    # on a busy grading machine the kernel's idle message can come late, and a correct
    # notebook would lose its remaining cells; a kernel flooding its output would keep
    # or lose cells depending on how fast the grader reads. Here a cell the kernel
    # answered is done when its reply comes: a late rest of its output is only not kept,
    # and the cells after it wait LAGGING_OUTPUT_WAIT until one's output ends in time.
    iopub_timeout = Integer(
        30,
        help="Seconds to wait, after a cell's reply, for the rest of its output; what comes "
        "later is not kept (nbclient's default is 4).",
    ).tag(config=True)
    # A graceful shutdown waits for the kernel's atexit hooks, which are the student's
    # code: the sandbox is ended at once (a graceful end costs about 0.6 s a notebook).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)
    max_output_characters = Integer(
        2_000_000,
        help="Characters of output kept while a cell runs; the rest is dropped as it arrives, "
        "so that a flood of output cannot fill the grader's memory.",
    ).tag(config=True)
    max_notebook_output_characters = Integer(
        5_000_000,
        help="Characters of output kept in the whole notebook, every kind of output and every "
        "display update counted; what would go over is dropped as it arrives, so that the "
        "graded notebook and its feedback page stay small.",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self.store_widget_state = False  # a student's widgets are not kept, nor their messages
        self.judge: JudgeProcess | None = None
        self.kernel_gone: str | None = None
        self._tokens = 0
        self._budget_left = OutputBudget.start(0, 0)  # what the running cell and notebook may keep
        self._dropping = False  # whether the running cell's outputs are past a limit
        self._running = -1  # the index of the cell running now
        self._arrived: dict[int, float] = {}  # when each output of the running cell arrived
        # Test cells run, with the judge's verdict, when their outputs arrived and how their
        # self-check failed: the verdicts are applied once the kernel has been ended.
        self._judged: list[Judged] = []
        self._output_ended = False  # whether the running cell's output ended (its idle came)
        self._interrupted = False  # whether the running cell was interrupted at its time limit
        self._lagging = False  # whether the last cell's output was still coming after the wait
        self._stopped: list[str] = []  # cells stopped at their time limit, in order

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        for cell in nb.cells:
            cell.get("metadata", {}).pop(METADATA_KEY, None)  # only the grader writes it
        self._budget_left = OutputBudget.start(
            self.max_output_characters, self.max_notebook_output_characters
        )
        if not self.sandbox:
            self.kernel_manager_class = AsyncKernelManager
            return super().preprocess(nb, resources, km)
        missing = missing_tools()
        if missing:
            raise SandboxUnavailable(
                f"cannot sandbox student kernels: {', '.join(missing)} not found. "
                "Install them (Debian: apt-get install bubblewrap util-linux coreutils)."
            )
        if self.require_cgroup and (why := group_unavailable()):
            raise SandboxUnavailable(
                f"cannot give the sandbox a control group ({why}), and "
                "SandboxedExecute.require_cgroup is set: grade as root, or delegate a cgroup"
            )
        NotebookClient.__init__(self, nb, km)
        self.raise_on_iopub_timeout = False  # see iopub_timeout; a timed-out cell sets it
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.assignment = resources["nbgrader"]["assignment"]
        self.timeout_func = self._timeout_of
        self.kernel_gone = None
        self._stopped = []
        self._lagging = False
        self._judged = []
        sources = notebooks.student_sources(nb)
        seconds = self._longest_timeout() + 60
        with JudgeProcess(self.assignment, connection_seconds=seconds, sources=sources) as judge:
            self.judge = judge
            try:
                self._run_all(resources)
            except SandboxUnavailable:
                raise  # the grader's machine, not the student: no grade rather than a zero
            except Exception as error:  # nbclient could not go on: the kernel did something
                self._give_up(f"the kernel stopped answering the grader ({_said(error)})")
            finally:
                self._end_kernel()
                self.judge = None
        for index, cell in enumerate(nb.cells):
            if index >= self._next and cell.cell_type == "code":
                self._mark_not_run(cell)
        # The kernel has been ended: no student code runs from here on.
        for judged in self._judged:
            apply_verdict(judged.cell, judged.verdict, judged.arrived, judged.self_check)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.judge = self.judge
            km.cpu_budget = self._budget()
            km.require_group = self.require_cgroup
        return km

    def _budget(self) -> int | None:
        """The notebook's training budget in CPU seconds (None: it trains nothing)."""
        registered = assignments.get(self.assignment).cpu_budget
        return self.cpu_budget if self.cpu_budget is not None and registered else registered

    def _run_all(self, resources: Any) -> None:
        self._next = 0
        with self.setup_kernel():
            assert self.kc is not None
            info = self.wait_for_reply(self.kc.kernel_info())
            if info is None or "language_info" not in info.get("content", {}):
                raise KernelGone("the kernel did not start")
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            if isinstance(self.km, SandboxedKernelManager):
                self.km.close_runtime_folder()
            for index, cell in enumerate(self.nb.cells):
                self._next = index
                if self.kernel_gone is not None:
                    return
                self.preprocess_cell(cell, resources, index)
            self._next = len(self.nb.cells)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        self._arrived, self._dropping = {}, False
        self._budget_left = self._budget_left.next_cell()
        if not self.sandbox:  # nbgrader's own Execute: the checks run in the kernel
            return super().preprocess_cell(cell, resources, index)
        call = grade_call(cell) if notebooks.is_graded_cell(cell) else None
        parts = split_test_cell(cell.source) if call is not None else None
        spend = self._spend() if call is not None else {}  # before the self-check runs
        printed: list[NotebookNode] = []
        failed: NotebookNode | None = None
        if parts is not None and parts[0].strip():
            # The self-check runs with no cell expected: a connection from it is refused.
            if not self._run_part(cell, resources, index, parts[0]):
                self._next = index + 1  # stopped or gone: the cell keeps its error
                return cell, resources
            printed, failed = self_check_outcome(cell.outputs)
        token = self._expect(call, spend)
        self._run_part(cell, resources, index, parts[1] if parts else cell.source)
        if printed:
            cell.outputs[:0] = printed
        if call is not None:  # the judge is done with the cell; its verdict is applied at the end
            assert self.judge is not None
            verdict = self.judge.verdict(token, self._kernel_alive, self.verdict_wait)
            self._judged.append(Judged(cell, verdict, self._arrived, failed))
        self._next = index + 1
        return cell, resources

    def _run_part(self, cell: NotebookNode, resources: Any, index: int, source: str) -> bool:
        """Run ``source`` as the cell (all of it, or one part of a test cell); then the judge
        expects no cell. Whether the kernel may go on with the cell: not gone, not stopped."""
        assert self.judge is not None
        whole = cell.source
        output_wait = self.iopub_timeout
        self.iopub_timeout = LAGGING_OUTPUT_WAIT if self._lagging else output_wait
        try:
            self._output_ended = self._interrupted = False
            cell.source = source
            super().preprocess_cell(cell, resources, index)
        except Exception as error:
            self._kernel_gone(
                cell, self._not_stopped(index) if self._interrupted else _reason(error, index)
            )
            return False
        else:
            self._after_cell(cell, index)
            return self.kernel_gone is None and not _timed_out(cell)
        finally:
            cell.source = whole
            self.iopub_timeout, self.raise_on_iopub_timeout = output_wait, False
            self.judge.announce(None)

    def _after_cell(self, cell: NotebookNode, index: int) -> None:
        """After a cell that ended without an error: whether the kernel can go on, and how long
        the next cell waits for the rest of its output."""
        if _timed_out(cell):
            self._stopped.append(notebooks.grade_id_of(cell) or f"cell {index}")
            if not self._stops_within(self.interrupt_grace):
                self._kernel_gone(cell, self._not_stopped(index))
        elif self._runs(cell):
            # Answered, but its output still coming after the wait: a flood, a closed output
            # channel, a very busy machine. The rest is not kept, and until a cell's output
            # ends in time again the next cells wait only briefly: the verdict does not
            # depend on the output, and a flood would make every cell wait in full.
            if not self._output_ended:
                cell.outputs.append(late_output_note(self.iopub_timeout))
            self._lagging = not self._output_ended

    def _kernel_gone(self, cell: NotebookNode, why: str) -> None:
        cell.outputs.append(kernel_gone_output(why))
        self._give_up(why)

    async def _async_handle_timeout(
        self, timeout: int, cell: NotebookNode | None = None
    ) -> dict[str, Any] | None:
        """Interrupt a cell at its time limit; it then has ``interrupt_grace`` seconds to end
        (not nbclient's ``iopub_timeout``), or its kernel is ended."""
        self._interrupted = True
        self.iopub_timeout, self.raise_on_iopub_timeout = self.interrupt_grace, True
        if isinstance(self.km, SandboxedKernelManager):
            self.km.thaw_sandbox()  # frozen by a judge that died while reading it
        return await super()._async_handle_timeout(timeout, cell)

    def process_message(self, msg: dict[str, Any], cell: NotebookNode, cell_index: int) -> Any:
        self._running = cell_index
        content = msg.get("content")
        if isinstance(content, dict) and not _is_count(content.get("execution_count")):
            msg = {**msg, "content": {**content, "execution_count": None}}
        try:
            return super().process_message(msg, cell, cell_index)
        except CellExecutionComplete:  # the cell's idle status: all its output has come
            self._output_ended = True
            raise

    def _runs(self, cell: NotebookNode) -> bool:
        """Whether nbclient runs the cell (it skips the others: no reply, no output)."""
        skipped = self.skip_cells_with_tag in cell.get("metadata", {}).get("tags", [])
        return cell.cell_type == "code" and bool(cell.source.strip()) and not skipped

    def _not_stopped(self, index: int) -> str:
        return (
            f"cell {index} did not stop within {self.interrupt_grace} s of its time limit, "
            "so its kernel was ended"
        )

    def _expect(self, call: tuple[str, str] | None, spend: dict[str, Any]) -> int:
        """Tell the judge the test cell about to call it (and the training's ``spend``);
        its token, 0 when no test cell of this assignment runs (nothing is expected)."""
        assert self.judge is not None
        if call is None or call[0] != self.assignment:
            return 0
        self._tokens += 1
        self.judge.announce({"cell": call[1], "token": self._tokens, **spend})
        return self._tokens

    def _spend(self) -> dict[str, Any]:
        """The judge's facts for a budget check (none for a notebook that trains nothing): the
        budget, the cells stopped at their time limit, and where to read the sandbox's CPU
        time, which the judge does when it takes a model."""
        budget = self._budget()
        if budget is None or not isinstance(self.km, SandboxedKernelManager):
            return {}
        return {"cpu_budget": budget, "stopped": self._stopped, "meter": self.km.meter()}

    def _timeout_of(self, cell: NotebookNode) -> int | None:
        registry = assignments.get(self.assignment)
        # The judge trains each graded model's recipe again while its accuracy cell runs.
        accuracy = {assignments.grade_id_for(name) for name in registry.accuracy_cells}
        long = {notebooks.SETUP_CELL_ID, *registry.training_cells, *accuracy}
        if self.training_timeout and notebooks.grade_id_of(cell) in long:
            return self.training_timeout
        return self.timeout

    def _longest_timeout(self) -> int:
        return max(self.timeout or 0, self.training_timeout or 0, 60)

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: Any, cell_index: int
    ) -> Any:
        """Keep outputs only within the cell's and the notebook's limits, as they arrive."""
        if not self._keeps(outs, output_size(msg.get("content", {}))):
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            out.get("metadata", {}).pop(METADATA_KEY, None)
            if not _is_count(out.get("execution_count", 0)):
                out.execution_count = None
            self._arrived[id(out)] = time.time()  # tells the self-check's lines from the judging's
        return out

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        """Update the outputs that show ``display_id`` in the running cell only, within limits.

        nbclient, as Jupyter's front ends, updates such outputs in every cell:
        an update from a later cell would rewrite what a test cell shows.
        """
        cell = self.nb.cells[self._running]
        showing = [
            position
            for position in self._display_id_map.get(display_id, {}).get(self._running, [])
            if position < len(cell.outputs)
            and cell.outputs[position].get("output_type") in ("display_data", "execute_result")
        ]
        if not showing:
            return
        update = {**msg, "header": {**msg["header"], "msg_type": "display_data"}}
        try:
            out = output_from_msg(update)
        except ValueError:
            return
        if not self._keeps(cell.outputs, output_size(msg.get("content", {})) * len(showing)):
            return
        out.metadata.pop(METADATA_KEY, None)
        for position in showing:
            cell.outputs[position]["data"] = out["data"]
            cell.outputs[position]["metadata"] = out["metadata"]

    def _keeps(self, outs: list[NotebookNode], size: int) -> bool:
        """Whether output of ``size`` characters may be kept in the running cell (counting it),
        or, once either limit is reached, the rest of the cell's output is dropped with a note."""
        if not self._dropping:
            left = self._budget_left.take(size)
            if left is not None:
                self._budget_left = left
                return True
            self._dropping = True
            outs.append(dropped_output_note(self._budget_left.limit_reached()))
        return False

    def on_cell_executed(self, **kwargs: Any) -> None:
        """nbgrader adds the error of the kernel's reply when no output showed it: within limits."""
        cell = kwargs["cell"]
        before = len(cell.outputs)
        super().on_cell_executed(**kwargs)
        for position in range(before, len(cell.outputs)):
            added = cell.outputs[position]
            size = output_size(added)
            if added.get("output_type") == "error" and not self._keeps([], size):
                cell.outputs[position] = error_output(
                    str(added.get("ename", "Error"))[:200],
                    f"{str(added.get('evalue', ''))[:1000]} (the rest of this error was over the "
                    "grader's output limit / 출력 한도를 넘은 오류 내용은 생략했습니다)",
                )

    def _stops_within(self, seconds: float) -> bool:
        """Whether the kernel answers a request within ``seconds`` (it finished the cell)."""
        return run_sync(self._async_stops_within)(seconds)

    async def _async_stops_within(self, seconds: float) -> bool:
        assert self.kc is not None
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                reply = await self.kc.shell_channel.get_msg(timeout=left)
            except Exception:
                return False
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

    def _kernel_alive(self) -> bool:
        try:
            return bool(self.km is not None and run_sync(self.km.is_alive)())
        except Exception:
            return False

    def _give_up(self, why: str) -> None:
        if self.kernel_gone is None:
            self.kernel_gone = why
        self._end_kernel()

    def _end_kernel(self) -> None:
        """End the kernel's whole sandbox, whatever state it is in, and remove its folders."""
        if self.km is not None and isinstance(self.km, SandboxedKernelManager):
            self.km.kill_sandbox()
            self.km.remove_folders()

    def _mark_not_run(self, cell: NotebookNode) -> None:
        graded = notebooks.is_graded_cell(cell)
        cell.outputs = (
            [kernel_gone_output(self.kernel_gone or "the kernel stopped")] if graded else []
        )


def _is_count(value: Any) -> bool:
    """Whether ``value`` may stand as an execution count (an integer, or none)."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _timed_out(cell: NotebookNode) -> bool:
    return any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def _reason(error: BaseException, index: int) -> str:
    name = type(error).__name__
    if name == "DeadKernelError":
        return (
            f"the kernel stopped while cell {index} was running: the code crashed Python, "
            "called os._exit(), or went over a memory, CPU or time limit"
        )
    return (
        f"the kernel stopped answering the grader while cell {index} was running ({_said(error)})"
    )


def split_test_cell(source: str) -> tuple[str, str] | None:
    """A restored test cell's visible self-check and its hidden region (from nbgrader's
    ``### BEGIN HIDDEN TESTS`` marker on), or None for a cell without a hidden region."""
    visible, marker, hidden = source.partition(HIDDEN_TESTS)
    return (visible, marker + hidden) if marker else None


def self_check_outcome(
    outputs: list[NotebookNode],
) -> tuple[list[NotebookNode], NotebookNode | None]:
    """What a test cell's self-check showed, without its error (nbgrader would score the
    cell zero for it), and that error as text for the student, if it failed."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    kept = [o for o in outputs if o.get("output_type") != "error"]
    return kept, (self_check_failed(errors[-1]) if errors else None)


SELF_CHECK_FAILED = (
    "✗ 스스로 확인 실패 / self-check failed: 이 확인과 같은 검사(보고서에서 "
    "'스스로 확인' 표시가 있는 줄)의 점수만 잃고, 숨겨진 검사는 그대로 채점되었습니다 / its "
    "points are lost (the report's lines marked 'self-check'), the hidden checks still ran"
)
TRACEBACK_LINES = 12  # of one frame of the student's, at most
TRACEBACK_FRAMES = 4  # the innermost frames of the student's cells shown
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def self_check_failed(error: NotebookNode) -> NotebookNode:
    """A self-check's error output as text: the error in a few lines, the traceback cut to the
    frames of the notebook's cells (none of the libraries'), and what it costs.

    The text is the kernel's, so it is bounded, and shown as printed output,
    which nbgrader does not score; what it costs is the judge's to say.
    """
    name = _plain(error.get("ename", "Error"))[:200]
    message = "\n".join(_plain(error.get("evalue", "")).splitlines()[:TRACEBACK_LINES])[:2000]
    frames = student_traceback(error.get("traceback"))
    lines = [SELF_CHECK_FAILED, "", *frames, f"{name}: {message}".rstrip(": ")]
    return NotebookNode(output_type="stream", name="stdout", text="\n".join(lines) + "\n")


def student_traceback(traceback: Any) -> list[str]:
    """IPython's traceback cut to the frames of notebook cells (``Cell In[n], line m``),
    the innermost :data:`TRACEBACK_FRAMES`, each at most :data:`TRACEBACK_LINES` lines."""
    if not isinstance(traceback, list):
        return []
    frames = []
    for chunk in traceback[:1000]:
        text = _plain(chunk).strip("\n")
        if text.startswith(("Cell In[", "Input In [")):
            lines = [line[:200] for line in text.splitlines()[:TRACEBACK_LINES]]
            frames.append("\n".join(lines))
    return frames[-TRACEBACK_FRAMES:]


def _plain(text: Any) -> str:
    """Text without the terminal colours of IPython's tracebacks (not text: nothing)."""
    return ANSI.sub("", text[:100_000]) if isinstance(text, str) else ""


def grade_call(cell: NotebookNode) -> tuple[str, str] | None:
    """The (assignment, cell) a test cell's hidden ``grade(...)`` call judges, if any.

    nbgrader has restored the test cell's source from the gradebook by now,
    so this is the instructor's call, whatever the student wrote.
    """
    match = GRADE_CALL.search(cell.source) if cell.cell_type == "code" else None
    return (match["assignment"], match["cell"]) if match else None


def apply_verdict(
    cell: NotebookNode,
    verdict: CellVerdict | None,
    arrived: dict[int, float] | None = None,
    self_check: NotebookNode | None = None,
) -> None:
    """Make the judge's verdict the test cell's score, whatever the kernel printed.

    nbgrader scores a test cell from its outputs: zero with an error output,
    else the number of an ``execute_result``. What the kernel printed before
    the judge took the connection (the visible self-check's lines, by their
    arrival time in ``arrived``) stays, cut to :data:`PRINTED_KEPT` lines,
    then the self-check's failure as text (``self_check``), if it failed;
    everything printed while it was judged goes, as it could show the hidden
    cases; the judge's report follows, marked as the grader's, then its
    picture and points. Without a complete verdict the checks never ran or
    never finished (the code stopped or hung, the kernel's answers broke the
    grader's rules): the kernel's error stands, or one is added, with the
    judge's reason when it gave one.
    """
    accepted_at = verdict.accepted_at if verdict is not None else None
    if accepted_at is not None and arrived is not None:
        cell.outputs = [o for o in cell.outputs if arrived.get(id(o), 0.0) < accepted_at]
    if verdict is None or not verdict.complete:
        if self_check is not None:
            errors = [i for i, o in enumerate(cell.outputs) if o.output_type == "error"]
            cell.outputs.insert(errors[0] if errors else len(cell.outputs), self_check)
        why = verdict.error if verdict is not None else None
        if why or not any(o.output_type == "error" for o in cell.outputs):
            cell.outputs.append(
                error_output(
                    "ChecksDidNotRun",
                    f"the hidden checks of this cell did not run{': ' + why if why else ''}, "
                    "so it scores zero (채점 코드가 실행되지 않았습니다)",
                )
            )
        return
    cell.metadata[METADATA_KEY] = verdict.stored().to_metadata()
    printed = "".join(
        o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"
    ).splitlines(keepends=True)
    cell.outputs = [report_output(verdict.report)]
    if self_check is not None:
        cell.outputs.insert(0, self_check)
    if printed:
        if len(printed) > PRINTED_KEPT:
            printed = [*printed[:PRINTED_KEPT], f"... ({len(printed) - PRINTED_KEPT} more lines)\n"]
        cell.outputs.insert(
            0, NotebookNode(output_type="stream", name="stdout", text="".join(printed))
        )
    if verdict.figure:
        cell.outputs.append(
            NotebookNode(
                output_type="display_data",
                data={"image/png": verdict.figure, "text/plain": "<feedback figure>"},
                metadata={},
            )
        )
    cell.outputs.append(
        NotebookNode(
            output_type="execute_result",
            execution_count=cell.get("execution_count"),
            data={"text/plain": repr(verdict.earned)},
            metadata={},
        )
    )


PRINTED_KEPT = 40  # lines of the kernel's own output kept above the judge's report
REPORT_HEADING = "🔒 채점기 보고서 / grader's report"
# Long expected/found/hint lines wrap inside the box wherever the report is shown. The
# feedback page's sanitizer drops inline styles: its template's CSS says the same there
# (autograder/course/templates/cnn_feedback).
REPORT_PRE_STYLE = "white-space:pre-wrap;overflow-wrap:anywhere"


def report_output(report: str) -> NotebookNode:
    """The judge's report as a framed box, and plain text.

    It is built from a verdict only: here, into a test cell whose kernel has
    ended, and by the feedback page from the verdict in the cell's metadata
    (:mod:`autograder.course.feedback`), never recognised in an output.
    """
    box = (
        f'<div class="cnn-report"><b>{html.escape(REPORT_HEADING)}</b>'
        f'<pre style="{REPORT_PRE_STYLE}">{html.escape(report)}</pre></div>'
    )
    return NotebookNode(
        output_type="display_data",
        data={"text/html": box, "text/plain": f"{REPORT_HEADING}\n{report}"},
        metadata={},
    )


def dropped_output_note(limit: str) -> NotebookNode:
    """What a cell shows where the rest of its output was dropped at a limit."""
    return NotebookNode(
        output_type="stream",
        name="stdout",
        text=f"\n... output over {limit} dropped by the grader (출력이 너무 많아 잘랐습니다) ...\n",
    )


def late_output_note(seconds: int) -> NotebookNode:
    """What a cell shows when the rest of its output came too late to be kept."""
    return NotebookNode(
        output_type="stream",
        name="stderr",
        text=f"\n... output still coming {seconds} s after the cell ended was not kept by the "
        "grader (셀이 끝난 뒤 늦게 온 출력은 저장하지 않았습니다) ...\n",
    )


def kernel_gone_output(reason: str) -> NotebookNode:
    """The error output that makes nbgrader score a cell zero, with the reason for the student."""
    return error_output("KernelDied", f"{reason}. (커널이 중지되어 이 셀은 실행되지 않았습니다.)")


def error_output(name: str, message: str) -> NotebookNode:
    """An error output: nbgrader scores its cell zero; the feedback shows the message."""
    return NotebookNode(
        output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"]
    )
