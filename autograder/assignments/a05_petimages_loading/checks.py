"""Hidden checks for 05_petimages_loading: a loader that survives the real download's damage.

The checks never use the real PetImages: they build a small tree of the same
shape (:func:`build_pet_tree`) with valid JPEG, PNG and GIF-named-.jpg images
of several sizes and colour modes, upper-case extensions, and the damage the
real download has: a 0-byte file, a truncated JPEG, random bytes and a text
file named like images, ``Thumbs.db``, ``.DS_Store`` and another hidden file,
and a sub-folder inside a class folder. Every file's fate is known, so counts,
labels, the skipped list and the pixels are checked exactly.

Each valid image is a smooth pattern of its own brightness, slightly tinted
so that every usual grayscale conversion agrees to a grey level or two; a
loaded image is recognised as the right file when it is within
``PIXEL_TOLERANCE`` of that file read in grayscale and resized, whatever
interpolation the student used.

The classes are of unequal sizes, so that a loader that swaps them is seen
in its labels. A directory's listing order is up to the file system: the
tree is written, in a shuffled order, where the listing comes out unsorted
(a tmpfs lists newest first), so a loader that relies on the listing order
returns its images out of order. Nothing in the student's process is patched
to steer or watch it; what the checks observe, the operating system tells
the judge (:mod:`.observe`): which files the loader opened, in what order,
and a real Ctrl-C (SIGINT) while it opens one chosen file. Loaded images
are matched to their files by their pixels, so that each check judges one
thing: the labels of the images as matched, their pixels, their order.

Nothing of the tree is fixed from one grading to the next but the kinds of
file in it (:func:`build_pet_tree`): its folder, names, sizes, where each
damaged file lies and which file is interrupted are drawn afresh, so that a
loader that behaves well only where it recognises the grader's tree has
nothing to recognise it by.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.checks.api import CheckFailed, StudentCodeError, check, describe, expect
from autograder.checks.observe import OpenedFiles

CLASS_NAMES = ("Cat", "Dog")
PIXEL_TOLERANCE = 6.0  # mean grey levels at 10x10; correct loaders: <= 2.1, other files: >= 12.7


def cv2_module():
    """OpenCV, imported on first use."""
    import cv2

    return cv2


@dataclass
class PetTree:
    """A generated PetImages-like folder and what a correct loader makes of it."""

    root: Path
    valid: list[tuple[Path, int, np.ndarray]] = field(default_factory=list)  # sorted order
    unreadable: set[str] = field(default_factory=set)  # files a loader must report
    ignored: set[str] = field(default_factory=set)  # hidden files and folders
    interrupt_target: Path = Path()  # the file opened when the Ctrl-C check presses Ctrl-C
    missing: Path = Path()  # a folder that does not exist, beside the root

    @property
    def labels(self) -> list[int]:
        return [label for _, label, _ in self.valid]


def smooth_image(brightness: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A grayscale pattern of mean ``brightness`` that survives any resizing."""
    yy, xx = np.ogrid[0:height, 0:width]
    angle = rng.uniform(0, np.pi)
    wave = np.sin((np.cos(angle) * xx / width + np.sin(angle) * yy / height) * np.pi)
    return np.clip(brightness + 12 * wave, 0, 255).astype(np.uint8)


def tinted(gray: np.ndarray) -> np.ndarray:
    """BGR colour whose luminance is ``gray`` by OpenCV's weights and by a plain mean alike."""
    g = gray.astype(np.int16)
    return np.clip(np.stack([g - 8, g, g + 8], axis=-1), 0, 255).astype(np.uint8)


def with_alpha(bgr: np.ndarray) -> np.ndarray:
    """An opaque BGRA copy of a BGR image."""
    return np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])


def encoded(image: np.ndarray, extension: str) -> bytes:
    ok, data = cv2_module().imencode(extension, image)
    assert ok, extension
    return data.tobytes()


