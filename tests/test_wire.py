"""What crosses between a student's kernel and the judge: data only, parsed with bounds."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from autograder.kernel import wire


def test_wire_round_trip_keeps_values_and_types(tmp_path):
    codec = wire.Codec(tmp_path)
    value = {
        "images": np.arange(6, dtype=np.float32).reshape(2, 3),
        "count": np.int64(3),
        "labels": [1, 2.5, None, True, "고양이"],
        "pair": (np.bool_(True), (1, 2)),
        7: {"nested": np.array([], dtype=np.uint8)},
    }
    back = codec.decode(json_round_trip(codec.encode(value)))
    assert back.keys() == value.keys() and back["labels"] == value["labels"]
    assert back["images"].dtype == np.float32 and np.array_equal(back["images"], value["images"])
    assert isinstance(back["count"], np.int64) and back["pair"][1] == (1, 2)
    assert back[7]["nested"].dtype == np.uint8


def test_wire_sends_functions_and_objects_as_references(tmp_path):
    codec = wire.Codec(tmp_path)
    encoded = codec.encode([len, lambda: 1, np.array([object()])])
    kinds = [item["kind"] for item in encoded["items"]]
    assert kinds == ["object", "function", "object"]
    assert isinstance(codec.decode(encoded)[1], wire.Opaque)


def test_wire_rebuilds_errors_by_name_on_a_builtin_base():
    class StudentError(ValueError):
        pass

    error = wire.rebuild_error(wire.describe_error(StudentError("bad pad")))
    assert isinstance(error, ValueError) and type(error).__name__ == "StudentError"
    assert str(error) == "bad pad"
    assert type(wire.rebuild_error({"names": ["Mystery"], "message": ""})).__bases__ == (Exception,)


def test_wire_rejects_what_is_not_a_message(tmp_path):
    left, right = socket.socketpair()
    with left, right:
        left.sendall((5).to_bytes(8, "big") + b"[1,2]")
        with pytest.raises(wire.WireError):
            wire.receive(right)
    with pytest.raises(wire.WireError):
        wire.Codec(tmp_path).decode({"$": "pickle", "data": "..."})


def json_round_trip(value: object) -> object:
    return json.loads(json.dumps(value))
