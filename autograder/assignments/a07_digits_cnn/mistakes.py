"""Realistic mistakes in 07_digits_cnn: the Keras digits post in today's Keras.

Three of them are the post's own code, which no longer runs as written:
``keras.utils.np_utils``, ``Adam(lr=...)`` and ``history.history['acc']``.
"""

from __future__ import annotations

from autograder.mistakes.base import mistake

A07 = "07_digits_cnn"
TIERS = {f"test_digits_accuracy_at_least[{t}]" for t in ("0.94", "0.95", "0.96")}
BUILD_CHECKS = {
    "test_model_has_the_posts_layers",
    "test_model_computes_what_the_posts_network_computes",
    "test_model_compiled_as_the_post",
}
PREPROCESS_CHECKS = {
    "test_preprocess_adds_the_channel_axis",
    "test_preprocess_keeps_the_digits_values",
    "test_encode_labels_has_ten_columns_for_any_batch",
}
SPLIT_CHECKS = {"test_split_has_the_posts_sizes", "test_split_is_the_posts_split"}
# With no model, the self-checks that use one fail (accuracy_curves's needs none).
NO_MODEL = frozenset({"test_build_model", "test_digits_accuracy"})

_PREPROCESS = """
def preprocess(images):
    return {images}


def encode_labels(labels):
    return {labels}
"""


def _preprocess(
    images: str = "np.asarray(images, dtype=np.float32).reshape(-1, 8, 8, 1)",
    labels: str = "keras.utils.to_categorical(labels, num_classes=10).astype(np.float32)",
    imports: str = "",
) -> str:
    return imports + _PREPROCESS.format(images=images, labels=labels)


_SPLIT = """
def split_digits(images, labels):
    return train_test_split(images, labels, {arguments})
"""

_BUILD_MODEL = """
def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(filters=10, kernel_size=(3, 3), padding="{padding}"),
            {activation}
            keras.layers.{pooling}(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(50, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer={optimizer}, metrics=["accuracy"])
    return model
"""


def _build_model(
    padding: str = "valid",
    activation: str = 'keras.layers.Activation("relu"),',
    pooling: str = "MaxPooling2D",
    optimizer: str = "keras.optimizers.Adam(learning_rate=0.001)",
) -> str:
    return _BUILD_MODEL.format(
        padding=padding, activation=activation, pooling=pooling, optimizer=optimizer
    )


_CURVES = """
def accuracy_curves(history):
    return list(history["{training}"]), list(history["{validation}"])
"""

MISTAKES = [
    mistake(
        "the post's keras.utils.np_utils import",
        A07,
        "preprocess",
        _preprocess(
            labels="to_categorical(labels, num_classes=10)",
            imports="from keras.utils.np_utils import to_categorical\n",
        ),
        PREPROCESS_CHECKS | TIERS,
        self_check_fails=frozenset({"test_preprocess"}) | NO_MODEL - {"test_build_model"},
    ),
    mistake(
        "float64 left as load_digits gives it",
        A07,
        "preprocess",
        _preprocess(images="np.asarray(images).reshape(-1, 8, 8, 1)"),
        {"test_preprocess_adds_the_channel_axis"},
        self_check_fails=frozenset({"test_preprocess"}),
    ),
    mistake(
        "pixels divided by 255 as for MNIST",
        A07,
        "preprocess",
        _preprocess(images="np.asarray(images, dtype=np.float32).reshape(-1, 8, 8, 1) / 255.0"),
        {"test_preprocess_keeps_the_digits_values"},
    ),
    mistake(
        "the post's to_categorical without num_classes",
        A07,
        "preprocess",
        _preprocess(labels="keras.utils.to_categorical(labels).astype(np.float32)"),
        {"test_encode_labels_has_ten_columns_for_any_batch"},
        # One label gives fewer than 10 columns in the self-check too.
        self_check_fails=frozenset({"test_preprocess"}),
        demo=True,
    ),
    mistake(
        "20% test instead of the post's 30%",
        A07,
        "split",
        _SPLIT.format(arguments="test_size=0.2, random_state=777"),
        SPLIT_CHECKS,
        self_check_fails=frozenset({"test_split"}),
    ),
    mistake(
        "no random_state: another split on every run",
        A07,
        "split",
        _SPLIT.format(arguments="test_size=0.3"),
        {"test_split_is_the_posts_split"},
    ),
    mistake(
        "padding='same': a 4x4 map after pooling",
        A07,
        "build_model",
        _build_model(padding="same"),
        {"test_model_has_the_posts_layers", "test_model_computes_what_the_posts_network_computes"},
    ),
    mistake(
        "no ReLU after the convolution",
        A07,
        "build_model",
        _build_model(activation=""),
        {"test_model_computes_what_the_posts_network_computes"},
    ),
    mistake(
        "average pooling instead of max pooling",
        A07,
        "build_model",
        _build_model(pooling="AveragePooling2D"),
        {"test_model_computes_what_the_posts_network_computes"},
    ),
    mistake(
        "learning rate 0.01 instead of the post's 0.001",
        A07,
        "build_model",
        _build_model(optimizer="keras.optimizers.Adam(learning_rate=0.01)"),
        {"test_model_compiled_as_the_post"},
    ),
    mistake(
        "the post's Adam(lr=0.001)",
        A07,
        "build_model",
        _build_model(optimizer="keras.optimizers.Adam(lr=0.001)"),
        BUILD_CHECKS | TIERS,
        self_check_fails=NO_MODEL,
        demo=True,
    ),
    mistake(
        "the post's history['acc']",
        A07,
        "accuracy_curves",
        _CURVES.format(training="acc", validation="val_acc"),
        {"test_accuracy_curves_reads_todays_names"},
        self_check_fails=frozenset({"test_accuracy_curves"}),
        demo=True,
    ),
]
