"""The whole course cycle through nbgrader's exchange, as an instructor and students run it.

The quick tests hold :mod:`autograder.course.exchange` to the folder modes it
wants and to what it sets aside in ``inbound/``, and show that other users run
this environment's commands even from a clone in a private folder (as root,
through :mod:`tests.private_folders`). The slow one runs the cycle
with real Unix users on one machine, as on a JupyterHub (it needs root to
create them): an instructor releases with ``cnn-grader release``; four
students, each in their own home, fetch with ``nbgrader fetch_assignment``,
answer and submit twice with ``nbgrader submit``; one submits after the due
date and one submits in another's name; the instructor collects
(``cnn-grader collect``), grades (``cnn-grader autograde``) and releases
feedback (``cnn-grader feedback --release``); each student fetches their own
with ``nbgrader fetch_feedback``. Then each student tries to reach another's
work through the exchange and the file system, and cannot.
"""

from __future__ import annotations

import datetime
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from autograder import mistakes
from autograder.assignments import REPO_ROOT, release_path
from autograder.course import samples, students
from autograder.course.cli import main
from autograder.course.directory import Course
from autograder.course.exchange import (
    RULES,
    SET_ASIDE_PREFIX,
    Exchange,
    Refused,
    UnsafeExchange,
    check,
    collect,
    make_folders,
    release,
    screen_inbound,
    set_aside,
    snapshot,
)
from tests.helpers import expected_cell_scores
from tests.hostile.collect_and_holes import SwapsBeforeCopying
from tests.private_folders import shown_to_others, tools_for_all

ASSIGNMENT = "03_one_hot"  # NumPy only: quick to grade
VENV_BIN = Path(sys.executable).parent
IS_ROOT = os.geteuid() == 0
ME = pwd.getpwuid(os.geteuid()).pw_name


