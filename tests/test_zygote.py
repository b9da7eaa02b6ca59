"""Judges forked from the grading process's zygote: the judge's limits, session and folder,
as when it starts as a process of its own; only the grader's own user is answered;
the zygote ends with the process that started it.

The zygote here imports the judge but not Keras, to stay quick; the slow tier
grades every TensorFlow notebook with judges forked from one that has imported
Keras (its references' full marks need the judge's own training).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.course.directory import tool_environment
from autograder.judge import zygote
from autograder.sandbox import processes
from autograder.sandbox.processes import JUDGE_LIMITS, JudgeProcess

LIGHT = ("autograder.judge.service",)  # no Keras: the same fork, in a second
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]  # another Unix user


@pytest.fixture(scope="module")
def running() -> Iterator[zygote.Zygote]:
    started = zygote.start(tool_environment(), preload=LIGHT)
    try:
        assert started.ready(60)
        yield started
    finally:
        started.stop()


@pytest.fixture
def forked(running: zygote.Zygote, monkeypatch: pytest.MonkeyPatch) -> zygote.Zygote:
    monkeypatch.setenv(zygote.ADDRESS_VARIABLE, running.address)
    return running


def limits_of(pid: int) -> dict[str, str]:
    rows = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {row[:26].strip(): row[26:47].strip() for row in rows}


def test_a_forked_judge_has_the_judges_limits_session_and_folder(forked, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with JudgeProcess("03_one_hot", 30.0) as judge:
        judge._wait_ready()
        process = judge.process
        assert isinstance(process, zygote.ForkedJudge)
        limits = limits_of(process.pid)
        assert limits["Max address space"] == str(JUDGE_LIMITS.address_space)
        assert limits["Max cpu time"] == str(JUDGE_LIMITS.cpu_seconds)
        assert limits["Max file size"] == str(JUDGE_LIMITS.file_size)
        assert limits["Max core file size"] == "0"
        assert os.getsid(process.pid) == process.pid  # a session of its own
        assert Path(f"/proc/{process.pid}/cwd").resolve() == tmp_path.resolve()
        assert judge.alive()
    assert process.returncode == 0  # it ended when nbgrader stopped talking
    assert not judge.folder.exists()


def test_a_forked_judge_past_its_wall_clock_limit_is_killed(forked, monkeypatch):
    brief = zygote.JudgeLimits(**{**JUDGE_LIMITS.__dict__, "wall_seconds": 1})
    monkeypatch.setattr(processes, "JUDGE_LIMITS", brief)
    with JudgeProcess("03_one_hot", 30.0) as judge:
        assert isinstance(judge.process, zygote.ForkedJudge)
        assert judge.process.wait(timeout=30) == -signal.SIGKILL
        assert not judge.alive()


def test_a_judge_starts_on_its_own_where_no_zygote_answers(monkeypatch):
    monkeypatch.setenv(zygote.ADDRESS_VARIABLE, "cnn-judge-zygote-nobody-listens")
    with JudgeProcess("03_one_hot", 30.0) as judge:
        assert isinstance(judge.process, subprocess.Popen)
        judge._wait_ready()


def test_the_zygote_imports_the_very_package_of_the_grader_that_starts_it(tmp_path, monkeypatch):
    # Started from a folder that holds another copy of the package (a course folder can),
    # it still forks judges of the grader's own.
    (tmp_path / "autograder").mkdir()
    (tmp_path / "autograder" / "__init__.py").write_text("raise ImportError('the other copy')\n")
    monkeypatch.chdir(tmp_path)
    started = zygote.start(tool_environment(), preload=LIGHT)
    try:
        assert started.ready(60)
    finally:
        started.stop()


# A request as nbgrader's process sends one, from whoever runs this script: the reply, if any.
ASKS = """
import array, json, os, socket, sys
connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
connection.connect("\\0" + sys.argv[1])
read_end, _ = os.pipe()
log = os.open("/dev/null", os.O_WRONLY)
request = {"argv": ["--help"], "cwd": "/", "env": {},
           "limits": {"address_space": 2**33, "cpu_seconds": 10, "file_size": 2**20,
                      "wall_seconds": 10}}
fds = array.array("i", [read_end, log]).tobytes()
connection.settimeout(30)
try:
    connection.sendmsg([json.dumps(request).encode() + b"\\n"],
                       [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
    print(repr(connection.recv(4096)))
except (BrokenPipeError, ConnectionResetError):  # hung up before reading the request
    print(repr(b""))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to ask as another Unix user")
def test_only_the_graders_own_user_is_answered(running):
    ask = ["/usr/bin/python3", "-c", ASKS, running.address]
    nobody = [*NOBODY, *ask]
    refused = subprocess.run(nobody, capture_output=True, text=True, timeout=60)
    assert refused.stdout.strip() == "b''", refused.stderr  # hung up, nothing forked
    answered = subprocess.run(ask, capture_output=True, text=True, timeout=60)
    assert '"pid"' in answered.stdout, answered.stderr  # the same request from the grader


# Listens at the address given, as another user could have before the zygote: what it hears.
SQUATS = """
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind("\\0" + sys.argv[1])
listener.listen(1)
print("listening", flush=True)
listener.settimeout(30)
try:
    connection, _ = listener.accept()
    connection.settimeout(5)
    print(repr(connection.recv(65536)), flush=True)
except OSError as error:
    print(type(error).__name__, flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to listen as another Unix user")
def test_a_judge_is_asked_of_no_zygote_but_one_of_the_graders_own_user(monkeypatch):
    address = f"cnn-judge-zygote-squatted-{os.getpid()}"
    squatter = subprocess.Popen(
        [*NOBODY, "/usr/bin/python3", "-c", SQUATS, address],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
    monkeypatch.setenv(zygote.ADDRESS_VARIABLE, address)
    with JudgeProcess("03_one_hot", 30.0) as judge:
        assert isinstance(judge.process, subprocess.Popen)  # started on its own
        judge._wait_ready()
    heard, _ = squatter.communicate(timeout=60)
    assert "argv" not in heard and "env" not in heard, heard  # it was told nothing


@pytest.mark.parametrize(
    "malformed",
    [
        ('"wall_seconds": 10', '"wall_minutes": 10'),  # limits it cannot read
        ("json.dumps(request).encode()", "b'{not json'"),  # no request at all
    ],
)
def test_a_request_it_cannot_read_gets_no_judge_and_the_zygote_goes_on(running, malformed):
    descriptors = Path(f"/proc/{running.process.pid}/fd")
    before = len(list(descriptors.iterdir()))
    asked = subprocess.run(
        [sys.executable, "-c", ASKS.replace(*malformed), running.address],
        capture_output=True,
        text=True,
    )
    assert asked.stdout.strip() == "b''", asked.stderr
    assert len(list(descriptors.iterdir())) == before  # the pipe and log sent are closed
    assert zygote.answers(running.address)


STARTS_ONE = f"""
from autograder.judge import zygote
started = zygote.start({{}}, preload={LIGHT!r})
assert started.ready(60)
print(started.process.pid, flush=True)
input()
"""


def test_the_zygote_ends_with_the_process_that_started_it():
    grader = subprocess.Popen(
        [sys.executable, "-c", STARTS_ONE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert grader.stdout is not None
    pid = int(grader.stdout.readline())
    grader.kill()  # no goodbye: only the end of its pipe tells the zygote
    grader.wait()
    deadline = time.monotonic() + 30
    while zygote._running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not zygote._running(pid)
