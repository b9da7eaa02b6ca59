"""A catalogue of realistic wrong submissions, and the checks each one must fail.

Every hidden check is proven both ways: the reference passes it, and at
least one mistake here fails it. ``fails`` names the hidden checks a mistake
must fail, exactly; ``zeroes`` names the test cells whose visible self-check
it already fails, which nbgrader scores zero as a whole (an error in a test
cell is zero, by nbgrader's rule). The tests hold every entry to both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """One realistic wrong submission: some answer cells replaced by a student's code."""

    name: str
    assignment: str
    answers: dict[str, str]
    fails: frozenset[str]
    zeroes: frozenset[str] = frozenset()
    demo: bool = False  # part of the demo's "typical mistakes" student
    # The submission still trains a model: its accuracy tiers are whatever the
    # accuracy it reaches earns, which the tests read from the graded notebook.
    accuracy_decides: bool = False


def _mistake(name: str, assignment: str, answer: str, code: str, fails: set[str], **kw) -> Mistake:
    return Mistake(name, assignment, {answer: code.strip() + "\n"}, frozenset(fails), **kw)


_CONV_SIZE = """
def conv_output_size(input_size, filter_size, stride=1, padding=0):
    if input_size <= 0 or filter_size <= 0 or stride <= 0 or padding < 0:
        raise ValueError("bad argument")
    padded = {padded}
    if filter_size > padded:
        raise ValueError("filter too large")
    return {formula}
"""


def _conv_size(padded: str = "input_size + 2 * padding", formula: str = "") -> str:
    return _CONV_SIZE.format(
        padded=padded, formula=formula or "(padded - filter_size) // stride + 1"
    )


OUTPUT_SIZE = [
    _mistake(
        "padding counted on one side only",
        "01_output_size",
        "conv_output_size",
        _conv_size(padded="input_size + padding"),
        {"test_conv_padding_matches_keras"},
    ),
    _mistake(
        "true division: a float, and no floor",
        "01_output_size",
        "conv_output_size",
        _conv_size(formula="(padded - filter_size) / stride + 1"),
        {
            "test_conv_strides_match_keras",
            "test_conv_padding_matches_keras",
            "test_conv_returns_int",
        },
        demo=True,
    ),
    _mistake(
        "formula without the + 1",
        "01_output_size",
        "conv_output_size",
        _conv_size(formula="(padded - filter_size) // stride"),
        {
            "test_lecture_conv_shapes",
            "test_conv_strides_match_keras",
            "test_conv_padding_matches_keras",
        },
        zeroes=frozenset({"test_conv_output_size"}),
    ),
    _mistake(
        "integer division dropping the stride",
        "01_output_size",
        "conv_output_size",
        _conv_size(formula="(padded - filter_size) // 1 + 1"),
        {"test_conv_strides_match_keras", "test_conv_padding_matches_keras"},
    ),
    _mistake(
        "no argument checks",
        "01_output_size",
        "conv_output_size",
        """
def conv_output_size(input_size, filter_size, stride=1, padding=0):
    return (input_size - filter_size + 2 * padding) // stride + 1
""",
        {"test_conv_rejects_invalid_arguments"},
    ),
    _mistake(
        "same padding for even filters",
        "01_output_size",
        "same_padding",
        """
def same_padding(filter_size):
    return (filter_size - 1) // 2
""",
        {"test_same_padding_rejects_even_and_nonpositive"},
    ),
    _mistake(
        "same padding of F - 1 (both sides counted as one)",
        "01_output_size",
        "same_padding",
        """
def same_padding(filter_size):
    if filter_size <= 0 or filter_size % 2 == 0:
        raise ValueError("odd sizes only")
    return filter_size - 1
""",
        {"test_same_padding_keeps_size"},
        zeroes=frozenset({"test_same_padding"}),
    ),
    _mistake(
        "pooling ignores an explicit stride",
        "01_output_size",
        "pool_output_size",
        """
def pool_output_size(input_size, pool_size=2, stride=None):
    if input_size <= 0 or pool_size <= 0 or (stride is not None and stride <= 0):
        raise ValueError("sizes must be positive")
    if pool_size > input_size:
        raise ValueError("pool too large")
    return (input_size - pool_size) // pool_size + 1
""",
        {"test_pool_matches_keras"},
    ),
    _mistake(
        "pooling stride defaults to 1",
        "01_output_size",
        "pool_output_size",
        """
def pool_output_size(input_size, pool_size=2, stride=None):
    stride = 1 if stride is None else stride
    if input_size <= 0 or pool_size <= 0 or stride <= 0:
        raise ValueError("sizes must be positive")
    if pool_size > input_size:
        raise ValueError("pool too large")
    return (input_size - pool_size) // stride + 1
""",
        {"test_lecture_pool_shapes", "test_pool_matches_keras"},
        zeroes=frozenset({"test_pool_output_size"}),
    ),
    _mistake(
        "pooling without argument checks",
        "01_output_size",
        "pool_output_size",
        """
def pool_output_size(input_size, pool_size=2, stride=None):
    if stride is None:
        stride = pool_size
    return (input_size - pool_size) // stride + 1
""",
        {"test_pool_rejects_invalid_arguments"},
    ),
    _mistake(
        "parameter count without the bias",
        "01_output_size",
        "conv_param_count",
        """
def conv_param_count(in_channels, filters, kernel_size):
    return kernel_size * kernel_size * in_channels * filters
""",
        {"test_lecture_parameter_counts", "test_parameter_counts_match_keras"},
        zeroes=frozenset({"test_conv_param_count"}),
    ),
    _mistake(
        "square kernels only",
        "01_output_size",
        "conv_param_count",
        """
def conv_param_count(in_channels, filters, kernel_size):
    return (kernel_size * kernel_size * in_channels + 1) * filters
""",
        {"test_parameter_counts_match_keras"},
        demo=True,
    ),
]

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


