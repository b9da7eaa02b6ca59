"""Realistic mistakes in 09_fashion_mnist_cnn: the CNN slides' Fashion-MNIST exercise."""

from __future__ import annotations

from autograder.mistakes.base import mistake

A09 = "09_fashion_mnist_cnn"
TIERS = {f"test_fashion_accuracy_at_least[{t}]" for t in ("0.8735", "0.8833", "0.903")}
SLIDES_NAMES = (
    '"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", '
    '"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"'
)
SWAPPED_NAMES = (
    '"Shirt", "Trouser", "Pullover", "Dress", "Coat", '
    '"Sandal", "T-shirt/top", "Sneaker", "Bag", "Ankle boot"'
)

_LABELS = """
LABEL_NAMES = [{names}]


def label_names(probabilities):
    return {body}
"""


def _labels(
    names: str = SLIDES_NAMES,
    body: str = "[LABEL_NAMES[int(i)] for i in np.argmax(probabilities, axis=1)]",
) -> str:
    return _LABELS.format(names=names, body=body)


_PREPROCESS = """
def preprocess(x):
    return {body}


def encode_labels(y):
    return {labels}
"""


def _preprocess(
    body: str = "(np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, 28, 28, 1)",
    labels: str = "keras.utils.to_categorical(y, 10).astype(np.float32)",
) -> str:
    return _PREPROCESS.format(body=body, labels=labels)


_BUILD_CNN = """
EPOCHS = 5
BATCH_SIZE = 128
VALIDATION_SPLIT = 0.1


def build_cnn():
    cnn = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            {layers}
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="{output}"),
        ]
    )
    cnn.compile(optimizer="adam", loss="{loss}", metrics=["accuracy"])
    return cnn
"""
_SLIDES_LAYERS = (
    'keras.layers.Conv2D(32, 2, padding="same", activation="relu"),\n'
    "            keras.layers.MaxPooling2D(2),\n"
    "            keras.layers.Dropout(0.3),\n"
    '            keras.layers.Conv2D(32, 2, padding="same", activation="relu"),\n'
    "            keras.layers.MaxPooling2D(2),\n"
    "            keras.layers.Dropout(0.3),"
)


def _build_cnn(
    layers: str = _SLIDES_LAYERS, output: str = "softmax", loss: str = "categorical_crossentropy"
) -> str:
    return _BUILD_CNN.format(layers=layers, output=output, loss=loss)


_TRAIN_CNN = """
X_train, Y_train = preprocess(x_train), encode_labels(y_train)
validation_start = int(np.ceil(len(X_train) * (1 - VALIDATION_SPLIT)))
X_val, Y_val = X_train[validation_start:], Y_train[validation_start:]
model = build_cnn()
history = {fit}
"""

MISTAKES = [
    mistake(
        "Shirt and T-shirt/top swapped",
        A09,
        "labels",
        _labels(names=SWAPPED_NAMES),
        {"test_label_names_are_the_slides"},
    ),
    mistake(
        "label numbers instead of names",
        A09,
        "labels",
        _labels(body="list(np.argmax(probabilities, axis=1))"),
        {"test_label_names_name_the_most_probable_class"},
        self_check_fails=frozenset({"test_labels"}),
        demo=True,
    ),
    mistake(
        "no normalisation: clothing pixels left at 0-255",
        A09,
        "preprocess",
        _preprocess(body="np.asarray(x, dtype=np.float32).reshape(-1, 28, 28, 1)"),
        {"test_preprocess_scales_pixels_once_to_unit_range"},
        demo=True,
    ),
    mistake(
        "divided by 255 twice",
        A09,
        "preprocess",
        _preprocess(
            body="(np.asarray(x, dtype=np.float32) / 255.0 / 255.0).reshape(-1, 28, 28, 1)"
        ),
        {"test_preprocess_scales_pixels_once_to_unit_range"},
    ),
    mistake(
        "no channel axis: (N, 28, 28) into Conv2D",
        A09,
        "preprocess",
        _preprocess(body="np.asarray(x, dtype=np.float32) / 255.0"),
        {"test_preprocess_shape_and_dtype"},
        self_check_fails=frozenset({"test_preprocess"}),
    ),
    mistake(
        "integer labels with categorical crossentropy",
        A09,
        "preprocess",
        _preprocess(labels="np.asarray(y)"),
        {"test_encode_labels_one_hot"} | TIERS,
        self_check_fails=frozenset({"test_preprocess", "test_fashion_accuracy"}),
    ),
    mistake(
        "sigmoid output: ten separate yes/no answers",
        A09,
        "build_cnn",
        _build_cnn(output="sigmoid"),
        {"test_cnn_outputs_a_10_way_softmax"},
    ),
    mistake(
        "no pooling after the convolution",
        A09,
        "build_cnn",
        _build_cnn(layers='keras.layers.Conv2D(16, 3, activation="relu"),'),
        {"test_cnn_has_convolution_and_pooling"},
    ),
    mistake(
        "sparse categorical crossentropy with one-hot labels",
        A09,
        "build_cnn",
        _build_cnn(loss="sparse_categorical_crossentropy"),
        {"test_cnn_compiled_with_categorical_crossentropy"} | TIERS,
        self_check_fails=frozenset({"test_fashion_accuracy"}),
    ),
    mistake(
        "the model is built but never fitted",
        A09,
        "train_cnn",
        _TRAIN_CNN.format(fit="None  # TODO: train"),
        TIERS,
    ),
]
