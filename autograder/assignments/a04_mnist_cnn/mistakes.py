"""Realistic mistakes in 04_mnist_cnn: the MNIST MLP and CNN."""

from __future__ import annotations

from autograder.mistakes.base import mistake

_CNN_TIERS = {f"test_cnn_accuracy_at_least[{t}]" for t in ("0.975", "0.98", "0.985", "0.99")}
_MLP_TIERS = {f"test_mlp_accuracy_at_least[{t}]" for t in ("0.96", "0.975")}
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


_TRAIN_CNN = """
started = time.perf_counter()
model = build_cnn()
history = {fit}
print(f"CNN trained in {{time.perf_counter() - started:.0f}} s")
"""
_FIT = "model.fit({data}, validation_split=0.1, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)"

_BUILD_MLP = """
def build_mlp():
    mlp = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Flatten(),
            {hidden}
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    mlp.compile(optimizer="adam", loss="{loss}", metrics=["accuracy"])
    return mlp
"""


def _build_mlp(
    hidden: str = 'keras.layers.Dense(512, activation="relu"),',
    loss: str = "categorical_crossentropy",
) -> str:
    return _BUILD_MLP.format(hidden=hidden, loss=loss)


_BUILD_CNN = """
EPOCHS = 3
BATCH_SIZE = 128


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
_CONV_POOL = (
    'keras.layers.Conv2D(32, 3, activation="relu"),\n'
    "            keras.layers.MaxPooling2D(),\n"
    '            keras.layers.Conv2D(64, 3, activation="relu"),\n'
    "            keras.layers.MaxPooling2D(),"
)


def _build_cnn(
    layers: str = _CONV_POOL, output: str = "softmax", loss: str = "categorical_crossentropy"
) -> str:
    return _BUILD_CNN.format(layers=layers, output=output, loss=loss)


MISTAKES = [
    mistake(
        "no normalisation: pixels left at 0-255",
        "04_mnist_cnn",
        "preprocess",
        _preprocess(body="np.asarray(x, dtype=np.float32).reshape(-1, 28, 28, 1)"),
        {"test_preprocess_scales_pixels_to_unit_range"},
        demo=True,
    ),
    mistake(
        "wrong input shape: no channel axis",
        "04_mnist_cnn",
        "preprocess",
        _preprocess(body="np.asarray(x, dtype=np.float32) / 255.0"),
        {"test_preprocess_shape_and_dtype"},
        self_check_fails=frozenset({"test_preprocess"}),
    ),
    mistake(
        "sigmoid output layer",
        "04_mnist_cnn",
        "build_cnn",
        _build_cnn(output="sigmoid"),
        {"test_cnn_outputs_a_10_way_softmax"},
    ),
    mistake(
        "sparse labels with categorical crossentropy",
        "04_mnist_cnn",
        "preprocess",
        _preprocess(labels="np.asarray(y)"),
        {"test_encode_labels_one_hot"} | _CNN_TIERS | _MLP_TIERS,
        self_check_fails=frozenset({"test_preprocess"}),
    ),
    mistake(
        "MLP with an extra hidden layer (784-512-512-10)",
        "04_mnist_cnn",
        "build_mlp",
        _build_mlp(
            hidden='keras.layers.Dense(512, activation="relu"),\n'
            + " " * 12
            + 'keras.layers.Dense(512, activation="relu"),'
        ),
        {"test_mlp_is_the_784_512_10_network"},
    ),
    mistake(
        "MLP compiled with sparse categorical crossentropy",
        "04_mnist_cnn",
        "build_mlp",
        _build_mlp(loss="sparse_categorical_crossentropy"),
        {"test_mlp_compiled_with_categorical_crossentropy"} | _MLP_TIERS,
    ),
    mistake(
        "CNN without pooling",
        "04_mnist_cnn",
        "build_cnn",
        _build_cnn(layers='keras.layers.Conv2D(16, 3, activation="relu"),'),
        {"test_cnn_has_convolution_and_pooling"},
    ),
    mistake(
        "CNN compiled with sparse categorical crossentropy",
        "04_mnist_cnn",
        "build_cnn",
        _build_cnn(loss="sparse_categorical_crossentropy"),
        {"test_cnn_compiled_with_categorical_crossentropy"} | _CNN_TIERS,
    ),
    mistake(
        "the CNN is never trained",
        "04_mnist_cnn",
        "train_cnn",
        _TRAIN_CNN.format(fit="None  # TODO: train"),
        _CNN_TIERS,
    ),
    mistake(
        "trained on the first 1,000 images only",
        "04_mnist_cnn",
        "train_cnn",
        _TRAIN_CNN.format(fit=_FIT.format(data="X_train[:1000], Y_train[:1000]")),
        _CNN_TIERS,
        demo=True,
    ),
]
