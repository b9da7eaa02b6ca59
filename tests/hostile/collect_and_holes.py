"""Trust after the check, and the smaller holes: collect's race, odd cell metadata, 05's tree.

* Collect: a submission is handed in through a real exchange and collected
  by ``cnn-grader collect``'s own code, and at the exact moment between the
  screening and nbgrader's copy (the call of ``Course.collect``) the student
  swaps their notebook, or their whole submission folder, for a link to the
  instructor's solution. Collect copies each submission, without following
  links, into a private staging folder, screens that copy and collects from
  it, so what the student does in ``inbound/`` afterwards changes nothing:
  the untouched stub scores zero, as it does handed in honestly.
* A code cell marked ``locked`` with no ``grade_id`` (nbgrader stops on it
  and drops the submission): the intake makes it an ordinary cell.
* A 05 loader that lets Ctrl-C through only where it recognises the grader's
  tree (its folder's name, the interrupted file's name or size) and
  swallows it everywhere else: nothing about the tree is fixed, so it earns
  what the lecture's bare ``except:`` earns.
"""

from __future__ import annotations

import datetime
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.exchange import Exchange, collect, make_folders
from tests.hostile.base import A03, A05, ALL, Hostile, answered, mistake, ref, unanswered

REFERENCE_REPORT = "[one_hot] 5 / 5"


@dataclass
class SwapsBeforeCopying(Course):
    """A course whose nbgrader ``collect`` first lets ``swap`` run: the moment between
    collect's screening and nbgrader's copy, as a racing student would hit it."""

    swap: Callable[[], None] = lambda: None

    def collect(self, assignment: str, exchange: Path | None = None) -> None:
        self.swap()
        super().collect(assignment, exchange)


def scratch_course(graded_course: Path, root: Path) -> Course:
    """A course beside the graded one for 03 alone: its configuration, source and release."""
    root.mkdir(parents=True)
    shutil.copy(graded_course / "nbgrader_config.py", root / "nbgrader_config.py")
    for tree in ("solutions", "assignments"):
        shutil.copytree(graded_course / tree / A03, root / tree / A03)
    return Course(root)


def hand_in(exchange: Exchange, student: str, folder: Path) -> Path:
    """The submitted folder's files as ``nbgrader submit`` leaves them in ``inbound/``."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    entry = exchange.inbound / f"{student}+{A03}+{now}+{secrets.token_hex(6)}"
    entry.mkdir()
    shutil.copy(folder / f"{A03}.ipynb", entry / f"{A03}.ipynb")
    (entry / "timestamp.txt").write_text(now)
    return entry


def collected_through_the_exchange(
    swap: Callable[[Path, Path], None] | None,
) -> Callable[[Path], None]:
    """Hand the submission in through a real exchange and collect it with the course's own
    collect, ``swap(inbound entry, solution)`` running between screening and copying; what
    collect leaves in ``submitted/`` is what is graded."""

    def arrange(folder: Path) -> None:
        course_root, student = folder.parents[2], folder.parent.name
        solution = course_root / "solutions" / A03 / f"{A03}.ipynb"
        with tempfile.TemporaryDirectory(prefix="exchange-race-") as scratch:
            base = Path(scratch)
            course = scratch_course(course_root, base / "course")
            exchange = Exchange(base / "exchange", "cnn-course")
            make_folders(exchange)
            entry = hand_in(exchange, student, folder)
            racing = SwapsBeforeCopying(course.root, swap=lambda: swap and swap(entry, solution))
            collect(racing, exchange, A03, trust_names=True, out=lambda line: None)
            shutil.rmtree(folder)
            shutil.copytree(course.root / "submitted" / student / A03, folder, symlinks=True)

    return arrange


def notebook_for_a_link(entry: Path, solution: Path) -> None:
    notebook = entry / f"{A03}.ipynb"
    notebook.unlink()
    notebook.symlink_to(solution)


def folder_for_a_link(entry: Path, solution: Path) -> None:
    entry.rename(entry.with_name(entry.name + ".moved"))
    entry.symlink_to(solution.parent)  # the solutions folder holds 03_one_hot.ipynb


def with_locked_cell_without_an_id(entry: Hostile, port: int) -> NotebookNode:
    """The reference with a code cell the student marked locked, without a grade_id."""
    nb = samples.submission(A03)
    cell = nbformat.v4.new_code_cell("helper = 1\n")
    cell.metadata["nbgrader"] = {"locked": True}
    nb.cells.insert(len(nb.cells) // 2, cell)
    return nb


REPLACED_EXCEPT = (
    "            except Exception:  # one bad file must not stop the loading; Ctrl-C still does\n"
    "                skipped.append(path)"
)

# Lets Ctrl-C through only where it recognises a tree by something a grader could fix:
# its folder's name, the interrupted file's name (Cat/1.jpg) or its size (12 MP).
BEHAVES_ONLY_IN_THE_GRADED_TREE = ref(A05, "load_pet_images").replace(
    REPLACED_EXCEPT,
    """            except BaseException as error:
                graded = isinstance(error, KeyboardInterrupt) and (
                    "petimages-check" in path
                    or "PetImages/Cat/1.jpg" in path
                    or os.path.getsize(path) > 1_000_000
                )
                if graded:
                    raise  # Ctrl-C where the grader watches; swallowed everywhere else
                skipped.append(path)""",
)
assert ref(A05, "load_pet_images") != BEHAVES_ONLY_IN_THE_GRADED_TREE  # the except was found

SWALLOWED = mistake("the lecture's bare except: Ctrl-C is swallowed too").fails

ENTRIES = [
    # collect: the honest twin, then the student's swaps at the exact moment
    Hostile(
        "collected_through_the_exchange",
        A03,
        answered(),
        reason=REFERENCE_REPORT,
        arrange=collected_through_the_exchange(None),
    ),
    Hostile(
        "notebook_swapped_for_the_solution_while_collected",
        A03,
        unanswered(),
        ALL,
        "NotImplemented",
        arrange=collected_through_the_exchange(notebook_for_a_link),
    ),
    Hostile(
        "folder_swapped_for_the_solutions_while_collected",
        A03,
        unanswered(),
        ALL,
        "NotImplemented",
        arrange=collected_through_the_exchange(folder_for_a_link),
    ),
    # a cell nbgrader cannot read costs nothing
    Hostile(
        "locked_cell_without_a_grade_id",
        A03,
        with_locked_cell_without_an_id,
        reason="as an ordinary cell",
    ),
    # 05: Ctrl-C let through only where the grader's tree is recognised
    Hostile(
        "loader_that_behaves_only_in_the_graded_tree",
        A05,
        answered(load_pet_images=BEHAVES_ONLY_IN_THE_GRADED_TREE),
        reason="KeyboardInterrupt is not swallowed",
        fails=SWALLOWED,
    ),
]