def stamp(when: datetime.datetime) -> str:
    """A time as nbgrader's exchange writes it."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


# --- the quick tier: folder modes, the inbound screen, other users' way in; no nbgrader -----


@pytest.fixture
def exchange(tmp_path: Path) -> Exchange:
    where = Exchange(tmp_path / "exchange", "cnn-course")
    make_folders(where)
    return where


def test_new_exchange_folders_get_the_modes_the_check_wants(exchange):
    assert check(exchange) == []
    for rule in RULES:
        assert getattr(exchange, rule.folder).stat().st_mode & 0o7777 == rule.mode


@pytest.mark.parametrize(
    ("folder", "mode", "fix"),
    [
        ("root", 0o777, "chmod 1777"),  # world-writable without the sticky bit
        ("root", 0o755, "chmod 1777"),  # students cannot submit
        ("inbound", 0o2733, "chmod 3733"),  # nbgrader's own mode: no sticky bit
        ("inbound", 0o1777, "chmod 3733"),  # listable
        ("outbound", 0o777, "chmod 755"),
        ("feedback", 0o755, "chmod 711"),  # listable
    ],
)
def test_a_wrong_mode_is_refused_with_the_command_that_fixes_it(exchange, folder, mode, fix):
    path = getattr(exchange, folder)
    path.chmod(mode)
    [problem] = check(exchange)
    assert problem.path == path and problem.fix == f"{fix} {path}"
    with pytest.raises(UnsafeExchange, match=fix):
        release(Course(exchange.root.parent / "course"), exchange, [ASSIGNMENT])
    subprocess.run(problem.fix.split(), check=True)
    assert check(exchange) == []


def test_a_course_folder_someone_else_made_is_refused(exchange):
    shutil.rmtree(exchange.course)
    exchange.course.symlink_to(exchange.root.parent)
    [problem] = check(exchange)
    assert "not a folder" in problem.what
    if IS_ROOT:
        exchange.course.unlink()
        make_folders(exchange)
        os.chown(exchange.course, 65534, 65534)  # nobody made it first
        assert any("belongs to" in p.what for p in check(exchange))


def submission(
    exchange: Exchange, student: str = ME, when: datetime.datetime | None = None
) -> Path:
    """A submission folder in inbound/ as ``nbgrader submit`` leaves it."""
    when = when or datetime.datetime.now(datetime.UTC)
    entry = exchange.inbound / f"{student}+{ASSIGNMENT}+{stamp(when)}+{secrets.token_hex(4)}"
    entry.mkdir()
    (entry / f"{ASSIGNMENT}.ipynb").write_text("{}")
    (entry / "timestamp.txt").write_text(stamp(when))
    return entry


def test_the_screen_takes_copies_and_refuses_what_collect_must_not_take(exchange, tmp_path):
    honest = submission(exchange)
    for_another = submission(exchange, student="nobody")
    hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    backdated = submission(exchange, when=hour_ago)
    linked = submission(exchange)
    (linked / "course_data.py").symlink_to("/etc/passwd")
    piped = submission(exchange)
    os.mkfifo(piped / "pipe")
    hard = submission(exchange)
    (tmp_path / "solution.txt").write_text("the instructor's")
    os.link(tmp_path / "solution.txt", hard / "notes.txt")
    unparsable = exchange.inbound / f"{ME}+{ASSIGNMENT}+yesterday+x"
    unparsable.mkdir()
    formula = submission(exchange, student='=HYPERLINK("x")')
    other = submission(exchange)
    other.rename(exchange.inbound / other.name.replace(ASSIGNMENT, "02_manual_convolution"))

    staging = tmp_path / "staging"
    screening = screen_inbound(exchange, ASSIGNMENT, staging)
    refused = {r.name: r.reason for r in screening.refused}
    assert refused == {
        for_another.name: f"named for nobody but owned by {ME}",
        backdated.name: refused[backdated.name],
        linked.name: "it holds `course_data.py`, a link or special file",
        piped.name: "it holds `pipe`, a link or special file",
        hard.name: "it holds `notes.txt`, a file linked from elsewhere (a hard link)",
        unparsable.name: "its name's time 'yesterday' cannot be read",
        formula.name: f"its student id '=HYPERLINK(\"x\")' is not {students.RULE}",
    }
    assert "says it was submitted at" in refused[backdated.name]
    assert screening.staged == [honest.name] and screening.shared_owner is None
    assert sorted(p.name for p in staging.iterdir()) == [honest.name]  # the copy collected
    assert (staging / honest.name / f"{ASSIGNMENT}.ipynb").read_text() == "{}"

    aside = set_aside(exchange, screening.refused)
    assert {a.name for a in aside} == set(refused)
    left = sorted(p.name for p in exchange.inbound.iterdir() if not p.name.startswith("."))
    assert left == sorted([honest.name, other.name.replace(ASSIGNMENT, "02_manual_convolution")])
    hidden = [p.name for p in exchange.inbound.iterdir() if p.name.startswith(SET_ASIDE_PREFIX)]
    assert len(hidden) == len(aside)
    again = screen_inbound(exchange, ASSIGNMENT, tmp_path / "again")
    assert again.refused == []  # once set aside, left alone
    newest = {ME: datetime.datetime.now(datetime.UTC).replace(tzinfo=None)}
    assert screen_inbound(exchange, ASSIGNMENT, tmp_path / "none", collected=newest).staged == []
    trusted = submission(exchange, student="nobody")
    screening = screen_inbound(exchange, ASSIGNMENT, tmp_path / "trusted", trust_names=True)
    assert trusted.name in screening.staged and screening.refused == []


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_a_file_another_user_put_into_a_submission_is_refused(exchange, tmp_path):
    entry = submission(exchange)
    os.chown(entry / f"{ASSIGNMENT}.ipynb", 65534, 65534)
    for trust_names in (False, True):
        screening = screen_inbound(
            exchange, ASSIGNMENT, tmp_path / str(trust_names), trust_names=trust_names
        )
        [refused] = screening.refused
        assert refused.reason == f"it holds `{ASSIGNMENT}.ipynb`, which belongs to nobody"


# --- the quick tier: collect, through nbgrader's own collect, in a course of 03 alone -------


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new gradebook, made once: nbgrader runs alembic's migrations for each new one."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Course(path.parent).gradebook():
        pass
    return path


@pytest.fixture
def course(tmp_path: Path, empty_gradebook: Path) -> Course:
    """A course of 03 alone: its configuration, source and release, copied (no generate)."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copy(empty_gradebook, root / "gradebook.db")
    for tree in ("solutions", "assignments"):
        shutil.copytree(REPO_ROOT / tree / ASSIGNMENT, root / tree / ASSIGNMENT)
    return Course(root)


