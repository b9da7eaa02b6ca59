"""nbgrader's exchange for this course: its folders checked, assignments released, work collected.

nbgrader's default exchange is one folder that every user of the machine
shares (``Exchange.root``, as on a JupyterHub). Under ``<root>/<course_id>``,
``outbound/`` holds the released assignments, ``inbound/`` the submissions
(``<student>+<assignment>+<time>+<random>``) and ``feedback/`` the released
feedback pages (named by a secret of the submission). Students are kept
apart by the folders' modes alone, so :func:`check` holds them to these:

* the root ``1777``: nbgrader needs it writable by everyone, and without
  the sticky bit any user could rename the course's folder and put their own
  in its place;
* ``<course_id>/`` and ``outbound/`` ``755``, owned by the instructor;
* ``inbound/`` ``3733``: students write into it but cannot list it (a
  submission's name is its secret); the sticky bit keeps them from renaming
  or removing each other's submissions (nbgrader's own ``2733`` does not);
* ``feedback/`` ``711``: a student opens their own page by its secret name
  and lists nothing.

nbgrader's ``collect`` trusts the names in ``inbound/``: a student can submit
in another's name (``nbgrader submit --student``), and nbgrader only warns.
:func:`screen_inbound` sets such entries aside first, with anything else a
student could put there to make ``collect`` follow a link, read a file it
should not, or stop for everyone (see :func:`rejection`).
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import pwd
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from autograder.course import intake
from autograder.course.directory import Course, NbgraderFailed, tool_environment
from autograder.course.grading import format_duration, text_table

CLOCK_TOLERANCE = datetime.timedelta(minutes=10)  # a submission's claimed time vs its files'
MAX_ENTRIES = 10_000  # files and folders in one submission in the exchange
SET_ASIDE_PREFIX = ".set-aside+"  # hidden: nbgrader's glob never matches it

_SETTINGS = """
import json
from nbgrader.apps.baseapp import NbGrader
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import Exchange
app = NbGrader()
app.load_config_file()
course = CourseDirectory(config=app.config)
print(json.dumps({"root": Exchange(config=app.config).root, "course_id": course.course_id,
                  "groupshared": course.groupshared, "max_dir_size": course.max_dir_size}))
"""


@dataclass(frozen=True)
class Exchange:
    """Where this course's exchange is, as nbgrader's configuration (or ``--exchange``) says."""

    root: Path
    course_id: str
    groupshared: bool = False
    max_dir_bytes: int = 100_000_000  # nbgrader's CourseDirectory.max_dir_size, in bytes

    @property
    def course(self) -> Path:
        return self.root / self.course_id

    @property
    def outbound(self) -> Path:
        return self.course / "outbound"

    @property
    def inbound(self) -> Path:
        return self.course / "inbound"

    @property
    def feedback(self) -> Path:
        return self.course / "feedback"

    @classmethod
    def of(cls, course: Course, root: Path | None = None) -> Exchange:
        """The exchange the course's nbgrader commands use, read with nbgrader's own loader."""
        result = subprocess.run(
            [sys.executable, "-c", _SETTINGS],
            cwd=course.root,
            env=tool_environment(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise NbgraderFailed(f"reading nbgrader's settings failed:\n{result.stderr[-2000:]}")
        settings = json.loads(result.stdout.strip().splitlines()[-1])
        return cls(
            Path(root or settings["root"]).absolute(),
            settings["course_id"],
            settings["groupshared"],
            settings["max_dir_size"] * 1000,
        )


@dataclass(frozen=True)
class Problem:
    """Something about an exchange folder that lets students reach each other's work."""

    path: Path
    what: str
    fix: str  # the command that puts it right

    def __str__(self) -> str:
        return f"{self.path}: {self.what}\n    fix: {self.fix}"