MANUAL_CONVOLUTION = [
    _mistake(
        "true convolution: the kernel flipped",
        "02_manual_convolution",
        "conv2d",
        _conv2d(flip="[::-1, ::-1]"),
        {
            "test_conv2d_lecture_example",
            "test_conv2d_matches_tensorflow_stride1",
            "test_conv2d_matches_tensorflow_strides_and_padding",
        },
        zeroes=frozenset({"test_conv2d"}),
    ),
    _mistake(
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
        zeroes=frozenset({"test_zero_pad"}),
        demo=True,
    ),
    _mistake(
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
    _mistake(
        "zero padding that keeps the integer dtype",
        "02_manual_convolution",
        "zero_pad",
        """
def zero_pad(image, pad):
    if np.ndim(image) != 2 or pad < 0:
        raise ValueError("bad image or pad")
    return np.pad(image, pad)
""",
        {"test_zero_pad_returns_float_and_keeps_input"},
    ),
    _mistake(
        "output size without the stride",
        "02_manual_convolution",
        "conv2d",
        _conv2d(size="+ 1"),
        {"test_conv2d_matches_tensorflow_strides_and_padding"},
    ),
    _mistake(
        "integer output array (np.zeros_like keeps int dtype)",
        "02_manual_convolution",
        "conv2d",
        _conv2d(out="np.zeros((out_h, out_w), dtype=np.asarray(image).dtype)"),
        {"test_conv2d_returns_float_and_keeps_inputs"},
    ),
    _mistake(
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
            "test_conv2d_returns_float_and_keeps_inputs",
        },
    ),
    _mistake(
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
    _mistake(
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
    _mistake(
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
        zeroes=frozenset({"test_max_pool2d"}),
    ),
    _mistake(
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
    _mistake(
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
    _mistake(
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
        {"test_max_pool_negative_values", "test_max_pool_returns_float_and_keeps_input"},
    ),
]

_ONE_HOT = """
def one_hot(labels, num_classes=None):
    labels = np.asarray(labels){flatten}
    if {validate}:
        raise ValueError("labels must be non-negative integers")
    labels = labels.astype(int)
    if num_classes is None:
        num_classes = {num_classes}
    if labels.max() >= num_classes:
        raise ValueError("label out of range")
    {encode}
"""


def _one_hot(
    flatten: str = ".reshape(-1)",
    validate: str = "np.any(labels < 0) or np.any(labels != np.round(labels))",
    num_classes: str = "labels.max() + 1",
    encode: str = "return np.eye(num_classes, dtype=np.float32)[labels]",
) -> str:
    return _ONE_HOT.format(
        flatten=flatten, validate=validate, num_classes=num_classes, encode=encode
    )


ONE_HOT = [
    _mistake(
        "float64, np.eye's default dtype",
        "03_one_hot",
        "one_hot",
        _one_hot(encode="return np.eye(num_classes)[labels]"),
        {"test_returns_float32"},
        demo=True,
    ),
    _mistake(
        "transposed result, shape (C, N)",
        "03_one_hot",
        "one_hot",
        _one_hot(encode="return np.eye(num_classes, dtype=np.float32)[:, labels]"),
        {
            "test_mnist_label_five",
            "test_matches_to_categorical",
            "test_accepts_list_array_and_column",
        },
        zeroes=frozenset({"test_one_hot"}),
    ),
    _mistake(
        "number of classes from the labels present",
        "03_one_hot",
        "one_hot",
        _one_hot(num_classes="len(np.unique(labels))"),
        {"test_matches_to_categorical"},
    ),
    _mistake(
        "an (N, 1) column not flattened",
        "03_one_hot",
        "one_hot",
        _one_hot(
            flatten="",
            encode="out = np.zeros((len(labels), num_classes), dtype=np.float32)\n"
            "    out[np.arange(len(labels)), labels] = 1.0\n    return out",
        ),
        {"test_accepts_list_array_and_column"},
    ),
    _mistake(
        "no label validation (NumPy wraps -1 around)",
        "03_one_hot",
        "one_hot",
        """
def one_hot(labels, num_classes=None):
    labels = np.asarray(labels).reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    return np.eye(num_classes, dtype=np.float32)[labels.astype(int)]
""",
        {"test_rejects_bad_labels"},
    ),
    _mistake(
        "argmax over the wrong axis",
        "03_one_hot",
        "from_one_hot",
        """
def from_one_hot(y):
    return np.argmax(y, axis=0)
""",
        {"test_from_one_hot_round_trip", "test_from_probabilities_gives_integer_labels"},
        zeroes=frozenset({"test_from_one_hot"}),
    ),
    _mistake(
        "labels returned as floats",
        "03_one_hot",
        "from_one_hot",
        """
def from_one_hot(y):
    return np.argmax(np.asarray(y), axis=1).astype(float)
""",
        {"test_from_probabilities_gives_integer_labels"},
        demo=True,
    ),
]

_CNN_TIERS = {f"test_cnn_accuracy_at_least_{t}" for t in ("0975", "0980", "0985", "0990")}
_MLP_TIERS = {f"test_mlp_accuracy_at_least_{t}" for t in ("0960", "0975")}
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


MNIST_CNN = [
    _mistake(
        "no normalisation: pixels left at 0-255",
        "04_mnist_cnn",
        "preprocess",
        _preprocess(body="np.asarray(x, dtype=np.float32).reshape(-1, 28, 28, 1)"),
        {"test_preprocess_scales_pixels_to_unit_range"},
        demo=True,
        accuracy_decides=True,
    ),
    _mistake(
        "wrong input shape: no channel axis",
        "04_mnist_cnn",
        "preprocess",
        _preprocess(body="np.asarray(x, dtype=np.float32) / 255.0"),
        {"test_preprocess_shape_and_dtype"},
        zeroes=frozenset({"test_preprocess"}),
        accuracy_decides=True,  # Keras 3 adds the missing channel axis and trains anyway
    ),
    _mistake(
        "sigmoid output layer",
        "04_mnist_cnn",
        "build_cnn",
        _build_cnn(output="sigmoid"),
        {"test_cnn_outputs_a_10_way_softmax"},
        accuracy_decides=True,
    ),
    _mistake(
        "sparse labels with categorical crossentropy",
        "04_mnist_cnn",
        "preprocess",
        _preprocess(labels="np.asarray(y)"),
        {"test_encode_labels_one_hot"} | _CNN_TIERS | _MLP_TIERS,
        zeroes=frozenset({"test_preprocess"}),
    ),
    _mistake(
        "MLP with an extra hidden layer (784-512-512-10)",
        "04_mnist_cnn",
        "build_mlp",
        _build_mlp(
            hidden='keras.layers.Dense(512, activation="relu"),\n'
            + " " * 12
            + 'keras.layers.Dense(512, activation="relu"),'
        ),
        {"test_mlp_is_the_784_512_10_network"},
        accuracy_decides=True,
    ),
    _mistake(
        "MLP compiled with sparse categorical crossentropy",
        "04_mnist_cnn",
        "build_mlp",
        _build_mlp(loss="sparse_categorical_crossentropy"),
        {"test_mlp_compiled_with_categorical_crossentropy"} | _MLP_TIERS,
    ),
    _mistake(
        "CNN without pooling",
        "04_mnist_cnn",
        "build_cnn",
        _build_cnn(layers='keras.layers.Conv2D(16, 3, activation="relu"),'),
        {"test_cnn_has_convolution_and_pooling"},
        accuracy_decides=True,
    ),
    _mistake(
        "CNN compiled with sparse categorical crossentropy",
        "04_mnist_cnn",
        "build_cnn",
        _build_cnn(loss="sparse_categorical_crossentropy"),
        {"test_cnn_compiled_with_categorical_crossentropy"} | _CNN_TIERS,
    ),
    _mistake(
        "the CNN is never trained",
        "04_mnist_cnn",
        "train_cnn",
        _TRAIN_CNN.format(fit="None  # TODO: train"),
        _CNN_TIERS,
    ),
    _mistake(
        "trained on the first 1,000 images only",
        "04_mnist_cnn",
        "train_cnn",
        _TRAIN_CNN.format(fit=_FIT.format(data="X_train[:1000], Y_train[:1000]")),
        _CNN_TIERS,
        demo=True,
    ),
]

_LOADER = """
{imports}def load_pet_images(basedir, img_size=50):
{guard}    classes = {classes}
    images, labels, skipped = [], [], []
    for label, name in enumerate(classes):
        folder = os.path.join(basedir, name)
        for filename in {files}:
            path = os.path.join(folder, filename)
            if {ignore}:
                continue
            try:
                image = cv2.imread(path{flags})
                if image is None:
                    raise ValueError("OpenCV cannot decode this file")
                images.append(cv2.resize(image, ({size}, {size})))
                labels.append({label})
            {handler}
    images = np.array(images, dtype=np.uint8)
    return images, np.array(labels), skipped
"""
_GUARD = (
    "    if not os.path.isdir(basedir):\n"
    '        raise FileNotFoundError(f"PetImages folder not found: {basedir}")\n'
)
_SORTED_CLASSES = (
    "sorted(n for n in os.listdir(basedir) "
    'if not n.startswith(".") and os.path.isdir(os.path.join(basedir, n)))'
)


def _loader(
    *,
    imports: str = "",
    guard: str = _GUARD,
    classes: str = _SORTED_CLASSES,
    files: str = "sorted(os.listdir(folder))",
    ignore: str = 'filename.startswith(".") or not os.path.isfile(path)',
    flags: str = ", cv2.IMREAD_GRAYSCALE",
    size: str = "img_size",
    label: str = "label",
    handler: str = "except Exception:\n                skipped.append(path)",
) -> str:
    return _LOADER.format(
        imports=imports,
        guard=guard,
        classes=classes,
        files=files,
        ignore=ignore,
        flags=flags,
        size=size,
        label=label,
        handler=handler,
    )


_SUMMARIZE = """
def summarize(labels, skipped):
    {body}
"""
_LOAD_CHECKS = {
    "shape": "test_returns_uint8_images_integer_labels_and_path_list",
    "count": "test_loads_every_readable_image",
    "labels": "test_labels_are_sorted_class_folder_indices",
    "pixels": "test_images_are_the_files_in_grayscale_resized",
    "size": "test_img_size_sets_the_image_size",
    "unreadable": "test_reports_every_unreadable_file",
    "hidden": "test_ignores_hidden_files_and_folders",
    "missing": "test_missing_folder_raises_file_not_found",
    "interrupt": "test_keyboard_interrupt_reaches_the_caller",
    "order": "test_order_does_not_depend_on_the_listing",
}


def _petimages(name: str, fails: set[str], **kw) -> Mistake:
    """A load_pet_images mistake; ``fails`` names checks by their _LOAD_CHECKS key."""
    demo, zeroes = kw.pop("demo", False), kw.pop("zeroes", frozenset())
    return _mistake(
        name,
        "05_petimages_loading",
        "load_pet_images",
        _loader(**kw),
        {_LOAD_CHECKS[key] for key in fails},
        demo=demo,
        zeroes=zeroes,
    )


PETIMAGES_LOADING = [
    _petimages(
        "the lecture's labels: the class name instead of its index",
        {"shape", "labels"},
        label="name",
        demo=True,
    ),
    _petimages(
        "the lecture's bare except: Ctrl-C is swallowed too",
        {"interrupt"},
        handler="except:\n                skipped.append(path)",
    ),
    _petimages(
        "the lecture's class order, Dog then Cat",
        {"pixels"},
        classes='["Dog", "Cat"]',
    ),
    _petimages(
        "folders and files in os.listdir order, unsorted",
        {"order"},
        classes='[n for n in os.listdir(basedir) if not n.startswith(".")]',
        files="os.listdir(folder)",
    ),
    _petimages(
        "colour images: cv2.imread without IMREAD_GRAYSCALE",
        {"shape", "pixels"},
        flags="",
        zeroes=frozenset({"test_load_pet_images"}),
    ),
    _petimages("img_size ignored: always 50x50", {"size"}, size="50"),
    _petimages(
        "only lower-case .jpg files are tried",
        {"count", "labels", "pixels", "unreadable", "hidden"},  # ._5.jpg passes the filter
        ignore='not filename.endswith(".jpg")',
    ),
    _petimages(
        "unreadable files dropped silently: except Exception: pass",
        {"unreadable"},
        handler="except Exception:\n                pass",
    ),
    _petimages(
        "hidden files and sub-folders are read too",
        {"hidden"},
        ignore="False",
    ),
    _petimages(
        "a missing folder gives empty results (glob)",
        {"missing"},
        imports="import glob\n\n\n",
        guard="",
        classes="sorted(os.path.basename(p) for p in glob.glob(os.path.join(basedir, '*')))",
    ),
    _mistake(
        "summarize with collections.Counter: label keys, no zeros",
        "05_petimages_loading",
        "summarize",
        "from collections import Counter\n\n\n"
        + _SUMMARIZE.format(body='return {**Counter(labels.tolist()), "skipped": len(skipped)}'),
        {"test_summarize_counts_classes_and_skipped", "test_summarize_includes_an_empty_class"},
        demo=True,
    ),
    _mistake(
        "summarize with np.bincount but no minlength",
        "05_petimages_loading",
        "summarize",
        _SUMMARIZE.format(
            body="counts = dict(zip(CLASS_NAMES, np.bincount(labels).tolist()))\n"
            '    return {**counts, "skipped": len(skipped)}'
        ),
        {"test_summarize_includes_an_empty_class"},
    ),
]


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


_BINARY_TIERS = {f"test_binary_accuracy_at_least_{t}" for t in ("0600", "0650", "0680")}
_TRAIN_BINARY = """
started = time.perf_counter()
binary_model = build_binary_model()
binary_history = binary_model.fit(
    x_train, {labels}, validation_split=0.1, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2
)
"""


def _binary(name: str, answer: str, code: str, fails: set[str], **kw) -> Mistake:
    return _mistake(name, "06_binary_crossentropy", answer, code, fails, **kw)


BINARY_CROSSENTROPY = [
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
        accuracy_decides=True,
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
        accuracy_decides=True,
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
        accuracy_decides=True,
    ),
]

CATALOGUE: list[Mistake] = (
    OUTPUT_SIZE + MANUAL_CONVOLUTION + ONE_HOT + MNIST_CNN + PETIMAGES_LOADING + BINARY_CROSSENTROPY
)


def for_assignment(assignment: str) -> list[Mistake]:
    """The catalogue's mistakes in one assignment."""
    return [m for m in CATALOGUE if m.assignment == assignment]


def typical_answers(assignment: str) -> dict[str, str]:
    """The demo's "typical mistakes" student: the ``demo`` mistakes of an assignment, merged."""
    answers: dict[str, str] = {}
    for mistake in for_assignment(assignment):
        if mistake.demo:
            answers.update(mistake.answers)
    return answers
