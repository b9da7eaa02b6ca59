"""Does the data loader find, verify, download and unpack data sets safely?

Downloads go to a real HTTP server on 127.0.0.1 started by the test, serving
bytes with a known hash, answering HTTP Range requests (or not) and cutting
connections on demand; nothing leaves this machine. PetImages is a generated
archive of the real download's layout: ``PetImages/Cat`` and ``Dog`` holding
more photos than the course lists, its damaged files, a licence and a readme.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import re
import stat
import struct
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from source_data import course_data, grading_view
from source_data.course_data import ChecksumMismatch, Dataset, DataUnavailable, UnsafeArchive
from tests.helpers import write_fashion_mnist, write_idx

PAYLOAD = b"not really mnist, but bytes with a known hash\n" * 1000


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``files``; honours ``Range: bytes=N-`` when ``ranges``; cuts ``cuts`` responses.

    A cut response sends a tenth of its body, then the connection drops; so
    does every response for a path starting with ``/broken``. ``requests``
    records the Range header of every request (None: none asked).
    """

    files: ClassVar[dict[str, bytes]] = {}
    ranges: ClassVar[bool] = True
    cuts: ClassVar[int] = 0
    requests: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        asked = self.headers.get("Range")
        self.requests.append(asked)
        if body is None:
            self.send_error(404)
            return
        start = 0
        wanted = re.fullmatch(r"bytes=(\d+)-", asked or "")
        if wanted and self.ranges:
            start = int(wanted[1])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        part = body[start:]
        self.send_header("Content-Length", str(len(part)))
        self.send_header("Accept-Ranges", "bytes" if self.ranges else "none")
        self.end_headers()
        if self.path.startswith("/broken") or self.cuts > 0:
            type(self).cuts -= 1
            self.wfile.write(part[: len(part) // 10])  # then the connection drops
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(part)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A loopback HTTP server for the duration of one test; yields its base URL."""
    _Handler.files, _Handler.ranges, _Handler.cuts, _Handler.requests = {}, True, 0, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def entry(url: str, body: bytes, **changes: object) -> Dataset:
    """A manifest entry for ``body`` served at ``url``."""
    base = Dataset("sample", "sample.bin", url, len(body), hashlib.sha256(body).hexdigest(), "-")
    return replace(base, **changes)


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


def test_download_with_the_right_hash_lands_in_the_cache(server, tmp_path):
    _Handler.files = {"/sample.bin": PAYLOAD}
    path = course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path)
    assert path == tmp_path / "sample.bin" and path.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == [path]
    assert _Handler.requests == [None]  # one plain request


def test_download_with_a_wrong_hash_leaves_nothing(server, tmp_path):
    _Handler.files = {"/sample.bin": PAYLOAD}
    wrong = entry(f"{server}/sample.bin", PAYLOAD, sha256="0" * 64)
    with pytest.raises(ChecksumMismatch, match="corrupt"):
        course_data.download(wrong, tmp_path)
    assert leftovers(tmp_path) == []


def test_the_download_shows_a_progress_bar_with_size_and_speed(server, tmp_path, capsys):
    _Handler.files = {"/sample.bin": PAYLOAD}
    course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path)
    shown = capsys.readouterr().err
    assert "sample.bin" in shown and "100%" in shown
    assert "46.0kB/46.0kB" in shown and "B/s" in shown  # tqdm: size in bytes, speed


def test_a_cut_connection_is_resumed_where_it_stopped(server, tmp_path):
    _Handler.files, _Handler.cuts = {"/sample.bin": PAYLOAD}, 2
    path = course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD and leftovers(tmp_path) == [path]
    first = len(PAYLOAD) // 10
    second = first + (len(PAYLOAD) - first) // 10
    assert _Handler.requests == [None, f"bytes={first}-", f"bytes={second}-"]


def test_an_interrupted_download_is_resumed_by_the_next_call(server, tmp_path):
    _Handler.files, _Handler.cuts = {"/sample.bin": PAYLOAD}, 1
    sample = entry(f"{server}/sample.bin", PAYLOAD)
    with pytest.raises(DataUnavailable, match="resumes there"):
        course_data.download(sample, tmp_path, attempts=1, progress=False)
    partial = tmp_path / ".sample.bin.partial"  # never under the data set's own name
    assert leftovers(tmp_path) == [partial]
    assert partial.read_bytes() == PAYLOAD[: len(PAYLOAD) // 10]
    path = course_data.download(sample, tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD and leftovers(tmp_path) == [path]
    assert _Handler.requests == [None, f"bytes={len(PAYLOAD) // 10}-"]


def test_a_server_without_range_requests_sends_it_all_again(server, tmp_path):
    _Handler.files, _Handler.cuts, _Handler.ranges = {"/sample.bin": PAYLOAD}, 1, False
    path = course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD and leftovers(tmp_path) == [path]
    assert _Handler.requests == [None, f"bytes={len(PAYLOAD) // 10}-"]  # asked, got a 200


def test_a_connection_that_keeps_breaking_keeps_only_the_partial_file(server, tmp_path):
    _Handler.files = {"/broken.bin": PAYLOAD}
    with pytest.raises(DataUnavailable, match="stopped 3 times"):
        course_data.download(
            entry(f"{server}/broken.bin", PAYLOAD), tmp_path, attempts=3, progress=False
        )
    assert [p.name for p in leftovers(tmp_path)] == [".sample.bin.partial"]
    assert len(_Handler.requests) == 3


def test_a_stale_partial_file_fails_the_hash_and_is_deleted(server, tmp_path):
    _Handler.files = {"/sample.bin": PAYLOAD}
    (tmp_path / ".sample.bin.partial").write_bytes(b"an older file's first bytes")
    with pytest.raises(ChecksumMismatch):
        course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path, progress=False)
    assert leftovers(tmp_path) == []  # so the next call starts afresh
    course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path, progress=False)
    assert (tmp_path / "sample.bin").read_bytes() == PAYLOAD


def test_a_complete_partial_file_is_not_fetched_again(server, tmp_path):
    (tmp_path / ".sample.bin.partial").write_bytes(PAYLOAD)
    path = course_data.download(entry(f"{server}/sample.bin", PAYLOAD), tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD and _Handler.requests == []


def test_offline_without_a_mirror_says_how_to_set_one(tmp_path):
    closed = "http://127.0.0.1:9/sample.bin"  # the discard port: nothing listens
    with pytest.raises(DataUnavailable, match=course_data.MIRROR_VARIABLE):
        course_data.download(entry(closed, PAYLOAD), tmp_path, timeout=5)
    assert leftovers(tmp_path) == []


def test_a_missing_file_on_the_server_is_not_retried(server, tmp_path):
    with pytest.raises(DataUnavailable, match="404"):
        course_data.download(entry(f"{server}/gone.bin", PAYLOAD), tmp_path, progress=False)
    assert len(_Handler.requests) == 1


def test_an_unpinned_data_set_is_never_downloaded(tmp_path):
    with pytest.raises(DataUnavailable, match="no pinned sha256"):
        course_data.download(entry("http://127.0.0.1:9/x", PAYLOAD, sha256=None), tmp_path)


def test_petimages_is_pinned_to_microsofts_archive():
    pets = course_data.MANIFEST["petimages"]
    assert pets.url.endswith("/kagglecatsanddogs_5340.zip") and pets.archive_member == "PetImages"
    assert pets.size == 824_887_076
    assert pets.sha256 == "b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9"


@pytest.mark.parametrize("name", ["petimages", "mnist"])
def test_a_data_sets_url_is_replaced_by_its_environment_variable(
    server, monkeypatch, tmp_path, name
):
    """A university's own copy of the download: the URL changes, never the hash."""
    closed = "http://127.0.0.1:9/sample.bin"  # the manifest's URL, unreachable here
    monkeypatch.setitem(course_data.MANIFEST, name, entry(closed, PAYLOAD, name=name))
    monkeypatch.delenv(course_data.MIRROR_VARIABLE, raising=False)
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    variable = f"CNN_COURSE_{name.upper()}_URL"
    _Handler.files = {"/copy/sample.bin": PAYLOAD, "/other/sample.bin": PAYLOAD[::-1]}
    monkeypatch.setenv(variable, f"{server}/other/sample.bin")
    with pytest.raises(ChecksumMismatch):
        course_data.dataset_path(name)
    monkeypatch.setenv(variable, f"{server}/copy/sample.bin")
    assert course_data.dataset_path(name).read_bytes() == PAYLOAD


# --- PetImages as the download has it ---------------------------------------------------

EXTRA_IDS = (*range(3000, 3020), 11000, 12499)  # in the full download, not on the course's list


@pytest.fixture
def shorter_list(monkeypatch) -> None:
    """The course's list cut to 100 photos a class, and the empty ones, for a quicker test."""
    short = {"Cat": ((0, 99), (666, 666)), "Dog": ((0, 99), (11702, 11702))}
    monkeypatch.setattr(course_data, "PET_PHOTO_IDS", short)


def tiny_jpeg(grey: int) -> bytes:
    import cv2

    return cv2.imencode(".jpg", np.full((6, 6, 3), grey, np.uint8))[1].tobytes()


def full_download_files() -> dict[str, bytes]:
    """PetImages as the full download lays it out, each photo a tiny flat grey, plus extras.

    Every listed photo, more photos than the list has, both empty photos
    (Cat/666, Dog/11702), a PNG and a BMP under a .jpg name (no JFIF header:
    OpenCV reads them), a photo that decodes to nothing, and Thumbs.db.
    """
    png = __import__("cv2").imencode(".png", np.full((6, 6), 90, np.uint8))[1].tobytes()
    bmp = __import__("cv2").imencode(".bmp", np.full((6, 6), 91, np.uint8))[1].tobytes()
    flat = {grey: tiny_jpeg(grey) for grey in range(0, 256, 5)}
    files = {}
    for name in course_data.PET_CLASSES:
        ids = {i for a, b in course_data.PET_PHOTO_IDS[name] for i in range(a, b + 1)}
        for i in sorted(ids | set(EXTRA_IDS)):
            files[f"{name}/{i}.jpg"] = flat[(i * 5) % 255]
        files[f"{name}/Thumbs.db"] = b"\xd0\xcf\x11\xe0 not an image"
    files["Cat/666.jpg"] = files["Dog/11702.jpg"] = b""
    files["Cat/12.jpg"], files["Dog/13.jpg"] = png, bmp
    files["Dog/43.jpg"] = b"\xff\xd8\xff\xe0 a JFIF header, then nothing an image has"
    return files


def is_listed_photo(relative: str) -> bool:
    name, filename = relative.split("/")
    stem = filename.removesuffix(".jpg")
    ranges = course_data.PET_PHOTO_IDS[name]
    return stem.isdigit() and any(a <= int(stem) <= b for a, b in ranges)


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)


def archive_of(files: dict[str, bytes], *extra: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    """A zip laid out as kagglecatsanddogs_5340.zip: the licence, PetImages/, a readme."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("CDLA-Permissive-2.0.pdf", b"%PDF-1.4 the licence")
        for relative, data in files.items():
            archive.writestr(f"PetImages/{relative}", data)
        archive.writestr("readme[1].txt", b"Cats vs Dogs")
        for member, data in extra:
            archive.writestr(member, data)
    return buffer.getvalue()


def test_the_whole_petimages_path_from_a_download_to_the_course_split(
    server, monkeypatch, tmp_path, shorter_list
):
    files = full_download_files()
    body = archive_of(files)
    _Handler.files, _Handler.cuts = {"/kagglecatsanddogs_5340.zip": body}, 1
    official = course_data.MANIFEST["petimages"]
    served = replace(
        official,
        url=f"{server}/kagglecatsanddogs_5340.zip",
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
    )
    monkeypatch.setitem(course_data.MANIFEST, "petimages", served)
    monkeypatch.delenv(course_data.MIRROR_VARIABLE, raising=False)
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))

    folder = course_data.pet_images_dir()  # downloads, resumes once, verifies, unpacks
    assert folder == tmp_path / "cache" / "PetImages"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["PetImages"]  # no licence
    unpacked = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert unpacked == set(files)
    assert course_data.pet_images_dir() == folder and len(_Handler.requests) == 2  # cached

    listed = {
        split: [str(p.relative_to(folder)) for p, _ in course_data.pet_files(split)]
        for split in course_data.PET_SPLITS
    }
    photos = sorted(r for r in files if is_listed_photo(r))
    assert sorted(listed["train"] + listed["holdout"]) == photos  # the extra ids are ignored
    assert len(photos) == 202 and len(listed["holdout"]) == 40
    assert all(int(Path(r).stem) % 5 == 0 for r in listed["holdout"])
    x_train, y_train = course_data.load_pet_arrays("train", img_size=6)
    x_holdout, y_holdout = course_data.load_pet_arrays("holdout", img_size=6)
    # The empty 666 and 11702 and the undecodable Dog/43 are dropped; the PNG and BMP stay.
    assert (len(x_train), len(x_holdout)) == (162 - 3, 40)
    assert (int(y_train.sum()), int(y_holdout.sum())) == (81 - 2, 20)


def test_a_full_download_like_mirror_yields_exactly_the_listed_files(monkeypatch, tmp_path):
    files = full_download_files()
    write_tree(tmp_path / "PetImages", files)
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(tmp_path))
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    found = [
        (str(path.relative_to(tmp_path / "PetImages")), label)
        for split in course_data.PET_SPLITS
        for path, label in course_data.pet_files(split)
    ]
    expected = [(r, ["Cat", "Dog"].index(r[:3])) for r in files if is_listed_photo(r)]
    assert sorted(found) == sorted(expected) and len(found) == 6001  # 3,000 cats, 3,001 dogs
    assert len(course_data.pet_files("holdout")) == 1200
    view = grading_view.grading_view(("petimages",)) / "PetImages"
    in_view = sorted(str(p.relative_to(view)) for p in view.rglob("*") if p.is_file())
    assert in_view == sorted(
        r
        for r in files
        if r.endswith("/Thumbs.db")
        or (is_listed_photo(r) and not course_data.is_pet_holdout(Path(r)))
    )


def test_the_pinned_list_is_the_offline_mirrors_photos():
    mirror = os.environ.get(course_data.MIRROR_VARIABLE)
    if not mirror or not (Path(mirror) / "PetImages").is_dir():
        pytest.skip(f"no PetImages mirror in ${course_data.MIRROR_VARIABLE}")
    root = Path(mirror) / "PetImages"
    held = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert held == set(course_data.pet_listed_files())


def test_a_copy_lacking_listed_photos_is_refused(monkeypatch, tmp_path, shorter_list):
    files = {r: d for r, d in full_download_files().items() if r != "Dog/7.jpg"}
    write_tree(tmp_path / "PetImages", files)
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(tmp_path))
    with pytest.raises(DataUnavailable, match=r"lacks 1 of the course's 162 train photos \(Dog/7"):
        course_data.pet_files("train")
    assert len(course_data.pet_files("holdout")) == 40  # that split is whole


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, whose mode bits say: a symbolic link
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    "member",
    [
        "PetImages/../../escaped.txt",
        "../escaped.txt",
        "PetImages/Cat/../../../escaped.txt",
        "/tmp/escaped-absolute.txt",
        "PetImages\\..\\..\\escaped.txt",
        "C:/escaped.txt",
        symlink_member("PetImages/Cat/link.jpg"),
    ],
    ids=["dotdot", "top-dotdot", "deep-dotdot", "absolute", "backslash", "drive", "symlink"],
)
def test_an_archive_with_an_unsafe_member_is_refused_whole(server, tmp_path, member):
    body = archive_of({"Cat/0.jpg": b"cat", "Dog/0.jpg": b"dog"}, (member, b"/etc/passwd"))
    _Handler.files = {"/pets.zip": body}
    pets = entry(f"{server}/pets.zip", body, filename="PetImages", archive_member="PetImages")
    cache = tmp_path / "deep" / "cache"
    with pytest.raises(UnsafeArchive, match="nothing is unpacked"):
        course_data.download(pets, cache, progress=False)
    assert leftovers(tmp_path) == [tmp_path / "deep", cache]  # not even the archive
    assert not Path("/tmp/escaped-absolute.txt").exists()


def test_only_the_data_folder_of_an_archive_is_unpacked(tmp_path):
    (tmp_path / "a.zip").write_bytes(archive_of({"Cat/0.jpg": b"cat", "Dog/1.jpg": b"dog"}))
    folder = course_data.extract_member(tmp_path / "a.zip", "PetImages", tmp_path / "out")
    assert folder == (tmp_path / "out" / "PetImages").resolve()
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in leftovers(tmp_path / "out")) == [
        "PetImages",
        "PetImages/Cat",
        "PetImages/Cat/0.jpg",
        "PetImages/Dog",
        "PetImages/Dog/1.jpg",
    ]


def test_the_cache_is_used_before_any_download(monkeypatch, tmp_path):
    monkeypatch.delenv(course_data.MIRROR_VARIABLE, raising=False)
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path))
    (tmp_path / "mnist.npz").write_bytes(b"cached")
    assert course_data.dataset_path("mnist") == tmp_path / "mnist.npz"


def test_a_mirror_file_with_the_wrong_hash_is_refused(monkeypatch, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"truncated")
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(tmp_path))
    with pytest.raises(ChecksumMismatch):
        course_data.load_mnist()


def test_a_mirror_without_the_data_set_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(tmp_path))
    with pytest.raises(DataUnavailable, match=r"no mnist\.npz"):
        course_data.load_mnist()


def test_mnist_from_the_configured_mirror_has_keras_layout():
    (x_train, y_train), (x_test, y_test) = course_data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_test.shape == (10000,)
    assert y_train[0] == 5


@pytest.fixture
def small_pet_mirror(monkeypatch, tmp_path) -> Path:
    """A mirror holding a 20-image PetImages, each image a flat grey of its own, plus damage.

    The course's list is pinned to these photos for the test, as the real one
    is to the real mirror's.
    """
    import cv2

    small = {"Cat": ((0, 9), (666, 666)), "Dog": ((0, 9),)}
    monkeypatch.setattr(course_data, "PET_PHOTO_IDS", small)

    for label, name in enumerate(("Cat", "Dog")):
        (tmp_path / "PetImages" / name).mkdir(parents=True)
        for i in range(10):
            grey = np.full((30, 40, 3), 10 + 100 * label + 9 * i, np.uint8)
            cv2.imwrite(str(tmp_path / "PetImages" / name / f"{i}.jpg"), grey)
    (tmp_path / "PetImages" / "Cat" / "666.jpg").write_bytes(b"")  # as in the real download
    (tmp_path / "PetImages" / "Dog" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(tmp_path))
    return tmp_path


def test_pet_arrays_split_every_readable_image_once(small_pet_mirror):
    (x_train, y_train), (x_holdout, y_holdout) = (
        course_data.load_pet_arrays("train", img_size=8),
        course_data.load_pet_arrays("holdout", img_size=8),
    )
    assert x_train.shape[1:] == (8, 8, 1) and x_train.dtype == np.float32
    assert len(x_train) + len(x_holdout) == 20  # 21 .jpg files, the 0-byte one dropped
    assert len(x_holdout) == 4  # Cat and Dog 0.jpg and 5.jpg: numbers that are multiples of 5
    greys = np.round(np.concatenate([x_train, x_holdout]).mean(axis=(1, 2, 3)) * 255)
    labels = np.concatenate([y_train, y_holdout])
    assert sorted(greys) == [10 + 100 * label + 9 * i for label in (0, 1) for i in range(10)]
    assert np.array_equal(labels, (greys >= 110).astype(int))  # Cat 0, Dog 1
    again = course_data.load_pet_arrays("holdout", img_size=8)[0]
    assert np.array_equal(again, x_holdout)


def test_pet_photos_are_rgb_pixels_of_the_same_photos_in_the_same_order(small_pet_mirror):
    """08's loader: the split, drops and order of load_pet_arrays, colour pixels 0-255."""
    import cv2

    red = np.zeros((30, 40, 3), np.uint8)
    red[..., 2] = 200  # BGR, as OpenCV writes it
    cv2.imwrite(str(small_pet_mirror / "PetImages" / "Dog" / "3.jpg"), red)
    photos, labels = course_data.load_pet_photos("train", img_size=8)
    greys, same_labels = course_data.load_pet_arrays("train", img_size=8)
    assert photos.shape == (16, 8, 8, 3) and photos.dtype == np.float32
    assert np.array_equal(labels, same_labels)
    means = photos.mean(axis=(1, 2))  # (N, 3): R, G, B
    assert photos.min() >= 0 and photos.max() > 100  # pixels, not scaled to [0, 1]
    is_red = (means[:, 0] > 150) & (means[:, 2] < 50)
    assert is_red.sum() == 1 and labels[is_red] == [1]  # RGB order, the Dog photo
    assert np.allclose(means[~is_red] / 255, greys[~is_red].mean(axis=(1, 2)), atol=2 / 255)
    with pytest.raises(ValueError, match="holdout"):
        course_data.load_pet_photos("test")


def test_pet_photos_of_the_holdout_are_the_graders_in_a_grading_view(
    small_pet_mirror, monkeypatch, tmp_path
):
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    assert len(course_data.load_pet_photos("holdout", img_size=8)[0]) == 4
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(grading_view.grading_view(("petimages",))))
    assert len(course_data.load_pet_photos("train", img_size=8)[0]) == 16
    with pytest.raises(DataUnavailable, match="grader's"):
        course_data.load_pet_photos("holdout", img_size=8)


def test_pet_arrays_reject_an_unknown_split(small_pet_mirror):
    with pytest.raises(ValueError, match="holdout"):
        course_data.load_pet_arrays("test")


@pytest.fixture
def real_mnist() -> Path:
    """MNIST from the configured mirror, found before a test points the mirror elsewhere."""
    return course_data.dataset_path("mnist")


@pytest.fixture
def mirror_with_mnist(real_mnist, small_pet_mirror) -> Path:
    """The small PetImages mirror, with the real MNIST beside it (from the configured mirror)."""
    (small_pet_mirror / "mnist.npz").symlink_to(real_mnist)
    return small_pet_mirror


def test_the_grading_view_holds_back_what_accuracy_is_measured_on(
    mirror_with_mnist, monkeypatch, tmp_path
):
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    full_training = course_data.load_pet_arrays("train", img_size=8)
    mnist_training = course_data.load_mnist_training()
    view = grading_view.grading_view()
    assert grading_view.grading_view() == view  # built once
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(view))
    with np.load(view / "mnist.npz") as data:
        assert sorted(data.files) == ["x_train", "y_train"]
    with pytest.raises(DataUnavailable, match="kept by the grader"):
        course_data.load_mnist()
    in_view = course_data.load_mnist_training()
    assert all(np.array_equal(a, b) for a, b in zip(in_view, mnist_training, strict=True))
    with pytest.raises(DataUnavailable, match="grader's"):
        course_data.load_pet_arrays("holdout", img_size=8)
    pets_in_view = course_data.load_pet_arrays("train", img_size=8)
    assert all(np.array_equal(a, b) for a, b in zip(pets_in_view, full_training, strict=True))
    names = {p.name for p in (view / "PetImages").rglob("*")}
    assert {"Cat", "Dog", "Thumbs.db", "666.jpg", "1.jpg"} <= names
    assert not names & {"0.jpg", "5.jpg"}
    # The kernel reads it as a user id of its own: every folder and file is readable by all.
    modes = {p: p.stat().st_mode for p in [view, *view.rglob("*")]}
    assert all(m & stat.S_IROTH and (m & stat.S_IXOTH or not p.is_dir()) for p, m in modes.items())


