"""Does the data loader find, verify and download data sets safely?

Downloads go to a real HTTP server on 127.0.0.1 started by the test, serving
bytes with a known hash; nothing leaves this machine.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import stat
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from source_data import course_data, grading_view
from source_data.course_data import ChecksumMismatch, Dataset, DataUnavailable

PAYLOAD = b"not really mnist, but bytes with a known hash\n" * 1000


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path.startswith("/broken"):
            self.wfile.write(body[: len(body) // 10])  # then the connection drops
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A loopback HTTP server for the duration of one test; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
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


def test_download_with_a_wrong_hash_leaves_nothing(server, tmp_path):
    _Handler.files = {"/sample.bin": PAYLOAD}
    wrong = entry(f"{server}/sample.bin", PAYLOAD, sha256="0" * 64)
    with pytest.raises(ChecksumMismatch, match="corrupt"):
        course_data.download(wrong, tmp_path)
    assert leftovers(tmp_path) == []


def test_a_broken_connection_leaves_nothing(server, tmp_path):
    _Handler.files = {"/broken.bin": PAYLOAD}
    with pytest.raises(DataUnavailable):
        course_data.download(entry(f"{server}/broken.bin", PAYLOAD), tmp_path)
    assert leftovers(tmp_path) == []


def test_offline_without_a_mirror_says_how_to_set_one(tmp_path):
    closed = "http://127.0.0.1:9/sample.bin"  # the discard port: nothing listens
    with pytest.raises(DataUnavailable, match=course_data.MIRROR_VARIABLE):
        course_data.download(entry(closed, PAYLOAD), tmp_path, timeout=5)


def test_an_unpinned_data_set_is_never_downloaded(tmp_path):
    with pytest.raises(DataUnavailable, match="no pinned sha256"):
        course_data.download(entry("http://127.0.0.1:9/x", PAYLOAD, sha256=None), tmp_path)


def test_a_zip_download_is_verified_then_unpacked(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("PetImages/Cat/0.jpg", b"cat")
        archive.writestr("PetImages/Dog/0.jpg", b"dog")
    body = buffer.getvalue()
    _Handler.files = {"/pets.zip": body}
    pets = entry(f"{server}/pets.zip", body, filename="PetImages", archive_member="PetImages")
    folder = course_data.download(pets, tmp_path)
    assert (folder / "Cat" / "0.jpg").read_bytes() == b"cat"
    assert [p.name for p in tmp_path.iterdir()] == ["PetImages"]


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
    """A mirror holding a 20-image PetImages, each image a flat grey of its own, plus damage."""
    import cv2

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
