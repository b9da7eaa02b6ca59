"""The grading view: the course's data as a student's kernel may read it while graded.

Accuracy is measured on images the kernel must not read: MNIST's test set
(04), the PetImages hold-out photos (06), the 540 test images of the digits
post's split (07) and Fashion-MNIST's test set (09). The kernel therefore
never sees the data sets themselves, only a view built from them once,
beside the cache, and bound read-only into the sandbox in their place:

* ``mnist.npz`` with ``x_train`` and ``y_train`` only;
* ``PetImages/``: the course's listed files (:func:`course_data.pet_listed_files`)
  but the hold-out photos (:func:`course_data.is_pet_holdout`), damaged files and
  all, as hard links where the file system allows, else copies;
* ``digits-train.npz``: the 1,257 training images of the post's split
  (scikit-learn's own copy of all the digits is hidden by the sandbox,
  ``sandbox.command.LIBRARY_EVALUATION_DATA``);
* ``fashion-mnist/``: Fashion-MNIST's two training files, linked or copied;
* ``view.json``: the view's own file hashes (``course_data.dataset_path``
  verifies against them) and what it holds back.

A view is named after what it was built from, so new data builds a new
view; it is built in a scratch folder and renamed into place, so graders
running side by side never see half of one. This module is the grader's:
it is not released to students.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np

from source_data import course_data
from source_data.course_data import VIEW_FILE

HELD_BACK = {
    "mnist": "x_test and y_test: the 10,000 test images of 04's accuracy",
    "petimages": "the hold-out photos (number a multiple of 5) of 06's accuracy",
    "digits": "the 540 test images of the post's split, 07's accuracy",
    "fashion_mnist_test_images": "Fashion-MNIST's 10,000 test images, 09's accuracy",
    "fashion_mnist_test_labels": "the labels of Fashion-MNIST's test images",
}
# Data sets a view holds as they are, file for file (linked where possible).
AS_THEY_ARE = ("fashion_mnist_train_images", "fashion_mnist_train_labels")


# Raised whenever views are built differently, so that no older view is used again
# (2: readable by the kernel's own user id; 3: the digits and Fashion-MNIST).
VIEW_VERSION = 3


def views_dir() -> Path:
    """Where grading views are kept: beside the downloaded data sets."""
    return course_data.cache_dir() / "grading-views"


def grading_view(names: tuple[str, ...] = tuple(course_data.MANIFEST)) -> Path:
    """The grading view of the named data sets (those at hand), built on first use."""
    sources = _available(names)
    key = hashlib.sha256(json.dumps(_fingerprint(sources), sort_keys=True).encode())
    folder = views_dir() / f"view-{key.hexdigest()[:16]}"
    if (folder / VIEW_FILE).is_file():
        return folder
    views_dir().mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=views_dir(), prefix=".building-"))
    try:
        _build(scratch, sources)
        _make_readable_by_all(scratch)  # the kernel runs as a user id of its own
        os.rename(scratch, folder)
    except OSError:
        if not (folder / VIEW_FILE).is_file():  # not a grader beside us that won the race
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _available(names: tuple[str, ...]) -> dict[str, Path]:
    found = {}
    for name in names:
        try:
            found[name] = course_data.dataset_path(name)
        except course_data.DataUnavailable:
            continue  # a notebook that needs it will say so, in the student's feedback
    return found


def _fingerprint(sources: dict[str, Path]) -> dict[str, object]:
    """What a view depends on: each source's path and size, and the view's own rules."""
    marks: dict[str, object] = {
        "rules": HELD_BACK,
        "every": course_data.PET_HOLDOUT_EVERY,
        "listed": course_data.pet_listed_files(),
        "version": VIEW_VERSION,
    }
    for name, path in sources.items():
        if path.is_file():
            marks[name] = [str(path), path.stat().st_size, path.stat().st_mtime_ns]
        else:
            marks[name] = [str(path), sorted(str(p.relative_to(path)) for p in path.rglob("*"))]
    return marks


def _build(folder: Path, sources: dict[str, Path]) -> None:
    files = {}
    if "mnist" in sources:
        with np.load(sources["mnist"]) as data:
            np.savez(folder / "mnist.npz", x_train=data["x_train"], y_train=data["y_train"])
        files["mnist.npz"] = course_data.sha256_of(folder / "mnist.npz")
    if "petimages" in sources:
        _copy_training_photos(sources["petimages"], folder / "PetImages")
    if "digits" in sources:
        images, labels = course_data.load_digits_split("train")
        np.savez(folder / course_data.DIGITS_TRAINING_FILE, images=images, labels=labels)
        files[course_data.DIGITS_TRAINING_FILE] = course_data.sha256_of(
            folder / course_data.DIGITS_TRAINING_FILE
        )
    for name in AS_THEY_ARE:
        if name in sources:
            relative = course_data.MANIFEST[name].relative
            _link_or_copy(sources[name], folder / relative)
            files[relative] = course_data.sha256_of(folder / relative)
    held_back = {n: HELD_BACK[n] for n in sources if n in HELD_BACK}
    (folder / VIEW_FILE).write_text(json.dumps({"files": files, "held_back": held_back}, indent=1))


def _copy_training_photos(source: Path, target: Path) -> None:
    """The course's listed PetImages files but the hold-out photos, linked where possible.

    Only :func:`course_data.pet_listed_files` are taken: a full download's
    other photos stay out of the view, as the loaders ignore them anyway.
    """
    for name in course_data.PET_CLASSES:
        (target / name).mkdir(parents=True, exist_ok=True)
    for relative in course_data.pet_listed_files():
        path = source / relative
        if path.is_symlink() or not path.is_file() or course_data.is_pet_holdout(path):
            continue
        _link_or_copy(path, target / relative)


def _link_or_copy(path: Path, destination: Path) -> None:
    """A hard link to ``path`` where the file system allows and all may read it, else a copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            raise PermissionError("a link would keep the source's mode")
        os.link(path, destination)
    except OSError:  # another file system, no links allowed, or not readable by all
        shutil.copyfile(path, destination)


def _make_readable_by_all(folder: Path) -> None:
    """Folders 0755 and the files the view made 0644 (linked photos are so already)."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
        elif path.stat().st_nlink == 1:  # never change a linked data set file's mode
            path.chmod(0o644)
