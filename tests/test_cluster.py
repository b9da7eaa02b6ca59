"""Who can talk to the grading cluster? Only the grader: another Unix user is refused.

The quick tests start a real grading cluster (the one ``cnn-grader autograde``
starts, one worker, no nbgrader) and try it as another Unix user of the
machine, a student on a JupyterHub, with the tools a student has: a plain
``distributed.Client``, a certificate of their own, the HTTP dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dask
import psutil
import pytest
from distributed import Client, LocalCluster
from distributed.comm import connect
from distributed.security import Security

from autograder.assignments import REPO_ROOT
from autograder.course import samples
from autograder.course.cli import main
from autograder.course.cluster import (
    CERTIFICATE,
    KEY,
    PLAIN_TCP_OPTION,
    ClusterSetupError,
    cluster_commands,
    course_security,
    local_cluster_client,
    make_certificate,
    scheduler_security,
    tls_folder,
)
from autograder.course.directory import Course, tool_environment
from tests.helpers import expected_cell_scores
from tests.private_folders import tools_for_all
from tests.test_exchange import User, useradd

IS_ROOT = os.geteuid() == 0

# Run as the other user: try every address the way a student would, report what happened.
PROBE = r"""
import asyncio, json, os, socket, sys, urllib.request
from distributed import Client
from distributed.comm import connect
from distributed.security import Security

targets = json.loads(sys.argv[1])

async def attempt(address, **connection_args):
    try:
        comm = await asyncio.wait_for(connect(address, timeout=3, **connection_args), 5)
    except Exception as error:
        return type(error).__name__
    await comm.close()
    return "connected"

def plain(address):
    return "tcp://" + address.split("://", 1)[1]

async def main():
    mine = Security.temporary()  # a certificate of the student's own making
    tries = {}
    for role, address in targets["dask"].items():
        tries[f"{role} plain"] = attempt(plain(address))
        tries[f"{role} own certificate"] = attempt(
            "tls://" + address.split("://", 1)[1], **mine.get_connection_args("client")
        )
    return dict(zip(tries, await asyncio.gather(*tries.values())))

found = asyncio.run(main())
with socket.create_connection(targets["control"], timeout=3):
    found["control"] = "connected"
try:
    with Client(plain(targets["dask"]["scheduler"]), timeout=3) as client:
        found["run code"] = f"ran as uid {list(client.run(os.getuid).values())}"
except Exception as error:
    found["run code"] = type(error).__name__
for role, server in targets["http"].items():  # dashboard, worker list, logs, metrics
    for path in ("/info/main/workers.html", "/health", "/metrics"):
        try:
            with urllib.request.urlopen(server + path, timeout=3) as page:
                found[f"{role} http {path}"] = f"HTTP {page.status}"
        except Exception as error:
            found[f"{role} http {path}"] = getattr(error, "code", None) or type(error).__name__
try:  # the worker's own folder, where it keeps what it spills (pickles)
    os.rename(targets["scratch"], targets["scratch"] + ".mine")
    found["worker folder"] = "moved"
