"""Do the checks' references still say what TensorFlow and Keras say?

Grading the NumPy assignments never imports TensorFlow: 01 reads Keras's
answers from a recording (``autograder/checks/keras_values.npz``), 02 and
03 compute TensorFlow's and Keras's results with NumPy. Here the library
itself is asked again, so neither can drift from it after an upgrade.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.assignments.a02_manual_convolution.checks import (
    conv_cases,
    reference_conv2d,
    reference_max_pool,
)
from autograder.assignments.a03_one_hot.checks import random_labels, to_categorical
from autograder.checks import keras_values

RERUN = f"the recording is stale: run python -m {keras_values.__name__}"


def test_recorded_keras_values_are_what_keras_computes_now():
    """500 random entries of each table, asked again (all of them take a minute)."""
    rng = np.random.default_rng()
    for _ in range(500):
        size, kernel = int(rng.integers(1, 65)), int(rng.integers(1, 12))
        stride, padding = int(rng.integers(1, 5)), int(rng.integers(0, 6))
        if kernel <= size + 2 * padding:
            expected = keras_values.keras_conv_size(size, kernel, stride, padding)
            assert keras_values.conv_size(size, kernel, stride, padding) == expected, RERUN
        size, pool, stride = int(rng.integers(1, 65)), int(rng.integers(1, 6)), int(rng.integers(5))
        if pool <= size:
            expected = keras_values.keras_pool_size(size, pool, stride)
            assert keras_values.pool_size(size, pool, stride or None) == expected, RERUN


def test_parameter_counts_are_keras_count_params():
    """Random layers of many filters: the recorded one-filter count grows by itself per filter."""
    rng = np.random.default_rng()
    for _ in range(50):
        channels, filters = int(rng.integers(1, 65)), int(rng.integers(1, 129))
        kernel = (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
        expected = keras_values.keras_param_count(channels, *kernel, filters=filters)
        assert keras_values.param_count(channels, filters, kernel) == expected, RERUN


def test_numpy_convolution_and_pooling_are_tensorflows():
    import tensorflow as tf

    rng = np.random.default_rng()
    for case in conv_cases(rng, 60, strides=(1, 2, 3), paddings=(0, 1, 2)):
        image, kernel, stride, padding = case.values()
        pads = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
        images = tf.constant(image[None, :, :, None], dtype=tf.float64)
        kernels = tf.constant(kernel[:, :, None, None], dtype=tf.float64)
        expected = tf.nn.conv2d(images, kernels, stride, pads).numpy()[0, :, :, 0]
        np.testing.assert_allclose(reference_conv2d(image, kernel, stride, padding), expected)
    for _ in range(60):
        feature_map = rng.normal(size=tuple(rng.integers(3, 13, size=2)))
        pool, stride = int(rng.integers(1, 4)), [None, 1, 2, 3][int(rng.integers(0, 4))]
        maps = tf.constant(feature_map[None, :, :, None], dtype=tf.float64)
        expected = tf.nn.max_pool2d(maps, pool, stride or pool, "VALID").numpy()[0, :, :, 0]
        np.testing.assert_array_equal(reference_max_pool(feature_map, pool, stride), expected)


@pytest.mark.parametrize("given", [True, False])
def test_numpy_one_hot_is_to_categorical(given):
    from keras.utils import to_categorical as keras_to_categorical

    rng = np.random.default_rng()
    for _ in range(100):
        labels, num_classes = random_labels(rng)
        classes = num_classes if given else None
        expected = keras_to_categorical(labels, classes)
        result = to_categorical(labels, classes)
        assert result.shape == expected.shape and np.array_equal(result, expected)