class UnsafeExchange(RuntimeError):
    """The exchange's folders are not safe to release into; the message says how to fix them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "the exchange is not safe for students; fix these, then run again:\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )


@dataclass(frozen=True)
class Rule:
    """The mode an exchange folder needs: the bits it must have and those it must not."""

    folder: str  # an attribute of Exchange
    mode: int  # what ``make_folders`` gives it, and the fix sets
    required: int
    forbidden: int
    why: str


RULES = (
    Rule(
        "root",
        0o1777,
        0o1777,
        0,
        "nbgrader needs it writable by all; sticky: none renames another's folder",
    ),
    Rule("course", 0o755, 0o705, 0o022, "only the instructor writes, students read"),
    Rule("outbound", 0o755, 0o705, 0o022, "only the instructor writes, students fetch"),
    Rule(
        "inbound",
        0o3733,
        0o1703,
        0o044,
        "students submit but cannot list it; sticky: none renames or removes another's submission",
    ),
    Rule(
        "feedback",
        0o711,
        0o701,
        0o066,
        "students open their own page by its secret name and list nothing",
    ),
)


def check(exchange: Exchange) -> list[Problem]:
    """What is wrong with the exchange's existing folders (missing ones are made right)."""
    me, problems = os.geteuid(), []
    for rule in RULES:
        path = getattr(exchange, rule.folder)
        try:  # the root may be a link an administrator made; nothing under it may be
            info = path.stat() if rule.folder == "root" else path.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            problems.append(Problem(path, "is not a folder (a link or a file)", f"rm {path}"))
            break
        owners = {0, me} if rule.folder == "root" else {me}
        shared = exchange.groupshared and rule.folder != "root"  # the instructors' group's
        if info.st_uid not in owners and not shared:
            what = f"belongs to {_user(info.st_uid)}, who controls what students get there"
            problems.append(Problem(path, what, f"sudo chown {_user(me)} {path}  # or remove it"))
        mode = info.st_mode & 0o7777
        if not exchange.groupshared and (
            mode & rule.required != rule.required or mode & rule.forbidden
        ):
            what = f"is {mode:o}, should be {rule.mode:o} ({rule.why})"
            problems.append(Problem(path, what, f"chmod {rule.mode:o} {path}"))
    return problems


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid}"


def make_folders(exchange: Exchange) -> list[Path]:
    """Create the exchange's missing folders with the modes :data:`RULES` want; return them."""
    made = []
    for rule in RULES:
        path = getattr(exchange, rule.folder)
        if not path.exists() and not path.is_symlink():
            path.mkdir(parents=rule.folder == "root")
            os.chmod(path, rule.mode)  # mkdir's mode passes through the umask, without 0o7000
            made.append(path)
    return made


def release(
    course: Course,
    exchange: Exchange,
    assignments: Iterable[str],
    *,
    force: bool = False,
    out: Callable[[str], None] = print,
) -> list[Path]:
    """Generate each assignment and release it to students (``nbgrader release_assignment``).

    Refuses (:class:`UnsafeExchange`) before anything is released when the
    exchange's folders would let students reach each other's work.
    """
    assignments = tuple(assignments)
    problems = check(exchange)
    if problems:
        raise UnsafeExchange(problems)
    released = [a for a in assignments if (exchange.outbound / a).exists()]
    if released and not force:
        raise FileExistsError(
            f"already released: {', '.join(released)} (in {exchange.outbound}); --force replaces "
            "them (students who fetched keep their copy)"
        )
    for path in make_folders(exchange):
        out(f"created {path} ({path.stat().st_mode & 0o7777:o})")
    paths = []
    for i, assignment in enumerate(assignments, 1):
        course.generate(assignment)
        course.release_assignment(assignment, exchange.root, force=force)
        path = exchange.outbound / assignment
        files = sum(1 for p in path.rglob("*") if p.is_file())
        out(f"[{i}/{len(assignments)}] {assignment}: released, {plural(files, 'file')} in {path}")
        paths.append(path)
    return paths


def plural(count: int, noun: str) -> str:
    """'1 file', '3 files'."""
    return f"{count} {noun}{'s' * (count != 1)}"


@dataclass(frozen=True)
class SetAside:
    """A submission in ``inbound/`` that collect leaves alone, and why."""

    name: str
    reason: str
    now: Path  # its hidden name in inbound/, kept for the instructor


