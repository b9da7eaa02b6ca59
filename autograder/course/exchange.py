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
It also copies each submission as it finds it at that moment, following
links. :func:`collect` therefore never lets nbgrader read ``inbound/``: it
copies each submission, without following links, into a private staging
exchange, screens the copy there (:func:`screen_inbound`) and has nbgrader
collect from the staging exchange, so that what is collected is what was
screened. What the screen refuses (another's name, a link, a special or
unreadable file, a name nbgrader cannot parse, a changed or backdated
submission) is set aside in ``inbound/`` under a hidden name, and
:func:`restore` puts it back.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course import intake, students
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


class Refused(Exception):
    """Why collect does not take a submission; ``owner`` names who owns it when that is why."""

    def __init__(self, reason: str, owner: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.owner = reason, owner


@dataclass(frozen=True)
class Refusal:
    """A submission in ``inbound/`` that collect does not take, and why."""

    name: str
    student: str
    reason: str
    owner: str | None = None  # its owner, when it is refused for not being the student's


@dataclass(frozen=True)
class Screening:
    """What one collect found in ``inbound/``: the copies it took, and what it refused."""

    staged: list[str]  # names of the submissions copied into the staging folder
    refused: list[Refusal]

    @property
    def shared_owner(self) -> str | None:
        """The one Unix user that owns every submission, none of them named for it, when that
        is how a hub whose students all share one user id looks (or root's): nothing was taken,
        each was refused for its owner alone, and they are named for two students or more."""
        owners = {r.owner for r in self.refused}
        if self.staged or not self.refused or None in owners or len(owners) != 1:
            return None
        [owner] = owners
        many = len({r.student for r in self.refused}) > 1
        return owner if owner is not None and (many or owner == "root") else None


@dataclass(frozen=True)
class SetAside:
    """A submission in ``inbound/`` that collect leaves alone, and why."""

    name: str
    reason: str
    now: Path  # its hidden name in inbound/, kept for the instructor


def screen_inbound(
    exchange: Exchange,
    assignment: str,
    staging: Path,
    *,
    trust_names: bool = False,
    collected: Mapping[str, datetime.datetime | None] | None = None,
) -> Screening:
    """Copy each submission of ``assignment`` that collect could take into ``staging`` (the
    ``inbound/`` of a private exchange), screened as copied; refuse the others.

    A submission is copied without following links (:func:`snapshot`), and its
    copy is what is screened (:func:`screened`) and then collected: nothing a
    student does in ``inbound/`` meanwhile reaches it. Only submissions newer
    than what is already collected of their student (``collected``, the time
    of each student's collected submission) are read, as ``nbgrader collect
    --update`` would take no other. ``trust_names`` skips the checks that a
    submission's owner and times match its name, for exchanges where every
    student is the same Unix user (notebooks on a hub) or whose clocks disagree.
    """
    staged: list[str] = []
    refused: list[Refusal] = []
    staging.mkdir(parents=True, exist_ok=True)
    for name in sorted(os.listdir(exchange.inbound)):
        if name.startswith(".") or not fnmatch.fnmatchcase(name, f"*+{assignment}+*"):
            continue  # nbgrader's glob skips hidden names, ours among them
        try:
            student, claimed = parsed_name(name, assignment)
            earlier = (collected or {}).get(student)
            if earlier is not None and claimed <= earlier:
                continue  # not newer than what is collected: nbgrader would not take it
            screened(exchange, name, staging / name, claimed, trust_names)
            staged.append(name)
        except Refused as refusal:
            shutil.rmtree(staging / name, ignore_errors=True)
            student = name.rsplit("+", 3)[0]
            refused.append(Refusal(name, student, refusal.reason, refusal.owner))
    return Screening(staged, refused)


def parsed_name(name: str, assignment: str) -> tuple[str, datetime.datetime]:
    """The student and the time a submission's name claims, as nbgrader parses it
    (``student+assignment+time[+random]``); :class:`Refused` if it cannot be read."""
    from nbgrader.utils import parse_utc

    parts = name.rsplit("+", 3)
    if len(parts) < 3 or parts[1] != assignment or not parts[0] or not parts[0].isprintable():
        raise Refused("its name is not student+assignment+time")
    if not students.is_safe_student_id(parts[0]):
        raise Refused(f"its student id {parts[0][:40]!r} is not {students.RULE}")
    claimed = _time(parse_utc, parts[2])
    if claimed is None:
        raise Refused(f"its name's time {parts[2][:40]!r} cannot be read")
    return parts[0], claimed


def screened(
    exchange: Exchange, name: str, into: Path, claimed: datetime.datetime, trust_names: bool
) -> None:
    """Copy one submission into ``into`` and screen the copy; :class:`Refused` if collect must
    not take it.

    It must be a real folder of regular files and folders, all readable, at
    most ``max_dir_size`` in all (nbgrader follows links, stops at a named pipe
    or an unreadable file, and stops the whole collect at a folder over its
    size), every file belonging to whoever owns the folder. Unless
    ``trust_names``: the folder belongs to the student it is named for, and its
    ``timestamp.txt`` says the time of its name, within :data:`CLOCK_TOLERANCE`
    of when its files were last changed (their ``ctime``, which no user can
    set), so nobody submits in another's name, changes a submission later, or
    backdates it.
    """
    student = name.rsplit("+", 3)[0]
    copy = snapshot(
        exchange.inbound, name, into, exchange.max_dir_bytes, None if trust_names else student
    )
    if copy.strangers:
        shown, uid = copy.strangers[0]
        raise Refused(f"it holds `{shown}`, which belongs to {_user(uid)}")
    if trust_names:
        return
    from nbgrader.utils import parse_utc

    if _time(parse_utc, _head(into / "timestamp.txt")) != claimed:
        raise Refused("its timestamp.txt does not say the time in its name")
    changed = datetime.datetime.fromtimestamp(copy.latest_change, datetime.UTC).replace(tzinfo=None)
    if abs(changed - claimed) > CLOCK_TOLERANCE:
        raise Refused(
            f"it says it was submitted at {claimed:%Y-%m-%d %H:%M:%S} UTC, but its files were "
            f"last changed at {changed:%Y-%m-%d %H:%M:%S} UTC"
        )


def _time(parse_utc: Callable[[str], datetime.datetime], text: str) -> datetime.datetime | None:
    try:
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        return None


def _head(path: Path) -> str:
    """The start of a file of a staged copy (regular, the grader's own), or "" if none."""
    if not path.is_file() or path.is_symlink():
        return ""
    with open(path, "rb") as handle:
        return handle.read(100).decode(errors="replace")


@dataclass
class Snapshot:
    """A submission as copied out of ``inbound/``, described by the very files copied."""

    folder: Path
    owner: int  # the submission folder's
    latest_change: float = 0.0  # the latest ctime of the folder and of what it holds
    strangers: list[tuple[str, int]] = field(default_factory=list)  # (path, owner) not the owner's
    entries: int = 0
    size: int = 0


def snapshot(
    inbound: Path, name: str, into: Path, max_bytes: int, student: str | None = None
) -> Snapshot:
    """Copy the submission ``inbound/name`` into ``into``, never following a link.

    Every folder and file is opened without following links (``O_NOFOLLOW``,
    relative to its opened parent), checked on the open descriptor (``fstat``)
    and read from it, so what is copied is what was checked, whatever is
    swapped in the exchange meanwhile; a file that changes while it is read is
    refused. :class:`Refused` at the first thing collect must not take: a link,
    a special or unreadable file, a file also linked elsewhere, too many files
    or bytes, folders nested too deep; and, given ``student``, a folder that
    is not theirs (before anything in it is read).
    """
    top = _opened(inbound, name, os.O_DIRECTORY, PurePosixPath("."))
    try:
        info = os.fstat(top)
        owner = _user(info.st_uid)
        if student is not None and owner != student:
            raise Refused(f"named for {student} but owned by {owner}", owner)
        copy = Snapshot(into, info.st_uid, info.st_ctime)
        _copy_folder(top, into, PurePosixPath(), copy, max_bytes, 0)
        return copy
    finally:
        os.close(top)


MAX_DEPTH = 32  # folders inside one submission in the exchange
NOT_FOLLOWED = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _opened(parent: Path | int, name: str, flags: int, shown: PurePosixPath) -> int:
    """``name`` in ``parent`` (a path or an open folder) opened without following a link."""
    try:
        if isinstance(parent, int):
            return os.open(name, NOT_FOLLOWED | flags, dir_fd=parent)
        return os.open(parent / name, NOT_FOLLOWED | flags)
    except FileNotFoundError:
        raise Refused(f"`{shown}` was removed while it was collected") from None
    except PermissionError:
        raise Refused(f"`{shown}` cannot be read by the instructor") from None
    except OSError:  # ELOOP: a link; ENOTDIR: a file where a folder was; ENXIO: a socket
        if shown == PurePosixPath("."):
            raise Refused("it is not a folder (a link or a file)") from None
        raise Refused(f"it holds `{shown}`, a link or special file") from None


def _copy_folder(
    fd: int, into: Path, shown: PurePosixPath, copy: Snapshot, max_bytes: int, depth: int
) -> None:
    into.mkdir(mode=0o755)
    with os.scandir(fd) as listing:
        names = sorted(entry.name for entry in listing)
    for name in names:
        path = shown / name
        copy.entries += 1
        if copy.entries > MAX_ENTRIES:
            raise Refused(f"it holds more than {MAX_ENTRIES} files or {max_bytes:,} bytes")
        try:
            kind = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            raise Refused(f"`{path}` was removed while it was collected") from None
        if stat.S_ISDIR(kind) and depth < MAX_DEPTH:
            sub = _opened(fd, name, os.O_DIRECTORY, path)
            try:
                _note(copy, path, os.fstat(sub))
                _copy_folder(sub, into / name, path, copy, max_bytes, depth + 1)
            finally:
                os.close(sub)
        elif stat.S_ISDIR(kind):
            raise Refused(f"its folders are nested more than {MAX_DEPTH} deep")
        elif stat.S_ISREG(kind):
            _copy_file(fd, name, into / name, path, copy, max_bytes)
        else:
            raise Refused(f"it holds `{path}`, a link or special file")


def _copy_file(
    parent: int, name: str, into: Path, shown: PurePosixPath, copy: Snapshot, max_bytes: int
) -> None:
    fd = _opened(parent, name, 0, shown)
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise Refused(f"it holds `{shown}`, a link or special file")
        if before.st_nlink != 1:
            raise Refused(f"it holds `{shown}`, a file linked from elsewhere (a hard link)")
        copy.size += before.st_size
        if copy.size > max_bytes:
            raise Refused(f"it holds more than {MAX_ENTRIES} files or {max_bytes:,} bytes")
        written = 0
        with open(into, "xb") as out:
            while chunk := os.read(fd, min(2**20, before.st_size + 1 - written)):
                written += out.write(chunk)
                if written > before.st_size:
                    break
        after = os.fstat(fd)
        if written != before.st_size or _state(after) != _state(before):
            raise Refused(f"`{shown}` changed while it was collected")
        _note(copy, shown, after)
    finally:
        os.close(fd)


def _state(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _note(copy: Snapshot, shown: PurePosixPath, info: os.stat_result) -> None:
    copy.latest_change = max(copy.latest_change, info.st_ctime)
    if info.st_uid != copy.owner:
        copy.strangers.append((str(shown), info.st_uid))


def set_aside(exchange: Exchange, refused: list[Refusal]) -> list[SetAside]:
    """Rename each refused submission to a hidden name beside it, which collect ignores."""
    aside = []
    for refusal in refused:
        entry = exchange.inbound / refusal.name
        try:
            aside.append(SetAside(refusal.name, refusal.reason, _hide(entry)))
        except FileNotFoundError:  # its student took it away: nothing to keep, but say why
            aside.append(SetAside(refusal.name, f"{refusal.reason} (it is gone since)", entry))
    return aside


def _hide(entry: Path) -> Path:
    """Rename a submission to a hidden name beside it, which collect ignores; return it."""
    for n in range(1, 1000):
        hidden = entry.with_name(f"{SET_ASIDE_PREFIX}{n}+{entry.name}")
        if not hidden.exists() and not hidden.is_symlink():
            os.rename(entry, hidden)
            return hidden
    raise OSError(f"no room to set {entry} aside")


def restore(exchange: Exchange, assignment: str) -> list[str]:
    """Put every submission of ``assignment`` that collect set aside back under its own name
    in ``inbound/`` (where collect screens it again); return the names."""
    restored: list[str] = []
    if not exchange.inbound.is_dir():
        return restored
    for hidden in sorted(os.listdir(exchange.inbound)):
        number, _, name = hidden.removeprefix(SET_ASIDE_PREFIX).partition("+")
        ours = hidden.startswith(SET_ASIDE_PREFIX) and number.isdigit()
        if not ours or not fnmatch.fnmatchcase(name, f"*+{assignment}+*"):
            continue
        if not os.path.lexists(exchange.inbound / name):
            os.rename(exchange.inbound / hidden, exchange.inbound / name)
            restored.append(name)
    return restored


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
    """What one collect of an assignment found: the students' submissions, those set aside,
    and the one Unix user owning every submission when it looks like a shared-user hub."""

    assignment: str
    students: list[Collected]
    set_aside: list[SetAside]
    shared_owner: str | None = (
        None  # its submissions are left in place, neither taken nor set aside
    )


def collect(
    course: Course,
    exchange: Exchange,
    assignment: str,
    *,
    trust_names: bool = False,
    restore_first: bool = False,
    out: Callable[[str], None] = print,
) -> Collection:
    """Each student's latest submission into ``submitted/`` (``nbgrader collect --update``),
    then made gradable by the intake, as autograde does.

    Submissions are copied, without following links, into a private staging
    exchange in the course folder and screened there (:func:`screen_inbound`);
    nbgrader collects from that staging exchange, so what is collected is the
    copy that was screened. What the screen refuses is set aside in ``inbound/``
    under a hidden name (:func:`set_aside`), unless every submission belongs to
    one Unix user that none is named for (a hub whose students share one user
    id): those stay where they are, and :attr:`Collection.shared_owner` says so.
    ``restore_first`` first puts back what earlier collects set aside (:func:`restore`).
    """
    if not exchange.inbound.is_dir():
        raise FileNotFoundError(
            f"the exchange {exchange.root} has no course {exchange.course_id!r} (no "
            f"{exchange.inbound}): release an assignment first (cnn-grader release), or name "
            "the exchange the students use (--exchange)"
        )
    if restore_first:
        for name in restore(exchange, assignment):
            out(f"{assignment}: restored {name}")
    before = {
        s: course.submission_time(s, assignment) for s in course.submitted_students(assignment)
    }
    staging = Path(tempfile.mkdtemp(prefix=".collect-staging-", dir=course.root))
    try:
        inbound = staging / exchange.course_id / "inbound"
        screening = screen_inbound(
            exchange, assignment, inbound, trust_names=trust_names, collected=before
        )
        shared = screening.shared_owner
        aside = [] if shared else set_aside(exchange, screening.refused)
        for entry in aside:
            out(f"{assignment}: set aside {entry.name}: {entry.reason}")
        if screening.staged:
            course.collect(assignment, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    return Collection(assignment, collected, aside, shared)


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
    """Per assignment: students collected, new, updated, unchanged, late, set aside; then
    where what was set aside is kept (each one's line was said as it was set aside)."""
    lines = [["assignment", "students", "new", "updated", "unchanged", "late", "set aside"]]
    for c in collections:
        counts = [
            len(c.students),
            *(sum(s.status == status for s in c.students) for status in STATUSES),
            sum(s.seconds_late > 0 for s in c.students),
            len(c.set_aside),
        ]
        lines.append([c.assignment, *map(str, counts)])
    kept = [c.assignment for c in collections if c.set_aside]
    if not kept:
        return text_table(lines)
    return (
        f"{text_table(lines)}\n(set aside: kept in inbound/ as {SET_ASIDE_PREFIX}<n>+<name>; "
        f"`cnn-grader collect {' '.join(kept)} --restore` puts them back to be screened again)"
    )


def shared_owner_note(collections: list[Collection], command: str) -> str | None:
    """What to do when every submission of some assignments belongs to one Unix user, said
    once for all of them: ``command`` is the collect to run again, ``--trust-names`` in it."""
    shared = [c for c in collections if c.shared_owner]
    if not shared:
        return None
    owners = ", ".join(sorted({str(c.shared_owner) for c in shared}))
    return (
        f"every submission of {', '.join(c.assignment for c in shared)} belongs to one Unix "
        f"user ({owners}), whatever student it is named for, so nothing of theirs was collected, "
        "and nothing was set aside. Where every student is that user (notebooks on a hub that "
        "share one user id, or run as root), collect them with:\n"
        f"  {command}\n"
        "Where students are users of their own, someone submitted in the others' names: "
        "see inbound/."
    )
