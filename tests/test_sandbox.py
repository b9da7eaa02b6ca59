"""The sandbox's limits, enforced by the real bubblewrap and prlimit on small scripts.

Each test runs a short Python script under :func:`sandbox_command`, as a
student kernel would be, and checks what the operating system let it do.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import command as sandbox
from autograder.sandbox.command import Limits


def run_sandboxed(
    tmp_path: Path, code: str, limits: Limits = sandbox.LIMITS
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this interpreter inside the sandbox that hides ``tmp_path/course``."""
    course, workdir = tmp_path / "course", tmp_path / "course" / "autograded" / "s" / "a"
    workdir.mkdir(parents=True)
    (course / "gradebook.db").write_text("grades")
    uid = sandbox.kernel_uid()
    if uid is not None:
        os.chown(workdir, uid, uid)
    command = sandbox.sandbox_command(
        [sys.executable, "-c", code],
        workdir=workdir,
        writable=[workdir],
        hidden=sandbox.hidden_paths(course),
        readable=sandbox.readable_paths(),
        uid=uid,
        limits=limits,
    )
    environment = sandbox.kernel_environment(dict(os.environ))
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)


needs_tools = pytest.mark.skipif(
    bool(sandbox.missing_tools()), reason="bubblewrap is not installed"
)


@needs_tools
def test_course_files_and_hidden_checks_are_out_of_sight(tmp_path):
    result = run_sandboxed(
        tmp_path,
        "import json, os, autograder, pathlib\n"
        "course = pathlib.Path.cwd().parents[2]\n"
        "package = pathlib.Path(autograder.__file__).parent\n"
        "print(json.dumps([os.listdir(course), os.listdir(package)]))\n",
    )
    assert result.returncode == 0, result.stderr
    listed_course, listed_package = json.loads(result.stdout)
    assert "gradebook.db" not in listed_course
    assert sorted(listed_package) == ["__init__.py", "kernel"]


@needs_tools
def test_no_network_not_even_the_hosts_loopback(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        result = run_sandboxed(
            tmp_path,
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "    print('connected')\n"
            "except OSError as error:\n"
            "    print(type(error).__name__)\n",
        )
    finally:
        server.close()
    assert result.stdout.strip() == "ConnectionRefusedError", result.stderr


@needs_tools
def test_memory_limit_raises_memory_error(tmp_path):
    result = run_sandboxed(
        tmp_path,
        "import numpy as np\n"
        "try:\n"
        "    np.ones(3 * 1024**3 // 8)\n"  # 3 GiB, over the 2 GiB limit
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n",
        Limits(address_space=2 * sandbox.GiB),
    )
    assert result.stdout.strip() == "MemoryError", result.stderr


@needs_tools
def test_process_limit_stops_a_fork_loop(tmp_path):
    result = run_sandboxed(
        tmp_path,
        "import subprocess\n"
        "children = []\n"
        "try:\n"
        "    for _ in range(200):\n"
        "        children.append(subprocess.Popen(['sleep', '30']))\n"
        "except OSError as error:\n"
        "    print(len(children), type(error).__name__)\n"
        "for child in children:\n"
        "    child.kill()\n",
        Limits(processes=40),
    )
    started, error = result.stdout.split()
    assert int(started) < 40 and error == "BlockingIOError", result.stderr


@needs_tools
def test_wall_clock_limit_kills_a_sleeper(tmp_path):
    result = run_sandboxed(tmp_path, "import time\ntime.sleep(60)\n", Limits(wall_seconds=2))
    assert result.returncode == -9 or result.returncode == 137