def screen_inbound(
    exchange: Exchange, assignment: str, *, trust_names: bool = False
) -> list[SetAside]:
    """Set aside every submission of ``assignment`` that ``nbgrader collect`` must not take.

    ``trust_names`` skips the checks that a submission's owner and times
    match its name, for exchanges where every student is the same Unix user
    (containers on a hub) or whose clocks disagree.
    """
    aside: list[SetAside] = []
    if not exchange.inbound.is_dir():
        return aside  # nbgrader's collect says the course is not there
    for name in sorted(os.listdir(exchange.inbound)):
        if name.startswith(".") or not fnmatch.fnmatchcase(name, f"*+{assignment}+*"):
            continue  # nbgrader's glob skips hidden names, ours among them
        reason = rejection(exchange.inbound / name, assignment, exchange.max_dir_bytes, trust_names)
        if reason:
            aside.append(SetAside(name, reason, _hide(exchange.inbound / name)))
    return aside


def rejection(entry: Path, assignment: str, max_bytes: int, trust_names: bool) -> str | None:
    """Why ``nbgrader collect`` must not take this submission folder, or None.

    Its name must read as ``student+assignment+time[+random]`` as nbgrader
    parses it. It must be a real folder of regular files and folders, all
    readable (nbgrader follows links, stops at a named pipe or an unreadable
    file, and stops the whole collect at a name it cannot parse or a folder
    over ``max_dir_size``). Unless ``trust_names``: it and everything in it
    belong to the student it is named for, and its ``timestamp.txt`` says
    the time of its name, within :data:`CLOCK_TOLERANCE` of when its files
    were last changed (their ``ctime``, which no user can set), so nobody
    submits in another's name, changes a submission later, or backdates it.
    """
    from nbgrader.utils import parse_utc

    parts = entry.name.rsplit("+", 3)
    if len(parts) < 3 or parts[1] != assignment or not parts[0]:
        return "its name is not student+assignment+time"
    student, claimed = parts[0], _time(parse_utc, parts[2])
    if claimed is None:
        return f"its name's time {parts[2][:40]!r} cannot be read"
    info = entry.lstat()
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder (a link or a file)"
    if not trust_names and _user(info.st_uid) != student:
        return f"named for {student} but owned by {_user(info.st_uid)}"
    problem, latest_change = _walk(entry, info, max_bytes, trust_names)
    if problem or trust_names:
        return problem
    if _time(parse_utc, _head(entry / "timestamp.txt")) != claimed:
        return "its timestamp.txt does not say the time in its name"
    changed = datetime.datetime.fromtimestamp(latest_change, datetime.UTC).replace(tzinfo=None)
    if abs(changed - claimed) > CLOCK_TOLERANCE:
        return f"it says it was submitted at {claimed:%Y-%m-%d %H:%M:%S} UTC, but its files " + (
            f"were last changed at {changed:%Y-%m-%d %H:%M:%S} UTC"
        )
    return None


def _time(parse_utc: Callable[[str], datetime.datetime], text: str) -> datetime.datetime | None:
    try:
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        return None


def _head(path: Path) -> str:
    """The start of a file :func:`_walk` found regular and readable, or "" if there is none."""
    if not path.is_file():
        return ""
    with open(path, "rb") as handle:
        return handle.read(100).decode(errors="replace")


def _walk(
    entry: Path, info: os.stat_result, max_bytes: int, trust: bool
) -> tuple[str | None, float]:
    """A problem with what the folder holds, if any, and the latest ``ctime`` in it."""
    latest, size, count, folders = info.st_ctime, 0, 0, [(entry, info)]
    while folders:
        folder, _ = folders.pop()
        shown = folder.relative_to(entry)
        if not os.access(folder, os.R_OK | os.X_OK):
            return f"`{shown}` cannot be read by the instructor", latest
        with os.scandir(folder) as listing:
            members = [(Path(m.path), m.stat(follow_symlinks=False)) for m in listing]
        for path, member in members:
            count += 1
            latest, size = max(latest, member.st_ctime), size + member.st_size
            shown = path.relative_to(entry)
            if count > MAX_ENTRIES or size > max_bytes:
                return f"it holds more than {MAX_ENTRIES} files or {max_bytes:,} bytes", latest
            if stat.S_ISDIR(member.st_mode):
                folders.append((path, member))
            elif not stat.S_ISREG(member.st_mode):
                return f"it holds `{shown}`, a link or special file", latest
            elif not os.access(path, os.R_OK):
                return f"`{shown}` cannot be read by the instructor", latest
            if not trust and member.st_uid != info.st_uid:
                return f"it holds `{shown}`, which belongs to {_user(member.st_uid)}", latest
    return None, latest