def handed_in(exchange: Exchange, student: str, nb: nbformat.NotebookNode) -> Path:
    """A submission of ``nb`` in ``inbound/``, named for ``student``, made now."""
    entry = submission(exchange, student)
    nbformat.write(nb, str(entry / f"{ASSIGNMENT}.ipynb"))
    return entry


def collected_notebook(course: Course, student: str) -> Path:
    return course.root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def test_what_is_collected_is_the_copy_that_was_screened(course, exchange):
    # Is a link put in at the exact moment between the screening and the copy collected?
    stub = samples.stub(ASSIGNMENT)
    ana, ben = handed_in(exchange, "ana", stub), handed_in(exchange, "ben", stub)
    solution = course.root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    def swap() -> None:
        (ana / f"{ASSIGNMENT}.ipynb").unlink()
        (ana / f"{ASSIGNMENT}.ipynb").symlink_to(solution)
        ben.rename(ben.with_name(ben.name + ".moved"))
        ben.symlink_to(solution.parent)

    racing = SwapsBeforeCopying(course.root, swap=swap)
    collect(racing, exchange, ASSIGNMENT, trust_names=True, out=lambda line: None)
    for student in ("ana", "ben"):
        collected = collected_notebook(course, student)
        assert not collected.is_symlink()
        assert nbformat.read(str(collected), as_version=4).cells == stub.cells
        assert b"BEGIN SOLUTION" not in collected.read_bytes()


def test_no_timing_lets_a_link_or_a_swapped_file_into_the_staged_copy(exchange, tmp_path):
    secret = tmp_path / "solutions" / f"{ASSIGNMENT}.ipynb"
    secret.parent.mkdir()
    secret.write_text("SECRET")
    entry = submission(exchange)
    notebook, moved = entry / f"{ASSIGNMENT}.ipynb", entry.with_name(entry.name + ".moved")
    notebook.write_text("HONEST")
    stop = threading.Event()

    def race() -> None:  # the student, swapping as fast as they can
        while not stop.is_set():
            (entry / ".link").symlink_to(secret)
            os.replace(entry / ".link", notebook)
            (entry / ".honest").write_text("HONEST")
            os.replace(entry / ".honest", notebook)
            os.rename(entry, moved)
            entry.symlink_to(secret.parent)
            entry.unlink()
            os.rename(moved, entry)

    (tmp_path / "staged").mkdir()
    racer = threading.Thread(target=race)
    racer.start()
    copied, refused = 0, 0
    try:
        for attempt in range(300):
            into = tmp_path / "staged" / str(attempt)
            try:
                snapshot(exchange.inbound, entry.name, into, 10**6)
            except Refused:
                refused += 1
                continue
            copied += 1
            files = list(into.rglob("*"))
            assert not any(path.is_symlink() for path in files)
            assert not any("SECRET" in p.read_text() for p in files if p.is_file())
            assert (into / notebook.name).read_text() == "HONEST"
    finally:
        stop.set()
        racer.join()
    print(f"copied {copied}, refused {refused}")
    assert copied and refused  # the race was on, both ways


def test_an_exchange_without_the_course_is_named_with_what_to_do(course, tmp_path):
    nowhere = Exchange(tmp_path / "nowhere", "cnn-course")
    with pytest.raises(FileNotFoundError, match="release an assignment first"):
        collect(course, nowhere, ASSIGNMENT, out=lambda line: None)


