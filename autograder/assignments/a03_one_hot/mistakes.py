"""Realistic mistakes in 03_one_hot: one-hot encoding."""

from __future__ import annotations

from autograder.mistakes.base import mistake

_ONE_HOT = """
def one_hot(labels, num_classes=None):
    labels = np.asarray(labels){flatten}
    if {validate}:
        raise ValueError("labels must be non-negative integers")
    labels = labels.astype(int)
    if num_classes is None:
        num_classes = {num_classes}
    if labels.max() >= num_classes:
        raise ValueError("label out of range")
    {encode}
"""


def _one_hot(
    flatten: str = ".reshape(-1)",
    validate: str = "np.any(labels < 0) or np.any(labels != np.round(labels))",
    num_classes: str = "labels.max() + 1",
    encode: str = "return np.eye(num_classes, dtype=np.float32)[labels]",
) -> str:
    return _ONE_HOT.format(
        flatten=flatten, validate=validate, num_classes=num_classes, encode=encode
    )


MISTAKES = [
    mistake(
        "float64, np.eye's default dtype",
        "03_one_hot",
        "one_hot",
        _one_hot(encode="return np.eye(num_classes)[labels]"),
        {"test_returns_float32"},
        demo=True,
    ),
    mistake(
        "transposed result, shape (C, N)",
        "03_one_hot",
        "one_hot",
        _one_hot(encode="return np.eye(num_classes, dtype=np.float32)[:, labels]"),
        {
            "test_mnist_label_five",
            "test_matches_to_categorical",
            "test_accepts_list_array_and_column",
        },
        self_check_fails=frozenset({"test_one_hot"}),
    ),
    mistake(
        "number of classes from the labels present",
        "03_one_hot",
        "one_hot",
        _one_hot(num_classes="len(np.unique(labels))"),
        {"test_matches_to_categorical"},
    ),
    mistake(
        "an (N, 1) column not flattened",
        "03_one_hot",
        "one_hot",
        _one_hot(
            flatten="",
            encode="out = np.zeros((len(labels), num_classes), dtype=np.float32)\n"
            "    out[np.arange(len(labels)), labels] = 1.0\n    return out",
        ),
        {"test_accepts_list_array_and_column"},
    ),
    mistake(
        "np.eye indexed by an (N, 1) column: shape (N, 1, C)",
        "03_one_hot",
        "one_hot",
        _one_hot(flatten=""),
        {"test_accepts_list_array_and_column"},
    ),
    mistake(
        "no label validation (NumPy wraps -1 around)",
        "03_one_hot",
        "one_hot",
        """
def one_hot(labels, num_classes=None):
    labels = np.asarray(labels).reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    return np.eye(num_classes, dtype=np.float32)[labels.astype(int)]
""",
        {"test_rejects_bad_labels"},
    ),
    mistake(
        "argmax over the wrong axis",
        "03_one_hot",
        "from_one_hot",
        """
def from_one_hot(y):
    return np.argmax(y, axis=0)
""",
        {"test_from_one_hot_round_trip", "test_from_probabilities_gives_integer_labels"},
        self_check_fails=frozenset({"test_from_one_hot"}),
    ),
    mistake(
        "labels returned as floats",
        "03_one_hot",
        "from_one_hot",
        """
def from_one_hot(y):
    return np.argmax(np.asarray(y), axis=1).astype(float)
""",
        {"test_from_probabilities_gives_integer_labels"},
        demo=True,
    ),
]
