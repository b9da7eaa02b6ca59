"""Realistic mistakes in 08_petimages_augmentation: the augmentation, the model, the training."""

from __future__ import annotations

from autograder.mistakes.base import Mistake, mistake

A08 = "08_petimages_augmentation"

_AUGMENTATION = """
def build_augmentation():
    return keras.Sequential(
        [
{layers}
        ]
    )
"""
_FLIP = 'keras.layers.RandomFlip("horizontal")'
_ROTATION = "keras.layers.RandomRotation(0.1)"
_ZOOM = "keras.layers.RandomZoom(0.2)"


def _augmentation(*layers: str) -> str:
    return _AUGMENTATION.format(layers="\n".join(f"            {layer}," for layer in layers))


_MODEL = """
def build_model(augment=True):
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = {first}
    {rescaled}
    for layer in conv_body():
        x = layer(x)
    {dropout}
    outputs = keras.layers.Dense({head})(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model
"""


def _model(
    first: str = "build_augmentation()(inputs) if augment else inputs",
    rescaled: str = "x = keras.layers.Rescaling(1 / 255)(x)",
    dropout: str = "if augment:\n        x = keras.layers.Dropout(0.5)(x)",
    head: str = '1, activation="sigmoid"',
) -> str:
    return _MODEL.format(first=first, rescaled=rescaled, dropout=dropout, head=head)


_TRAIN = """
started = time.perf_counter()
{name} = build_model({arguments})
{history} = {name}.fit(
    {photos},
    y_train,
    validation_data=(x_val, y_val),
    epochs={epochs},
    batch_size=BATCH_SIZE,
    verbose=2,
)
"""


def _train(
    name: str, history: str, arguments: str = "", photos: str = "x_train", epochs: str = "EPOCHS"
) -> str:
    return _TRAIN.format(
        name=name, history=history, arguments=arguments, photos=photos, epochs=epochs
    )


_TIERS = {f"test_accuracy_at_least[{t}]" for t in ("0.55", "0.58", "0.6")}
_AUGMENTATION_CHECKS = {
    "test_augments_in_training_only",
    "test_keeps_each_photo_and_so_its_label",
    "test_mirrors_about_half_the_photos_left_right",
    "test_rotates_by_up_to_a_tenth_of_a_turn",
    "test_zooms_in_and_out_by_up_to_a_fifth",
}
_MODEL_CHECKS = {
    "test_model_outputs_one_sigmoid_probability_with_binary_crossentropy",
    "test_model_rescales_pixels_itself",
    "test_model_augments_its_input_in_training_only",
    "test_model_drops_out_in_training_only",
    "test_plain_model_has_nothing_random",
}


def _mistake(name: str, answer: str, code: str, fails: set[str], **kw) -> Mistake:
    return mistake(name, A08, answer, code, fails, **kw)


