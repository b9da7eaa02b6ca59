"""The course's data sets: from a local mirror, a cache, or the official source.

This one file is released to students beside the notebooks that need data
(nbgrader copies it from ``solutions/<id>/``), so it needs only the standard
library and NumPy. The grader's checks use the very same file.

Where a data set comes from, in order:

1. a mirror folder named by ``$CNN_COURSE_DATA`` (holding ``mnist.npz`` and
   ``PetImages/``), for classrooms and CI without internet;
2. the cache, ``$CNN_COURSE_CACHE`` or ``~/.cache/cnn-course``, once filled;
3. the official URL: downloaded to a temporary file in the cache folder,
   checked against the manifest's sha256, and only then renamed into place,
   so an interrupted or corrupt download never leaves a file behind.

``MANIFEST`` records each data set's source, size, sha256 and licence.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

MIRROR_VARIABLE = "CNN_COURSE_DATA"
CACHE_VARIABLE = "CNN_COURSE_CACHE"
VIEW_FILE = "view.json"  # marks a grading view: the data a kernel may read while graded


@dataclass(frozen=True)
class Dataset:
    """One entry of the manifest."""

    name: str
    filename: str  # file or folder name, in the mirror and in the cache
    url: str
    size: int | None  # bytes of the download
    sha256: str | None  # of the download; None: not pinned, so never downloaded
    licence: str
    archive_member: str | None = None  # folder to take out of a zip download
    # Copies that differ from the download but are known good (a mirror's rebuild).
    also_accepted: dict[str, str] = field(default_factory=dict)


MANIFEST: dict[str, Dataset] = {
    "mnist": Dataset(
        name="mnist",
        filename="mnist.npz",
        url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        size=11_490_434,
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        licence=(
            "MNIST, Yann LeCun and Corinna Cortes, CC BY-SA 3.0; the npz layout and "
            "hash are those of keras.datasets.mnist"
        ),
        also_accepted={
            "da231c08013e217002c4f393e0f38583bf5a62a5ead805d541bdacd45803e00f": (
                "the course mirror's copy: x_train rebuilt from a PNG export, within one "
                "grey level of the original on about 3% of pixels (shared/datasets/README.md)"
            ),
        },
    ),
    "petimages": Dataset(
        name="petimages",
        filename="PetImages",
        url=(
            "https://download.microsoft.com/download/3/E/1/"
            "3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
        ),
        size=None,
        sha256=None,  # not yet pinned from a verified download: see the README
        licence=(
            "Microsoft Research Asirra 'Cats vs Dogs' (Kaggle Dogs vs. Cats); use as "
            "permitted by Microsoft's download terms, for research and teaching"
        ),
        archive_member="PetImages",
    ),
}


class DataUnavailable(RuntimeError):
    """The data set is in no mirror or cache and cannot be downloaded."""


class ChecksumMismatch(RuntimeError):
    """A file's sha256 is not the manifest's."""


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where downloaded data sets are kept."""
    return Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "cnn-course")


def dataset_path(name: str) -> Path:
    """The local path of a data set, from the mirror, the cache, or a fresh download."""
    entry = MANIFEST[name]
    mirror = os.environ.get(MIRROR_VARIABLE)
    if mirror:
        path = Path(mirror) / entry.filename
        if not path.exists():
            raise DataUnavailable(f"${MIRROR_VARIABLE}={mirror} has no {entry.filename}")
        if path.is_file():
            verify(path, _as_in_view(Path(mirror), entry))
        return path
    cached = cache_dir() / entry.filename
    if cached.exists():
        return cached
    return download(entry, cache_dir())


def _as_in_view(mirror: Path, entry: Dataset) -> Dataset:
    """The entry, with the hash its file has in a grading view (which holds less) if this
    mirror is one: the grader built the view from verified data and wrote ``view.json``."""
    view = mirror / VIEW_FILE
    if not view.is_file():
        return entry
    hashes = json.loads(view.read_text()).get("files", {})
    return replace(entry, sha256=hashes.get(entry.filename), also_accepted={})


def verify(path: Path, entry: Dataset) -> None:
    """Raise ChecksumMismatch unless the file is the manifest's (or a known-good copy)."""
    actual = sha256_of(path)
    if actual != entry.sha256 and actual not in entry.also_accepted:
        raise ChecksumMismatch(
            f"{path} has sha256 {actual}, expected {entry.sha256}: the file is corrupt or "
            "not the course's; delete it and download again"
        )


