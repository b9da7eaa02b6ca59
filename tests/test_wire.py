"""What crosses between a student's kernel and the judge: data only, read with bounds.

The judge reads every byte from the kernel as hostile: each test here is a
message a kernel could send, and the judge must turn it into a WireError
(which costs only the cell being judged) without running anything, reading
a file the kernel names, or holding more than the bounds allow.
"""

from __future__ import annotations

import io
import json
import linecache
import socket
import struct
import threading
import time
import zipfile

import numpy as np
import pytest

from autograder.kernel import wire


def round_trip(codec: wire.Codec, value: object) -> object:
    """Encode, send through a real socket pair, receive, decode."""
    left, right = socket.socketpair()
    with left, right:
        blobs: list[bytes] = []
        header = {"value": codec.encode(value, blobs)}
        threading.Thread(target=wire.send, args=(left, header, blobs), daemon=True).start()
        received, received_blobs = wire.receive(right, time.monotonic() + 10)
    return codec.decode(received["value"], received_blobs)


def raw_reply(payload: bytes) -> socket.socket:
    """A socket from which the judge reads ``payload`` as sent by a kernel, then EOF."""
    left, right = socket.socketpair()

    def send() -> None:
        with left:
            left.sendall(payload)

    threading.Thread(target=send, daemon=True).start()
    return right


def framed(data: bytes) -> bytes:
    return struct.pack("!Q", len(data)) + data


def header(obj: object, blob_sizes: list[int] | None = None) -> bytes:
    return framed(json.dumps(obj if blob_sizes is None else {**obj, "blobs": blob_sizes}).encode())


def test_round_trip_keeps_values_and_types(tmp_path):
    codec = wire.Codec(tmp_path)
    value = {
        "images": np.arange(6, dtype=np.float32).reshape(2, 3),
        "count": np.int64(3),
        "labels": [1, 2.5, None, True, "고양이"],
        "pair": (np.bool_(True), (1, 2)),
        7: {"nested": np.array([], dtype=np.uint8)},
    }
    back = round_trip(codec, value)
    assert back.keys() == value.keys() and back["labels"] == value["labels"]
    assert back["images"].dtype == np.float32 and np.array_equal(back["images"], value["images"])
    assert isinstance(back["count"], np.int64) and back["pair"][1] == (1, 2)
    assert back[7]["nested"].dtype == np.uint8


def test_functions_and_objects_travel_as_references(tmp_path):
    codec = wire.Codec(tmp_path)
    blobs: list[bytes] = []
    encoded = codec.encode([len, lambda: 1, np.array([object()])], blobs)
    kinds = [item["kind"] for item in encoded["items"]]
    assert kinds == ["object", "function", "object"]
    assert isinstance(codec.decode(encoded, blobs)[1], wire.Opaque)


def test_errors_are_rebuilt_by_name_on_a_builtin_base_with_bounded_text():
    class StudentError(ValueError):
        pass

    error = wire.rebuild_error(wire.describe_error(StudentError("bad pad")))
    assert isinstance(error, ValueError) and type(error).__name__ == "StudentError"
    assert str(error) == "bad pad"
    assert type(wire.rebuild_error({"names": ["Mystery"], "message": ""})).__bases__ == (Exception,)
    forged = wire.rebuild_error(
        {"names": ["x" * 10_000, "not an identifier!"], "message": "m" * 10**7}
    )
    assert len(str(forged)) == wire.MAX_TEXT and len(type(forged).__name__) <= 100


def _raise_in_cells() -> BaseException:
    """An error raised by code of two notebook cells through NumPy, as a kernel would see it."""
    namespace: dict[str, object] = {"np": np}
    cells = [
        "def window_response(window, bias):\n    return np.sum(window) + float(bias)\n",
        "def conv2d(image):\n"
        "    bias = np.zeros((1, 1, 1))\n"
        "    return window_response(image, bias)\n",
    ]
    for index, source in enumerate(cells):
        name = f"<notebook cell {index}>"
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        exec(compile(source, name, "exec"), namespace)
    try:
        namespace["conv2d"](np.ones((3, 3)))  # type: ignore[operator]
    except TypeError as error:
        return error
    raise AssertionError("conv2d did not raise")


def test_an_error_carries_the_students_frames_and_no_library_frame():
    error = wire.rebuild_error(wire.describe_error(_raise_in_cells()))
    assert [(f["function"], f["line"]) for f in error.student_frames] == [
        ("conv2d", 3),
        ("window_response", 2),
    ]
    assert error.student_frames[-1]["code"] == "return np.sum(window) + float(bias)"
    assert "only 0-dimensional arrays" in str(error)