def _hide(entry: Path) -> Path:
    """Rename a submission to a hidden name beside it, which collect ignores; return it."""
    for n in range(1, 1000):
        hidden = entry.with_name(f"{SET_ASIDE_PREFIX}{n}+{entry.name}")
        if not hidden.exists() and not hidden.is_symlink():
            os.rename(entry, hidden)
            return hidden
    raise OSError(f"no room to set {entry} aside")


STATUSES = ("new", "updated", "unchanged")  # a later submission updates an earlier one


@dataclass(frozen=True)
class Collected:
    """One student's submission in ``submitted/`` after a collect."""

    student: str
    status: str  # "new", "updated" (a later submission), "unchanged"
    submitted: datetime.datetime | None  # UTC, as nbgrader records it
    seconds_late: float
    note: str | None  # what the intake did to make it gradable, if anything


@dataclass(frozen=True)
class Collection:
    """What one collect of an assignment found: the students' submissions, and those set aside."""

    assignment: str
    students: list[Collected]
    set_aside: list[SetAside]


def collect(
    course: Course,
    exchange: Exchange,
    assignment: str,
    *,
    trust_names: bool = False,
    out: Callable[[str], None] = print,
) -> Collection:
    """Each student's latest submission into ``submitted/`` (``nbgrader collect --update``),
    after :func:`screen_inbound`, then made gradable by the intake, as autograde does."""
    aside = screen_inbound(exchange, assignment, trust_names=trust_names)
    for entry in aside:
        out(f"{assignment}: set aside {entry.name}: {entry.reason}")
    before = {
        s: course.submission_time(s, assignment) for s in course.submitted_students(assignment)
    }
    course.collect(assignment, exchange.root)
    due = course.duedate(assignment)
    students = course.submitted_students(assignment)
    collected = []
    for i, student in enumerate(students, 1):
        submitted = course.submission_time(student, assignment)
        status = "new" if student not in before else "unchanged"
        if student in before and submitted != before[student]:
            status = "updated"
        note = intake.prepare(course.root, assignment, student)
        late = (submitted - due).total_seconds() if due and submitted and submitted > due else 0.0
        collected.append(Collected(student, status, submitted, late, note))
        out(f"[{i}/{len(students)}] {assignment} {student}: {describe(collected[-1])}")
    return Collection(assignment, collected, aside)


def describe(entry: Collected) -> str:
    """One progress line's account of a collected submission."""
    words = [entry.status]
    if entry.submitted:
        words.append(f"submitted {entry.submitted:%Y-%m-%d %H:%M:%S} UTC")
    if entry.seconds_late:
        words.append(f"late by {format_duration(entry.seconds_late)}")
    if entry.note:
        words.append(f"intake: {entry.note[:100]}{'...' if len(entry.note) > 100 else ''}")
    return " · ".join(words)


def collect_summary(collections: list[Collection]) -> str:
    """Per assignment: students collected, new, updated, unchanged, late, set aside; then why."""
    lines = [["assignment", "students", "new", "updated", "unchanged", "late", "set aside"]]
    details = []
    for c in collections:
        counts = [
            len(c.students),
            *(sum(s.status == status for s in c.students) for status in STATUSES),
            sum(s.seconds_late > 0 for s in c.students),
            len(c.set_aside),
        ]
        lines.append([c.assignment, *map(str, counts)])
        details += [f"{c.assignment}: set aside {a.name}: {a.reason}" for a in c.set_aside]
    if details:
        details.insert(0, f"(kept in inbound/ as {SET_ASIDE_PREFIX}<n>+<name>)")
    return "\n".join([text_table(lines), *details])
