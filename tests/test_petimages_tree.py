"""05's graded tree gives a loader nothing to recognise it by, and its Ctrl-C lands for real.

A loader that behaves well only where it recognises the grader's tree must
find nothing fixed there: not the folders' names, not the files' names or
sizes, not which file is interrupted. The Ctrl-C check must still catch a
loader that swallows Ctrl-C, however small the interrupted file: the
judge holds a lease on it, so the loader's open waits until the SIGINT is
sent. The loaders run in a process of their own, as a student's kernel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from autograder.assignments.a05_petimages_loading import checks as a05
from autograder.checks.observe import OpenedFiles
from autograder.course import samples
from autograder.mistakes import CATALOGUE

A05 = "05_petimages_loading"
FIXED_NAMES = {"PetImages", "Cat", "Dog", "Thumbs.db", ".DS_Store"}  # the real download's own


def relative_files(tree: a05.PetTree) -> set[str]:
    return {str(p.relative_to(tree.root)) for p in tree.root.rglob("*")}


def test_two_gradings_share_no_name_and_no_recognisable_file(tmp_path):
    with a05.generated_pet_tree(1) as first, a05.generated_pet_tree(2) as second:
        assert first.root.name == second.root.name == "PetImages"  # as the real folder is
        assert first.root.parent.name != second.root.parent.name
        assert not {"petimages", "check", "pet"} & set(first.root.parent.name.lower().split("-"))
        names = [{Path(p).name for p in relative_files(t)} - FIXED_NAMES for t in (first, second)]
        assert len(names[0] & names[1]) <= 2  # drawn afresh: a coincidence or two at most
        for tree in (first, second):
            sizes = sorted(p.stat().st_size for p in tree.root.rglob("*") if p.is_file())
            target = tree.interrupt_target.stat().st_size
            assert sizes[-1] < 500_000  # photo-sized, as the real download's are
            assert target < sizes[-1] or sizes.count(target) > 1  # not singled out by its size
            assert not tree.missing.exists() and tree.missing.parent == tree.root.parent


LOADER_PROCESS = """
import os, sys
import cv2
import numpy as np
{loader}
for line in sys.stdin:
    try:
        load_pet_images(line.strip())
        print("returned", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


def interrupted(loader: str, tree: a05.PetTree, times: int) -> list[str]:
    """What a loader in a process of its own does, ``times`` over, when Ctrl-C is pressed
    as it opens the tree's interrupt target."""
    process = subprocess.Popen(
        [sys.executable, "-c", LOADER_PROCESS.format(loader=loader)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    said = []
    try:
        for _ in range(times):
            target = (tree.interrupt_target, process.pid)
            with OpenedFiles(a05.tree_folders(tree.root), target) as watch:
                process.stdin.write(f"{tree.root}\n")
                process.stdin.flush()
                said.append(process.stdout.readline().strip())
            assert watch.interrupted
    finally:
        process.kill()
        process.wait()
    return said


def test_ctrl_c_lands_while_the_interrupted_file_is_opened_however_small(tmp_path):
    swallows = next(m for m in CATALOGUE if m.name.startswith("the lecture's bare except"))
    reference = samples.reference_answers(A05)["load_pet_images"]
    tree = a05.build_pet_tree(tmp_path / "PetImages", np.random.default_rng(3))
    tree.interrupt_target = min(  # the quickest to read: no time for a signal to come late
        (path for path, _, _ in tree.valid if path.suffix == ".jpg"),
        key=lambda path: path.stat().st_size,
    )
    assert interrupted(reference, tree, 5) == ["interrupted"] * 5
    assert interrupted(swallows.answers["load_pet_images"], tree, 5) == ["returned"] * 5


def test_the_trees_pixels_still_tell_every_file_apart():
    with a05.generated_pet_tree(4) as tree:
        coarse = [a05.coarse(gray) for _, _, gray in tree.valid]
        closest = min(np.mean(np.abs(a - b)) for i, a in enumerate(coarse) for b in coarse[i + 1 :])
        assert closest > 2 * a05.PIXEL_TOLERANCE
        assert os.listdir(tree.root) != sorted(os.listdir(tree.root))
