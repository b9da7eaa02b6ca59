"""Hidden checks for 08_petimages_augmentation: augmentation and dropout, judged by behaviour.

Nothing here reads a layer's name or class. The augmentation and the models
reach the judge as ``.keras`` files loaded in Keras's ``safe_mode`` (so no
code of the student's runs here), and the checks call them:

* **Augmentation.** ``build_augmentation()`` gets 200 probe photos: a black
  picture with one Gaussian spot per colour channel, placed at random near
  the centre. Where each spot lands in the output (its centroid within the
  central disk, which the fill of a rotation or zoom never reaches) gives,
  per photo, the transform about the centre that moved it: mirrored or not,
  the angle, the zoom, and how well such a transform fits at all, spot by
  spot, with each spot's brightness and size kept (:func:`measure`). The
  ranges are the notebook's layers: a left-right mirror half of the time,
  ``RandomRotation(0.1)`` = a tenth of a full turn either way (±36°),
  ``RandomZoom(0.2)`` = a scale from 0.8 to 1.2, about the centre, nothing
  else; with ``training=False`` the photos come back as they went in.
* **The model.** Its input stage (the layers before the first one with
  weights, called in order) must turn 0-255 pixels into 0-1 at inference
  and change nearly every photo in training; Dropout shows on photos of one
  flat colour, which no flip, rotation or zoom changes: in training two
  calls differ, at inference never; ``build_model(augment=False)`` has
  nothing random at all.
* **Accuracy.** The trained ``model`` is measured on the PetImages hold-out
  (the 1,200 photos whose number is a multiple of 5, which the kernel cannot
  read while graded) once it is shown to be learnt in the graded run
  (``models.expect_own_model``) within the training budget, one point each
  at 0.55, 0.58 and 0.60: every seed of the reference measured reaches all
  three (benchmarks/augmentation.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest

from autograder.checks.api import CheckFailed, check, describe, expect
from autograder.checks.models import (
    expect_compiled_loss,
    expect_own_model,
    expect_tier,
    expect_within_budget,
    keras_module,
    predict,
)

IMG_SIZE = 32  # the notebook's IMG_SIZE: photos of 32x32 RGB pixels
INPUT_SHAPE = (IMG_SIZE, IMG_SIZE, 3)
PROBES = 200  # probe photos per measurement

# The notebook's ranges, and how far a measurement may stray from them.
MAX_ANGLE = 36.0  # RandomRotation(0.1): a tenth of a full turn, either way
ZOOMS = (0.8, 1.2)  # RandomZoom(0.2)
# Over the measurement's error on transforms known in advance (at most 0.5° and 0.021 of
# zoom, tests/test_augmentation_measure.py), and all but 2 % of the photos must be within.
ANGLE_SLACK, ZOOM_SLACK = 1.5, 0.03
# The 5th and 95th percentiles of 200 draws reach past these (they lie near ±32.4° and
# near 0.82 and 1.18 for the notebook's layers).
USED_ANGLE, USED_ZOOMS = 27.0, (0.86, 1.14)
MIRRORED = (0.3, 0.7)  # half the photos, 200 draws: 5 standard deviations either way
MOST = 0.95  # photos that must be changed in training, or keep their spots

# The reference's augmented model reaches 0.61 to 0.68 on the hold-out over six runs
# (0.657 graded through nbgrader); untrained, the model scores 0.44 to 0.53 (30 seeds), and one
# class for everything about 0.50 (benchmarks/augmentation.md).
TIERS = (0.55, 0.58, 0.60)
UNTRAINED_FLOOR = 0.58  # a fresh build_model() at or above this already knows the photos

KERAS_MODEL_HINT = (
    "keras.Sequential([...])로 층들을 묶어 모델을 반환하세요 / return the layers wrapped in a "
    "model, keras.Sequential([...])"
)


# --- Measuring a transformation -----------------------------------------------------------


def probe_photos(rng: np.random.Generator, n: int = PROBES) -> np.ndarray:
    """``n`` black RGB photos, pixels 0-255, each with one Gaussian spot per channel.

    The spots lie 8-20 % of the photo's width from its centre, at angles,
    distances and brightnesses drawn afresh for every photo: no photo is a
    flip, turn or zoom of another, so a photo mixed with another one shows.
    """
    centre = (IMG_SIZE - 1) / 2
    rows, cols = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE].astype(np.float64)
    sigma = IMG_SIZE / 28
    photos = np.zeros((n, *INPUT_SHAPE))
    for i in range(n):
        angles = rng.uniform(0, 2 * np.pi) + np.cumsum([0, *rng.uniform(0.5, 2.5, 2)])
        radii = rng.uniform(0.08, 0.20, 3) * IMG_SIZE
        brightness = rng.uniform(120, 250, 3)
        for channel in range(3):
            x = centre + radii[channel] * np.cos(angles[channel])
            y = centre + radii[channel] * np.sin(angles[channel])
            spot = np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2))
            photos[i, :, :, channel] = brightness[channel] * spot
    return photos.astype(np.float32)


def spots(photos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each channel's spot in each photo: its centroid (x + iy from the centre), mass and size.

    The size is the mean squared distance of the channel's brightness from
    its centroid: one spot has the size of one spot, two half spots far more.
    Only the central disk counts: a rotation or zoom within range never fills
    it from beyond the photo's edge, so reflected copies of a spot stay out.
    """
    centre = (IMG_SIZE - 1) / 2
    rows, cols = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE].astype(np.float64)
    disk = (cols - centre) ** 2 + (rows - centre) ** 2 <= (0.45 * IMG_SIZE) ** 2
    weights = np.clip(np.asarray(photos, np.float64), 0, None) * disk[None, :, :, None]
    mass = weights.sum(axis=(1, 2))
    safe = np.where(mass > 0, mass, 1.0)
    x = (weights * cols[None, :, :, None]).sum(axis=(1, 2)) / safe - centre
    y = (weights * rows[None, :, :, None]).sum(axis=(1, 2)) / safe - centre
    dx = cols[None, :, :, None] - centre - x[:, None, None, :]
    dy = rows[None, :, :, None] - centre - y[:, None, None, :]
    size = (weights * (dx**2 + dy**2)).sum(axis=(1, 2)) / safe
    return x + 1j * y, mass, size