except OSError as error:
    found["worker folder"] = type(error).__name__
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def other_user() -> Iterator[User]:
    """A throwaway Unix user, named for this test alone, deleted afterwards.

    Its home and a shared temporary folder (mode 1777, as ``/tmp``) are in a
    base folder of the test's own.
    """
    if not IS_ROOT:
        pytest.skip("needs root to create another Unix user (useradd)")
    for tool in ("useradd", "userdel", "runuser", "unshare"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}")
    base = Path(tempfile.mkdtemp(prefix="cnn-cluster-probe-"))
    base.chmod(0o711)
    (base / "tmp").mkdir(mode=0o1777)
    (base / "tmp").chmod(0o1777)
    name = f"cnn-cluster-probe-{secrets.token_hex(3)}"
    try:
        yield useradd(name, base / name, tools_for_all(base))
    finally:
        if subprocess.run(["userdel", "--remove", name], capture_output=True).returncode:
            subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_another_unix_user_cannot_reach_the_grading_cluster(other_user, monkeypatch):
    # The grader's temporary folder is shared, as /tmp is, and the user was there first.
    shared = other_user.home.parent / "tmp"
    other_user.ok("mkdir", "-m", "777", str(shared / "dask-scratch-space"))
    monkeypatch.setenv("TMPDIR", str(shared))  # the worker processes'
    monkeypatch.setattr(tempfile, "tempdir", str(shared))  # this one's
    with (
        local_cluster_client(workers=1) as client,
        socket.create_server(("127.0.0.1", 0)) as control,
    ):
        info = client.scheduler_info()
        [(worker, about)] = info["workers"].items()
        targets = {
            "dask": {"scheduler": info["address"], "worker": worker, "nanny": about["nanny"]},
            "http": {
                role: f"http://127.0.0.1:{services['dashboard']}"
                for role, services in (
                    ("scheduler", info["services"]),
                    ("worker", about["services"]),
                )
            },
            "scratch": about["local_directory"],
            "control": control.getsockname(),
        }
        assert client.run(os.getuid) == {worker: os.getuid()}  # the grader itself gets in
        found = json.loads(
            other_user.ok(sys.executable, "-c", PROBE, json.dumps(targets)).splitlines()[-1]
        )
    print(found)  # pytest -rP shows what each attempt met
    assert found.pop("control") == "connected"  # the user reaches this machine's loopback
    assert all(outcome != "connected" for outcome in found.values()), found
    assert "ran as" not in found.pop("run code")
    assert found.pop("worker folder") == "PermissionError"
    assert list((shared / "dask-scratch-space").iterdir()) == []  # the grader wrote nothing there
    http = {attempt: found.pop(attempt) for attempt in list(found) if " http " in attempt}
    assert len(http) == 6 and set(http.values()) == {404}  # the servers are there, serve nothing


# --- a running cluster: the course's certificate ----------------------------------------------

DOC = REPO_ROOT / "docs" / "cluster.md"


def shell_blocks(markdown: str) -> list[str]:
    """The ```sh blocks of a Markdown text, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", markdown, flags=re.DOTALL)
    return [block.replace("\\\n", " ") for block in blocks]


def made_by_cnn_grader(course: Path) -> Path:
    if not (course / "nbgrader_config.py").exists():  # cnn-grader works in a course folder
        shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    assert main(["cluster-certificate", "--course", str(course)]) == 0
    return tls_folder(course)


def made_by_openssl(course: Path) -> Path:
    """The documentation's OpenSSL commands, run as they are written."""
    [commands] = [block for block in shell_blocks(DOC.read_text()) if "openssl req" in block]
    subprocess.run(["sh", "-e", "-c", commands], cwd=course, check=True, capture_output=True)
    return tls_folder(course)


def connects(address: str, security: Security) -> bool:
    """Whether a Dask connection to ``address`` with ``security`` gets through the handshake."""

    async def attempt() -> None:
        args = security.get_connection_args("client")
        comm = await asyncio.wait_for(connect(address, timeout=3, **args), 5)
        await comm.close()

    try:
        asyncio.run(attempt())
    except Exception:
        return False
    return True