MISTAKES = [
    _mistake(
        # Keras's default mode is "horizontal_and_vertical", which flips both ways at once:
        # a turn of 180 degrees, never a mirror.
        "RandomFlip() without 'horizontal': the pets stand on their heads",
        "augmentation",
        _augmentation("keras.layers.RandomFlip()", _ROTATION, _ZOOM),
        {
            "test_mirrors_about_half_the_photos_left_right",
            "test_rotates_by_up_to_a_tenth_of_a_turn",
        },
        demo=True,
    ),
    _mistake(
        "the lecture's '0.1 radian' taken at its word: RandomRotation(0.1 / (2 * np.pi))",
        "augmentation",
        _augmentation(_FLIP, "keras.layers.RandomRotation(0.1 / (2 * np.pi))", _ZOOM),
        {"test_rotates_by_up_to_a_tenth_of_a_turn"},
    ),
    _mistake(
        "no zoom, as in the keras.io tutorial's augmentation",
        "augmentation",
        _augmentation(_FLIP, _ROTATION),
        {"test_zooms_in_and_out_by_up_to_a_fifth"},
    ),
    _mistake(
        "no flip",
        "augmentation",
        _augmentation(_ROTATION, _ZOOM),
        {"test_mirrors_about_half_the_photos_left_right"},
    ),
    _mistake(
        # The notebook's picture of augmented photos goes black, too: 0-1 shown as uint8.
        "Rescaling put inside the augmentation",
        "augmentation",
        _augmentation("keras.layers.Rescaling(1 / 255)", _FLIP, _ROTATION, _ZOOM),
        # The model rescales again after it: its convolutions get pixels of 0 to 1/255.
        {"test_augments_in_training_only", "test_model_rescales_pixels_itself"},
    ),
    _mistake(
        # MixUp blends photos of the batch and would need their labels blended too.
        "MixUp added: photos mixed, labels not",
        "augmentation",
        _augmentation(_FLIP, _ROTATION, _ZOOM, "keras.layers.MixUp()"),
        # Most photos then hold spots of two: too few are left to measure the ranges on.
        _AUGMENTATION_CHECKS - {"test_augments_in_training_only"},
    ),
    _mistake(
        "the layers returned as a list, not a model",
        "augmentation",
        f"def build_augmentation():\n    return [{_FLIP}, {_ROTATION}, {_ZOOM}]\n",
        # build_model calls it as a layer, so only the plain model can be built, and the
        # augmented model never trains for the accuracy cell's self-check to print.
        _AUGMENTATION_CHECKS | _MODEL_CHECKS - {"test_plain_model_has_nothing_random"},
        self_check_fails=frozenset({"test_augmentation", "test_build_model", "test_accuracy"}),
    ),
    _mistake(
        "a 2-way softmax head, as for MNIST",
        "build_model",
        _model(head='2, activation="softmax"'),
        {"test_model_outputs_one_sigmoid_probability_with_binary_crossentropy"},
        self_check_fails=frozenset({"test_build_model"}),
    ),
    _mistake(
        # The self-check builds both models: its twin judges both heads.
        "the plain model's head left a 2-way softmax, as for MNIST",
        "build_model",
        _model(head='1 if augment else 2, activation="sigmoid" if augment else "softmax"'),
        {"test_model_outputs_one_sigmoid_probability_with_binary_crossentropy"},
        self_check_fails=frozenset({"test_build_model"}),
    ),
    _mistake(
        "no Rescaling: the convolutions get pixels of 0-255",
        "build_model",
        _model(rescaled="pass"),
        {"test_model_rescales_pixels_itself"},
    ),
    _mistake(
        "no Dropout",
        "build_model",
        _model(dropout="pass"),
        {"test_model_drops_out_in_training_only"},
        demo=True,
    ),
    _mistake(
        "augment ignored: the plain model augments and drops out too",
        "build_model",
        _model(first="build_augmentation()(inputs)", dropout="x = keras.layers.Dropout(0.5)(x)"),
        {"test_plain_model_has_nothing_random"},
    ),
    Mistake(
        # The photos are then the same in every epoch: one augmentation, not one per epoch.
        "the training photos augmented once beforehand, not in the model",
        A08,
        {
            "build_model": _model(first="inputs"),
            "train_augmented": "augmented_photos = np.asarray(build_augmentation()(x_train, "
            "training=True))\n"
            + _train(
                "model", "history", photos="augmented_photos", epochs="AUGMENTED_EPOCHS"
            ).strip()
            + "\n",
        },
        frozenset({"test_model_augments_its_input_in_training_only"}),
    ),
    Mistake(
        "one epoch each, left from a quick test",
        A08,
        {
            "train_plain": _train(
                "plain_model", "plain_history", "augment=False", epochs="1"
            ).strip()
            + "\n",
            "train_augmented": _train("model", "history", epochs="1").strip() + "\n",
        },
        frozenset(_TIERS),
        demo=True,
    ),
]