@dataclass(frozen=True)
class Transforms:
    """Per photo, the mirror, turn and zoom about the centre that best map its spots."""

    mirrored: np.ndarray  # left-right mirror (after which the angle is measured)
    angle: np.ndarray  # degrees, in (-180, 180]
    zoom: np.ndarray  # > 1: zoomed out (the photo looks smaller), as RandomZoom counts it
    misfit: np.ndarray  # root-mean-square distance of the spots from the fitted transform, px
    mass: np.ndarray  # the spots' masses relative to each other, over the input's (1 = kept)
    size: np.ndarray  # each spot's size, unzoomed, over the input's (1 = one spot, kept)
    changed: np.ndarray  # the output differs from the input by more than one pixel level

    @property
    def kept(self) -> np.ndarray:
        """Photos that are a flip, turn and zoom of themselves about the centre, nothing else."""
        return (
            (self.misfit <= 0.3)
            & np.all((self.mass > 0.85) & (self.mass < 1.18), axis=1)
            & np.all((self.size > 0.7) & (self.size < 1.45), axis=1)
        )


def measure(inputs: np.ndarray, outputs: np.ndarray) -> Transforms:
    """How each output photo was made from its input photo (see :class:`Transforms`)."""
    before, mass_before, size_before = spots(inputs)
    after, mass_after, size_after = spots(outputs)
    (a0, misfit0), (a1, misfit1) = (
        _about_the_centre(source, after) for source in (before, -np.conj(before))
    )
    mirrored = misfit1 < misfit0
    a = np.where(mirrored, a1, a0)
    with np.errstate(divide="ignore", invalid="ignore"):
        zoom = np.where(np.abs(a) > 0, 1 / np.abs(a), np.inf)
        share_before = mass_before / mass_before.mean(axis=1, keepdims=True)
        mean_after = mass_after.mean(axis=1, keepdims=True)
        share_after = mass_after / np.where(mean_after > 0, mean_after, 1)
    changed = np.abs(np.asarray(outputs, np.float64) - inputs).max(axis=(1, 2, 3)) > 1.0
    return Transforms(
        mirrored=mirrored,
        angle=np.degrees(np.angle(a)),
        zoom=zoom,
        misfit=np.where(mirrored, misfit1, misfit0),
        mass=np.nan_to_num(share_after / share_before),
        size=np.nan_to_num(size_after * zoom[:, None] ** 2 / size_before),
        changed=changed,
    )