def test_a_changed_view_file_is_refused(mirror_with_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    view = grading_view.grading_view(("mnist",))
    np.savez(view / "mnist.npz", x_train=np.zeros((1, 28, 28)), y_train=np.zeros(1))
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(view))
    with pytest.raises(ChecksumMismatch):
        course_data.load_mnist_training()


# --- 07: scikit-learn's digits, split as the Keras post splits them ---------------------


def test_the_digits_are_scikit_learns_copy_split_as_the_post_splits_them():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    path = course_data.dataset_path("digits")
    assert path.parts[-4:] == ("sklearn", "datasets", "data", "digits.csv.gz")
    digits = load_digits()
    post = train_test_split(digits.images, digits.target, test_size=0.3, random_state=777)
    (x_train, y_train), (x_test, y_test) = map(course_data.load_digits_split, ("train", "test"))
    assert x_train.shape == (1257, 8, 8) and x_test.shape == (540, 8, 8)
    ours = (x_train, x_test, y_train, y_test)
    assert all(np.array_equal(a, b) for a, b in zip(post, ours, strict=True))
    with pytest.raises(ValueError, match="train"):
        course_data.load_digits_split("validation")


def test_a_changed_copy_of_the_digits_is_refused(monkeypatch):
    changed = replace(course_data.MANIFEST["digits"], sha256="0" * 64)
    monkeypatch.setitem(course_data.MANIFEST, "digits", changed)
    with pytest.raises(ChecksumMismatch):
        course_data.load_digits_split("train")