# Every kind of valid image the tree holds: its extension and how it is encoded. The
# colour JPEGs named .jpg, which every loader reads, are where Ctrl-C may be pressed.
COLOUR_JPEG = (".jpg", lambda g: encoded(tinted(g), ".jpg"))
CAT_KINDS = [
    (".JPG", lambda g: encoded(g, ".jpg")),  # grayscale, upper case
    (".png", lambda g: encoded(with_alpha(tinted(g)), ".png")),  # RGBA
    (".jpg", lambda g: encoded(np.dstack([g, g, g]), ".gif")),  # a GIF named .jpg
]
DOG_KINDS = [
    (".jpeg", lambda g: encoded(tinted(g), ".jpg")),
    (".png", lambda g: encoded(g.astype(np.uint16) * 257, ".png")),  # 16-bit
    (".PNG", lambda g: encoded(g, ".png")),  # grayscale, upper case
]
SIDES = (30, 400)  # an image's height and width, in pixels: photo-sized at most


def build_pet_tree(root: Path, rng: np.random.Generator) -> PetTree:
    """Write the PetImages-like tree the checks load, its files in a shuffled order.

    Nothing about it is fixed but its kinds of file: the real download's class
    folders and damage, numbered files as the real download's (four digits,
    so that names sort alike as strings and as numbers), drawn afresh with
    their sizes, which class holds each kind of damage, the sub-folder's name
    and which colour JPEG is opened when Ctrl-C is pressed; the times of the
    files are years old, as a download's are. A loader cannot tell this tree
    by anything but what a loader must handle.
    """
    cv2 = cv2_module()
    tree = PetTree(root)
    numbers = iter(int(n) for n in rng.choice(np.arange(1000, 10000), size=40, replace=False))
    brightness = iter(rng.permutation(np.arange(20, 240, 20)))
    planned: list[tuple[str, bytes]] = []  # written in a shuffled order below
    jpegs: list[Path] = []  # where Ctrl-C may be pressed

    def valid(folder: str, label: int, kind: tuple[str, Callable]) -> str:
        extension, write = kind
        path = f"{folder}/{next(numbers)}{extension}"
        height, width = (int(side) for side in rng.integers(*SIDES, size=2))
        planned.append((path, write(smooth_image(int(next(brightness)), height, width, rng))))
        tree.valid.append((root / path, label, np.empty(0)))
        return path

    def damaged(path: str, content: bytes, *, ignored: bool = False) -> None:
        planned.append((path, content))
        (tree.ignored if ignored else tree.unreadable).add(str(root / path))

    cats = int(rng.integers(2, 4))  # colour JPEGs in Cat, and fewer in Dog: classes differ
    dogs = int(rng.integers(1, cats))
    for folder, label, kinds, colour in (("Cat", 0, CAT_KINDS, cats), ("Dog", 1, DOG_KINDS, dogs)):
        for kind in [*kinds, *[COLOUR_JPEG] * colour]:
            path = valid(folder, label, kind)
            if kind is COLOUR_JPEG:
                jpegs.append(root / path)
        damaged(f"{folder}/Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _noise(rng))
    height, width = (int(side) for side in rng.integers(*SIDES, size=2))
    jpeg = encoded(tinted(smooth_image(128, height, width, rng)), ".jpg")
    for name, content, ignored in [
        (f"{next(numbers)}.jpg", b"", False),  # 0-byte, as Cat/666.jpg in the download
        (f"{next(numbers)}.jpg", jpeg[: jpeg.index(b"\xff\xda")], False),  # truncated
        (f"{next(numbers)}.jpg", _noise(rng), False),  # random bytes
        (f"{next(numbers)}.jpg", "강아지 사진이 아닙니다 / not a picture\n".encode(), False),
        (".DS_Store", b"\x00\x00\x00\x01Bud1" + _noise(rng), True),
        (f"._{next(numbers)}.jpg", b"\x00\x05\x16\x07" + _noise(rng), True),  # AppleDouble
    ]:
        damaged(f"{rng.choice(CLASS_NAMES)}/{name}", content, ignored=ignored)
    # A folder inside a class folder, holding an image named like one beside the folder.
    _, label, _ = tree.valid[int(rng.integers(len(tree.valid)))]
    sub = f"{CLASS_NAMES[label]}/{next(numbers)}"
    twin = next(p for p, lab, _ in tree.valid if lab == label)
    planned.append((f"{sub}/{twin.name}", jpeg))
    tree.ignored.add(str(root / sub))

    for name in CLASS_NAMES:  # created in order: a newest-first listing shows Dog first
        (root / name).mkdir(parents=True)
    (root / sub).mkdir()
    for index in rng.permutation(len(planned)):
        path, content = planned[int(index)]
        (root / path).write_bytes(content)
    _age(root, rng)
    tree.interrupt_target = jpegs[int(rng.integers(len(jpegs)))]
    tree.missing = root.parent / str(next(numbers))
    # Each file's own pixels, as lossy JPEG and palette GIF encoding left them.
    tree.valid = sorted(
        (
            (path, label, cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
            for path, label, _ in tree.valid
        ),
        key=lambda entry: (entry[1], entry[0].name),
    )
    return tree


def _noise(rng: np.random.Generator) -> bytes:
    return rng.bytes(int(rng.integers(256, 4096)))


def _age(root: Path, rng: np.random.Generator) -> None:
    """Give every file and folder of the tree a time years back, as a download has."""
    paths = sorted(root.rglob("*"), key=lambda p: -len(p.parts))  # a folder after its files
    for path in [*paths, root]:
        when = float(rng.uniform(1.4e9, 1.6e9))  # 2014 to 2020
        os.utime(path, (when, when))


def lists_unsorted(root: Path) -> bool:
    """Whether the tree's folders list their entries out of sorted order."""
    return all(os.listdir(folder) != sorted(os.listdir(folder)) for folder in tree_folders(root))


def tree_folders(root: Path) -> list[Path]:
    return [root, *(root / name for name in CLASS_NAMES)]


@contextlib.contextmanager
def generated_pet_tree(seed: int) -> Iterator[PetTree]:
    """The tree of one grading, in a private temporary folder, removed afterwards.

    The folder is named as any temporary folder (``tmp...``), the tree in it
    ``PetImages`` as the real one. In the judge the temporary folder is the one
    its kernel can read; elsewhere, where it lists sorted, ``/dev/shm``. A tree
    that happens to list sorted is drawn again. Not pytest's numbered
    ``tmp_path`` folders, which concurrent grading kernels would share and prune.
    """
    rng = np.random.default_rng([seed, 5])
    for base in dict.fromkeys([tempfile.gettempdir(), "/dev/shm"]):
        for _ in range(3):
            with tempfile.TemporaryDirectory(dir=base) as scratch:
                os.chmod(scratch, 0o755)  # the student's kernel, another user, reads it
                tree = build_pet_tree(Path(scratch) / "PetImages", rng)
                if lists_unsorted(tree.root):
                    yield tree
                    return
    raise RuntimeError("no folder here lists files unsorted, which the order check needs")


@pytest.fixture(scope="module")
def pet_tree(seed: int) -> Iterator[PetTree]:
    """The generated tree, shared by the module's checks."""
    with generated_pet_tree(seed) as tree:
        yield tree


def watched_load(student: Any, tree: PetTree, **kwargs: Any) -> tuple[Any, list[Path]]:
    """The loader's result on the tree, and the files and folders it opened, in order."""
    with OpenedFiles(tree_folders(tree.root)) as watch:
        result = student.load_pet_images(str(tree.root), **kwargs)
    return result, watch.opened


def unpack(result: Any) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """The loader's ``(images, labels, skipped)``, or a finding if it returned something else."""
    expect(
        isinstance(result, tuple) and len(result) == 3,
        expected="a tuple (images, labels, skipped)",
        found=describe(result),
        hint="images, labels, skipped를 반환하세요 / return images, labels, skipped",
    )
    images, labels, skipped = result
    try:
        return np.asarray(images), np.asarray(labels), list(skipped)
    except (TypeError, ValueError) as error:
        raise CheckFailed(
            expected="images as one array (every image the same size), labels, a list",
            found=f"values NumPy cannot turn into arrays ({error})",
            hint="모든 이미지를 (img_size, img_size)로 크기를 바꾸고 "
            "np.array(images)를 반환하세요 / "
            "resize every image to (img_size, img_size) and return np.array(images)",
        ) from error


@dataclass
class Loaded:
    """The loader's result on the tree, what it opened, and which file each image is."""

    images: np.ndarray
    labels: np.ndarray
    skipped: list[Any]
    opened: list[Path]
    files: list[int | None]  # per image: its file's position in the sorted valid files, if any
    raw_skipped: Any = None  # skipped as returned, before it was made a list


@pytest.fixture(scope="module")
def loaded(student, pet_tree) -> Loaded:
    """The loader's result on the generated tree, at the default size."""
    result, opened = watched_load(student, pet_tree)
    images, labels, skipped = unpack(result)
    raw_skipped = result[2]
    return Loaded(images, labels, skipped, opened, match_files(images, pet_tree), raw_skipped)


def match_files(images: np.ndarray, tree: PetTree) -> list[int | None]:
    """For each loaded image, the valid file it shows (by its pixels at 10x10), if any.

    Lenient on purpose: images are brought back to one (s, s) picture of grey
    levels first (:func:`as_pictures`), colour images are compared by their
    mean over the channels, any size is compared at 10x10, so that a layout,
    size or colour mode is the type, size and pixel checks' finding, not the
    labels' or order's.
    """
    references = [coarse(gray) for _, _, gray in tree.valid]
    found: list[int | None] = []
    for image in as_pictures(images):
        distances = [np.mean(np.abs(coarse(image) - ref)) for ref in references]
        best = int(np.argmin(distances))
        found.append(best if distances[best] <= PIXEL_TOLERANCE else None)
    return found


def as_pictures(images: np.ndarray) -> np.ndarray:
    """Loaded images as pictures of grey levels 0-255, (N, s, s) or (N, s, s, channels).

    A loader may hand its images over in another layout than the notebook
    asks for: flattened rows of s·s pixels, a channel axis of one, floats
    scaled to [0, 1]. Each is brought back so that its pixels can be matched
    to a file; the layout itself is the type check's finding. Anything else
    (no images, or rows that are no square) gives no pictures.
    """
    if images.ndim == 0 or not np.issubdtype(images.dtype, np.number) or images.size == 0:
        return np.empty((0, 1, 1))
    pictures = images.astype(np.float32)
    if pictures.ndim == 2:
        side = math.isqrt(pictures.shape[1])
        if side * side != pictures.shape[1]:
            return np.empty((0, 1, 1))
        pictures = pictures.reshape(len(pictures), side, side)
    if pictures.ndim == 4 and pictures.shape[-1] == 1:
        pictures = pictures[..., 0]
    if pictures.ndim not in (3, 4):
        return np.empty((0, 1, 1))
    if np.isfinite(pictures).all() and pictures.min() >= 0 and pictures.max() <= 1.0:
        pictures = pictures * 255.0  # scaled to [0, 1]
    return pictures


CANNOT_JUDGE = (
    "cannot judge: none of the images matches a readable file "
    "(채점할 수 없습니다: 어느 이미지도 파일과 맞지 않습니다)"
)


def coarse(image: np.ndarray) -> np.ndarray:
    """The image at 10x10 in grey: what is left once interpolation and colour details are not."""
    cv2 = cv2_module()
    gray = image.astype(np.float32)
    if gray.ndim == 3:
        gray = gray.mean(axis=-1)
    return cv2.resize(gray, (10, 10), interpolation=cv2.INTER_AREA)


def same_paths(paths: list[Any]) -> set[str]:
    """Paths as absolute strings, for comparing whatever form the student returned."""
    return {os.path.abspath(os.fspath(p)) for p in paths}


ONE_HOT_HINT = (
    "레이블은 원-핫 행이 아니라 클래스 번호(Cat 0, Dog 1)입니다; 원-핫은 학습할 때 "
    "to_categorical로 만듭니다 / labels are class indices (Cat 0, Dog 1), not one-hot rows; "
    "one-hot encoding comes later, with to_categorical"
)


def is_one_hot(labels: np.ndarray) -> bool:
    """Whether labels are one-hot rows, (N, 2), rather than class indices."""
    return labels.ndim == 2 and labels.shape[1] == len(CLASS_NAMES)


@check(points=1, cell="load_pet_images", self_check=True)
def test_returns_uint8_images_integer_labels_and_path_list(loaded, pet_tree):
    """(N, 50, 50) uint8 이미지, (N,) 정수 레이블, 경로 목록 / the three return values"""
    images, labels, skipped = loaded.images, loaded.labels, loaded.skipped
    n = len(images)
    expect(
        images.ndim == 3 and images.shape[1:] == (50, 50) and images.dtype == np.uint8,
        expected="images of shape (N, 50, 50) and dtype uint8: one grey channel",
        found=describe(images),
        hint="cv2.imread(path, cv2.IMREAD_GRAYSCALE)로 읽고 cv2.resize; np.array(images) / "
        "cv2.imread(path, cv2.IMREAD_GRAYSCALE), then cv2.resize; np.array(images)",
    )
    expect(
        labels.shape == (n,) and np.issubdtype(labels.dtype, np.integer),
        expected=f"labels of shape ({n},) with an integer dtype, one per image",
        found=describe(labels),
        hint=ONE_HOT_HINT
        if is_one_hot(labels)
        else "폴더 이름이 아니라 클래스 번호(0, 1)를 추가하세요 / "
        "append the class index (0, 1), not the folder name",
    )
    expect(
        all(isinstance(p, str) for p in skipped),
        expected="skipped to be a list of path strings",
        found=f"items of types {sorted({type(p).__name__ for p in skipped})}",
        hint="읽지 못한 파일마다 str(path)(또는 os.path.join(...))를 추가하세요 / "
        "append str(path) (or os.path.join(...)) for each file you could not read",
    )


@check(points=1, cell="load_pet_images")
def test_loads_every_readable_image(loaded, pet_tree):
    """읽을 수 있는 이미지를 모두 읽기 / loads every readable image"""
    images, labels = loaded.images, loaded.labels
    expected = len(pet_tree.valid)
    expect(
        len(images) == expected and len(labels) == expected,
        expected=f"{expected} images and labels: every readable JPEG, PNG and GIF, whatever "
        "its extension or letter case",
        found=f"{len(images)} images and {len(labels)} labels",
        hint="각 클래스 폴더의 숨김이 아닌 일반 파일을 모두 시도하세요; 확장자로 거르지 마세요 "
        "(.JPG, .png, .jpg라는 이름의 GIF도 이미지입니다) / "
        "try every regular, non-hidden file in each class folder; do not filter by "
        "extension (.JPG, .png and a GIF named .jpg are images too)",
    )


@check(points=1, cell="load_pet_images")
def test_labels_are_sorted_class_folder_indices(loaded, pet_tree):
    """레이블 = 정렬된 클래스 폴더의 번호 (Cat 0, Dog 1) / labels are class indices"""
    labels = loaded.labels
    cats, dogs = pet_tree.labels.count(0), pet_tree.labels.count(1)
    expected = f"label 0 for the {cats} Cat images and 1 for the {dogs} Dog images"
    hint = (
        "레이블 = sorted(...) 순서에서 클래스 폴더의 번호: Cat 0, Dog 1 / "
        "label = index of the class folder in sorted(...) order: Cat 0, Dog 1"
    )
    expect(
        labels.ndim == 1 and len(labels) == len(loaded.files),
        expected=expected + ", one label per image",
        found=f"one-hot rows: {describe(labels)}" if is_one_hot(labels) else describe(labels),
        hint=ONE_HOT_HINT if is_one_hot(labels) else hint,
    )
    matched = [(i, f) for i, f in enumerate(loaded.files) if f is not None]
    expect(matched, expected=expected, found=CANNOT_JUDGE, hint=PIXELS_HINT)
    wrong = sum(labels[i] != pet_tree.labels[f] for i, f in matched)
    expect(
        wrong == 0,
        expected=expected,
        found=f"{wrong} of {len(matched)} images with the other class's label",
        hint=hint,
    )


@check(points=1, cell="load_pet_images")
def test_images_are_the_files_in_grayscale_resized(loaded, pet_tree):
    """각 이미지 = 그 파일의 흑백, 50x50 / each image is its file, gray, resized"""
    # Only the pixels: the layout and the size are the type and img_size checks' findings.
    images = loaded.images
    pictures = as_pictures(images)
    unknown = [i for i, f in enumerate(loaded.files) if f is None]
    colour = pictures.ndim == 4
    expect(
        len(pictures) and not colour and not unknown and len(set(loaded.files)) == len(images),
        expected="each image to be one of the files read in grayscale and resized",
        found=f"colour images: {describe(images)}"
        if colour
        else f"{len(unknown)} of {len(images)} images differ from every readable file"
        if len(pictures)
        else describe(images),
        hint=PIXELS_HINT,
    )


@check(points=1, cell="load_pet_images")
def test_img_size_sets_the_image_size(student, pet_tree):
    """img_size=32이면 32x32 / img_size=32 gives 32x32 images"""
    images, _, _ = unpack(watched_load(student, pet_tree, img_size=32)[0])
    expect(
        images.ndim >= 3 and images.shape[1:3] == (32, 32),
        expected="images of shape (N, 32, 32, ...) from load_pet_images(basedir, img_size=32)",
        found=describe(images),
        hint="고정된 50이 아니라 (img_size, img_size)로 크기를 바꾸세요 / "
        "resize to (img_size, img_size), not to a fixed 50",
    )


PIXELS_HINT = (
    "cv2.imread(path, cv2.IMREAD_GRAYSCALE)로 읽은 뒤 "
    "cv2.resize(image, (img_size, img_size)) / "
    "cv2.imread(path, cv2.IMREAD_GRAYSCALE) then cv2.resize(image, (img_size, img_size))"
)


@check(points=1, cell="robust_loading", self_check=True)
def test_reports_every_unreadable_file(loaded, pet_tree):
    """읽지 못한 파일을 모두 skipped에 / reports every unreadable file"""
    expect(
        isinstance(loaded.raw_skipped, list),
        expected="skipped to be a list of the paths of the files that could not be read",
        found=describe(loaded.raw_skipped),
        hint="skipped = []로 시작해서 skipped.append(path) / "
        "start with skipped = [] and skipped.append(path)",
    )
    reported = same_paths(loaded.skipped) - same_paths(pet_tree.ignored)
    missing, extra = pet_tree.unreadable - reported, reported - pet_tree.unreadable
    expect(
        not missing and not extra,
        expected=f"the {len(pet_tree.unreadable)} damaged files (empty, truncated, not images, "
        "Thumbs.db) in skipped, and no readable image",
        found=f"{len(missing)} damaged files missing from skipped, {len(extra)} other paths in it",
        hint="except Exception: 안에서 skipped.append(path); "
        "cv2가 읽지 못한 파일은 None이 됩니다 / "
        "inside except Exception: skipped.append(path); a file cv2 cannot read gives None",
    )


@check(points=1, cell="robust_loading")
def test_ignores_hidden_files_and_folders(loaded, pet_tree):
    """숨김 파일과 하위 폴더는 건너뛰기 / ignores hidden files and sub-folders"""
    touched = same_paths(loaded.skipped) | same_paths(loaded.opened)
    seen = sorted(os.path.basename(p) for p in touched & same_paths(pet_tree.ignored))
    expect(
        not seen,
        expected="hidden files (.DS_Store, ._*) and sub-folders neither opened nor reported",
        found=f"the loader opened or reported {seen}",
        hint="'.'로 시작하는 이름과 os.path.isfile(path)가 False인 항목은 건너뛰세요 / "
        "skip names starting with '.' and entries for which os.path.isfile(path) is False",
    )


@check(points=1, cell="robust_loading")
def test_missing_folder_raises_file_not_found(student, pet_tree):
    """없는 폴더 → FileNotFoundError / a missing folder raises FileNotFoundError"""
    missing = pet_tree.missing
    call = f"load_pet_images({str(missing)!r})"
    try:
        result = student.load_pet_images(str(missing))
    except StudentCodeError as raised:
        error = raised.error
        if isinstance(error, NotImplementedError):
            raise
        expect(
            isinstance(error, FileNotFoundError) and str(missing) in str(error),
            expected=f"{call} to raise FileNotFoundError naming the folder",
            found=f"{type(error).__name__}: {error}",
            hint="폴더를 나열하기 전에 "
            "FileNotFoundError(f'no such folder: {basedir}')를 발생시키세요 / "
            "raise FileNotFoundError(f'no such folder: {basedir}') before listing it",
        )
        return
    raise CheckFailed(
        expected=f"{call} to raise FileNotFoundError naming the folder",
        found=f"it returned {describe(result)}",
        hint="없는 폴더는 호출한 쪽의 실수입니다: 아무것도 반환하지 말고 오류로 알리세요 / "
        "a missing folder is the caller's mistake: say so rather than return nothing",
    )


@check(points=1, cell="robust_loading")
def test_keyboard_interrupt_reaches_the_caller(student, pet_tree):
    """Ctrl-C(KeyboardInterrupt)는 삼키지 않기 / KeyboardInterrupt is not swallowed"""
    target = pet_tree.interrupt_target  # a colour .jpg, which every loader reads
    loader = dataclasses.replace(student.load_pet_images, report_interrupts=True)
    # Ctrl-C for real: a SIGINT to the student's process as the file is opened.
    with OpenedFiles(tree_folders(pet_tree.root), (target, loader.process_id)) as watch:
        try:
            loader(str(pet_tree.root))
        except KeyboardInterrupt:
            return
    expect(
        watch.interrupted,
        expected=f"the loader to read {target.parent.name}/{target.name}",
        found="it never opened the file",
        hint="각 파일을 cv2.imread(path, cv2.IMREAD_GRAYSCALE)로 읽으세요 / "
        "read each file with cv2.imread(path, cv2.IMREAD_GRAYSCALE)",
    )
    raise CheckFailed(
        expected="Ctrl-C (KeyboardInterrupt), pressed while one file was read, to stop the loader",
        found="the loader caught it and went on",
        hint="`except:`나 `except BaseException`이 아니라 `except Exception`으로 잡아야 "
        "Ctrl-C로 긴 반복을 멈출 수 있습니다 / "
        "catch `except Exception`, never a bare `except:` or `except BaseException`, "
        "so Ctrl-C still stops a long loop",
    )


@check(points=1, cell="robust_loading")
def test_order_does_not_depend_on_the_listing(loaded, pet_tree):
    """파일 시스템의 나열 순서와 무관한 결과 / the same result whatever the listing order"""
    # Files in sorted order have increasing positions (missing ones are the count check's,
    # images of no file the pixel check's).
    matched = [f for f in loaded.files if f is not None]
    expect(
        matched,
        expected="the images in sorted order (Cat's files sorted by name, then Dog's)",
        found=CANNOT_JUDGE,
        hint=PIXELS_HINT,
    )
    in_order = all(a < b for a, b in itertools.pairwise(matched))
    expect(
        in_order,
        expected="the images in sorted order (Cat's files sorted by name, then Dog's), here "
        "where the file system lists folders and files in another order",
        found="another order (of the classes or of the files)",
        hint="os.listdir의 순서는 정해져 있지 않습니다: 클래스 폴더와 파일 모두 "
        "sorted(os.listdir(...))로 반복하세요 / "
        "os.listdir gives no particular order: loop over sorted(os.listdir(...)) for both "
        "the class folders and the files",
    )


@check(points=1, cell="summarize", self_check=True)
def test_summarize_counts_classes_and_skipped(student):
    """클래스별 개수와 skipped 개수 / counts per class and skipped"""
    labels = np.array([0, 1, 1, 0, 1])
    result = student.summarize(labels, ["a.jpg", "b.jpg"])
    expect(
        result == {"Cat": 2, "Dog": 3, "skipped": 2},
        expected="{'Cat': 2, 'Dog': 3, 'skipped': 2} for labels [0 1 1 0 1] and 2 skipped",
        found=repr(result),
        hint="키는 CLASS_NAMES의 클래스 이름과 'skipped', 값은 개수입니다 / "
        "keys are the class names in CLASS_NAMES, plus 'skipped'; values are counts",
    )


@check(points=1, cell="summarize")
def test_summarize_includes_an_empty_class(student):
    """없는 클래스도 0으로 / a class with no images counts 0"""
    result = student.summarize(np.array([0, 0, 0]), [])
    expect(
        result == {"Cat": 3, "Dog": 0, "skipped": 0},
        expected="{'Cat': 3, 'Dog': 0, 'skipped': 0} for labels [0 0 0]",
        found=repr(result),
        hint="이미지가 없는 클래스도 키로 넣으세요 (np.bincount(..., minlength=...)) / "
        "every class name is a key, even with no images (np.bincount(..., minlength=...))",
    )