def _about_the_centre(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares ``target = a * source`` per row (complex ``a``: a zoom and a turn about the
    centre), and the root-mean-square distance of the target from it."""
    a = (target * np.conj(source)).sum(axis=1) / (np.abs(source) ** 2).sum(axis=1)
    misfit = np.sqrt((np.abs(a[:, None] * source - target) ** 2).mean(axis=1))
    return a, misfit


# --- Calling what the kernel sent ------------------------------------------------------------


def expect_keras_model(value: Any, call: str) -> Any:
    """Expect a Keras model (the judge loaded it from the kernel's .keras file)."""
    keras = keras_module()
    if isinstance(value, keras.Model):
        return value
    if hasattr(value, "call_with_probes"):  # a function, which only the kernel could run
        found = "a Python function, which the grader would have to run in your notebook"
    else:  # a model the judge could not load says why
        found = describe(value)
    raise CheckFailed(
        expected=f"{call} to return a Keras model, which the grader runs itself",
        found=found,
        hint=KERAS_MODEL_HINT
        + " (Lambda 층이나 직접 만든 층은 채점기가 불러오지 않습니다 / Lambda and custom layers "
        "are not loaded by the grader: use Keras's own layers)",
    )


def call(layer: Any, x: np.ndarray, training: bool, what: str) -> np.ndarray:
    """``layer(x, training=training)`` as an array, or a finding saying why it failed."""
    try:
        return np.asarray(layer(x, training=training))
    except Exception as error:
        raise CheckFailed(
            expected=f"{what}(<{x.shape[0]} photos of {x.shape[1:]}>, training={training}) to work",
            found=f"{type(error).__name__}: {str(error)[:200]}",
            hint=f"입력은 {INPUT_SHAPE} 사진입니다 / the inputs are photos of {INPUT_SHAPE}",
        ) from error


def built(make: Any, call_text: str) -> Any:
    """A model a student's function builds, as a Keras model."""
    return expect_keras_model(make(), call_text)


@pytest.fixture(scope="module")
def augmentation(student: Any) -> Any:
    """The Keras model ``build_augmentation()`` returns."""
    return built(student.build_augmentation, "build_augmentation()")


@pytest.fixture(scope="module")
def probes(seed: int) -> np.ndarray:
    """This grading's probe photos (fresh for every grading, like every random case)."""
    return probe_photos(np.random.default_rng([seed, 8]))


@pytest.fixture(scope="module")
def augmented(augmentation: Any, probes: np.ndarray) -> Transforms:
    """How the augmentation transforms the probe photos in training."""
    outputs = call(augmentation, probes, True, "build_augmentation()")
    expect(
        outputs.shape == probes.shape,
        expected=f"augmented photos of the shape that went in, {probes.shape}",
        found=f"shape {outputs.shape}",
        hint="뒤집기·회전·확대는 크기를 바꾸지 않습니다 / a flip, rotation or zoom keeps the "
        "photo's size: no cropping or resizing in the augmentation",
    )
    return measure(probes, outputs)


def measurable(transforms: Transforms) -> Transforms:
    """The photos that kept their spots (where angle and zoom mean something), or a finding.

    Where most photos lost theirs, the few left are too few to measure a range on.
    """
    kept = transforms.kept
    expect(
        kept.mean() >= 0.5,
        expected="augmented photos that are flips, rotations and zooms of their inputs",
        found=f"only {kept.sum()} of {len(kept)} photos keep their content in place",
        hint="다른 검사('각 사진과 레이블 유지')를 먼저 보세요 / see the check on keeping each "
        "photo first",
    )
    return Transforms(
        **{name: getattr(transforms, name)[kept] for name in Transforms.__annotations__}
    )


def spread(values: np.ndarray, digits: int = 1) -> str:
    return f"from {values.min():.{digits}f} to {values.max():.{digits}f}"


# --- The augmentation ------------------------------------------------------------------------


@check(points=1, cell="augmentation", self_check=True)
def test_augments_in_training_only(augmentation, probes, augmented):
    """훈련 때만 바꾸고 추론 때는 그대로 / changes photos in training, none at inference"""
    untouched = call(augmentation, probes, False, "build_augmentation()")
    same = untouched.shape == probes.shape and np.allclose(untouched, probes, atol=1e-3)
    expect(
        same,
        expected="build_augmentation()(photos, training=False) to return the photos as they are",
        found=f"at inference it gave {describe(untouched)} with values {spread(untouched, 3)} "
        f"for photos of {spread(probes, 0)}",
        hint="증강 모델에는 무작위 층만 넣으세요: Rescaling은 모델에서 증강 다음에 둡니다 / "
        "keep only the random layers in the augmentation: Rescaling goes in the model, after it",
    )
    changed = augmented.changed.mean()
    expect(
        changed >= MOST,
        expected=f"training=True to change nearly every photo (at least {MOST:.0%})",
        found=f"{changed:.0%} of the photos changed",
        hint="RandomFlip, RandomRotation, RandomZoom을 모두 넣으세요 / use RandomFlip, "
        "RandomRotation and RandomZoom",
    )


@check(points=1, cell="augmentation")
def test_keeps_each_photo_and_so_its_label(augmented):
    """각 사진(과 레이블)을 그대로 유지 / keeps each photo itself, so its label stays true"""
    kept = augmented.kept
    lost = ~kept
    expect(
        kept.mean() >= MOST,
        expected="each augmented photo to be its own input flipped, turned and zoomed about "
        f"its centre, and nothing else (at least {MOST:.0%} of them)",
        found=f"{kept.mean():.0%} are; in the others the content is off its place by "
        f"{np.median(augmented.misfit[lost]) if lost.any() else 0:.1f} px (median), or mixed "
        "with other photos",
        hint="MixUp·CutMix는 사진을 섞는데 레이블은 섞지 않으며, 이동(RandomTranslation) 같은 "
        "다른 변환은 이 과제에 없습니다 / MixUp and CutMix mix photos but not their labels; "
        "shifts (RandomTranslation) and other changes are not the notebook's",
    )


@check(points=1, cell="augmentation")
def test_mirrors_about_half_the_photos_left_right(augmented):
    """절반쯤 좌우 반전 / mirrors about half the photos left to right"""
    share = measurable(augmented).mirrored.mean()
    low, high = MIRRORED
    expect(
        low <= share <= high,
        expected=f"a left-right mirror in about half the photos ({low:.0%} to {high:.0%})",
        found=f"{share:.0%} of them mirrored left-right",
        hint="RandomFlip('horizontal')을 쓰세요: 인자 없는 RandomFlip()은 상하좌우를 한꺼번에 "
        "뒤집습니다 / use RandomFlip('horizontal'): RandomFlip() with no argument flips both "
        "ways at once",
    )


def within(values: np.ndarray, low: float, high: float) -> bool:
    """Whether all but a stray 2 % of the measurements lie in [low, high]."""
    return float(np.mean((values >= low) & (values <= high))) >= 0.98


@check(points=1, cell="augmentation")
def test_rotates_by_up_to_a_tenth_of_a_turn(augmented):
    """최대 0.1바퀴(±36°) 회전 / rotates by up to a tenth of a turn (±36°) either way"""
    angle = measurable(augmented).angle
    upside_down = np.abs(angle) > 90
    if upside_down.mean() > 0.02:
        hint = (
            "약 180° 돌아간(상하 반전된) 사진이 있습니다: RandomFlip('horizontal')을 쓰세요 / "
            "some photos are turned upside down: use RandomFlip('horizontal'), not RandomFlip()"
        )
    else:
        hint = (
            "RandomRotation의 factor는 한 바퀴(360°)에 대한 비율입니다: 0.1은 ±36°입니다(0.1 "
            "라디안이 아닙니다) / RandomRotation's factor is a fraction of a full turn: 0.1 is "
            "±36°, not 0.1 radian"
        )
    limit = MAX_ANGLE + ANGLE_SLACK
    used = np.quantile(angle, 0.95) >= USED_ANGLE and np.quantile(angle, 0.05) <= -USED_ANGLE
    expect(
        within(angle, -limit, limit) and used,
        expected=f"turns of up to {MAX_ANGLE:g}° both ways, as RandomRotation(0.1) draws them",
        found=f"turns {spread(angle)}°, 90 % of them within ±{np.quantile(np.abs(angle), 0.9):.1f}°"
        + (f", {upside_down.mean():.0%} upside down" if upside_down.any() else ""),
        hint=hint,
    )


@check(points=1, cell="augmentation")
def test_zooms_in_and_out_by_up_to_a_fifth(augmented):
    """20%까지 확대·축소 / zooms in and out by up to 20%"""
    zoom = measurable(augmented).zoom
    low, high = ZOOMS
    used = np.quantile(zoom, 0.05) <= USED_ZOOMS[0] and np.quantile(zoom, 0.95) >= USED_ZOOMS[1]
    expect(
        within(zoom, low - ZOOM_SLACK, high + ZOOM_SLACK) and used,
        expected=f"zoom scales from {low:g} to {high:g}, as RandomZoom(0.2) draws them",
        found=f"scales {spread(zoom, 2)}, 90 % of them from {np.quantile(zoom, 0.05):.2f} to "
        f"{np.quantile(zoom, 0.95):.2f}",
        hint="RandomZoom(0.2)를 넣으세요: 0.2는 20%입니다 / use RandomZoom(0.2): 0.2 is 20%",
    )


# --- The model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(student: Any) -> Any:
    """A fresh ``build_model()``: with augmentation and dropout."""
    return built(student.build_model, "build_model()")


@pytest.fixture(scope="module")
def plain(student: Any) -> Any:
    """A fresh ``build_model(augment=False)``."""
    return built(lambda: student.build_model(augment=False), "build_model(augment=False)")


def input_stage(model: Any) -> list[Any]:
    """The model's layers before its first layer with weights, in order: what meets the pixels.

    A finding if calling the model's layers one after another is not the
    model (they must form a chain, as in the notebook).
    """
    keras = keras_module()
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    x = np.random.default_rng(0).uniform(0, 255, (4, *INPUT_SHAPE)).astype(np.float32)
    chained = x
    try:
        for layer in layers:
            chained = layer(chained, training=False)
        whole = model(x, training=False)
        is_chain = np.allclose(np.asarray(chained), np.asarray(whole), atol=1e-5)
    except Exception:
        is_chain = False
    expect(
        is_chain,
        expected="build_model() to be a chain of layers, each feeding the next",
        found="calling its layers one after another does not give the model's output",
        hint="노트북처럼 층을 차례로 이으세요 / chain the layers one after another, as the "
        "notebook does",
    )
    stage = []
    for layer in layers:
        if layer.weights:
            break
        stage.append(layer)
    return stage


def through(stage: list[Any], x: np.ndarray, training: bool) -> np.ndarray:
    for layer in stage:
        x = layer(x, training=training)
    return np.asarray(x)


def outputs_of(model: Any, x: np.ndarray, training: bool, what: str) -> np.ndarray:
    return call(model, x, training, what)


def flat_colours(n: int = 8) -> np.ndarray:
    """Photos of one flat colour each: no flip, rotation or zoom changes them."""
    colours = np.random.default_rng(1).uniform(20, 235, (n, 1, 1, 3))
    return np.broadcast_to(colours, (n, *INPUT_SHAPE)).astype(np.float32)


@check(points=1, cell="build_model", self_check=True)
def test_model_outputs_one_sigmoid_probability_with_binary_crossentropy(model, plain, probes):
    """sigmoid 확률 하나, binary crossentropy / one sigmoid probability, binary crossentropy"""
    expect_compiled_loss(
        model,
        "build_model()",
        "binary_crossentropy",
        "고양이(0)·개(1) 레이블에는 sigmoid 유닛 하나와 binary crossentropy를 씁니다 / 0/1 "
        "labels go with one sigmoid unit and binary crossentropy",
    )
    # Faint photos: an untrained sigmoid unit answers near 0.5 for them, with or without
    # Rescaling, where bright ones could round it to exactly 0 or 1.
    output = predict(model, probes[:8] / 100, "build_model()", f"입력 / inputs {INPUT_SHAPE}")
    expect(
        output.shape == (8, 1) and np.all((output > 0) & (output < 1)),
        expected="one probability strictly between 0 and 1 per photo: Dense(1, 'sigmoid')",
        found=f"output {output.shape}, values {np.round(output.ravel()[:4], 3).tolist()}",
        hint="출력층은 Dense(1, activation='sigmoid')입니다 / the output layer is "
        "Dense(1, activation='sigmoid')",
    )
    # The self-check's other case: the plain model has the same head.
    expect(
        plain.output_shape == (None, 1),
        expected="build_model(augment=False) to output one probability per photo, (None, 1)",
        found=f"output shape {plain.output_shape}",
        hint="augment와 상관없이 출력층은 Dense(1, activation='sigmoid')입니다 / with or without "
        "augment, the output layer is Dense(1, activation='sigmoid')",
    )


@check(points=1, cell="build_model")
def test_model_rescales_pixels_itself(model, probes):
    """모델 안에서 0-255를 0-1로 / rescales 0-255 pixels to 0-1 itself"""
    stage = input_stage(model)
    seen = through(stage, probes[:8], training=False)
    expect(
        seen.shape == probes[:8].shape and np.allclose(seen, probes[:8] / 255, atol=1e-5),
        expected="the model's first layers (before any weights) to turn pixels of 0-255 into "
        "0-1 at inference: Rescaling(1/255)",
        found=f"values {spread(seen, 3)} for pixels {spread(probes[:8], 1)}",
        hint="사진은 0-255 그대로 들어옵니다: 증강 다음에 Rescaling(1/255)을 넣으세요 / the "
        "photos come as 0-255: put Rescaling(1/255) after the augmentation",
    )


@check(points=1, cell="build_model")
def test_model_augments_its_input_in_training_only(model, probes):
    """모델이 훈련 때만 입력을 증강 / the model augments its input in training only"""
    stage = input_stage(model)
    at_inference = through(stage, probes, training=False)
    again = through(stage, probes, training=False)
    in_training = through(stage, probes, training=True)
    same_shape = in_training.shape == at_inference.shape
    # A change of a thousandth of each photo's own brightest value: the same for photos
    # rescaled once or, by mistake, twice.
    scale = np.abs(at_inference).max(axis=(1, 2, 3))
    changed = (
        np.abs(in_training - at_inference).max(axis=(1, 2, 3)) > 1e-3 * scale
        if same_shape
        else np.ones(1)
    )
    expect(
        np.array_equal(at_inference, again) and same_shape and changed.mean() >= MOST,
        expected="the model's first layers (before any weights) to change nearly every photo "
        f"in training (at least {MOST:.0%}) and none at inference: build_augmentation() first",
        found=f"{changed.mean():.0%} of the photos changed in training",
        hint="build_model(augment=True)은 입력 바로 다음에 build_augmentation()을 씁니다. 훈련 "
        "사진을 미리 한 번 증강해 두면 에포크마다 같은 사진이 됩니다 / build_model(augment=True) "
        "puts build_augmentation() right after the input: photos augmented once beforehand are "
        "the same photos in every epoch",
    )


@check(points=1, cell="build_model")
def test_model_drops_out_in_training_only(model):
    """Dropout은 훈련 때만 / dropout in training only"""
    x = flat_colours()
    first, second = (outputs_of(model, x, True, "build_model()") for _ in range(2))
    once, again = (outputs_of(model, x, False, "build_model()") for _ in range(2))
    differs = float(np.abs(first - second).max())
    expect(
        differs > 1e-5 and np.array_equal(once, again),
        expected="two calls with training=True to differ on photos of one flat colour (which "
        "no flip, rotation or zoom changes: only dropout can), and never at inference",
        found=f"in training they differ by at most {differs:.1e}",
        hint="Flatten 다음, 출력층 앞에 Dropout(0.5)를 넣으세요 / put Dropout(0.5) after "
        "Flatten, before the output layer",
    )


@check(points=1, cell="build_model")
def test_plain_model_has_nothing_random(plain, probes):
    """augment=False: 증강도 Dropout도 없음 / augment=False: no augmentation, no dropout"""
    first, second = (
        outputs_of(plain, probes[:16], True, "build_model(augment=False)") for _ in "ab"
    )
    at_inference = outputs_of(plain, probes[:16], False, "build_model(augment=False)")
    differs = float(max(np.abs(first - second).max(), np.abs(first - at_inference).max()))
    expect(
        differs <= 1e-6,
        expected="build_model(augment=False) to give the same outputs in training as at "
        "inference: no augmentation and no dropout, the notebook's first model",
        found=f"outputs differ by up to {differs:.1e} between calls",
        hint="augment가 False이면 증강과 Dropout을 모두 빼세요 / when augment is False, leave "
        "out both the augmentation and the dropout",
    )


# --- Accuracy on the hold-out ------------------------------------------------------------------


@cache
def pet_holdout() -> tuple[np.ndarray, np.ndarray]:
    """The PetImages hold-out photos (0-255 RGB) and labels, through the course's data loader."""
    from source_data.course_data import load_pet_photos

    return load_pet_photos("holdout", IMG_SIZE)


def holdout_predictions(model: Any, name: str) -> np.ndarray:
    """A model's 0/1 predictions on the hold-out photos."""
    x, y = pet_holdout()
    output = predict(
        model,
        x,
        name,
        f"{name}은 build_model이 만든 모델을 학습시킨 것이어야 합니다 / {name} must be the "
        "model build_model returned, trained",
        batch_size=600,
    )
    expect(
        output.shape == (len(y), 1),
        expected=f"{name} to output one probability per photo, (N, 1)",
        found=f"outputs of shape {output.shape}",
        hint="출력층은 Dense(1, activation='sigmoid')입니다 / the output layer is "
        "Dense(1, activation='sigmoid')",
    )
    return (output[:, 0] > 0.5).astype(np.int64)


@pytest.fixture(scope="module")
def holdout_accuracy(student: Any) -> float:
    """The trained model's hold-out accuracy, once it is shown to be learnt in the graded run."""
    expect_within_budget(student)
    x, y = pet_holdout()
    expect_own_model(student, "model", "build_model", (x[:500], y[:500]), UNTRAINED_FLOOR)
    return float(np.mean(holdout_predictions(student.model, "model") == y))


@check(points=1, cell="accuracy")
@pytest.mark.parametrize("tier", TIERS)
def test_accuracy_at_least(holdout_accuracy, tier):
    """hold-out 정확도 ≥ {tier} / hold-out accuracy ≥ {tier}"""
    expect_tier(
        holdout_accuracy,
        tier,
        "model's accuracy on the hold-out photos",
        "build_model()로 만든 모델을 x_train, y_train으로 AUGMENTED_EPOCHS 에포크 동안 "
        "훈련하세요 / train the model build_model() builds on x_train, y_train for "
        "AUGMENTED_EPOCHS epochs",
    )


# --- The feedback's picture: the notebook's lesson, from the student's own two trainings ------


RUNS = (
    ("without augmentation or dropout", "plain_model", "plain_history"),
    ("with augmentation and dropout", "model", "history"),
)


def lesson_figure(student: Any) -> bytes:
    """The notebook's lesson as one PNG, from the student's own two trainings.

    Per model, training accuracy (dots) and validation accuracy (line) per
    epoch, with its hold-out accuracy as the grader measured it (dotted); then
    both validation losses. Without augmentation, training accuracy runs ahead
    of validation accuracy; with augmentation and dropout the two stay
    together. Labels are in English only (matplotlib's default font has no
    Hangul).
    """
    import io

    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(14, 3.6), layout="constrained")
    axes = figure.subplots(1, 3, width_ratios=[1, 1, 0.8])
    axes[1].sharey(axes[0])  # the two accuracies on one scale
    histories = {}
    for ax, (title, model_name, history_name) in zip(axes, RUNS, strict=False):
        history = getattr(student.objects.get(history_name), "history", None) or {}
        histories[model_name] = history
        _curves(ax, history, (("accuracy", "bo", "training"), ("val_accuracy", "r-", "validation")))
        accuracy = _holdout_accuracy(student, model_name)
        if accuracy is not None:
            ax.axhline(accuracy, color="k", linestyle=":", label=f"hold-out {accuracy:.3f}")
        ax.set(title=f"{model_name}: {title}", ylabel="accuracy")
    for model_name, style in (("plain_model", "g-"), ("model", "m-")):
        values = histories[model_name].get("val_loss") or []
        epochs = np.arange(1, len(values) + 1)
        axes[2].plot(epochs, values, style, label=f"{model_name} validation")
    axes[2].set(title="validation loss", ylabel="loss")
    for ax in axes:
        if ax.lines:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no training history", ha="center", va="center")
        ax.set(xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True)
    figure.suptitle("the lecture's lesson, from your two trainings")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def _curves(
    ax: Any, history: dict[str, list[float]], keys: tuple[tuple[str, str, str], ...]
) -> None:
    for key, style, label in keys:
        values = history.get(key) or []
        if values:
            ax.plot(np.arange(1, len(values) + 1), values, style, label=label, markersize=4)


def _holdout_accuracy(student: Any, model_name: str) -> float | None:
    """A trained model's hold-out accuracy for the picture, or None where it has none."""
    try:
        predicted = holdout_predictions(student.raw(model_name), model_name)
    except Exception:  # no such model, or one that cannot predict: the picture goes without
        return None
    return float(np.mean(predicted == pet_holdout()[1]))


FEEDBACK_FIGURES = {"accuracy": lesson_figure}
