"""The course's data sets: from a local mirror, a cache, or the official source.

This one file is released to students beside the notebooks that need data
(nbgrader copies it from ``solutions/<id>/``), so it needs only the standard
library and NumPy (and tqdm, if installed, for a download's progress bar). The
grader's checks use the very same file.

Where a data set comes from, in order:

1. a mirror folder named by ``$CNN_COURSE_DATA`` (holding ``mnist.npz`` and
   ``PetImages/``), for classrooms and CI without internet;
2. the cache, ``$CNN_COURSE_CACHE`` or ``~/.cache/cnn-course``, once filled;
3. the official URL, downloaded into a hidden ``.<name>.partial`` file in the
   cache folder with a progress bar, resumed where it stopped (HTTP Range
   requests, where the server allows them) after a cut connection or on the
   next call, checked against the manifest's size and sha256, and only then
   unpacked (a zip: only its data folder, refusing any member that would land
   outside it) or renamed into place. A download that fails its check is
   deleted; the data set's own name only ever holds verified data.

``MANIFEST`` records each data set's source, size, sha256 and licence.
``PET_PHOTO_IDS`` pins the PetImages photos the course uses: the full
download holds more, which every loader here ignores.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

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
        # kagglecatsanddogs_5340.zip: PetImages/ (12,500 photos a class), the licence
        # (CDLA-Permissive-2.0.pdf) and a readme; only PetImages/ is unpacked.
        size=824_887_076,
        sha256="b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9",
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


DOWNLOAD_ATTEMPTS = 5  # connections per download, each resuming where the last one stopped


def download(
    entry: Dataset,
    destination: Path,
    timeout: float = 60.0,
    *,
    attempts: int = DOWNLOAD_ATTEMPTS,
    progress: bool = True,
) -> Path:
    """Download a data set into ``destination``, verified, or raise.

    The bytes go to ``destination/.<filename>.partial`` first. A cut
    connection is resumed from where it stopped (an HTTP Range request; a
    server that ignores it sends the whole file again), up to ``attempts``
    connections in all; if they are spent, the partial file stays for the
    next call to resume. The file is then checked against the manifest's
    sha256 (deleted if it does not match) and only then renamed into place,
    or, for a zip, its ``archive_member`` folder is unpacked
    (:func:`extract_member`) and the archive deleted. ``progress`` shows a
    progress bar (size, speed, time left) on stderr.
    """
    if entry.sha256 is None:
        raise DataUnavailable(
            f"{entry.name} has no pinned sha256, so it is not downloaded automatically. "
            f"Download {entry.url} yourself, or set ${MIRROR_VARIABLE} to a folder "
            f"holding {entry.filename}."
        )
    destination.mkdir(parents=True, exist_ok=True)
    partial = destination / f".{entry.filename}.partial"
    _fetch(entry, partial, timeout, attempts, progress)
    try:
        verify(partial, entry)
    except ChecksumMismatch:
        partial.unlink()  # never resumed again: the next call starts afresh
        raise
    final = destination / entry.filename
    if not entry.archive_member:
        os.replace(partial, final)
        return final
    with tempfile.TemporaryDirectory(dir=destination, prefix=".unpacking-") as scratch:
        try:
            unpacked = extract_member(partial, entry.archive_member, Path(scratch))
        except UnsafeArchive:
            partial.unlink()
            raise
        os.replace(unpacked, final)
    partial.unlink()
    return final


def _fetch(entry: Dataset, target: Path, timeout: float, attempts: int, progress: bool) -> None:
    """Fill ``target`` with the download, resuming what it holds; raise DataUnavailable."""
    name = PurePosixPath(urllib.parse.urlparse(entry.url).path).name or entry.filename
    have = target.stat().st_size if target.exists() else 0
    if entry.size is not None and have > entry.size:
        target.unlink()  # not a prefix of this download
        have = 0
    bar = _progress_bar(name, entry.size, have, progress)
    try:
        for attempt in range(1, attempts + 1):
            if entry.size is not None and have == entry.size:
                return  # complete: the hash says whether it is right
            try:
                have = _fetch_once(entry.url, target, have, timeout, bar)
                return
            except urllib.error.HTTPError as error:
                if error.code != 416 or not have:  # 416: the range is not in the file
                    raise _unavailable(entry, error) from error
                target.unlink()
                have = 0
                bar.reset()
            except _Interrupted as stop:
                if not stop.received:
                    raise _unavailable(entry, stop.error) from stop.error
                have = target.stat().st_size
                if attempt < attempts:
                    bar.write(f"{name}: connection lost at {have:,} bytes; resuming")
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                raise _unavailable(entry, error) from error
        raise DataUnavailable(
            f"the download of {entry.url} stopped {attempts} times; {have:,} of "
            f"{entry.size or '?'} bytes are kept in {target}, and the next try resumes there"
        )
    finally:
        bar.close()


def _unavailable(entry: Dataset, error: BaseException | None) -> DataUnavailable:
    return DataUnavailable(
        f"could not download {entry.url} ({error}). Offline? Set ${MIRROR_VARIABLE} to a "
        "folder holding the course's data sets."
    )


class _Interrupted(Exception):
    """A transfer that stopped before its end, after ``received`` bytes."""

    def __init__(self, received: int, error: BaseException | None = None) -> None:
        super().__init__(f"stopped after {received} bytes ({error})")
        self.received, self.error = received, error


_CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(\d+|\*)")


def _fetch_once(url: str, target: Path, have: int, timeout: float, bar: Any) -> int:
    """One connection: append to ``target`` from byte ``have`` on, or rewrite it whole."""
    headers = {"Range": f"bytes={have}-"} if have else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as r:
        resumed = _CONTENT_RANGE.fullmatch(r.headers.get("Content-Range", "").strip())
        if have and not (r.status == 206 and resumed and int(resumed[1]) == have):
            have = 0  # no Range support here: the whole file comes again
            bar.reset()
        length = r.headers.get("Content-Length")
        end = have + int(length) if length is not None else None
        received = 0
        with target.open("ab" if have else "wb") as out:
            try:
                while chunk := r.read(1 << 20):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (http.client.HTTPException, OSError) as error:
                raise _Interrupted(received, error) from error
    if end is not None and have + received < end:
        raise _Interrupted(received)
    return have + received


def _progress_bar(name: str, total: int | None, initial: int, shown: bool) -> Any:
    """A tqdm progress bar (bytes, speed, time left) on stderr, or nothing if not shown."""
    try:
        from tqdm import tqdm
    except ImportError:  # the loader works without it; `pip install tqdm` shows progress
        tqdm = None
    if shown and tqdm is None:
        size = f" ({total / 1e6:,.0f} MB)" if total else ""
        print(f"downloading {name}{size}; `pip install tqdm` shows its progress", file=sys.stderr)
    if not shown or tqdm is None:
        return _NoProgress()
    return tqdm(
        total=total,
        initial=initial,
        desc=name,
        unit="B",
        unit_scale=True,
        unit_divisor=1000,
        file=sys.stderr,
        mininterval=0.5,
        # "kagglecatsanddogs_5340.zip:  42%|████      | 346MB/825MB [00:41<00:57, 8.34MB/s]"
        bar_format=(
            "{l_bar}{bar}| {n_fmt}B/{total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]"
            if total
            else None
        ),
    )


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def write(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class UnsafeArchive(RuntimeError):
    """A zip member that would land outside the folder it is unpacked into, or a link."""


def extract_member(archive: Path, member: str, target: Path) -> Path:
    """Unpack the folder ``member`` of a zip file into ``target``; return ``target/member``.

    Every member of the archive is checked first, and an unsafe one refuses
    the whole archive: an absolute path (a leading slash or backslash, a drive
    letter), a ``..`` part, or anything but a plain file or folder (a link).
    Members outside ``member`` (the licence, the readme) are left alone. Files
    are written as new files under ``target``, never through an existing path.
    """
    prefix = member.strip("/") + "/"
    root = Path(target).resolve()
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        for info in members:
            _check_member(info)
        for info in members:
            if not info.filename.startswith(prefix):
                continue
            path = root.joinpath(*PurePosixPath(info.filename).parts)
            if not path.resolve().is_relative_to(root):
                raise UnsafeArchive(f"{archive}: {info.filename!r} would land outside {root}")
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zipped.open(info) as source, path.open("xb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
            except FileExistsError as error:
                raise UnsafeArchive(f"{archive}: {info.filename!r} comes twice") from error
    return root / member.strip("/")


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = re.split(r"[\\/]", name)
    kind = stat.S_IFMT(info.external_attr >> 16)
    problem = (
        "an absolute path"
        if name.startswith(("/", "\\")) or ":" in parts[0]
        else "a '..' part"
        if ".." in parts
        else "a symbolic link"
        if kind == stat.S_IFLNK
        else "not a plain file or folder"
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR)
        else None
    )
    if problem:
        raise UnsafeArchive(f"the archive's member {name!r} is {problem}: nothing is unpacked")


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
    """The ``PetImages`` folder (``Cat/`` and ``Dog/``, damaged files included).

    A full download holds more photos than the course uses (12,500 a class);
    :func:`pet_files` and :func:`load_pet_arrays` take only the listed ones.
    """
    return dataset_path("petimages")


PET_CLASSES = ("Cat", "Dog")  # labels 0 and 1
PET_SPLITS = ("train", "holdout")
PET_HOLDOUT_EVERY = 5  # photos whose number is a multiple of 5 are held out: 20%
PET_SHUFFLE_SEED = 1337
# The photos the course uses, pinned: <class>/<id>.jpg for the ids in these ranges
# (first, last, both included). They are the photos of the course's offline mirror
# (shared/datasets/PetImages: ids 0-2999 of each class, and the download's 0-byte
# Dog/11702.jpg), all of them also in Microsoft's full download, which holds ids
# 0-12499 of each class. Every other file is ignored, so a class on the download and
# a class on the mirror train on, and are graded on, the same photos. The mirror's
# copies are re-encoded at 180x180 (its README), so pixels, not files, may differ.
PET_PHOTO_IDS: dict[str, tuple[tuple[int, int], ...]] = {
    "Cat": ((0, 2999),),  # 3,000 photos; 666.jpg is empty
    "Dog": ((0, 2999), (11702, 11702)),  # 3,001 photos; 11702.jpg is empty
}
PET_OTHER_FILES = ("Thumbs.db",)  # also in each class folder of both: not a photo


def pet_listed_files(name: str | None = None) -> list[str]:
    """The pinned files of PetImages (of class ``name``, or all) as ``<class>/<file>`` paths.

    The photos of :data:`PET_PHOTO_IDS` and each class folder's
    :data:`PET_OTHER_FILES` (what the course's copy of PetImages holds), in
    name order per class, as a folder listing sorts them.
    """
    listed = []
    for each in PET_CLASSES if name is None else (name,):
        ids = [i for first, last in PET_PHOTO_IDS[each] for i in range(first, last + 1)]
        filenames = sorted([*(f"{i}.jpg" for i in ids), *PET_OTHER_FILES])
        listed += [f"{each}/{filename}" for filename in filenames]
    return listed


def is_pet_holdout(path: Path | str) -> bool:
    """Whether a PetImages photo belongs to the hold-out split (its number is a multiple of 5).

    The rule reads the file's name only, so the split is the same in every
    copy of the data, whatever else a copy holds or lacks.
    """
    stem = Path(path).stem
    return stem.isdigit() and int(stem) % PET_HOLDOUT_EVERY == 0


def pet_files(split: str) -> list[tuple[Path, int]]:
    """The listed photos of one split, with their labels (Cat 0, Dog 1), in name order.

    Only the photos of :data:`PET_PHOTO_IDS` count: a full download's other
    photos are ignored. A copy that lacks some of the split's listed photos
    (but not all: a grading view holds no hold-out photo) is refused, since
    its split would not be the course's.
    """
    if split not in PET_SPLITS:
        raise ValueError(f"split must be one of {PET_SPLITS}, not {split!r}")
    root = pet_images_dir()
    listed, missing = [], []
    for label, name in enumerate(PET_CLASSES):
        folder = root / name
        present = set(os.listdir(folder)) if folder.is_dir() else set()
        for relative in pet_listed_files(name):
            filename = relative.split("/")[1]
            if filename.endswith(".jpg") and is_pet_holdout(filename) == (split == "holdout"):
                listed.append((folder / filename, label))
                if filename not in present:
                    missing.append(relative)
    if missing and len(missing) < len(listed):
        raise DataUnavailable(
            f"{root} lacks {len(missing)} of the course's {len(listed)} {split} photos "
            f"({', '.join(missing[:3])}, ...), so its {split} set is not the course's: "
            "delete it and download it again, or complete the mirror "
            "(사진이 빠진 PetImages 폴더입니다: 지우고 다시 내려받으세요)"
        )
    return [] if missing else listed


def load_pet_photos(split: str, img_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """One split of PetImages as colour photos, for a model that rescales its own input.

    Returns ``(N, img_size, img_size, 3)`` float32 RGB pixels in [0, 255] (as
    Keras's ``image_dataset_from_directory`` gives them) and ``(N,)`` int64
    labels (Cat 0, Dog 1). The split, the photos dropped and the shuffled
    order are those of :func:`load_pet_arrays`; only the pixels differ (colour,
    not scaled). OpenCV is imported here only.
    """
    import cv2

    images, labels = [], []
    for path, label in pet_files(split):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        small = cv2.resize(image, (img_size, img_size), interpolation=cv2.INTER_AREA)
        images.append(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))  # OpenCV decodes to BGR
        labels.append(label)
    if not images:
        raise DataUnavailable(
            f"no readable {split} photos in {pet_images_dir()} (while notebooks are graded, "
            "the hold-out photos are the grader's: 채점 중에는 hold-out 사진을 읽을 수 없습니다)"
        )
    order = np.random.default_rng(PET_SHUFFLE_SEED).permutation(len(images))
    return np.stack(images)[order].astype(np.float32), np.array(labels, dtype=np.int64)[order]


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
