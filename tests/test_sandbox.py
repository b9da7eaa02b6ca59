"""The sandbox's limits, enforced by the real bubblewrap, prlimit and control groups.

Each test runs a short Python script under :func:`sandbox_command`, as a
student kernel would be, and checks what the operating system let it do.
The control-group tests make real groups below this process's own (they
need root or a delegated group, and say so when skipped).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq
from jupyter_client.session import Session

from autograder import cgroups
from autograder.assignments import REPO_ROOT
from autograder.cgroups import Group, GroupLimits, GroupV2, ProcessTree, make_group
from autograder.sandbox import command as sandbox
from autograder.sandbox.command import Limits
from autograder.sandbox.processes import MAX_MESSAGE_BYTES, GraderKernelClient
from tests.private_folders import tools_for_all


def run_sandboxed(
    tmp_path: Path,
    code: str,
    limits: Limits = sandbox.LIMITS,
    data: Path | None = None,
    handed: Path | None = None,
    group: Group | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this interpreter inside the sandbox, graded in ``tmp_path/course``.

    The notebook's folder is ``course/autograded/s/a``, with ``notebook.ipynb`` in
    it; the kernel is handed one file, ``course_data.py`` (``handed``, or one
    that holds ``ANSWER = 42``); with a ``group``, the sandbox starts in it.
    """
    course, workdir = tmp_path / "course", tmp_path / "course" / "autograded" / "s" / "a"
    workdir.mkdir(parents=True, exist_ok=True)
    (course / "gradebook.db").write_text("grades")
    (workdir / "notebook.ipynb").write_text("{}")
    if handed is None:
        handed = tmp_path / "handed.py"
        handed.write_text("ANSWER = 42\n")
    command = sandbox.sandbox_command(
        [sys.executable, "-c", code],
        workdir=workdir,
        handed={"course_data.py": handed},
        writable=[],
        readable=sandbox.readable_paths(data),
        uid=sandbox.kernel_uid(),
        limits=limits,
        group=group,
    )
    environment = sandbox.kernel_environment(dict(os.environ), data)
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)


needs_tools = pytest.mark.skipif(
    bool(sandbox.missing_tools()), reason="bubblewrap is not installed"
)


@needs_tools
def test_course_files_and_hidden_checks_are_out_of_sight(tmp_path):
    result = run_sandboxed(
        tmp_path,
        "import json, os, autograder, pathlib\n"
        f"course = pathlib.Path({str(tmp_path / 'course')!r})\n"
        "package = pathlib.Path(autograder.__file__).parent\n"
        "print(json.dumps([os.listdir(course), os.listdir(package)]))\n",
    )
    assert result.returncode == 0, result.stderr
    listed_course, listed_package = json.loads(result.stdout)
    assert "gradebook.db" not in listed_course
    assert sorted(listed_package) == ["__init__.py", "kernel"]


def a_checkout_of_the_package(folder: Path) -> Path:
    """A copy of this package (and ``source_data``) in ``folder``, its kernel package marked."""
    skip = shutil.ignore_patterns("__pycache__")
    for package in ("autograder", "source_data"):
        shutil.copytree(REPO_ROOT / package, folder / package, ignore=skip)
    with (folder / "autograder" / "kernel" / "__init__.py").open("a") as kernel:
        kernel.write(f"\nCHECKOUT = {str(folder)!r}\n")
    return folder


