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

A directory's listing order is up to the file system (ext4 lists by hash).
So that the outcome never depends on the machine, every check runs the
loader with listings in sorted order, and the order check runs it once more
with listings reversed and expects the very same result: a loader that
relies on the listing order fails that check only.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.checks.api import CheckFailed, StudentCodeError, check, describe, expect
from autograder.kernel.probes import Probe, SimulatedInterrupt

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

    def expected_images(self, size: int) -> list[np.ndarray]:
        """Each valid file in grayscale, resized to ``size`` x ``size``, in sorted order."""
        cv2 = cv2_module()
        return [
            cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
            for _, _, gray in self.valid
        ]

    @property
    def labels(self) -> list[int]:
        return [label for _, label, _ in self.valid]


def smooth_image(brightness: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A grayscale pattern of mean ``brightness`` that survives any resizing."""
    yy, xx = np.mgrid[0:height, 0:width]
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


def build_pet_tree(root: Path, rng: np.random.Generator) -> PetTree:
    """Write the PetImages-like tree the checks load; see the module docstring."""
    cv2 = cv2_module()
    tree = PetTree(root)
    brightness = iter(range(20, 240, 20))

    def valid(path: str, label: int, height: int, width: int, write: Callable) -> None:
        target = root / path
        target.write_bytes(write(smooth_image(next(brightness), height, width, rng)))
        # The file's own pixels, as lossy JPEG and palette GIF encoding left them.
        tree.valid.append((target, label, cv2.imread(str(target), cv2.IMREAD_GRAYSCALE)))

    def damaged(path: str, content: bytes, *, ignored: bool = False) -> None:
        target = root / path
        target.write_bytes(content)
        (tree.ignored if ignored else tree.unreadable).add(str(target))

    for name in CLASS_NAMES:
        (root / name).mkdir(parents=True)
    jpeg = encoded(tinted(smooth_image(128, 60, 80, rng)), ".jpg")

    # Cat (label 0). Names sort the same as strings and as numbers.
    valid("Cat/1.jpg", 0, 60, 80, lambda g: encoded(tinted(g), ".jpg"))  # colour JPEG
    valid("Cat/2.JPG", 0, 50, 50, lambda g: encoded(g, ".jpg"))  # grayscale, upper case
    valid("Cat/3.png", 0, 90, 40, lambda g: encoded(with_alpha(tinted(g)), ".png"))  # RGBA
    damaged("Cat/4.jpg", b"")  # 0-byte, as Cat/666.jpg in the real download
    damaged("Cat/5.jpg", jpeg[: jpeg.index(b"\xff\xda")])  # truncated before its image data
    valid(
        "Cat/6.jpg", 0, 45, 70, lambda g: encoded(np.dstack([g, g, g]), ".gif")
    )  # a GIF named .jpg
    damaged("Cat/7.jpg", rng.bytes(2048))  # random bytes
    damaged("Cat/Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.bytes(1024))
    damaged("Cat/.DS_Store", b"\x00\x00\x00\x01Bud1" + rng.bytes(512), ignored=True)
    (root / "Cat/extra").mkdir()  # a folder inside a class folder, with an image in it
    (root / "Cat/extra/8.jpg").write_bytes(jpeg)
    tree.ignored.add(str(root / "Cat/extra"))

    # Dog (label 1).
    valid("Dog/1.jpeg", 1, 120, 120, lambda g: encoded(tinted(g), ".jpg"))
    valid("Dog/2.png", 1, 64, 48, lambda g: encoded(g.astype(np.uint16) * 257, ".png"))  # 16-bit
    damaged("Dog/3.jpg", "강아지 사진이 아닙니다 / not a picture\n".encode())  # a text file
    valid("Dog/4.PNG", 1, 30, 30, lambda g: encoded(g, ".png"))  # small, upper case
    valid("Dog/5.jpg", 1, 200, 150, lambda g: encoded(tinted(g), ".jpg"))  # large
    damaged("Dog/Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.bytes(1024))
    damaged("Dog/._5.jpg", b"\x00\x05\x16\x07" + rng.bytes(256), ignored=True)  # macOS AppleDouble
    tree.valid.sort(key=lambda entry: (entry[1], entry[0].name))
    return tree


@pytest.fixture(scope="module")
def pet_tree(seed: int) -> Iterator[PetTree]:
    """The generated tree, shared by the module's checks, removed afterwards.

    A private temporary folder rather than pytest's numbered ``tmp_path``
    folders, which concurrent grading kernels would share and prune.
    """
    with tempfile.TemporaryDirectory(prefix="petimages-check-") as scratch:
        os.chmod(scratch, 0o755)  # the student's kernel, another user, reads it
        yield build_pet_tree(Path(scratch) / "PetImages", np.random.default_rng([seed, 5]))


def loader(student: Any, *, reverse: bool = False, interrupt: Path | None = None) -> Any:
    """The student's loader, run with a fixed listing order (and a Ctrl-C on one file)."""
    chosen: list[Probe] = [("listing_order", {"reverse": reverse})]
    if interrupt is not None:
        chosen.append(("interrupt_when_reading", {"path": str(interrupt)}))
    return dataclasses.replace(student.load_pet_images, probes=tuple(chosen))


def load(student: Any, root: Path, *, reverse: bool = False, **kwargs: Any) -> Any:
    """The student's loader on ``root`` with a fixed listing order; its result as returned."""
    return loader(student, reverse=reverse)(str(root), **kwargs)


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


@pytest.fixture(scope="module")
def loaded(student, pet_tree) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """The loader's result on the generated tree, at the default size (listed in sorted order)."""
    return unpack(load(student, pet_tree.root))


def mismatched_images(images: np.ndarray, expected: list[np.ndarray]) -> list[int]:
    """Positions whose image is not its expected file (mean absolute difference too large)."""
    if images.shape != (len(expected), *expected[0].shape):
        return list(range(len(expected)))
    return [
        i
        for i, (image, reference) in enumerate(zip(images, expected, strict=True))
        if np.mean(np.abs(coarse(image) - coarse(reference))) > PIXEL_TOLERANCE
    ]


def coarse(image: np.ndarray) -> np.ndarray:
    """The image at 10x10: what is left once interpolation and dithering details are not."""
    cv2 = cv2_module()
    return cv2.resize(image.astype(np.float32), (10, 10), interpolation=cv2.INTER_AREA)


def same_paths(paths: list[Any]) -> set[str]:
    """Paths as absolute strings, for comparing whatever form the student returned."""
    return {os.path.abspath(os.fspath(p)) for p in paths}


@check(points=1, cell="load_pet_images")
def test_returns_uint8_images_integer_labels_and_path_list(loaded, pet_tree):
    """(N, 50, 50) uint8 이미지, (N,) 정수 레이블, 경로 목록 / the three return values"""
    images, labels, skipped = loaded
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
        hint="폴더 이름이 아니라 클래스 번호(0, 1)를 추가하세요 / "
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
    images, labels, _ = loaded
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
    _, labels, _ = loaded
    found = labels.tolist() if labels.size <= 40 else describe(labels)
    expect(
        labels.tolist() == pet_tree.labels,
        expected=f"{pet_tree.labels.count(0)} labels 0 (Cat) then {pet_tree.labels.count(1)} "
        "labels 1 (Dog)",
        found=f"{found}",
        hint="레이블 = sorted(...) 순서에서 클래스 폴더의 번호: Cat 0, Dog 1 / "
        "label = index of the class folder in sorted(...) order: Cat 0, Dog 1",
    )


@check(points=1, cell="load_pet_images")
def test_images_are_the_files_in_grayscale_resized(loaded, pet_tree):
    """각 이미지 = 그 파일의 흑백, 50x50 / each image is its file, gray, resized"""
    images, _, _ = loaded
    wrong = mismatched_images(images, pet_tree.expected_images(50))
    expect(
        not wrong,
        expected="image i to be file i (sorted order) read in grayscale and resized to 50x50",
        found=f"{len(wrong)} of {len(pet_tree.valid)} images differ from their files"
        if images.shape[1:] == (50, 50)
        else describe(images),
        hint="cv2.imread(path, cv2.IMREAD_GRAYSCALE)로 읽은 뒤 "
        "cv2.resize(image, (img_size, img_size)) / "
        "cv2.imread(path, cv2.IMREAD_GRAYSCALE) then cv2.resize(image, (img_size, img_size))",
    )


@check(points=1, cell="load_pet_images")
def test_img_size_sets_the_image_size(student, pet_tree):
    """img_size=32이면 32x32 / img_size=32 gives 32x32 images"""
    images, _, _ = unpack(load(student, pet_tree.root, img_size=32))
    expect(
        images.ndim >= 3 and images.shape[1:3] == (32, 32),
        expected="images of shape (N, 32, 32, ...) from load_pet_images(basedir, img_size=32)",
        found=describe(images),
        hint="고정된 50이 아니라 (img_size, img_size)로 크기를 바꾸세요 / "
        "resize to (img_size, img_size), not to a fixed 50",
    )


@check(points=1, cell="robust_loading")
def test_reports_every_unreadable_file(loaded, pet_tree):
    """읽지 못한 파일을 모두 skipped에 / reports every unreadable file"""
    _, _, skipped = loaded
    reported = same_paths(skipped) - same_paths(pet_tree.ignored)
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
    _, _, skipped = loaded
    touched = sorted(
        os.path.basename(p) for p in same_paths(skipped) & same_paths(pet_tree.ignored)
    )
    expect(
        not touched,
        expected="hidden files (.DS_Store, ._*) and sub-folders neither loaded nor reported",
        found=f"skipped lists {touched}",
        hint="'.'로 시작하는 이름과 os.path.isfile(path)가 False인 항목은 건너뛰세요 / "
        "skip names starting with '.' and entries for which os.path.isfile(path) is False",
    )


@check(points=1, cell="robust_loading")
def test_missing_folder_raises_file_not_found(student, pet_tree):
    """없는 폴더 → FileNotFoundError / a missing folder raises FileNotFoundError"""
    missing = pet_tree.root.parent / "NoSuchFolder"
    call = f"load_pet_images({str(missing)!r})"
    try:
        result = load(student, missing)
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
    target = pet_tree.valid[0][0]  # Cat/1.jpg, which every loader reads
    interrupted = loader(student, interrupt=target)
    try:
        interrupted(str(pet_tree.root))
    except KeyboardInterrupt as error:
        if type(error).__name__ == SimulatedInterrupt.__name__:
            return
        raise
    expect(
        os.path.abspath(target) in interrupted.observed["interrupt_when_reading"],
        expected=f"the loader to read {target.parent.name}/{target.name} with cv2.imread",
        found="it was never read with cv2.imread",
        hint="각 파일을 cv2.imread(path, cv2.IMREAD_GRAYSCALE)로 읽으세요 / "
        "read each file with cv2.imread(path, cv2.IMREAD_GRAYSCALE)",
    )
    raise CheckFailed(
        expected="a KeyboardInterrupt raised while reading one file to stop the loader",
        found="the loader caught it and went on",
        hint="`except:`나 `except BaseException`이 아니라 `except Exception`으로 잡아야 "
        "Ctrl-C로 긴 반복을 멈출 수 있습니다 / "
        "catch `except Exception`, never a bare `except:` or `except BaseException`, "
        "so Ctrl-C still stops a long loop",
    )


@check(points=1, cell="robust_loading")
def test_order_does_not_depend_on_the_listing(student, pet_tree, loaded):
    """파일 시스템의 나열 순서와 무관한 결과 / the same result whatever the listing order"""
    images, labels, _ = unpack(load(student, pet_tree.root, reverse=True))
    sorted_images, sorted_labels, _ = loaded
    expect(
        labels.tolist() == sorted_labels.tolist() and np.array_equal(images, sorted_images),
        expected="the same images and labels, in the same order, when the file system lists "
        "the folders in another order",
        found="a different order (of the classes or of the files)",
        hint="os.listdir의 순서는 정해져 있지 않습니다: 클래스 폴더와 파일 모두 "
        "sorted(os.listdir(...))로 반복하세요 / "
        "os.listdir gives no particular order: loop over sorted(os.listdir(...)) for both "
        "the class folders and the files",
    )


@check(points=1, cell="summarize")
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
