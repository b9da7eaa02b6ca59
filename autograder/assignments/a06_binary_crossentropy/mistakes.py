"""Realistic mistakes in 06_binary_crossentropy: the two crossentropies and their models."""

from __future__ import annotations

from autograder.mistakes.base import Mistake, mistake

_LOSSES = """
def categorical_crossentropy(y_true, y_pred, eps=1e-7):
    {categorical}


def binary_crossentropy(y_true, y_pred, eps=1e-7):
    {binary}
"""
_CLIPPED_CATEGORICAL = (
    "y_pred = np.clip(y_pred, eps, 1 - eps)\n"
    "    return float(np.mean(-np.sum(y_true * np.log(y_pred), axis=-1)))"
)
_CLIPPED_BINARY = (
    "y_true, y_pred = np.ravel(y_true), np.clip(np.ravel(y_pred), eps, 1 - eps)\n"
    "    return float(np.mean(-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))))"
)


def _losses(categorical: str = _CLIPPED_CATEGORICAL, binary: str = _CLIPPED_BINARY) -> str:
    return _LOSSES.format(categorical=categorical, binary=binary)


_MODELS = """
def build_categorical_model(input_shape=(50, 50, 1)):
    model = keras.Sequential([*conv_base(input_shape), keras.layers.Dense(2, activation="{c_act}")])
    model.compile(optimizer="adam", loss="{c_loss}", metrics=["accuracy"])
    return model


def build_binary_model(input_shape=(50, 50, 1)):
    model = keras.Sequential([*conv_base(input_shape), keras.layers.Dense(1, activation="{b_act}")])
    model.compile(optimizer="adam", loss="{b_loss}", metrics=["accuracy"])
    return model
"""


def _models(
    c_act: str = "softmax",
    c_loss: str = "categorical_crossentropy",
    b_act: str = "sigmoid",
    b_loss: str = "binary_crossentropy",
) -> str:
    return _MODELS.format(c_act=c_act, c_loss=c_loss, b_act=b_act, b_loss=b_loss)


_BINARY_TIERS = {f"test_binary_accuracy_at_least[{t}]" for t in ("0.6", "0.65", "0.68")}
_TRAIN_BINARY = """
started = time.perf_counter()
binary_model = build_binary_model()
binary_history = binary_model.fit(
    x_train, {labels}, validation_split=0.1, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2
)
"""


def _binary(name: str, answer: str, code: str, fails: set[str], **kw) -> Mistake:
    return mistake(name, "06_binary_crossentropy", answer, code, fails, **kw)


MISTAKES = [
    _binary(
        "log(0) unguarded: no clipping",
        "losses",
        _losses(
            categorical="return float(np.mean(-np.sum(y_true * np.log(y_pred), axis=-1)))",
            binary="y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)\n"
            "    return float(np.mean(-(y_true * np.log(y_pred) "
            "+ (1 - y_true) * np.log(1 - y_pred))))",
        ),
        {
            "test_categorical_handles_predictions_of_0_and_1",
            "test_binary_handles_predictions_of_0_and_1",
        },
        demo=True,
    ),
    _binary(
        # scikit-learn's log_loss used 1e-15: the eps argument is there, and ignored.
        "clips at 1e-15 instead of eps",
        "losses",
        _losses(
            categorical=_CLIPPED_CATEGORICAL.replace("eps, 1 - eps", "1e-15, 1 - 1e-15"),
            binary=_CLIPPED_BINARY.replace("eps, 1 - eps", "1e-15, 1 - 1e-15"),
        ),
        {
            "test_categorical_handles_predictions_of_0_and_1",
            "test_binary_handles_predictions_of_0_and_1",
        },
    ),
    _binary(
        "categorical loss without the minus sign",
        "losses",
        _losses(
            categorical="y_pred = np.clip(y_pred, eps, 1 - eps)\n"
            "    return float(np.mean(np.sum(y_true * np.log(y_pred), axis=-1)))"
        ),
        {
            "test_categorical_matches_keras_on_random_predictions",
            "test_categorical_handles_predictions_of_0_and_1",
        },
        self_check_fails=frozenset({"test_categorical_crossentropy"}),
    ),
    _binary(
        "categorical loss summed over samples, not averaged",
        "losses",
        _losses(
            categorical="y_pred = np.clip(y_pred, eps, 1 - eps)\n"
            "    return float(np.sum(-y_true * np.log(y_pred)))"
        ),
        {
            "test_categorical_matches_keras_on_random_predictions",
            "test_categorical_handles_predictions_of_0_and_1",
        },
    ),
    _binary(
        "binary loss with the -y log p term only",
        "losses",
        _losses(
            binary="y_true, y_pred = np.ravel(y_true), np.clip(np.ravel(y_pred), eps, 1 - eps)\n"
            "    return float(np.mean(-y_true * np.log(y_pred)))"
        ),
        {
            "test_binary_matches_keras_on_random_predictions",
            "test_binary_handles_predictions_of_0_and_1",
            "test_binary_accepts_a_column_of_predictions",
        },
    ),
    _binary(
        "binary loss broadcasts (N,) labels against (N, 1) predictions",
        "losses",
        _losses(
            binary="y_pred = np.clip(y_pred, eps, 1 - eps)\n"
            "    return float(np.mean(-(y_true * np.log(y_pred) "
            "+ (1 - y_true) * np.log(1 - y_pred))))"
        ),
        {"test_binary_accepts_a_column_of_predictions"},
    ),
    _binary(
        "binary labels from column 0: Cat becomes 1",
        "to_binary_labels",
        "def to_binary_labels(y_onehot):\n    return np.asarray(y_onehot)[:, 0].astype(int)\n",
        {"test_to_binary_labels"},
    ),
    _binary(
        "categorical head with sigmoid units",
        "build_models",
        _models(c_act="sigmoid"),
        {"test_categorical_model_outputs_a_2_way_softmax"},
    ),
    _binary(
        "categorical model compiled with binary crossentropy",
        "build_models",
        _models(c_loss="binary_crossentropy"),
        {"test_categorical_model_compiled_with_categorical_crossentropy"},
    ),
    _binary(
        "softmax over one unit: always 1",
        "build_models",
        _models(b_act="softmax"),
        # Every prediction is exactly 1 (Dog): 602 of the 1,199 hold-out images, 0.502.
        {"test_binary_model_outputs_one_sigmoid_probability"} | _BINARY_TIERS,
        demo=True,
    ),
    _binary(
        "sigmoid unit with categorical crossentropy",
        "build_models",
        _models(b_loss="categorical_crossentropy"),
        {"test_binary_model_compiled_with_binary_crossentropy"},
    ),
    _binary(
        "predict_labels takes argmax of every model",
        "predict_labels",
        "def predict_labels(model, x):\n"
        "    return np.asarray(model.predict(x, verbose=0)).argmax(axis=1)\n",
        {"test_predict_labels_of_a_binary_model"},
    ),
    _binary(
        "predict_labels thresholds every output at 0.5",
        "predict_labels",
        "def predict_labels(model, x):\n"
        "    return (np.asarray(model.predict(x, verbose=0)) > 0.5).astype(int).ravel()\n",
        {"test_predict_labels_of_a_categorical_model"},
    ),
    _binary(
        "labels left one-hot with binary crossentropy",
        "train_binary",
        _TRAIN_BINARY.format(labels="Y_train"),
        set(),
    ),
]