@needs_tools
def test_the_kernel_imports_the_package_the_grader_bound_not_the_installed_one(tmp_path):
    """A grader importing another checkout (a course folder holding a copy, PYTHONPATH)
    than the one this environment installed: its kernels import that checkout's package."""
    checkout = a_checkout_of_the_package(tmp_path / "checkout")
    kernel = (
        "import json, autograder, autograder.kernel.serve as serve\n"
        "print(json.dumps([serve.__name__, autograder.kernel.CHECKOUT, autograder.__file__]))\n"
    )
    grader = (  # run from the checkout: Python imports the package from the folder it runs in
        "import os, subprocess, sys, tempfile, pathlib, autograder\n"
        "from autograder.sandbox import command as sandbox\n"
        "work = pathlib.Path(tempfile.mkdtemp(dir=sys.argv[1]))\n"
        "wrapped = sandbox.sandbox_command([sys.executable, '-c', sys.argv[2]], workdir=work,\n"
        "    handed={}, writable=[], readable=sandbox.readable_paths(), uid=sandbox.kernel_uid())\n"
        "environment = sandbox.kernel_environment(dict(os.environ))\n"
        "print(autograder.__file__, flush=True)\n"
        "sys.exit(subprocess.run(wrapped, env=environment, timeout=60).returncode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", grader, str(tmp_path), kernel],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    graders, kernels = result.stdout.splitlines()
    assert graders == str(checkout / "autograder" / "__init__.py")
    name, marked, where = json.loads(kernels)
    assert (name, marked) == ("autograder.kernel.serve", str(checkout))
    assert Path(where).parent == sandbox.KERNEL_IMPORT_ROOT / "autograder"


def test_grader_packages_are_found_wherever_installed_inside_a_bound_path(tmp_path):
    """A system-wide install (under /usr, bound for the system's programs), a virtual
    environment's, a user's: each inside a bound path is found; a checkout or a course
    folder holding a copy is not bound, so not touched."""
    system = tmp_path / "usr" / "local" / "lib" / "python3.11" / "dist-packages"
    venv = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    checkout = tmp_path / "checkout"
    for folder in (system / "autograder", venv / "source_data", checkout / "autograder"):
        folder.mkdir(parents=True)
    (venv / "autograder").write_text("a file, not a package folder")
    bound = [tmp_path / "usr", tmp_path / "venv"]
    search = [str(system), str(venv), str(checkout), str(tmp_path / "nowhere")]
    assert sandbox.grader_package_folders(bound, search) == [
        system / "autograder",
        venv / "source_data",
    ]


