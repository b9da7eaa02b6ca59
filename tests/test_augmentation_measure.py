"""Does 08's measurement read a mirror, a turn and a zoom right, and see what is not one?

The hidden checks of 08 judge an augmentation by where the spots of their
probe photos land (``autograder/assignments/a08_petimages_augmentation/checks.py``).
Here the photos are moved by transforms chosen in advance, with Keras's own
warp (the one its RandomRotation and RandomZoom use), and the measurement
must give those transforms back; a shift, or two photos blended, must not
pass for one.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.assignments.a08_petimages_augmentation import checks as a08

CENTRE = (a08.IMG_SIZE - 1) / 2


def warped(photos: np.ndarray, turn: float, zoom: float, shift: float = 0.0) -> np.ndarray:
    """The photos turned by ``turn`` degrees and zoomed by ``zoom`` about the centre (and
    shifted right by ``shift`` pixels), with Keras's affine transform, as its layers do."""
    import keras

    c, s = np.cos(np.radians(turn)) * zoom, np.sin(np.radians(turn)) * zoom
    # Each output pixel (x, y) reads the input at centre + zoom * R(turn) (output - centre).
    transform = [c, -s, CENTRE - c * CENTRE + s * CENTRE - shift]
    transform += [s, c, CENTRE - s * CENTRE - c * CENTRE, 0.0, 0.0]
    matrix = np.tile(np.array(transform, np.float32), (len(photos), 1))
    return np.asarray(keras.ops.image.affine_transform(photos, matrix, fill_mode="reflect"))


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    return a08.probe_photos(np.random.default_rng(0), 40)


@pytest.mark.parametrize("mirrored", [False, True])
@pytest.mark.parametrize(
    ("turn", "zoom"), [(0.0, 1.0), (-36.0, 0.8), (-12.0, 1.2), (24.0, 0.9), (36.0, 1.1)]
)
def test_a_known_mirror_turn_and_zoom_are_read_back(photos, mirrored, turn, zoom):
    source = photos[:, :, ::-1] if mirrored else photos
    found = a08.measure(photos, warped(source, turn, zoom))
    assert found.kept.all() and np.all(found.mirrored == mirrored)
    # The output shows the input turned the other way, at 1/zoom of its size.
    assert np.abs(found.angle + turn).max() < 0.5, found.angle
    assert np.abs(found.zoom - zoom).max() < a08.ZOOM_SLACK, found.zoom


def test_a_shift_or_a_blend_is_not_a_mirror_turn_or_zoom(photos):
    assert not a08.measure(photos, warped(photos, 10.0, 1.0, shift=3.0)).kept.any()
    blended = 0.5 * photos + 0.5 * np.roll(photos, 1, axis=0)  # each photo half another's
    assert not a08.measure(photos, blended).kept.any()
    assert a08.measure(photos, photos).kept.all()