def collect_command(course: Course, exchange: Exchange, *options: str) -> list[str]:
    return ["collect", "--course", str(course.root), "--exchange", str(exchange.root), *options]


@pytest.mark.skipif(ME in ("ana", "ben"), reason="the students must be other users than the test's")
def test_a_shared_user_hub_is_said_once_with_the_flag_and_nothing_is_set_aside(
    course, exchange, capsys
):
    entries = [handed_in(exchange, name, samples.stub(ASSIGNMENT)) for name in ("ana", "ben")]
    assert main(collect_command(course, exchange, ASSIGNMENT)) == 1
    said = capsys.readouterr()
    printed = said.out + said.err
    print(printed)
    assert printed.count("--trust-names") == 1
    assert f"cnn-grader collect {ASSIGNMENT} --trust-names" in printed
    assert f"{ASSIGNMENT}: set aside" not in printed
    assert all(entry.is_dir() for entry in entries)  # left where they were
    assert main(collect_command(course, exchange, ASSIGNMENT, "--trust-names")) == 0
    assert course.submitted_students(ASSIGNMENT) == ["ana", "ben"]


def test_restore_puts_back_what_was_set_aside_and_each_line_is_said_once(course, exchange, capsys):
    handed_in(exchange, ME, samples.stub(ASSIGNMENT))
    for_another = handed_in(exchange, "nobody", samples.stub(ASSIGNMENT))
    linked = handed_in(exchange, ME, samples.stub(ASSIGNMENT))
    (linked / "course_data.py").symlink_to("/etc/passwd")
    assert main(collect_command(course, exchange, ASSIGNMENT)) == 0
    printed = capsys.readouterr().out
    print(printed)
    for entry in (for_another, linked):
        assert printed.count(f"set aside {entry.name}:") == 1
        assert not entry.exists()
    assert "--restore" in printed
    assert course.submitted_students(ASSIGNMENT) == [ME]

    assert main(collect_command(course, exchange, ASSIGNMENT, "--restore", "--trust-names")) == 0
    printed = capsys.readouterr().out
    print(printed)
    assert f"restored {for_another.name}" in printed and f"restored {linked.name}" in printed
    assert for_another.is_dir()  # collected this time, where the names are trusted
    assert course.submitted_students(ASSIGNMENT) == sorted([ME, "nobody"])
    assert f"set aside {linked.name}: it holds `course_data.py`, a link" in printed


needs_root = pytest.mark.skipif(
    not IS_ROOT or shutil.which("runuser") is None,
    reason="needs root and runuser to run commands as another user",
)
AS_NOBODY = ["runuser", "-u", "nobody", "--"]


@needs_root
def test_other_users_reach_what_a_private_folder_shows_them_and_nothing_else(tmp_path):
    """The users of the slow tier reach the interpreter, the environment and the clone in a
    private folder (mode 700, as ``mktemp -d`` makes it), and nothing else of it."""
    private, clone = tmp_path / "private", tmp_path / "private" / "clone"
    (clone / "closed").mkdir(parents=True)
    (clone / "README").write_text("shown")
    (clone / "link").symlink_to("README")
    (clone / "closed" / "key").write_text("not shown")
    (private / "other").write_text("not shown")
    for folder in (clone / "closed", clone, private):
        folder.chmod(0o700)
    read = ["cat", str(clone / "README"), str(clone / "link")]
    denied = subprocess.run([*AS_NOBODY, *read], capture_output=True, text=True, cwd="/")
    assert "Permission denied" in denied.stderr

    prefix = shown_to_others([clone])
    shown = subprocess.run([*prefix, *AS_NOBODY, *read], capture_output=True, text=True, cwd="/")
    assert shown.stdout == "shownshown", shown.stderr
    beside = ["ls", "-A", str(private), str(clone / "closed")]
    listed = subprocess.run([*prefix, *AS_NOBODY, *beside], capture_output=True, text=True, cwd="/")
    assert listed.stdout.split() == [f"{private}:", "clone"], listed.stdout
    assert "Permission denied" in listed.stderr  # a closed folder within stays closed
    assert str(tmp_path) not in Path("/proc/self/mountinfo").read_text()  # no change here


