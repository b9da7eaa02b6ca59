"""The course's data sets: from a local mirror, a cache, or the official source.

This one file is released to students beside the notebooks that need data
(nbgrader copies it from ``solutions/<id>/``), so it needs only the standard
library and NumPy (and tqdm, if installed, for a download's progress bar). The
grader's checks use the very same file.

Where a data set comes from, in order:

1. a mirror folder named by ``$CNN_COURSE_DATA`` (holding ``mnist.npz``,
   ``PetImages/`` and ``fashion-mnist/``), for classrooms and CI without internet;
2. the cache, ``$CNN_COURSE_CACHE`` or ``~/.cache/cnn-course``, once filled;
3. the official URL (or the one ``$CNN_COURSE_<NAME>_URL`` names, e.g.
   ``CNN_COURSE_PETIMAGES_URL``: a copy of the same file, checked against the
   same hash), downloaded into a hidden ``.<name>.partial`` file in the
   cache folder with a progress bar, resumed where it stopped (HTTP Range
   requests, where the server allows them) after a cut connection or on the
   next call, checked against the manifest's size and sha256, and only then
   unpacked (a zip: only its data folder, refusing any member that would land
   outside it) or renamed into place. A download that fails its check is
   deleted; the data set's own name only ever holds verified data.

Scikit-learn's 8x8 digits come with scikit-learn itself: they are found in
the installed package, checked against the manifest, and never downloaded.

``MANIFEST`` records each data set's source, size, sha256 and licence.
``PET_PHOTO_IDS`` pins the PetImages photos the course uses: the full
download holds more, which every loader here ignores.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import importlib.util
import json
import math
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
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
    folder: str = ""  # the sub-folder holding the file, in the mirror and in the cache
    # Data an installed package ships ("<package>/<path inside it>"): found there, checked,
    # never downloaded nor looked for in a mirror.
    bundled: str | None = None

    @property
    def relative(self) -> str:
        """Where the file lies in a mirror, a cache or a grading view."""
        return f"{self.folder}/{self.filename}" if self.folder else self.filename


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
    "digits": Dataset(
        name="digits",
        filename="digits.csv.gz",
        url="https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
        # scikit-learn's copy of the test set of UCI's optdigits: 1,797 images of 8x8 pixels,
        # values 0-16, one row of 64 pixels and the label each (scikit-learn 1.9.1's file).
        size=57_523,
        sha256="09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
        licence=(
            "Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak, UCI "
            "Machine Learning Repository, CC BY 4.0; the copy scikit-learn ships"
        ),
        bundled="sklearn/datasets/data/digits.csv.gz",
    ),
}


# Fashion-MNIST (09), the four files keras.datasets.fashion_mnist downloads, from where it
# downloads them. Keras checks no hash. The sha256 values and sizes are TensorFlow
# Datasets' records of the same four files (tensorflow/datasets,
# tensorflow_datasets/url_checksums/fashion_mnist.txt, for Zalando's own copies at
# http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/); the MD5 in each comment
# is the one Zalando's README (zalandoresearch/fashion-mnist) lists. A copy whose bytes
# differ is refused, wherever it comes from.
FASHION_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_MNIST_FOLDER = "fashion-mnist"  # in the mirror and the cache, as Keras's cache names it
FASHION_MNIST_LICENCE = (
    "Fashion-MNIST, Zalando SE (Xiao, Rasul and Vollgraf, arXiv:1708.07747), MIT licence"
)
# name: (file, bytes, sha256)
FASHION_MNIST_FILES = {
    # MD5 8d4fb7e6c68d591d4c3dfef9ec88bf0d
    "fashion_mnist_train_images": (
        "train-images-idx3-ubyte.gz",
        26_421_880,
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    # MD5 25c81989df183df01b3e8a0aad5dffbe
    "fashion_mnist_train_labels": (
        "train-labels-idx1-ubyte.gz",
        29_515,
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    # MD5 bef4ecab320f06d8554ea6380940ec79
    "fashion_mnist_test_images": (
        "t10k-images-idx3-ubyte.gz",
        4_422_102,
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    # MD5 bb300cfdad3c16e7a12a480ee83cd310
    "fashion_mnist_test_labels": (
        "t10k-labels-idx1-ubyte.gz",
        5_148,
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
}
MANIFEST.update(
    {
        name: Dataset(
            name=name,
            filename=filename,
            url=FASHION_MNIST_URL + filename,
            size=size,
            sha256=sha256,
            licence=FASHION_MNIST_LICENCE,
            folder=FASHION_MNIST_FOLDER,
        )
        for name, (filename, size, sha256) in FASHION_MNIST_FILES.items()
    }
)


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
    if entry.bundled:
        return bundled_path(entry)
    mirror = os.environ.get(MIRROR_VARIABLE)
    if mirror:
        path = Path(mirror) / entry.relative
        if not path.exists():
            raise DataUnavailable(_missing_from(Path(mirror), entry))
        if path.is_file():
            verify(path, _as_in_view(Path(mirror), entry))
        return path
    cached = cache_dir() / entry.relative
    if cached.exists():
        return cached
    return download(replace(entry, url=source_url(entry)), cache_dir() / entry.folder)


def url_variable(entry: Dataset) -> str:
    """The environment variable that names another place to download a data set from."""
    return f"CNN_COURSE_{entry.name.upper()}_URL"


def source_url(entry: Dataset) -> str:
    """Where a data set is downloaded from: its :func:`url_variable`, if set (a copy of the
    same file nearer the class; the manifest's size and sha256 still decide), else the
    manifest's URL."""
    return os.environ.get(url_variable(entry)) or entry.url


def _missing_from(mirror: Path, entry: Dataset) -> str:
    if (mirror / VIEW_FILE).is_file():
        return (
            f"{entry.relative} is kept by the grader while notebooks are graded "
            "(채점 중에는 채점기만 쓰는 데이터입니다)"
        )
    return f"${MIRROR_VARIABLE}={mirror} has no {entry.relative}"


def bundled_path(entry: Dataset) -> Path:
    """The file of a data set an installed package ships, checked against the manifest.

    The package is found without importing it. While a notebook is graded,
    the sandbox hides such a file when accuracy is measured on it.
    """
    assert entry.bundled is not None
    package, _, inside = entry.bundled.partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailable(
            f"{entry.name} comes with the {package} package, which is not installed: "
            "pip install -r requirements.txt"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / inside
    if not path.is_file():
        raise DataUnavailable(
            f"{path} is not there: while notebooks are graded, {entry.name} is the grader's "
            "(채점 중에는 채점기만 쓰는 데이터입니다)"
        )
    verify(path, entry)
    return path


def grading_view_in_use() -> Path | None:
    """The grading view this process reads its data from, if it is a graded kernel."""
    mirror = os.environ.get(MIRROR_VARIABLE)
    return Path(mirror) if mirror and (Path(mirror) / VIEW_FILE).is_file() else None


def _as_in_view(mirror: Path, entry: Dataset) -> Dataset:
    """The entry, with the hash its file has in a grading view (which holds less) if this
    mirror is one: the grader built the view from verified data and wrote ``view.json``."""
    view = mirror / VIEW_FILE
    if not view.is_file():
        return entry
    hashes = json.loads(view.read_text()).get("files", {})
    return replace(entry, sha256=hashes.get(entry.relative), also_accepted={})


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
        f"folder holding the course's data sets, or ${url_variable(entry)} to another copy "
        "of the download."
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


DIGITS_SPLITS = ("train", "test")
# The Keras post's split: train_test_split(X, y, test_size=0.3, random_state=777).
DIGITS_TEST_SIZE = 0.3
DIGITS_SPLIT_SEED = 777
DIGITS_TRAINING_FILE = "digits-train.npz"  # a grading view's digits: the training side only


def load_digits_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """One side of the Keras post's split of scikit-learn's 8x8 digits.

    Returns ``(N, 8, 8)`` float64 images with pixel values 0-16, as
    ``sklearn.datasets.load_digits`` gives them, and ``(N,)`` int64 labels:
    ``"train"`` the 1,257 and ``"test"`` the 540 that
    ``train_test_split(images, labels, test_size=0.3, random_state=777)``
    returns, in its order. While a notebook is graded, the test side is the
    grader's: the kernel reads the training side from its grading view, and
    scikit-learn's own copy of the digits is hidden from it.
    """
    if split not in DIGITS_SPLITS:
        raise ValueError(f"split must be one of {DIGITS_SPLITS}, not {split!r}")
    view = grading_view_in_use()
    if view is not None:
        return _digits_from_view(view, split)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    dataset_path("digits")  # scikit-learn's copy, checked against the manifest
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images,
        digits.target.astype(np.int64),
        test_size=DIGITS_TEST_SIZE,
        random_state=DIGITS_SPLIT_SEED,
    )
    return (x_train, y_train) if split == "train" else (x_test, y_test)


def _digits_from_view(view: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    if split != "train":
        raise DataUnavailable(
            "the 540 test images are the grader's while notebooks are graded; use "
            "load_digits_split('train') (채점 중에는 테스트 이미지를 읽을 수 없습니다)"
        )
    path = view / DIGITS_TRAINING_FILE
    if not path.is_file():
        raise DataUnavailable(f"the grading view {view} holds no digits")
    hashes = json.loads((view / VIEW_FILE).read_text()).get("files", {})
    verify(path, replace(MANIFEST["digits"], sha256=hashes.get(DIGITS_TRAINING_FILE)))
    with np.load(path) as data:
        return data["images"], data["labels"]


class BadIdxFile(ValueError):
    """A file that is not the IDX file it should be (LeCun's format for MNIST-like data)."""


IDX_UNSIGNED_BYTE = 0x08  # the type code of uint8 data, the third byte of the magic number
FASHION_MNIST_SHAPES = {
    "train": ((60_000, 28, 28), (60_000,)),
    "test": ((10_000, 28, 28), (10_000,)),
}


def read_idx(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes that must hold exactly ``shape``.

    The header is checked before anything is allocated: the magic number
    (two zero bytes, 0x08 for unsigned bytes, then the number of dimensions)
    and every dimension, against ``shape``; a size the file merely claims is
    never allocated. Then exactly that many bytes are read: a file that ends
    early, or goes on after them, is refused with :class:`BadIdxFile`.
    """
    count = math.prod(shape)
    try:
        with gzip.open(path, "rb") as handle:
            magic = handle.read(4)
            expected_magic = bytes([0, 0, IDX_UNSIGNED_BYTE, len(shape)])
            if magic != expected_magic:
                raise BadIdxFile(
                    f"{path} is not an IDX file of unsigned bytes in {len(shape)} dimensions "
                    f"(its magic number is {magic.hex() or 'missing'}, not {expected_magic.hex()})"
                )
            header = handle.read(4 * len(shape))
            if len(header) != 4 * len(shape):
                raise BadIdxFile(f"{path} ends inside its header")
            dimensions = struct.unpack(f">{len(shape)}I", header)
            if dimensions != shape:
                raise BadIdxFile(f"{path} holds an array of shape {dimensions}, not {shape}")
            data = handle.read(count + 1)
    except (EOFError, OSError, zlib.error) as error:  # a cut or damaged gzip stream
        raise BadIdxFile(f"{path} is not a complete gzip file ({error})") from error
    if len(data) != count:
        ends = "ends early" if len(data) < count else "goes on past its data"
        raise BadIdxFile(f"{path} {ends}: {len(data):,} bytes where {count:,} were expected")
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _fashion_mnist_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    images_shape, labels_shape = FASHION_MNIST_SHAPES[split]
    images = read_idx(dataset_path(f"fashion_mnist_{split}_images"), images_shape)
    labels = read_idx(dataset_path(f"fashion_mnist_{split}_labels"), labels_shape)
    return images, labels


def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as ``keras.datasets.fashion_mnist.load_data()`` returns it.

    ``(x_train, y_train), (x_test, y_test)``: uint8 images of 28x28 and uint8
    labels 0-9. While a notebook is graded, the test set is the grader's:
    use :func:`load_fashion_mnist_training` in graded notebooks.
    """
    return _fashion_mnist_split("train"), _fashion_mnist_split("test")


def load_fashion_mnist_training() -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's 60,000 training images (uint8, (N, 28, 28)) and labels."""
    return _fashion_mnist_split("train")