def test_frames_from_a_hostile_kernel_are_read_within_bounds():
    frames = [{"function": "f" * 10_000, "line": 3, "code": "c" * 10_000}] * 100
    junk = ["not a frame", {"line": "3"}, {"line": True}, {"line": -1}, {"line": 2, "code": [1]}]
    error = wire.rebuild_error({"names": ["ValueError"], "message": "", "frames": frames + junk})
    assert len(error.student_frames) <= wire.MAX_FRAMES
    assert all(len(f["function"]) <= wire.MAX_FRAME_TEXT for f in error.student_frames)
    assert error.student_frames[-1] == {"function": "", "line": 2, "code": ""}
    assert wire.rebuild_error({"names": ["E"], "frames": "x" * 100}).student_frames == ()


def test_what_is_not_a_message_is_refused(tmp_path):
    with pytest.raises(wire.WireError):
        wire.receive(raw_reply(struct.pack("!Q", 5) + b"[1,2]"))
    with pytest.raises(wire.WireError):
        wire.Codec(tmp_path).decode({"$": "pickle", "data": "..."}, [])


def test_a_huge_length_is_refused_before_reading_it():
    with pytest.raises(wire.WireError, match="over the"):
        wire.receive(raw_reply(struct.pack("!Q", 2**40)))


def test_deep_nesting_and_too_many_values_are_refused():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(wire.WireError, match="nested"):
        wire.receive(raw_reply(framed(b'{"a": ' + deep + b"}")))
    many = {"items": [0] * (wire.MAX_ITEMS + 1)}
    with pytest.raises(wire.WireError):
        wire.receive(raw_reply(header(many)))


def test_blob_sizes_over_the_limits_are_refused_before_reading():
    for sizes in (
        [wire.MAX_BLOB + 1],
        [wire.MAX_BLOB] * 3,
        [0] * (wire.MAX_BLOBS + 1),
        [-1],
        ["9"],
    ):
        with pytest.raises(wire.WireError, match="blobs"):
            wire.receive(raw_reply(header({"op": "x"}, sizes)))


def test_a_peer_that_stops_sending_meets_the_deadline():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(struct.pack("!Q", 100) + b'{"op":')  # and then nothing
        started = time.monotonic()
        with pytest.raises(wire.WireError, match="stopped sending"):
            wire.receive(right, time.monotonic() + 0.5)
        assert time.monotonic() - started < 5


def test_a_value_naming_a_missing_blob_or_a_file_is_refused(tmp_path):
    codec = wire.Codec(tmp_path)
    with pytest.raises(wire.WireError):
        codec.decode({"$": "array", "blob": 3}, [])
    with pytest.raises(wire.WireError):
        codec.decode({"$": "model", "path": "/etc/passwd"}, [])  # no path is ever opened


def test_an_array_blob_with_pickles_or_a_lying_header_is_refused(tmp_path):
    codec = wire.Codec(tmp_path)
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        codec.decode({"$": "array", "blob": 0}, [pickled.getvalue()])
    lying = io.BytesIO()
    np.save(lying, np.zeros(10))
    short = lying.getvalue()[:-40]  # the header promises 80 bytes of data
    with pytest.raises(wire.WireError):
        codec.decode({"$": "array", "blob": 0}, [short])


def test_a_model_that_is_not_a_small_keras_archive_is_opaque(tmp_path):
    codec = wire.Codec(tmp_path)
    garbage = codec.decode({"$": "model", "blob": 0}, [b"not a zip"])
    assert isinstance(garbage, wire.Opaque) and "not a .keras archive" in repr(garbage)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.weights.h5", b"\0" * (wire.MAX_MODEL_UNPACKED + 1))
    model = codec.decode({"$": "model", "blob": 0}, [bomb.getvalue()])
    assert isinstance(model, wire.Opaque) and "unpacks to more" in repr(model)
    sneaky = io.BytesIO()
    with zipfile.ZipFile(sneaky, "w") as archive:
        archive.writestr("../../escape.h5", b"x")
    assert isinstance(codec.decode({"$": "model", "blob": 0}, [sneaky.getvalue()]), wire.Opaque)
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_keras_model_round_trips_as_a_blob(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    back = round_trip(wire.Codec(tmp_path), {"model": model})["model"]
    x = np.ones((4, 3), np.float32)
    assert np.allclose(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert list(tmp_path.iterdir()) == []
