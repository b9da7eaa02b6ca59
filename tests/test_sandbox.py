"""The sandbox's limits, enforced by the real bubblewrap and prlimit on small scripts.

Each test runs a short Python script under :func:`sandbox_command`, as a
student kernel would be, and checks what the operating system let it do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import sandbox, wire
from autograder.sandbox import Limits


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
        "import os, autograder, pathlib\n"
        "course = pathlib.Path.cwd().parents[2]\n"
        "package = pathlib.Path(autograder.__file__).parent\n"
        "print(sorted(os.listdir(course)), sorted(os.listdir(package)))\n",
    )
    assert result.returncode == 0, result.stderr
    listed_course, listed_package = result.stdout.strip().split("] [")
    assert "gradebook.db" not in listed_course
    assert "checks" not in listed_package and "kernel_side.py" in listed_package


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


def test_wire_round_trip_keeps_values_and_types(tmp_path):
    codec = wire.Codec(tmp_path)
    value = {
        "images": np.arange(6, dtype=np.float32).reshape(2, 3),
        "count": np.int64(3),
        "labels": [1, 2.5, None, True, "고양이"],
        "pair": (np.bool_(True), (1, 2)),
        7: {"nested": np.array([], dtype=np.uint8)},
    }
    back = codec.decode(json_round_trip(codec.encode(value)))
    assert back.keys() == value.keys() and back["labels"] == value["labels"]
    assert back["images"].dtype == np.float32 and np.array_equal(back["images"], value["images"])
    assert isinstance(back["count"], np.int64) and back["pair"][1] == (1, 2)
    assert back[7]["nested"].dtype == np.uint8


def test_wire_sends_functions_and_objects_as_references(tmp_path):
    codec = wire.Codec(tmp_path)
    encoded = codec.encode([len, lambda: 1, np.array([object()])])
    kinds = [item["kind"] for item in encoded["items"]]
    assert kinds == ["object", "function", "object"]
    assert isinstance(codec.decode(encoded)[1], wire.Opaque)


def test_wire_rebuilds_errors_by_name_on_a_builtin_base():
    class StudentError(ValueError):
        pass

    error = wire.rebuild_error(wire.describe_error(StudentError("bad pad")))
    assert isinstance(error, ValueError) and type(error).__name__ == "StudentError"
    assert str(error) == "bad pad"
    assert type(wire.rebuild_error({"names": ["Mystery"], "message": ""})).__bases__ == (Exception,)


def test_wire_rejects_what_is_not_a_message(tmp_path):
    left, right = socket.socketpair()
    with left, right:
        left.sendall((5).to_bytes(8, "big") + b"[1,2]")
        with pytest.raises(wire.WireError):
            wire.receive(right)
    with pytest.raises(wire.WireError):
        wire.Codec(tmp_path).decode({"$": "pickle", "data": "..."})


def json_round_trip(value: object) -> object:
    import json

    return json.loads(json.dumps(value))