def download(entry: Dataset, destination: Path, timeout: float = 60.0) -> Path:
    """Download a data set into ``destination``, verified, or raise and leave nothing."""
    if entry.sha256 is None:
        raise DataUnavailable(
            f"{entry.name} has no pinned sha256, so it is not downloaded automatically. "
            f"Download {entry.url} yourself, or set ${MIRROR_VARIABLE} to a folder "
            f"holding {entry.filename}."
        )
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination, prefix=".partial-") as scratch:
        partial = Path(scratch) / "download"
        _fetch(entry.url, partial, timeout)
        verify(partial, entry)
        final = destination / entry.filename
        if entry.archive_member:
            with zipfile.ZipFile(partial) as archive:
                archive.extractall(scratch)
            os.replace(Path(scratch) / entry.archive_member, final)
        else:
            os.replace(partial, final)
    return final


def _fetch(url: str, target: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
            expected = response.headers.get("Content-Length")
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DataUnavailable(
            f"could not download {url} ({error}). Offline? Set ${MIRROR_VARIABLE} to a "
            "folder holding the course's data sets."
        ) from error
    if expected is not None and target.stat().st_size != int(expected):
        raise DataUnavailable(
            f"the download of {url} stopped after {target.stat().st_size} of {expected} bytes"
        )


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST as ``keras.datasets.mnist.load_data()`` returns it: uint8 images, labels.

    While a notebook is graded, the test set is the grader's: use
    :func:`load_mnist_training` in graded notebooks.
    """
    with np.load(dataset_path("mnist")) as data:
        if "x_test" not in data:
            raise DataUnavailable(
                "MNIST's test set is kept by the grader while notebooks are graded; "
                "use load_mnist_training() (테스트 세트는 채점기만 씁니다)"
            )
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def load_mnist_training() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 60,000 training images (uint8, (N, 28, 28)) and labels."""
    with np.load(dataset_path("mnist")) as data:
        return data["x_train"], data["y_train"]


def pet_images_dir() -> Path:
    """The ``PetImages`` folder (``Cat/`` and ``Dog/``, damaged files included)."""
    return dataset_path("petimages")


PET_CLASSES = ("Cat", "Dog")  # labels 0 and 1
PET_SPLITS = ("train", "holdout")
PET_HOLDOUT_EVERY = 5  # photos whose number is a multiple of 5 are held out: 20%
PET_SHUFFLE_SEED = 1337


def is_pet_holdout(path: Path) -> bool:
    """Whether a PetImages photo belongs to the hold-out split (its number is a multiple of 5).

    The rule reads the file's name only, so the split is the same in every
    copy of the data, whatever else a copy holds or lacks.
    """
    stem = Path(path).stem
    return stem.isdigit() and int(stem) % PET_HOLDOUT_EVERY == 0


def pet_files(split: str) -> list[tuple[Path, int]]:
    """The ``.jpg`` photos of one split, with their labels (Cat 0, Dog 1), in name order."""
    if split not in PET_SPLITS:
        raise ValueError(f"split must be one of {PET_SPLITS}, not {split!r}")
    root = pet_images_dir()
    return [
        (path, label)
        for label, name in enumerate(PET_CLASSES)
        for path in sorted((root / name).iterdir())
        if path.suffix.lower() == ".jpg" and is_pet_holdout(path) == (split == "holdout")
    ]


def load_pet_arrays(split: str, img_size: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """One split of PetImages, ready for a model, in a fixed shuffled order.

    Returns ``(N, img_size, img_size, 1)`` float32 grayscale images in [0, 1]
    and ``(N,)`` int64 labels (Cat 0, Dog 1). ``split`` is ``"train"`` (80%)
    or ``"holdout"`` (every photo whose number is a multiple of 5), so the two
    never share a file; while notebooks are graded, the hold-out photos are
    the grader's. Files OpenCV cannot decode (the download's damaged JPEGs)
    are dropped. The order is shuffled with a fixed seed, so Keras's
    ``validation_split`` (the last 10%) holds cats and dogs alike. OpenCV is
    imported here only: the rest of this file needs nothing beyond NumPy.
    """
    import cv2

    images, labels = [], []
    for path, label in pet_files(split):
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            continue
        images.append(cv2.resize(image, (img_size, img_size), interpolation=cv2.INTER_AREA))
        labels.append(label)
    if not images:
        raise DataUnavailable(
            f"no readable {split} photos in {pet_images_dir()} (while notebooks are graded, "
            "the hold-out photos are the grader's: 채점 중에는 hold-out 사진을 읽을 수 없습니다)"
        )
    order = np.random.default_rng(PET_SHUFFLE_SEED).permutation(len(images))
    x = np.stack(images)[order, :, :, np.newaxis].astype(np.float32) / 255.0
    return x, np.array(labels, dtype=np.int64)[order]
