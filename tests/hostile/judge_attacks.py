"""A kernel that talks to the judge against the rules: every byte from it is hostile.

The kernel's side of grading is in the student's own process, so the
student can replace it. Each entry patches ``autograder.kernel.wire`` or
``.serve`` in an answer cell, so that the test cells after it send the judge
what a hostile kernel could: another assignment's or cell's name, a length
prefix of a terabyte, JSON nested 100,000 deep, blobs over the limit, a
model named by a path on the grader's disk, an error of megabytes. Each
must cost only the cells it reaches (zero, with the reason), leave the judge
running for the next cells, and never make it open a file the kernel names
or run another assignment's checks.
"""

from __future__ import annotations

from tests.hostile.base import (
    A01,
    A02,
    A03,
    A06,
    OFF_THE_LIST,
    QUICK_BINARY,
    QUICK_CATEGORICAL,
    Hostile,
    answered,
    ref,
)

OTHER_CELL = """
import autograder.kernel.serve as _serve

_real_serve_on = _serve.serve_on


def _other_cell(sock, assignment, cell, namespace, codec):  # asks for 04's accuracy checks
    return _real_serve_on(sock, "04_mnist_cnn", "cnn_accuracy", namespace, codec)


_serve.serve_on = _other_cell
"""

OUTSIDE_A_TEST_CELL = """
from autograder.kernel import serve

serve.serve("01_output_size", "conv_output_size", globals())  # no test cell runs now
print("asked the judge outside a test cell")
"""

# A reply whose length prefix promises a terabyte, and nothing after it.
HUGE_LENGTH = """
import struct

import autograder.kernel.serve as _serve
import autograder.kernel.wire as _wire

_real_send = _wire.send


def _huge(sock, header, blobs=()):
    if header.get("op") == "grade":
        return _real_send(sock, header, blobs)
    sock.sendall(struct.pack("!Q", 2**40))


_serve.wire.send = _huge
"""

DEEP_JSON = """
import struct

import autograder.kernel.serve as _serve
import autograder.kernel.wire as _wire

_real_send = _wire.send


def _deep(sock, header, blobs=()):
    if header.get("op") == "grade":
        return _real_send(sock, header, blobs)
    data = b'{"objects": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    sock.sendall(struct.pack("!Q", len(data)) + data)


_serve.wire.send = _deep
"""

BLOB_BOMB = """
import json
import struct

import autograder.kernel.serve as _serve
import autograder.kernel.wire as _wire

_real_send = _wire.send


def _bomb(sock, header, blobs=()):
    if header.get("op") == "grade":
        return _real_send(sock, header, blobs)
    data = json.dumps({"objects": {}, "blobs": [2**28] * 3}).encode()  # three of 256 MiB
    sock.sendall(struct.pack("!Q", len(data)) + data)


_serve.wire.send = _bomb
"""

# Models named by a path on the grader's disk: the judge must never load a file the kernel
# names, only the bytes it sends.
MODEL_BY_PATH = """
import autograder.kernel.wire as _wire

_real_encode = _wire.Codec.encode


def _by_path(self, value, blobs):
    if _wire.is_keras_model(value):
        return {"$": "model", "path": "/etc/passwd"}
    return _real_encode(self, value, blobs)


_wire.Codec.encode = _by_path
"""

# An error message of 5 MB, past the kernel side's own cut, which the judge must cut.
# The MNIST example (the self-check's call and its twin's) is answered: it keeps its point.
HUGE_ERROR = """
import numpy as np

import autograder.kernel.wire as _wire

_wire.describe_error = lambda error: {"names": ["ValueError"], "message": "x" * 5_000_000}


def one_hot(labels, num_classes=None):
    if np.ravel(labels).tolist() == [5] and num_classes == 10:
        return np.eye(10, dtype=np.float32)[[5]]
    raise ValueError("x" * 5_000_000)
"""

ONE_HOT_CHECKS = {
    "test_matches_to_categorical",
    "test_returns_float32",
    "test_accepts_list_array_and_column",
}
MODEL_CHECKS = {
    "test_categorical_model_outputs_a_2_way_softmax",
    "test_categorical_model_compiled_with_categorical_crossentropy",
    "test_binary_model_outputs_one_sigmoid_probability",
    "test_binary_model_compiled_with_binary_crossentropy",
}
NOT_RUN = "did not run"

ENTRIES = [
    Hostile(
        "asks_for_another_assignment",
        A01,
        answered(conv_param_count=ref(A01, "conv_param_count") + OTHER_CELL),
        frozenset({"test_conv_param_count"}),
        NOT_RUN,
    ),
    Hostile(
        "asks_outside_a_test_cell",
        A01,
        answered(conv_output_size=ref(A01, "conv_output_size") + OUTSIDE_A_TEST_CELL),
        reason="asked the judge outside a test cell",
    ),
    Hostile(
        "a_terabyte_length",
        A03,
        answered(from_one_hot=ref(A03, "from_one_hot") + HUGE_LENGTH),
        frozenset({"test_from_one_hot"}),
        NOT_RUN,
    ),
    Hostile(
        "json_nested_100000_deep",
        A01,
        answered(pool_output_size=ref(A01, "pool_output_size") + DEEP_JSON),
        frozenset({"test_pool_output_size", "test_conv_param_count"}),
        NOT_RUN,
    ),
    Hostile(
        "blobs_over_the_limit",
        A02,
        answered(max_pool2d=ref(A02, "max_pool2d") + BLOB_BOMB),
        frozenset({"test_max_pool2d"}),
        NOT_RUN,
        fails=OFF_THE_LIST,
    ),
    Hostile(
        "models_named_by_path",
        A06,
        answered(
            build_models=ref(A06, "build_models") + MODEL_BY_PATH,
            train_categorical=QUICK_CATEGORICAL,
            train_binary=QUICK_BINARY,
        ),
        frozenset({"test_binary_accuracy"}),
        "cannot read",
        fails=frozenset(MODEL_CHECKS),
    ),
    Hostile(
        "an_error_of_five_megabytes",
        A03,
        answered(one_hot=HUGE_ERROR),
        reason="ValueError: xxxx",
        fails=frozenset(ONE_HOT_CHECKS),
    ),
]