def test_the_grading_view_holds_only_the_training_digits(monkeypatch, tmp_path):
    x_train, y_train = course_data.load_digits_split("train")
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    view = grading_view.grading_view(("digits",))
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(view))
    x_view, y_view = course_data.load_digits_split("train")
    assert np.array_equal(x_view, x_train) and np.array_equal(y_view, y_train)
    with pytest.raises(DataUnavailable, match="grader's"):
        course_data.load_digits_split("test")
    np.savez(view / course_data.DIGITS_TRAINING_FILE, images=x_train[:1], labels=y_train[:1])
    with pytest.raises(ChecksumMismatch):
        course_data.load_digits_split("train")


# --- 09: Fashion-MNIST's IDX files, written here -----------------------------------------


def test_fashion_mnist_is_pinned_to_the_four_files_keras_downloads():
    import inspect

    from keras.src.datasets import fashion_mnist

    keras_source = inspect.getsource(fashion_mnist.load_data)
    names = [n for n in course_data.MANIFEST if n.startswith("fashion_mnist_")]
    assert len(names) == 4 and course_data.FASHION_MNIST_URL in keras_source
    for name in names:
        entry = course_data.MANIFEST[name]
        assert entry.filename in keras_source and entry.url.endswith(entry.filename)
        assert len(entry.sha256 or "") == 64 and entry.size and entry.folder == "fashion-mnist"


