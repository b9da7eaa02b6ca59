"""Output sizes and parameter counts as Keras computes them, recorded once.

01's checks compare the student's formulas with Keras itself, not with a
second hand-written formula. Asking Keras at grading time would import
TensorFlow (seconds per notebook) for integer arithmetic, so the answers are
recorded here, once, for every case the checks can draw, and read back with
NumPy. ``tests/test_references.py`` asks Keras again for every entry, so
the recording cannot drift from the library. After a Keras upgrade::

    python -m autograder.checks.keras_values     # rewrites keras_values.npz

Tables (``-1`` where Keras refuses the arguments):

* ``conv[size, kernel, stride, padding]``: ZeroPadding2D(padding) then
  Conv2D(kernel, strides=stride, padding="valid"), one side of the output;
* ``pool[size, pool, stride]``: MaxPooling2D(pool, strides=stride), where
  stride 0 stands for ``None``;
* ``params[channels, kernel_h, kernel_w]``: Conv2D(1, (kernel_h, kernel_w))
  on ``channels`` input channels; Keras's count grows by exactly this much
  per filter, which the test checks too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("keras_values.npz")
SIZES = range(1, 65)  # input sizes W
KERNELS = range(1, 12)  # filter sizes F (odd ones up to 11 for 'same' padding)
STRIDES = range(1, 5)
PADDINGS = range(0, 6)
POOLS = range(1, 6)
POOL_STRIDES = range(0, 5)  # 0: None, the pool size
CHANNELS = range(1, 65)
PARAM_KERNELS = range(1, 8)


@cache
def tables() -> dict[str, np.ndarray]:
    """The recorded tables, by name."""
    with np.load(PATH) as data:
        return {name: data[name] for name in data.files}


def conv_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Keras's output size for a convolution (see the module docstring), or -1."""
    return int(tables()["conv"][size, kernel, stride, padding])


def pool_size(size: int, pool: int, stride: int | None) -> int:
    """Keras's output size for max pooling, or -1."""
    return int(tables()["pool"][size, pool, stride or 0])


def param_count(channels: int, filters: int, kernel: int | tuple[int, int]) -> int:
    """Keras's ``count_params()`` of ``Conv2D(filters, kernel)`` on ``channels`` channels."""
    height, width = (kernel, kernel) if isinstance(kernel, int) else kernel
    return filters * int(tables()["params"][channels, height, width])


def keras_conv_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Ask Keras: ZeroPadding2D(padding) then Conv2D(kernel, strides=stride), one side."""
    from keras import layers

    padded = layers.ZeroPadding2D(padding).compute_output_shape((None, size, size, 1))
    return layers.Conv2D(1, kernel, strides=stride).compute_output_shape(padded)[1]


def keras_pool_size(size: int, pool: int, stride: int) -> int:
    """Ask Keras: MaxPooling2D(pool, strides=stride or None), one side."""
    from keras import layers

    layer = layers.MaxPooling2D(pool, strides=stride or None)
    return layer.compute_output_shape((None, size, size, 1))[1]


def keras_param_count(channels: int, height: int, width: int, filters: int = 1) -> int:
    """Ask Keras: Conv2D(filters, (height, width)).count_params() on ``channels`` channels."""
    from keras import layers

    layer = layers.Conv2D(filters, (height, width))
    layer.build((None, 32, 32, channels))
    return layer.count_params()


def record() -> dict[str, np.ndarray]:
    """Ask Keras for every entry of every table (imports TensorFlow; about a minute)."""
    conv = np.full((65, 12, 5, 6), -1, np.int16)
    for size, kernel, stride, padding in np.ndindex(conv.shape):
        valid = size in SIZES and kernel in KERNELS and stride in STRIDES and padding in PADDINGS
        if valid and kernel <= size + 2 * padding:
            conv[size, kernel, stride, padding] = keras_conv_size(size, kernel, stride, padding)
    pool = np.full((65, 6, 5), -1, np.int16)
    for size, window, stride in np.ndindex(pool.shape):
        if size in SIZES and window in POOLS and stride in POOL_STRIDES and window <= size:
            pool[size, window, stride] = keras_pool_size(size, window, stride)
    params = np.zeros((65, 8, 8), np.int32)
    for channels, height, width in np.ndindex(params.shape):
        if channels in CHANNELS and height in PARAM_KERNELS and width in PARAM_KERNELS:
            params[channels, height, width] = keras_param_count(channels, height, width)
    return {"conv": conv, "pool": pool, "params": params}


if __name__ == "__main__":
    recorded = record()
    np.savez_compressed(
        PATH, conv=recorded["conv"], pool=recorded["pool"], params=recorded["params"]
    )
    print(f"recorded {PATH}")