@needs_tools
def test_the_kernel_reads_its_data_view_and_not_the_data_sets(tmp_path, monkeypatch):
    real, view = tmp_path / "datasets", tmp_path / "cache" / "view"
    (real / "PetImages").mkdir(parents=True)
    (real / "mnist.npz").write_bytes(b"all of it")
    view.mkdir(parents=True)
    (view / "mnist.npz").write_bytes(b"training only")
    monkeypatch.setenv("CNN_COURSE_DATA", str(real))
    monkeypatch.setenv("CNN_COURSE_CACHE", str(tmp_path / "cache"))
    result = run_sandboxed(
        tmp_path,
        "import json, os, pathlib\n"
        "data = pathlib.Path(os.environ['CNN_COURSE_DATA'])\n"
        f"real = pathlib.Path({str(real)!r})\n"
        "print(json.dumps([str(data), (data / 'mnist.npz').read_text(), real.exists(),\n"
        "                  'CNN_COURSE_CACHE' in os.environ]))\n",
        data=view,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [str(view), "training only", False, False]


# Every route a graded kernel of 07 could take to the post's 540 test images; then every
# file in the sandbox, searched for a copy of scikit-learn's digits file, packed or not.
DIGITS_ROUTES = """
import gzip, hashlib, json, os, sys
import course_data

REAL, SIZES, HASHES = sys.argv[1], {int(n) for n in sys.argv[2:4]}, set(sys.argv[4:6])
DATA_SUFFIXES = (".csv", ".gz", ".npz", ".npy", ".tes", ".tra", ".pkl", ".joblib", ".json")
found = {}
def attempt(name, read):
    try:
        read()
        found[name] = "read"
    except Exception as error:
        found[name] = type(error).__name__
def scikit_learn():
    from sklearn.datasets import load_digits
    load_digits()
attempt("load_digits", scikit_learn)
attempt("by_path", lambda: open(REAL, "rb").read())
attempt("test_split", lambda: course_data.load_digits_split("test"))
x, y = course_data.load_digits_split("train")
found["train"] = hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()
found["beside"] = sorted(os.listdir(os.path.dirname(REAL)))
copies, named = [], []
for folder, subfolders, files in os.walk("/"):
    if folder == "/":
        subfolders[:] = [s for s in subfolders if s not in ("proc", "sys", "dev")]
    for name in files:
        path = os.path.join(folder, name)
        if "digits" in name.lower() and name.endswith(DATA_SUFFIXES):
            named.append(path)
        try:
            if os.path.getsize(path) in SIZES and hashlib.sha256(
                open(path, "rb").read()
            ).hexdigest() in HASHES:
                copies.append(path)
        except OSError:
            pass
found["copies"], found["named"] = copies, named
print(json.dumps(found))
"""


@needs_tools
def test_no_graded_kernel_reads_the_digits_test_images_by_any_route(tmp_path, monkeypatch):
    """07's 540 test images: not through scikit-learn, its file, the data folder, nor a copy."""
    import gzip

    from source_data import course_data, grading_view

    real = course_data.dataset_path("digits")  # scikit-learn's own copy, outside the sandbox
    unpacked = gzip.decompress(real.read_bytes())
    monkeypatch.setenv("CNN_COURSE_CACHE", str(tmp_path / "cache"))
    view = grading_view.grading_view(("digits",))
    x, y = course_data.load_digits_split("train")
    code = DIGITS_ROUTES + "\n"
    arguments = [str(real), str(real.stat().st_size), str(len(unpacked))]
    arguments += [course_data.sha256_of(real), hashlib.sha256(unpacked).hexdigest()]
    result = run_sandboxed(
        tmp_path,
        f"import sys; sys.argv[1:] = {arguments!r}\n" + code,
        data=view,
        handed=Path(course_data.__file__),
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["load_digits"] == found["by_path"] == "FileNotFoundError"
    assert found["test_split"] == "DataUnavailable"
    assert found["train"] == hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()
    assert "iris.csv" in found["beside"] and "digits.csv.gz" not in found["beside"]
    assert found["copies"] == []
    assert found["named"] == [str(view / course_data.DIGITS_TRAINING_FILE)]
    assert sorted(p.name for p in view.iterdir()) == [course_data.DIGITS_TRAINING_FILE, "view.json"]


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder outside /tmp, the course, the repository and the home: /var/tmp."""
    folder = Path(tempfile.mkdtemp(prefix="cnn-sandbox-test-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder)


@needs_tools
def test_nothing_outside_the_allowlist_is_there_data_or_sockets(tmp_path, outside_tmp):
    """A data set or a server's socket kept anywhere else is out of reach (/var, /run, /srv)."""
    (outside_tmp / "mnist.npz").write_bytes(b"the test set")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(outside_tmp / "gradebook.sock"))
    server.listen()
    try:
        result = run_sandboxed(
            tmp_path,
            "import json, os, pathlib, socket\n"
            f"folder = pathlib.Path({str(outside_tmp)!r})\n"
            "client = socket.socket(socket.AF_UNIX)\n"
            "try:\n"
            "    client.connect(str(folder / 'gradebook.sock'))\n"
            "    connected = True\n"
            "except OSError:\n"
            "    connected = False\n"
            "tops = sorted(os.listdir('/'))\n"
            "print(json.dumps([folder.exists(), connected, tops]))\n",
        )
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    exists, connected, tops = json.loads(result.stdout)
    assert not exists and not connected
    bound = {path.parts[1] for path in [*sandbox.readable_paths(), sandbox.KERNEL_IMPORT_ROOT]}
    assert set(tops) <= {*sandbox.SYSTEM_PATHS, "dev", "proc", "tmp", *bound}, tops
    assert not {"var", "run"} & set(tops)


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


@needs_tools
def test_the_kernel_writes_only_to_its_own_memory_and_reads_its_handed_files(tmp_path):
    result = run_sandboxed(
        tmp_path,
        "import os\n"
        "listed = sorted(os.listdir('.'))\n"
        "import course_data\n"
        "print(course_data.ANSWER, listed)\n"
        "os.symlink('/etc/passwd', 'notebook.ipynb')\n"
        "os.mkfifo('pipe')\n"
        "open('big', 'wb').write(b'x' * 1000)\n"
        "for target in ('course_data.py', '../../../gradebook.db', '../../../new.txt'):\n"
        "    try:\n"
        "        open(target, 'w').write('hacked')\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__)\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "42 ['course_data.py']"
    refusals = result.stdout.split("\n")[1:-1]
    assert len(refusals) == 3 and set(refusals) <= {"OSError", "FileNotFoundError"}
    workdir = tmp_path / "course" / "autograded" / "s" / "a"
    assert sorted(p.name for p in workdir.iterdir()) == ["notebook.ipynb"]  # untouched
    assert (tmp_path / "course" / "gradebook.db").read_text() == "grades"


@needs_tools
def test_everything_the_kernel_writes_fits_one_quota(tmp_path):
    result = run_sandboxed(
        tmp_path,
        "import os\n"
        "written = 0\n"
        "try:\n"
        "    for i in range(100):\n"
        "        for place in ('.', '/tmp'):\n"
        "            with open(f'{place}/f{i}', 'wb') as f:\n"
        "                f.write(b'x' * 2**20)\n"
        "            written += 1\n"
        "except OSError as error:\n"
        "    print(written, error.errno)\n",
        Limits(writable_bytes=16 * 2**20),
    )
    written, errno = result.stdout.split()
    assert int(written) <= 16 and errno == "28", result.stderr  # ENOSPC


def test_the_grader_does_not_read_a_kernel_message_over_its_size_limit(tmp_path):
    # A kernel's IOPub as ipykernel publishes it, over the ipc transport the sandbox uses.
    session, context = Session(key=b"key"), zmq.Context()
    publisher = context.socket(zmq.PUB)
    publisher.bind(f"ipc://{tmp_path}/kernel-ipc-1")
    client = GraderKernelClient(
        transport="ipc", ip=str(tmp_path / "kernel-ipc"), iopub_port=1, session=Session(key=b"key")
    )
    client.start_channels(shell=False, stdin=False, hb=False, control=False)
    try:
        texts = asyncio.run(texts_around_a_huge_message(client, session, publisher))
    finally:
        client.stop_channels()
        publisher.close(linger=0)
        context.term()
    assert texts[0] == "before" and max(len(text) for text in texts) < MAX_MESSAGE_BYTES


async def texts_around_a_huge_message(
    client: GraderKernelClient, session: Session, publisher: zmq.Socket
) -> list[str]:
    """What the client reads of small messages, one over the limit, and small ones again.

    ZeroMQ ends the connection at the huge one for good (a protocol error):
    the grader hears nothing more from that kernel's output.
    """
    texts: list[str] = []
    for _ in range(200):  # until the client has connected
        if "before" in texts:
            break
        session.send(publisher, "stream", {"name": "stdout", "text": "before"})
        with contextlib.suppress(queue.Empty):
            texts.append((await client.get_iopub_msg(timeout=0.1))["content"]["text"])
    session.send(publisher, "stream", {"name": "stdout", "text": "x" * (MAX_MESSAGE_BYTES + 1)})
    for _ in range(20):
        session.send(publisher, "stream", {"name": "stdout", "text": "after"})
        with contextlib.suppress(queue.Empty):
            texts.append((await client.get_iopub_msg(timeout=0.1))["content"]["text"])
    return texts


# --- The sandbox as one control group ----------------------------------------------------

needs_groups = pytest.mark.skipif(
    cgroups.group_unavailable() is not None,
    reason=f"no control group can be made here: {cgroups.group_unavailable()}",
)


@pytest.fixture
def group() -> Iterator[Group]:
    """A sandbox's group with the course's limits, removed afterwards whatever happened."""
    made = make_group(sandbox.group_limits(sandbox.LIMITS))
    try:
        yield made
    finally:
        made.remove()
    assert not any(folder.exists() for folder in made.folders.values())


def started_in(group: Group, code: str) -> subprocess.Popen[str]:
    """This interpreter running ``code``, started in ``group`` as the sandbox is."""
    command = [*group.join_command(), sys.executable, "-c", code]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


# A parent that ignores SIGCHLD, so that nobody reaps its child, which computes 1.5 CPU
# seconds and ends; the parent then waits (not computing) until told to stop.
UNREAPED = """
import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
if os.fork() == 0:
    end = time.process_time() + 1.5
    while time.process_time() < end:
        pass
    os._exit(0)
while True:
    try:
        os.waitpid(-1, 0)  # fails at once with ECHILD when the child has gone, unreaped
    except ChildProcessError:
        break
print("child gone", flush=True)
time.sleep(60)
"""


@needs_groups
def test_the_group_counts_a_child_that_nobody_reaps(group):
    parent = started_in(group, UNREAPED)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "child gone\n"
        weaker = ProcessTree(parent.pid).cpu_seconds()  # what /proc still shows
        counted = group.cpu_seconds()
        assert weaker is not None and counted is not None
        assert counted >= 1.5 > weaker + 0.5, (counted, weaker)
    finally:
        parent.kill()
        parent.wait()


BURN_FOREVER = "while True: pass"


@needs_groups
def test_a_frozen_group_computes_nothing_until_thawed(group):
    burner = started_in(group, BURN_FOREVER)
    try:
        while (group.cpu_seconds() or 0) < 0.2:
            time.sleep(0.02)
        with group.frozen():
            before = group.cpu_seconds()
            time.sleep(0.5)
            assert group.cpu_seconds() == before
        deadline = time.monotonic() + 30
        while group.cpu_seconds() == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert group.cpu_seconds() != before
    finally:
        burner.kill()
        burner.wait()


@needs_groups
def test_killing_the_group_ends_every_process_in_it_frozen_or_not(group):
    shell = started_in(group, "import os; os.system('sleep 300 & sleep 300 & wait')")
    while len(group.processes()) < 4:  # python, its shell and the two sleeps
        time.sleep(0.02)
    group.freeze()
    group.kill_all()
    assert group.processes() == set()
    assert shell.wait(timeout=10) == -signal.SIGKILL


@needs_groups
def test_the_groups_limits_are_the_sandboxs(group):
    assert group.to_data()["cgroup"] in (1, 2)
    if isinstance(group, cgroups.GroupV1):
        memory = group.folders["memory"] / "memory.limit_in_bytes"
        pids = group.folders["pids"] / "pids.max"
    else:
        folder = group.folders["unified"]
        memory, pids = folder / "memory.max", folder / "pids.max"
    assert int(memory.read_text()) == sandbox.LIMITS.memory
    assert int(pids.read_text()) == sandbox.LIMITS.processes
    own = cgroups.mounted_hierarchies()
    for folder in group.folders.values():  # below the grader's own group: its limits apply
        assert any(folder.parent == hierarchy.own for hierarchy in own.values())


# A child that makes itself the first the kernel kills (oom_score_adj), then fills the
# sandbox's tmpfs with either data or empty files; the parent reports how it ended.
FILL_TMP = """
import os, signal
child = os.fork()
if child == 0:
    with open("/proc/self/oom_score_adj", "w") as adj:
        adj.write("1000")
    os.mkdir("/tmp/fill")
    for i in range(10_000_000):
        with open(f"/tmp/fill/{{i}}", "wb") as f:
            f.write(b"x" * {size})
    os._exit(0)
_, status = os.waitpid(child, 0)
print("killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL else status)
"""


@needs_groups
@needs_tools
@pytest.mark.parametrize(
    ("size", "what"), [(65536, "tmpfs pages"), (0, "the kernel memory of empty files")]
)
def test_the_groups_memory_limit_covers_the_sandboxs_files(tmp_path, size, what):
    # 160 MiB for the whole sandbox: the tmpfs alone would take 1 GiB of data, or
    # millions of empty files (a kilobyte of the host's kernel memory each).
    limits = Limits(memory=160 * 2**20)
    made = make_group(sandbox.group_limits(limits))
    try:
        result = run_sandboxed(tmp_path, FILL_TMP.format(size=size), limits, group=made)
        assert result.stdout.strip() == "killed", (what, result.stdout, result.stderr[-2000:])
        assert made.out_of_memory_kills() >= 1
        peak = made.memory_peak()
        assert peak is None or peak <= limits.memory
    finally:
        made.remove()


def test_a_hierarchys_group_is_found_below_its_mount_and_root():
    mountinfo = (
        "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:27 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "33 25 0:29 / /proc rw - proc proc rw\n"
    )
    own = "4:memory:/docker/abc/grader\n2:cpu,cpuacct:/grader\n0::/user.slice\n"
    found = cgroups.mounted_hierarchies(mountinfo, own)
    assert found["cpuacct"].own == found["cpu"].own == Path("/sys/fs/cgroup/cpu,cpuacct/grader")
    assert found["memory"].own == Path("/sys/fs/cgroup/memory/grader")
    assert found["unified"].own == Path("/sys/fs/cgroup/unified/user.slice")
    assert "freezer" not in found


def unified_parent() -> Path | None:
    """This process's own group in the unified (v2) hierarchy, where groups can be made."""
    unified = cgroups.mounted_hierarchies().get("unified")
    if unified is None or not os.access(unified.own, os.W_OK):
        return None
    return unified.own


@pytest.mark.skipif(unified_parent() is None, reason="no writable cgroup v2 hierarchy here")
def test_a_v2_group_counts_freezes_and_kills(tmp_path):
    # Where v2 has no memory or pids controller (v1 holds them), its limits are not
    # tried: what v2 always has (CPU time, freezing, killing) is.
    parent = unified_parent()
    assert parent is not None
    group = GroupV2({"unified": parent / f"{cgroups.PREFIX}{os.getpid()}-test"})
    group.folder.mkdir()
    try:
        parent_of_unreaped = started_in(group, UNREAPED)
        assert parent_of_unreaped.stdout is not None
        assert parent_of_unreaped.stdout.readline() == "child gone\n"
        assert (group.cpu_seconds() or 0) >= 1.5
        with group.frozen():
            assert (group.folder / "cgroup.freeze").read_text().strip() == "1"
        group.kill_all()
        assert group.processes() == set() and parent_of_unreaped.wait(timeout=10) < 0
    finally:
        group.remove()
    assert not group.folder.exists()


@needs_groups
def test_groups_of_graders_that_ended_are_removed(group):
    name = f"{cgroups.PREFIX}999999999-1-abcdef"  # made by a grader no longer running
    parents = dict.fromkeys(folder.parent for folder in group.folders.values())
    abandoned = [parent / name for parent in parents]
    for folder in abandoned:
        folder.mkdir()
    make_group(GroupLimits(2**30, 64)).remove()
    assert not any(folder.exists() for folder in abandoned)


# What a grader that cannot make groups says and does: run as an unprivileged user.
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
REFUSE = """
import nbformat
from autograder.course.grading import spending_note
from autograder.sandbox.command import SandboxUnavailable
from autograder.sandbox.execute import SandboxedExecute

print(spending_note())
try:
    SandboxedExecute(require_cgroup=True).preprocess(
        nbformat.v4.new_notebook(), {"nbgrader": {"assignment": "01_output_size"}}
    )
except SandboxUnavailable as error:
    print("refused:", error)
"""


@needs_groups
@needs_tools
@pytest.mark.skipif(os.geteuid() != 0, reason="runs a grader as another user: needs root")
def test_without_a_group_the_summary_says_so_and_the_course_setting_refuses(tmp_path):
    from autograder.course.grading import spending_note

    assert spending_note() is None  # here groups can be made
    result = subprocess.run(
        [*tools_for_all(tmp_path), *AS_NOBODY, sys.executable, "-c", REFUSE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    note, refusal = result.stdout.strip().split("\n")[-2:]
    assert note.startswith("Spending was counted the weaker way") and "require_cgroup" in note
    assert refusal.startswith("refused: cannot give the sandbox a control group"), result.stderr