def test_an_idx_file_is_read_with_its_shape(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "images.gz", images)
    assert np.array_equal(course_data.read_idx(path, (3, 28, 28)), images)


@pytest.mark.parametrize(
    ("magic", "shape", "message"),
    [
        (bytes([0, 0, 0x0D, 3]), (2, 28, 28), "not an IDX file of unsigned bytes"),  # floats
        (bytes([0, 0, 0x08, 3]), (2,), "not an IDX file of unsigned bytes in 1"),  # labels?
        (b"\x1f\x8b\x08\x00", (2, 28, 28), "magic number"),
    ],
)
def test_an_idx_file_with_a_wrong_magic_number_is_refused(tmp_path, magic, shape, message):
    path = write_idx(tmp_path / "images.gz", np.zeros((2, 28, 28), np.uint8), magic=magic)
    with pytest.raises(course_data.BadIdxFile, match=message):
        course_data.read_idx(path, shape)


def test_an_idx_header_claiming_more_than_expected_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", 4_000_000_000, 28, 28)))
    with pytest.raises(course_data.BadIdxFile, match=r"shape \(4000000000, 28, 28\)"):
        course_data.read_idx(path, (60_000, 28, 28))


@pytest.mark.parametrize("cut", ["gzip stream", "data", "trailing bytes"])
def test_a_truncated_or_overlong_idx_file_is_refused(tmp_path, cut):
    path = write_idx(tmp_path / "labels.gz", np.arange(100, dtype=np.uint8))
    unpacked = gzip.decompress(path.read_bytes())
    if cut == "gzip stream":
        path.write_bytes(path.read_bytes()[:-20])
    else:
        changed = unpacked[:-10] if cut == "data" else unpacked + b"\x00"
        path.write_bytes(gzip.compress(changed))
    message = {"gzip stream": "not a complete gzip", "data": "ends early"}.get(cut, "goes on")
    with pytest.raises(course_data.BadIdxFile, match=message):
        course_data.read_idx(path, (100,))