@pytest.mark.parametrize("make", [made_by_cnn_grader, made_by_openssl])
def test_a_cluster_on_the_course_certificate_admits_its_holders_only(tmp_path, make):
    folder = make(tmp_path)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / KEY).stat().st_mode & 0o777 == 0o600
    security = course_security(folder)
    with (
        dask.config.set({"temporary-directory": str(tmp_path)}),
        LocalCluster(
            n_workers=1,
            processes=False,
            threads_per_worker=1,
            host="127.0.0.1",
            protocol="tls://",
            security=security,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
    ):
        address = cluster.scheduler_address
        assert address.startswith("tls://")
        with Client(address, security=security) as client:  # the grader, holding the key
            assert list(client.run(os.getpid).values()) == [os.getpid()]
        assert not connects(address, Security.temporary())  # a key of one's own
        assert not connects(address.replace("tls://", "tcp://"), Security())  # no key
        assert connects(address, security)  # the control: the same attempt with the key


def course_with_certificate(tmp_path: Path) -> Path:
    make_certificate(tls_folder(tmp_path))
    return tls_folder(tmp_path)


def spoil(folder: Path, how: str, tmp_path: Path) -> str:
    """Spoil the course's certificate folder; return what the refusal must say."""
    key, certificate = folder / KEY, folder / CERTIFICATE
    if how == "no folder":
        shutil.rmtree(folder)
        return "cnn-grader cluster-certificate --course"
    if how == "no key":
        key.unlink()
        return f"{key} is missing"
    if how == "key readable by others":
        key.chmod(0o644)
        return f"chmod 600 {key}"
    if how == "folder writable by others":
        folder.chmod(0o777)
        return f"chmod 700 {folder}"
    if how == "key is a link":
        key.rename(tmp_path / "elsewhere.key")
        key.symlink_to(tmp_path / "elsewhere.key")
        return f"{key} is not a regular file"
    if how == "not a certificate":
        certificate.write_text("hello\n")
        return f"{certificate} is not a PEM certificate"
    if how == "expired":
        make_certificate(folder, days=0, force=True)
        return "cluster-certificate --course"
    if how == "another certificate's key":
        other = make_certificate(tmp_path / "other")
        shutil.copy(other / KEY, key)
        return f"{key} is not the key of {certificate}"
    assert how == "key of another user"
    os.chown(key, 65534, 65534)
    return f"{key} belongs to uid 65534"


@pytest.mark.parametrize(
    "how",
    [
        "no folder",
        "no key",
        "key readable by others",
        "folder writable by others",
        "key is a link",
        "not a certificate",
        "expired",
        "another certificate's key",
        pytest.param(
            "key of another user",
            marks=pytest.mark.skipif(not IS_ROOT, reason="only root can give a file away"),
        ),
    ],
)
def test_a_spoilt_course_certificate_is_refused_with_its_fix(tmp_path, how):
    folder = course_with_certificate(tmp_path)
    course_security(folder)  # as made, it is accepted
    said = spoil(folder, how, tmp_path)
    with pytest.raises(ClusterSetupError) as refused:
        scheduler_security("tls://grader.example:8786", tmp_path)
    assert said in str(refused.value)
    if how == "expired":
        assert "expired on" in str(refused.value)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "127.0.0.1:8786"])
def test_a_plain_tcp_scheduler_is_refused_unless_the_risk_is_accepted(tmp_path, address):
    with pytest.raises(ClusterSetupError, match=PLAIN_TCP_OPTION):
        scheduler_security(address, tmp_path)
    assert not scheduler_security(address, tmp_path, plain_tcp=True).require_encryption
    with pytest.raises(ClusterSetupError, match="neither tls:// nor tcp://"):
        scheduler_security("ws://127.0.0.1:8786", tmp_path)