@needs_root
def test_other_users_run_this_environments_cnn_grader_wherever_it_is_kept(tmp_path):
    environment = ["env", "-i", f"PATH={VENV_BIN}:/usr/bin:/bin", "LANG=C.UTF-8"]
    ran = subprocess.run(
        [*tools_for_all(tmp_path), *AS_NOBODY, *environment, "cnn-grader", "--help"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert ran.returncode == 0 and "autograde" in ran.stdout, ran.stderr


# --- the slow tier: the whole cycle, as Unix users ------------------------------------------


@dataclass
class User:
    """A Unix user made for the test, with a private home, running commands as themselves."""

    name: str
    home: Path
    prefix: list[str]  # tools_for_all's

    def run(self, *command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = [
            f"PATH={VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
            f"HOME={self.home}",
            f"USER={self.name}",
            "LANG=C.UTF-8",
            f"CNN_COURSE_DATA={os.environ.get('CNN_COURSE_DATA', '')}",
        ]
        return subprocess.run(
            [*self.prefix, "runuser", "-u", self.name, "--", "env", "-i", *env, *command],
            cwd=cwd or self.home,
            capture_output=True,
            text=True,
        )

    def ok(self, *command: str, cwd: Path | None = None) -> str:
        """Run a command that must succeed; return its output, stdout then stderr."""
        result = self.run(*command, cwd=cwd)
        assert result.returncode == 0, f"{self.name}: {' '.join(command)}\n{result.stderr[-3000:]}"
        return result.stdout + result.stderr

    def probe(self, attempts: list[tuple[str, Path]]) -> dict[tuple[str, Path], str]:
        """Try each file operation as this user: 'ok', or the error's name."""
        script = (
            "import json, os, sys\n"
            "ops = {'list': os.listdir, 'read': lambda p: open(p, 'rb').close(),\n"
            "       'append': lambda p: open(p, 'ab').close(),\n"
            "       'create': lambda p: open(p, 'xb').close(),\n"
            "       'rename': lambda p: os.rename(p, p + '.moved')}\n"
            "out = []\n"
            "for op, path in json.loads(sys.argv[1]):\n"
            "    try:\n"
            "        ops[op](path)\n"
            "        out.append('ok')\n"
            "    except OSError as error:\n"
            "        out.append(type(error).__name__)\n"
            "print(json.dumps(out))\n"
        )
        tries = json.dumps([(op, str(path)) for op, path in attempts])
        results = json.loads(self.ok(sys.executable, "-c", script, tries).splitlines()[-1])
        return dict(zip(attempts, results, strict=True))


@dataclass
class Cycle:
    """What the course cycle left behind, for the tests to read."""

    base: Path
    exchange: Exchange
    instructor: User
    course: Course
    students: dict[str, User]  # by role: ana, ben, cho, dan
    submitted: dict[str, list[str]] = field(default_factory=dict)  # each one's own timestamps
    refused: subprocess.CompletedProcess[str] | None = None
    released: str = ""  # cnn-grader release's output, once the exchange is fixed
    collect_output: list[str] = field(default_factory=list)
    duedate: datetime.datetime | None = None
    spoof: str = ""  # the inbound name ben submitted under ana's name


def useradd(name: str, home: Path, prefix: list[str]) -> User:
    """A new Unix user whose home only they can open (Debian's default would let all read)."""
    for _ in range(5):  # another session may hold the lock on /etc/passwd for a moment
        made = subprocess.run(
            ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh", name],
            capture_output=True,
            text=True,
        )
        if made.returncode == 0:
            break
        time.sleep(1)
    assert made.returncode == 0, made.stderr
    home.chmod(0o700)
    return User(name, home, prefix)


@pytest.fixture(scope="module")
def unix_users() -> Iterator[tuple[Path, list[User]]]:
    """A private base folder for homes and the exchange; every user made is deleted after."""
    if not IS_ROOT:
        pytest.skip("needs root to create the instructor's and students' Unix users (useradd)")
    for tool in ("useradd", "userdel", "runuser", "unshare", "bwrap"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}")
    base = Path(tempfile.mkdtemp(prefix="cnn-exchange-"))
    base.chmod(0o711)  # users reach their homes and the exchange, and list nothing
    users: list[User] = []
    try:
        yield base, users
    finally:
        for user in users:
            if subprocess.run(["userdel", "--remove", user.name], capture_output=True).returncode:
                subprocess.run(["userdel", "--force", "--remove", user.name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def submit(cycle: Cycle, role: str, nb: nbformat.NotebookNode, *options: str) -> str:
    """A student saves their notebook and submits it; return the submission's timestamp."""
    student = cycle.students[role]
    path = student.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nbformat.write(nb, str(path))
    user = pwd.getpwnam(student.name)
    os.chown(path, user.pw_uid, user.pw_gid)  # saved by the student's own Jupyter
    cache = student.home / ".local/share/jupyter/nbgrader_cache" / cycle.exchange.course_id
    before = set(cache.glob("*")) if cache.exists() else set()
    student.ok("nbgrader", "submit", ASSIGNMENT, *exchange_options(cycle), *options)
    [new] = set(cache.glob("*")) - before
    timestamp = (new / "timestamp.txt").read_text()
    if not options:
        cycle.submitted.setdefault(role, []).append(timestamp)
    return timestamp


def exchange_options(cycle: Cycle) -> list[str]:
    """What a student's nbgrader needs to find the course: the exchange and the course id."""
    return [
        f"--Exchange.root={cycle.exchange.root}",
        f"--CourseDirectory.course_id={cycle.exchange.course_id}",
    ]


@pytest.fixture(scope="module")
def cycle(unix_users) -> Cycle:
    """The whole cycle: release, fetch, submit twice, collect twice, grade, feedback."""
    base, users = unix_users
    tag = secrets.token_hex(3)
    prefix = tools_for_all(base)
    for role in ("inst", "ana", "ben", "cho", "dan"):
        users.append(useradd(f"cg{tag}-{role}", base / f"cg{tag}-{role}", prefix))
    instructor, students = users[0], {u.name.rsplit("-", 1)[1]: u for u in users[1:]}

    # The administrator makes the exchange, and gets the mode wrong.
    exchange = Exchange(base / "exchange", "cnn-course")
    exchange.root.mkdir()
    exchange.root.chmod(0o777)
    course = Course.create(instructor.home / "course", (ASSIGNMENT,))
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange.root)!r}\n")
    subprocess.run(["chown", "-R", f"{instructor.name}:", str(course.root)], check=True)
    cycle = Cycle(base, exchange, instructor, course, students)
    grader = ["cnn-grader"]
    where = ["--course", str(course.root)]

    cycle.refused = instructor.run(*grader, "release", *where, ASSIGNMENT, cwd=course.root)
    fixes = [
        line.split("fix: ", 1)[1] for line in cycle.refused.stderr.splitlines() if "fix: " in line
    ]
    assert len(fixes) == 1, cycle.refused.stderr
    subprocess.run(fixes[0].split(), check=True)  # the administrator applies it
    cycle.released = instructor.ok(*grader, "release", *where, ASSIGNMENT, cwd=course.root)

    for student in students.values():
        student.ok("nbgrader", "fetch_assignment", ASSIGNMENT, *exchange_options(cycle))
    reference = samples.submission(ASSIGNMENT)
    stub = samples.stub(ASSIGNMENT)
    mistake = samples.submission(ASSIGNMENT, mistakes.for_assignment(ASSIGNMENT)[0].answers)
    for role, nb in (("ana", stub), ("ben", reference), ("cho", reference), ("dan", stub)):
        submit(cycle, role, nb)
    cycle.collect_output.append(instructor.ok(*grader, "collect", *where, ASSIGNMENT))

    for role, nb in (("ana", reference), ("ben", mistake), ("cho", stub)):
        submit(cycle, role, nb)  # later, better or worse: the latest counts
    cycle.duedate = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    due = f"--duedate={stamp(cycle.duedate)}"
    instructor.ok("nbgrader", "db", "assignment", "add", ASSIGNMENT, due, cwd=course.root)
    submit(cycle, "dan", reference)  # after the due date
    spoof_time = submit(cycle, "ben", stub, f"--student={students['ana'].name}")
    cycle.spoof = next(p.name for p in exchange.inbound.iterdir() if spoof_time in p.name)
    cycle.collect_output.append(instructor.ok(*grader, "collect", *where, ASSIGNMENT))

    instructor.ok(*grader, "autograde", *where, ASSIGNMENT, cwd=course.root)
    instructor.ok(*grader, "feedback", *where, ASSIGNMENT, "--release", cwd=course.root)
    for student in students.values():
        student.ok("nbgrader", "fetch_feedback", ASSIGNMENT, *exchange_options(cycle))
    return cycle


@pytest.mark.slow
def test_release_refuses_an_unsafe_exchange_until_the_fix_is_applied(cycle):
    print(cycle.refused and cycle.refused.stderr, cycle.released)  # pytest -rP shows them
    assert cycle.refused is not None and cycle.refused.returncode == 1
    assert f"fix: chmod 1777 {cycle.exchange.root}" in cycle.refused.stderr
    assert "sticky" in cycle.refused.stderr
    assert f"[1/1] {ASSIGNMENT}: released" in cycle.released
    for rule in RULES:  # as the fix and make_folders left them, and nbgrader after them
        assert getattr(cycle.exchange, rule.folder).stat().st_mode & 0o7777 == rule.mode
    released = (cycle.exchange.outbound / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
    assert released == release_path(ASSIGNMENT, cycle.course.root).read_bytes()
    for student in cycle.students.values():
        fetched = student.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.stat().st_uid == pwd.getpwnam(student.name).pw_uid


@pytest.mark.slow
def test_the_latest_submission_counts_and_each_student_fetches_their_own_feedback(cycle):
    first, second = cycle.collect_output
    print(first, second, sep="\n")
    assert "[4/4]" in first and first.count(": new · submitted") == 4
    assert second.count(": updated · submitted") == 4
    names = {role: user.name for role, user in cycle.students.items()}
    mistake = mistakes.for_assignment(ASSIGNMENT)[0]
    expected = {
        "ana": 7.0,
        "ben": sum(expected_cell_scores(ASSIGNMENT, mistake.fails).values()),
        "cho": 0.0,
        "dan": 7.0,
    }
    scores = {s.student: s.score for s in cycle.course.scores((ASSIGNMENT,))}
    assert scores == {names[role]: score for role, score in expected.items()}
    pages = {}
    for role, student in cycle.students.items():
        latest = cycle.submitted[role][-1]
        assert cycle.course.submission_time(student.name, ASSIGNMENT) == parse(latest)
        [page] = (student.home / ASSIGNMENT / "feedback").glob("*/*.html")
        assert page.parent.name == latest  # the page of the submission that counted
        assert (
            page.read_bytes() == cycle.course.feedback_path(student.name, ASSIGNMENT).read_bytes()
        )
        pages[role] = page.read_bytes()
    assert len(set(pages.values())) == len(pages)


def parse(timestamp: str) -> datetime.datetime:
    from nbgrader.utils import parse_utc

    return parse_utc(timestamp)


@pytest.mark.slow
def test_a_late_submission_is_recorded_late_with_the_courses_penalty(cycle):
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(cycle.course.root)).load_config()
    policy = AssignLatePenalties(config=config).plugin_class(config=config)
    late = {}
    with cycle.course.gradebook() as gradebook:
        for role, student in cycle.students.items():
            found = gradebook.find_submission(ASSIGNMENT, student.name)
            late[role] = (found.total_seconds_late, found.late_submission_penalty, found.score)
    assert {role for role, (seconds, *_) in late.items() if seconds > 0} == {"dan"}
    seconds, penalty, score = late["dan"]
    assert seconds == pytest.approx(
        (parse(cycle.submitted["dan"][-1]) - cycle.duedate).total_seconds()
    )
    assert penalty == (policy.late_submission_penalty("dan", score, seconds) or 0.0)
    assert all(p == 0.0 for role, (_, p, _) in late.items() if role != "dan")
    assert "· late by" in cycle.collect_output[1]


@pytest.mark.slow
def test_a_submission_in_another_students_name_is_set_aside(cycle):
    ana, ben = cycle.students["ana"].name, cycle.students["ben"].name
    assert cycle.spoof.startswith(f"{ana}+{ASSIGNMENT}+")
    assert f"set aside {cycle.spoof}: named for {ana} but owned by {ben}" in cycle.collect_output[1]
    assert not (cycle.exchange.inbound / cycle.spoof).exists()
    assert list(cycle.exchange.inbound.glob(f"{SET_ASIDE_PREFIX}*+{cycle.spoof}"))
    # ana is graded on her own latest submission, on time, not on ben's stub in her name.
    assert cycle.course.submission_time(ana, ASSIGNMENT) == parse(cycle.submitted["ana"][-1])


@pytest.mark.slow
def test_no_student_can_list_read_or_change_another_students_work(cycle):
    ana, ben = cycle.students["ana"], cycle.students["ben"]
    inbound, feedback = cycle.exchange.inbound, cycle.exchange.feedback
    [ana_entry] = [p for p in inbound.glob(f"{ana.name}+*") if cycle.submitted["ana"][-1] in p.name]
    [ana_page] = [  # its name is a hash of a secret only ana's submission holds
        p
        for p in feedback.iterdir()
        if p.read_bytes() == cycle.course.feedback_path(ana.name, ASSIGNMENT).read_bytes()
    ]
    cache = ana.home / ".local/share/jupyter/nbgrader_cache" / cycle.exchange.course_id
    [ana_cached] = cache.glob(f"*{cycle.submitted['ana'][-1]}")
    attempts = [
        ("list", cycle.exchange.outbound),  # what everyone may do: the probe itself works
        ("list", inbound),
        ("list", feedback),
        ("create", feedback / "forged.html"),
        ("append", ana_page),
        ("rename", ana_page),
        ("rename", ana_entry),
        ("append", ana_entry / f"{ASSIGNMENT}.ipynb"),
        ("list", ana.home),
        ("read", ana_cached / "submission_secret.txt"),
        ("read", ana.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
        ("list", cycle.course.root),
        ("read", cycle.course.root / "submitted" / ana.name / ASSIGNMENT / "timestamp.txt"),
    ]
    outcome = ben.probe(attempts)
    assert outcome.pop(("list", cycle.exchange.outbound)) == "ok"
    assert outcome == dict.fromkeys(outcome, "PermissionError")

    # Through nbgrader: ben lists no one's submissions and fetches no one else's feedback.
    listed = ben.ok("nbgrader", "list", "--inbound", *exchange_options(cycle))
    assert ana.name not in listed
    before = sorted((ben.home / ASSIGNMENT / "feedback").rglob("*"))
    ben.run(
        "nbgrader", "fetch_feedback", ASSIGNMENT, f"--student={ana.name}", *exchange_options(cycle)
    )
    assert sorted((ben.home / ASSIGNMENT / "feedback").rglob("*")) == before
    assert not any(ben.home.rglob(f"*{cycle.submitted['ana'][-1]}*"))
