"""Kernels that stop answering, in every way a student's code can make them.

Before, nbclient gave up on such a kernel with an exception nbgrader did not
expect, and nbgrader removed the whole submission: no grade, no feedback.
Now the notebook always ends graded: the cells the kernel ran keep their
verdicts, the ones it could not run score zero with the reason. Each entry
breaks the kernel in the last answer cell of ``03_one_hot``, after
``test_one_hot`` has been judged (5 points it keeps), and before
``test_from_one_hot`` (2 points it loses), unless the misbehaviour costs
nothing at all. They wait out time limits, so they are graded in the
course with short limits (``tests/conftest.py``).
"""

from __future__ import annotations

from tests.hostile.base import A03, Hostile, answered, ref

FROM_ONE_HOT = ref(A03, "from_one_hot")

BREAKS = {
    # Patched builtins that ipykernel and jupyter_client use to send every message.
    "patched_isinstance": "import builtins\n\nbuiltins.isinstance = lambda *args: True\n",
    "patched_getattr": "import builtins\n\nbuiltins.getattr = lambda *args: None\n",
    "patched_json": (
        "import json\n\njson.dumps = lambda *args, **kwargs: 'not json'\n"
        "json.loads = lambda *args, **kwargs: None\n"
    ),
    # Its own sockets closed under it.
    "closed_shell_socket": "get_ipython().kernel.shell_stream.close()\n",
    # Stopped, and deaf to the interrupt that ends a cell at its time limit.
    "stopped_itself": "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGSTOP)\n",
    "ignores_the_interrupt": (
        "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
    ),
    # The kernel's process ends, its child keeps the sockets.
    "forked_child_keeps_the_sockets": (
        "import os\nimport time\n\n"
        "if os.fork() == 0:\n    time.sleep(600)\nelse:\n    os._exit(0)\n"
    ),
    # Half a message to the judge, then silence.
    "stalled_reply_to_the_judge": (
        "import time\n\nimport autograder.kernel.serve as _serve\n\n"
        "def _stall(sock, header, blobs=()):\n"
        "    sock.sendall(b'\\x00\\x00\\x00\\x00\\x00\\x00\\x01\\x00{\"op\":')\n"
        "    time.sleep(1000)\n\n"
        "_serve.wire.send = _stall\n"
    ),
}

# Misbehaviour that costs nothing: the grader does not depend on it.
HARMLESS = {
    "patched_print": (
        "import builtins\n\n_print = builtins.print\n"
        "builtins.print = lambda *args, **kwargs: _print('(printed through a patch)', *args)\n"
    ),
    "stopped_heartbeat": (
        "from ipykernel.kernelapp import IPKernelApp\n\n"
        "IPKernelApp.instance().heartbeat.socket.close()\n"
    ),
    "asks_for_input": "answer = input('your name? ')\n",
    # No output reaches the grader any more; the judge's verdicts do.
    "closed_iopub_socket": "get_ipython().kernel.iopub_socket.close()\n",
    # One message over the grader's limit: refused unread, and the output channel with it.
    "one_message_over_the_limit": "print('x' * 100_000_000)\n",
    "iopub_flood": (
        "import threading\n\n"
        "def _flood():\n    while True:\n        print('x' * 10_000)\n\n"
        "threading.Thread(target=_flood, daemon=True).start()\n"
    ),
}
HARMLESS_REASONS = {
    "patched_print": "[from_one_hot] 2 / 2",
    "stopped_heartbeat": "[from_one_hot] 2 / 2",
    "asks_for_input": "StdinNotImplementedError",
    "closed_iopub_socket": "[from_one_hot] 2 / 2",
    "one_message_over_the_limit": "[from_one_hot] 2 / 2",
    "iopub_flood": "[from_one_hot] 2 / 2",
}

KERNEL_ENDED = "(커널이 중지되어 이 셀은 실행되지 않았습니다.)"
# Interrupted at the time limit, they never end the cell: the kernel is ended after the
# grace (not after the wait for a cell's late output).
NOT_STOPPED = "s of its time limit, so its kernel was ended"  # "did not stop within N s …"
BREAK_REASONS = {
    # The kernel is interrupted at the time limit and answers again: only the cell is lost.
    "stalled_reply_to_the_judge": "CellTimeoutError",
    **dict.fromkeys(
        [
            "patched_isinstance",
            "patched_getattr",
            "closed_shell_socket",
            "stopped_itself",
            "ignores_the_interrupt",
        ],
        NOT_STOPPED,
    ),
}

ENTRIES = [
    *(
        Hostile(
            name,
            A03,
            answered(from_one_hot=FROM_ONE_HOT + "\n" + code),
            frozenset({"test_from_one_hot"}),
            BREAK_REASONS.get(name, KERNEL_ENDED),
            times_out=True,
        )
        for name, code in BREAKS.items()
    ),
    *(
        Hostile(
            name,
            A03,
            answered(from_one_hot=FROM_ONE_HOT + "\n" + code),
            reason=HARMLESS_REASONS[name],
            times_out=True,
        )
        for name, code in HARMLESS.items()
    ),
]
