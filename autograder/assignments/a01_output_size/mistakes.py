"""Realistic mistakes in 01_output_size: the conv/pool output-size formula."""

from __future__ import annotations

from autograder.mistakes.base import mistake

_CONV_SIZE = """
def conv_output_size(input_size, filter_size, stride=1, padding=0):
    if input_size <= 0 or filter_size <= 0 or stride <= 0 or padding < 0:
        raise ValueError("bad argument")
    padded = {padded}
    if filter_size > padded:
        raise ValueError("filter too large")
    return {formula}
"""


def _conv_size(padded: str = "input_size + 2 * padding", formula: str = "") -> str:
    return _CONV_SIZE.format(
        padded=padded, formula=formula or "(padded - filter_size) // stride + 1"
    )


MISTAKES = [
    mistake(
        "padding counted on one side only",
        "01_output_size",
        "conv_output_size",
        _conv_size(padded="input_size + padding"),
        {"test_conv_padding_matches_keras"},
    ),
    mistake(
        "true division: a float, and no floor",
        "01_output_size",
        "conv_output_size",
        _conv_size(formula="(padded - filter_size) / stride + 1"),
        {
            "test_conv_strides_match_keras",
            "test_conv_padding_matches_keras",
            "test_conv_returns_int",
        },
        demo=True,
    ),
    mistake(
        "formula without the + 1",
        "01_output_size",
        "conv_output_size",
        _conv_size(formula="(padded - filter_size) // stride"),
        {
            "test_lecture_conv_shapes",
            "test_conv_strides_match_keras",
            "test_conv_padding_matches_keras",
        },
        self_check_fails=frozenset({"test_conv_output_size"}),
    ),
    mistake(
        "integer division dropping the stride",
        "01_output_size",
        "conv_output_size",
        _conv_size(formula="(padded - filter_size) // 1 + 1"),
        {"test_conv_strides_match_keras", "test_conv_padding_matches_keras"},
    ),
    mistake(
        "no argument checks",
        "01_output_size",
        "conv_output_size",
        """
def conv_output_size(input_size, filter_size, stride=1, padding=0):
    return (input_size - filter_size + 2 * padding) // stride + 1
""",
        {"test_conv_rejects_invalid_arguments"},
    ),
    mistake(
        "same padding for even filters",
        "01_output_size",
        "same_padding",
        """
def same_padding(filter_size):
    return (filter_size - 1) // 2
""",
        {"test_same_padding_rejects_even_and_nonpositive"},
    ),
    mistake(
        "same padding of F - 1 (both sides counted as one)",
        "01_output_size",
        "same_padding",
        """
def same_padding(filter_size):
    if filter_size <= 0 or filter_size % 2 == 0:
        raise ValueError("odd sizes only")
    return filter_size - 1
""",
        {"test_same_padding_keeps_size"},
        self_check_fails=frozenset({"test_same_padding"}),
    ),
    mistake(
        "pooling ignores an explicit stride",
        "01_output_size",
        "pool_output_size",
        """
def pool_output_size(input_size, pool_size=2, stride=None):
    if input_size <= 0 or pool_size <= 0 or (stride is not None and stride <= 0):
        raise ValueError("sizes must be positive")
    if pool_size > input_size:
        raise ValueError("pool too large")
    return (input_size - pool_size) // pool_size + 1
""",
        {"test_pool_matches_keras"},
    ),
    mistake(
        "pooling stride defaults to 1",
        "01_output_size",
        "pool_output_size",
        """
def pool_output_size(input_size, pool_size=2, stride=None):
    stride = 1 if stride is None else stride
    if input_size <= 0 or pool_size <= 0 or stride <= 0:
        raise ValueError("sizes must be positive")
    if pool_size > input_size:
        raise ValueError("pool too large")
    return (input_size - pool_size) // stride + 1
""",
        {"test_lecture_pool_shapes", "test_pool_matches_keras"},
        self_check_fails=frozenset({"test_pool_output_size"}),
    ),
    mistake(
        "pooling without argument checks",
        "01_output_size",
        "pool_output_size",
        """
def pool_output_size(input_size, pool_size=2, stride=None):
    if stride is None:
        stride = pool_size
    return (input_size - pool_size) // stride + 1
""",
        {"test_pool_rejects_invalid_arguments"},
    ),
    mistake(
        "parameter count without the bias",
        "01_output_size",
        "conv_param_count",
        """
def conv_param_count(in_channels, filters, kernel_size):
    return kernel_size * kernel_size * in_channels * filters
""",
        {"test_lecture_parameter_counts", "test_parameter_counts_match_keras"},
        self_check_fails=frozenset({"test_conv_param_count"}),
    ),
    mistake(
        "square kernels only",
        "01_output_size",
        "conv_param_count",
        """
def conv_param_count(in_channels, filters, kernel_size):
    return (kernel_size * kernel_size * in_channels + 1) * filters
""",
        {"test_parameter_counts_match_keras"},
        demo=True,
    ),
]