@pytest.fixture
def fashion_mirror(monkeypatch, tmp_path) -> Path:
    """A mirror holding Fashion-MNIST's four files, written here, the manifest pinned to them."""
    mirror = tmp_path / "mirror"
    for name, sha256 in write_fashion_mnist(mirror).items():
        written = (mirror / course_data.MANIFEST[name].relative).stat().st_size
        entry = replace(course_data.MANIFEST[name], sha256=sha256, size=written)
        monkeypatch.setitem(course_data.MANIFEST, name, entry)
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(mirror))
    monkeypatch.setenv(course_data.CACHE_VARIABLE, str(tmp_path / "cache"))
    return mirror


def test_fashion_mnist_from_a_mirror_has_keras_layout(fashion_mirror):
    (x_train, y_train), (x_test, y_test) = course_data.load_fashion_mnist()
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8 and y_test.shape == (10_000,)
    assert np.array_equal(x_test[:, 0, 0], y_test * 25)  # each image the grey of its label


def test_a_fashion_mnist_file_with_a_wrong_hash_is_refused(fashion_mirror):
    path = fashion_mirror / course_data.MANIFEST["fashion_mnist_train_labels"].relative
    write_idx(path, np.ones(60_000, np.uint8))  # the same shape, other labels
    with pytest.raises(ChecksumMismatch):
        course_data.load_fashion_mnist_training()


def test_the_grading_view_holds_back_fashion_mnists_test_set(fashion_mirror, monkeypatch):
    training = course_data.load_fashion_mnist_training()
    names = tuple(n for n in course_data.MANIFEST if n.startswith("fashion_mnist_"))
    view = grading_view.grading_view(names)
    monkeypatch.setenv(course_data.MIRROR_VARIABLE, str(view))
    in_view = course_data.load_fashion_mnist_training()
    assert all(np.array_equal(a, b) for a, b in zip(in_view, training, strict=True))
    with pytest.raises(DataUnavailable, match="kept by the grader"):
        course_data.load_fashion_mnist()
    held = sorted(p.name for p in (view / "fashion-mnist").iterdir())
    assert held == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