def test_the_command_line_refuses_a_plain_scheduler_in_a_few_lines(tmp_path, capsys):
    course = Course.create(tmp_path / "course", ())
    where = ["--course", str(course.root)]
    assert main(["autograde", *where, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    said = capsys.readouterr().err
    assert said.startswith("cnn-grader autograde: refusing the plain scheduler address")
    assert PLAIN_TCP_OPTION in said and "Traceback" not in said and said.count("\n") <= 4
    assert main(["autograde", *where, "--scheduler", "tls://127.0.0.1:9"]) == 2
    assert "cnn-grader cluster-certificate" in capsys.readouterr().err


def test_the_certificate_command_makes_one_and_replaces_it_only_when_told(tmp_path, capsys):
    folder = made_by_cnn_grader(tmp_path)
    printed = capsys.readouterr().out
    assert "dask worker tls://HOST:8786" in printed and str(folder / KEY) in printed
    key = (folder / KEY).read_bytes()
    assert main(["cluster-certificate", "--course", str(tmp_path)]) == 1
    assert "--force replaces it" in capsys.readouterr().err
    assert (folder / KEY).read_bytes() == key
    assert main(["cluster-certificate", "--course", str(tmp_path), "--force"]) == 0
    assert (folder / KEY).read_bytes() != key
    assert (folder / KEY).stat().st_mode & 0o777 == 0o600


def test_the_documented_cluster_commands_are_the_ones_the_code_gives():
    documented = " ".join(" ".join(shell_blocks(DOC.read_text())).split())
    for line in cluster_commands(Path("COURSE"), "HOST").values():
        assert " ".join(line.split()) in documented, line


# --- the slow tier: one class, interrupted twice, finished on a cluster started as documented --

ASSIGNMENT = "03_one_hot"  # the quickest to grade


@dataclass
class Interrupted:
    """What an interrupted ``cnn-grader autograde`` printed, and how it ended."""

    status: int
    graded: int  # the "ok in" lines it printed
    stderr: str
    left_running: list[int]  # its processes still alive 10 s after it ended
    left_behind: list[str]  # what it left in its temporary folder
    left_to_grade: int  # submissions without finished grades when it started
    newly_finished: int  # submissions with finished grades it left behind


@dataclass
class Finished:
    """The run that finished the class, on a scheduler and a worker started as documented."""

    grading: subprocess.CompletedProcess[str]
    workers: int  # the workers the scheduler had


@dataclass
class GradedClass:
    course: Course
    expected: dict[str, dict[str, float]]
    interrupted: list[Interrupted]  # with Dask workers; then one notebook after another
    unfinished: set[str]  # the students the interrupted runs left ungraded
    finished: Finished


def small_class(root: Path, size: int) -> tuple[Course, dict[str, dict[str, float]]]:
    """A course of 03 with ``size`` students, references and stubs in turn; their expected
    scores."""
    course = Course.create(root, (ASSIGNMENT,))
    course.generate(ASSIGNMENT)
    expected = {}
    for i in range(size):
        student = f"student-{i}"
        solved = i % 2 == 0
        course.submit(
            student, ASSIGNMENT, (samples.submission if solved else samples.stub)(ASSIGNMENT)
        )
        full = expected_cell_scores(ASSIGNMENT)
        expected[student] = full if solved else dict.fromkeys(full, 0.0)
    return course, expected


def finished_grades(course: Course) -> set[str]:
    return {
        s
        for s in course.submitted_students(ASSIGNMENT)
        if course.has_finished_grades(ASSIGNMENT, s)
    }


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> GradedClass:
    base = tmp_path_factory.mktemp("class")
    # Eight: on a busy machine a run goes on grading while Ctrl-C is on its way, and two
    # interrupted runs of a class of four once left nothing for the resumed one to grade.
    course, expected = small_class(base / "course", 8)
    runs = [interrupt_autograde(course, "--workers", "2"), interrupt_autograde(course, "--resume")]
    unfinished = set(expected) - finished_grades(course)
    finished = finish_on_a_documented_cluster(course, base)
    return GradedClass(course, expected, runs, unfinished, finished)


def interrupt_autograde(course: Course, *options: str) -> Interrupted:
    """Run ``cnn-grader autograde`` and press Ctrl-C once a notebook is graded.

    A terminal's Ctrl-C sends SIGINT to its whole foreground process group:
    the grader, its Dask workers, their forkservers. So does this.
    """
    before = finished_grades(course)
    command = [sys.executable, "-m", "autograder.course.cli", "autograde", ASSIGNMENT]
    scratch = Path(tempfile.mkdtemp())
    env = {**tool_environment(), "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    grading = subprocess.Popen(
        [*command, "--course", str(course.root), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert grading.stdout is not None
    graded = 0
    for line in grading.stdout:
        graded += ": ok in " in line
        if graded:
            break
    started = psutil.Process(grading.pid).children(recursive=True)
    os.killpg(grading.pid, signal.SIGINT)
    rest, stderr = grading.communicate(timeout=120)
    graded += rest.count(": ok in ")
    for process in started:  # forked nbgrader commands have groups of their own
        with contextlib.suppress(psutil.NoSuchProcess):
            process.wait(timeout=10)
    alive = [p.pid for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    deadline = time.monotonic() + 10
    while working_in(course.root) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive += working_in(course.root)  # any started after Ctrl-C, too
    left = sorted(p.name for p in scratch.iterdir())
    shutil.rmtree(scratch)
    newly = len(finished_grades(course) - before)
    left_to_grade = len(course.submitted_students(ASSIGNMENT)) - len(before)
    return Interrupted(grading.returncode, graded, stderr, alive, left, left_to_grade, newly)


def working_in(folder: Path) -> list[int]:
    """The processes whose working directory is ``folder`` (nbgrader's commands)."""
    found = []
    for process in psutil.process_iter(["cwd", "status"]):
        if process.info["cwd"] == str(folder) and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process.pid)
    return found


def finish_on_a_documented_cluster(course: Course, base: Path) -> Finished:
    """``cnn-grader autograde --resume`` on a scheduler and a worker started with the commands
    the documentation gives (``cluster_commands``)."""
    assert main(["cluster-certificate", "--course", str(course.root)]) == 0
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    commands = cluster_commands(course.root, "127.0.0.1", port)
    env = {**tool_environment(), "HOME": str(base)}
    started = []

    def start(command: str, name: str) -> None:
        with (base / f"{name}.log").open("wb") as log:
            started.append(
                subprocess.Popen(
                    ["sh", "-c", command], env=env, stdout=log, stderr=log, start_new_session=True
                )
            )

    try:
        start(commands["scheduler"], "scheduler")
        security = course_security(tls_folder(course.root))
        with Client(f"tls://127.0.0.1:{port}", security=security, timeout=60) as client:
            start(commands["worker"], "worker")
            client.wait_for_workers(1, timeout=60)
            grader = [*shlex.split(commands["grader"]), ASSIGNMENT, "--resume"]
            grading = subprocess.run(grader, env=env, capture_output=True, text=True)
            workers = len(client.scheduler_info()["workers"])
    finally:
        for process in started:  # as Ctrl-C would stop them, so that they clean up
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return Finished(grading, workers)


@pytest.mark.slow
def test_ctrl_c_during_autograde_says_in_two_lines_what_was_kept(graded_class):
    for run in graded_class.interrupted:
        print(run.stderr)  # pytest -rP shows what the course team sees
        assert run.status == 130
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert lines == [
            f"cnn-grader autograde: interrupted after grading {run.graded} of "
            f"{run.left_to_grade} submissions; their grades are kept.",
            "Run the same command with --resume to grade the rest.",
        ]
        assert run.left_running == [] and run.left_behind == []
        # What it says is what the gradebook holds: the stopped notebooks left no grade.
        assert run.newly_finished == run.graded >= 1


@pytest.mark.slow
def test_resume_on_a_cluster_started_as_documented_grades_exactly_the_rest(graded_class):
    finished = graded_class.finished
    assert finished.grading.returncode == 0, finished.grading.stderr
    regraded = set(re.findall(rf"{ASSIGNMENT} (\S+): ok in ", finished.grading.stdout))
    assert regraded == graded_class.unfinished != set()
    assert graded_class.course.cell_scores(ASSIGNMENT) == graded_class.expected
    assert finished.workers == 1
