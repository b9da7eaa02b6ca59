"""Realistic mistakes in 02_manual_convolution: convolution, padding and pooling by hand."""

from __future__ import annotations

from autograder.mistakes.base import mistake

_CONV2D = """
def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=float){flip}
    if stride < 1 or padding < 0:
        raise ValueError("bad stride or padding")
    padded = zero_pad(image, padding)
    kh, kw = kernel.shape
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError("kernel too large")
    out_h = {out_h}
    out_w = {out_w}
    out = {out}
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.sum(window * kernel)
    return out
"""


def _conv2d(flip: str = "", size: str = "// stride + 1", out: str = "") -> str:
    return _CONV2D.format(
        flip=flip,
        out_h=f"(padded.shape[0] - kh) {size}",
        out_w=f"(padded.shape[1] - kw) {size}",
        out=out or "np.zeros((out_h, out_w))",
    )


MISTAKES = [
    mistake(
        "true convolution: the kernel flipped",
        "02_manual_convolution",
        "conv2d",
        _conv2d(flip="[::-1, ::-1]"),
        {
            "test_conv2d_lecture_example",
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
        },
        self_check_fails=frozenset({"test_conv2d"}),
    ),
    mistake(
        "padding on one side only",
        "02_manual_convolution",
        "zero_pad",
        """
def zero_pad(image, pad):
    image = np.asarray(image, dtype=float)
    if image.ndim != 2 or pad < 0:
        raise ValueError("bad image or pad")
    return np.pad(image, ((0, pad), (0, pad)))
""",
        {"test_zero_pad_matches_np_pad", "test_conv2d_matches_tensorflow_strides_and_padding"},
        self_check_fails=frozenset({"test_zero_pad"}),
        demo=True,
    ),
    mistake(
        "zero padding without argument checks",
        "02_manual_convolution",
        "zero_pad",
        """
def zero_pad(image, pad):
    height, width = image.shape[0], image.shape[1]
    out = np.zeros((height + 2 * pad, width + 2 * pad))
    for i in range(height):
        for j in range(width):
            out[i + pad, j + pad] = image[i, j]
    return out
""",
        {"test_zero_pad_rejects_bad_arguments"},
    ),
    mistake(
        "zero padding that keeps the integer dtype",
        "02_manual_convolution",
        "zero_pad",
        """
def zero_pad(image, pad):
    if np.ndim(image) != 2 or pad < 0:
        raise ValueError("bad image or pad")
    return np.pad(image, pad)
""",
        {"test_zero_pad_returns_float"},
    ),
    mistake(
        "conv2d assumes a square kernel",
        "02_manual_convolution",
        "conv2d",
        """
def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0:
        raise ValueError("bad stride or padding")
    padded = zero_pad(image, padding)
    f = kernel.shape[0]  # an F x F kernel, as on the slides
    if f > padded.shape[0] or f > padded.shape[1]:
        raise ValueError("kernel too large")
    out_h = (padded.shape[0] - f) // stride + 1
    out_w = (padded.shape[1] - f) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * stride : i * stride + f, j * stride : j * stride + f]
            out[i, j] = np.sum(window * kernel)
    return out
""",
        # The 2x6 kernel of the shapes check fails to broadcast: a ValueError all the same.
        {
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
        },
    ),
    mistake(
        "output size without the stride",
        "02_manual_convolution",
        "conv2d",
        _conv2d(size="+ 1"),
        {"test_conv2d_matches_tensorflow_strides_and_padding"},
    ),
    mistake(
        "integer output array (np.zeros_like keeps int dtype)",
        "02_manual_convolution",
        "conv2d",
        _conv2d(out="np.zeros((out_h, out_w), dtype=np.asarray(image).dtype)"),
        {"test_conv2d_returns_float"},
    ),
    mistake(
        "a library convolution (scipy.signal.correlate2d)",
        "02_manual_convolution",
        "conv2d",
        """
from scipy.signal import correlate2d

def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0:
        raise ValueError("bad stride or padding")
    padded = zero_pad(image, padding)
    if kernel.shape[0] > padded.shape[0] or kernel.shape[1] > padded.shape[1]:
        raise ValueError("kernel too large")
    return correlate2d(padded, kernel, mode="valid")[::stride, ::stride]
""",
        {
            "test_conv2d_lecture_example",
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
            "test_conv2d_returns_float",
        },
    ),
    mistake(
        "hard-coded lecture example",
        "02_manual_convolution",
        "conv2d",
        """
def conv2d(image, kernel, stride=1, padding=0):
    return np.array([[32, 56, 34], [33, 49, 33], [33, 39, 39]], dtype=float)
""",
        {
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
            "test_conv2d_rejects_impossible_shapes",
        },
    ),
    mistake(
        "max pooling that starts from 0",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    feature_map = np.asarray(feature_map, dtype=float)
    stride = pool_size if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(feature_map.shape):
        raise ValueError("bad pool")
    out_h = (feature_map.shape[0] - pool_size) // stride + 1
    out_w = (feature_map.shape[1] - pool_size) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            best = 0.0
            for value in feature_map[i * stride : i * stride + pool_size,
                                     j * stride : j * stride + pool_size].ravel():
                best = max(best, value)
            out[i, j] = best
    return out
""",
        {"test_max_pool_negative_values"},
        demo=True,
    ),
    mistake(
        "pooling stride defaults to 1 (overlapping windows)",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    feature_map = np.asarray(feature_map, dtype=float)
    stride = 1 if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(feature_map.shape):
        raise ValueError("bad pool")
    windows = np.lib.stride_tricks.sliding_window_view(feature_map, (pool_size, pool_size))
    return windows[::stride, ::stride].max(axis=(2, 3))
""",
        {
            "test_max_pool_example",
            "test_max_pool_matches_tensorflow",
            "test_max_pool_negative_values",
        },
        self_check_fails=frozenset({"test_max_pool2d"}),
    ),
    mistake(
        "pooling without argument checks",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    feature_map = np.asarray(feature_map, dtype=float)
    stride = pool_size if stride is None else stride
    out_h = (feature_map.shape[0] - pool_size) // stride + 1
    out_w = (feature_map.shape[1] - pool_size) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = feature_map[i * stride : i * stride + pool_size,
                                    j * stride : j * stride + pool_size].max()
    return out
""",
        {"test_max_pool_rejects_impossible_shapes"},
    ),
    mistake(
        "pooling ignores an explicit stride",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    feature_map = np.asarray(feature_map, dtype=float)
    if pool_size < 1 or (stride is not None and stride < 1) or pool_size > min(feature_map.shape):
        raise ValueError("bad pool")
    h, w = feature_map.shape[0] // pool_size, feature_map.shape[1] // pool_size
    windows = feature_map[: h * pool_size, : w * pool_size].reshape(h, pool_size, w, pool_size)
    return windows.max(axis=(1, 3))
""",
        {"test_max_pool_matches_tensorflow"},
    ),
    mistake(
        "ReLU applied in place before pooling",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    stride = pool_size if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(np.shape(feature_map)):
        raise ValueError("bad pool")
    feature_map[feature_map < 0] = 0
    out_h = (feature_map.shape[0] - pool_size) // stride + 1
    out_w = (feature_map.shape[1] - pool_size) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = feature_map[i * stride : i * stride + pool_size,
                                    j * stride : j * stride + pool_size].max()
    return out
""",
        # It writes into its input, but the same way every time: the results tell nothing.
        {"test_max_pool_negative_values"},
    ),
    mistake(
        "max pooling into an array like the input's (np.zeros_like keeps int dtype)",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    stride = pool_size if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(np.shape(feature_map)):
        raise ValueError("bad pool")
    out_h = (feature_map.shape[0] - pool_size) // stride + 1
    out_w = (feature_map.shape[1] - pool_size) // stride + 1
    out = np.zeros_like(feature_map)[:out_h, :out_w]
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = feature_map[i * stride : i * stride + pool_size,
                                    j * stride : j * stride + pool_size].max()
    return out
""",
        {"test_max_pool_returns_float"},
    ),
    mistake(
        "max pooling written into the input array to save memory",
        "02_manual_convolution",
        "max_pool2d",
        """
def max_pool2d(feature_map, pool_size=2, stride=None):
    stride = pool_size if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(np.shape(feature_map)):
        raise ValueError("bad pool")
    feature_map = np.asarray(feature_map, dtype=float)  # no copy when it is float already
    out_h = (feature_map.shape[0] - pool_size) // stride + 1
    out_w = (feature_map.shape[1] - pool_size) // stride + 1
    for i in range(out_h):
        for j in range(out_w):
            feature_map[i, j] = feature_map[i * stride : i * stride + pool_size,
                                            j * stride : j * stride + pool_size].max()
    return feature_map[:out_h, :out_w].copy()
""",
        {"test_max_pool_keeps_input"},
    ),
    mistake(
        "zero padding that scales pixels to [0, 1] in the caller's array",
        "02_manual_convolution",
        "zero_pad",
        """
def zero_pad(image, pad):
    image = np.asarray(image, dtype=float)
    if image.ndim != 2 or pad < 0:
        raise ValueError("bad image or pad")
    image /= 255.0  # pixels to [0, 1], written into the caller's array
    out = np.zeros((image.shape[0] + 2 * pad, image.shape[1] + 2 * pad))
    out[pad : pad + image.shape[0], pad : pad + image.shape[1]] = image
    return out
""",
        {
            "test_zero_pad_matches_np_pad",
            "test_zero_pad_keeps_input",
            "test_conv2d_keeps_inputs",
            "test_conv2d_lecture_example",
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
        },
        self_check_fails=frozenset({"test_zero_pad", "test_conv2d"}),
    ),
    mistake(
        "true convolution, the kernel flipped in place",
        "02_manual_convolution",
        "conv2d",
        _conv2d(flip="\n    kernel[:] = kernel[::-1, ::-1].copy()"),
        {
            "test_conv2d_lecture_example",
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
            "test_conv2d_keeps_inputs",
        },
        self_check_fails=frozenset({"test_conv2d"}),
    ),
]
