"""Patterns met in real implementations from public code, each with the score a TA gives.

``docs/real-implementations.md`` is the study: published implementations
(CS231n and deeplearning.ai convolutions, Keras's own ``to_categorical`` and
MNIST examples, tutorial cats-vs-dogs loaders, NumPy losses) adapted to the
notebooks with the least glue and graded, beside the score a careful TA
wrote down first. Their code stays out of this project: each entry here is
our own code that behaves as one of them does (a convolution that returns
nested lists, a loader that flattens its images, ...), with the TA's points
per check cell and the study rows (``S01``...) it reproduces.

``hints`` names, per check cell, words one of which a hint of that cell must
contain to name the distinctive cause of the failure; ``cannot_judge`` names
checks that must not pass on a case they cannot judge. ``exact`` entries
score exactly the TA's points for any seed; the others within one point,
for the reason their comment gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

A01, A02, A03 = "01_output_size", "02_manual_convolution", "03_one_hot"
A04, A05, A06 = "04_mnist_cnn", "05_petimages_loading", "06_binary_crossentropy"


@dataclass(frozen=True)
class RealPattern:
    """Our own submission that behaves as a published implementation does, with its TA score."""

    name: str
    assignment: str
    answers: dict[str, str]  # answer cell grade_id -> source
    ta_points: dict[str, float]  # check cell -> points a careful TA gives
    why: str  # the TA's reasons, in one line
    study: tuple[str, ...]  # rows of docs/real-implementations.md it reproduces
    exact: bool = True  # the grader gives exactly the TA's points, whatever the seed
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)  # cell -> words, one a hint's
    cannot_judge: frozenset[str] = frozenset()  # checks that must not pass: they cannot judge


def cell(source: str) -> str:
    """An answer cell's source as a student leaves it."""
    return source.strip() + "\n"


CATEGORICAL_RIGHT = """
def categorical_crossentropy(y_true, y_pred, eps=1e-7):
    p = np.clip(np.asarray(y_pred, dtype=float), eps, 1 - eps)
    return float(-np.mean(np.sum(np.asarray(y_true) * np.log(p), axis=1)))
"""

BINARY_RIGHT = """
def binary_crossentropy(y_true, y_pred, eps=1e-7):
    y = np.ravel(y_true).astype(float)
    p = np.clip(np.ravel(y_pred).astype(float), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
"""


def losses(categorical: str = CATEGORICAL_RIGHT, binary: str = BINARY_RIGHT) -> dict[str, str]:
    """06's losses cell with one of its two functions replaced."""
    return {"losses": cell(categorical + "\n\n" + binary)}


PATTERNS: list[RealPattern] = [
    # ------------------------------------------------------------------ 01
    RealPattern(
        "output size from the formula, no argument checks",
        A01,
        {
            "conv_output_size": cell("""
def conv_output_size(input_size, filter_size, stride=1, padding=0):
    return (input_size + 2 * padding - filter_size) // stride + 1
""")
        },
        {"conv_output_size": 4},
        "right for every valid case; returns -2 instead of raising ValueError for 4, 7",
        ("S01", "S02", "S03"),
    ),
    RealPattern(
        "parameter count for square kernels only",
        A01,
        {
            "conv_param_count": cell("""
def conv_param_count(in_channels, filters, kernel_size):
    weights = kernel_size ** 2 * in_channels
    return (weights + 1) * filters
""")
        },
        {"conv_param_count": 1},
        "the lecture's counts; a (height, width) kernel raises TypeError",
        ("S04",),
    ),
    # ------------------------------------------------------------------ 02
    RealPattern(
        "zero padding of a batch with np.pad, integer dtype kept",
        A02,
        {
            "zero_pad": cell("""
def pad_batch(batch, pad):
    # batch: (m, height, width, channels); pad height and width only
    widths = ((0, 0), (pad, pad), (pad, pad), (0, 0))
    return np.pad(batch, widths, mode="constant")


def zero_pad(image, pad):
    return pad_batch(image[None, :, :, None], pad)[0, :, :, 0]
""")
        },
        {"zero_pad": 2},
        "values right; integer input stays integer; np.pad itself rejects bad arguments",
        ("S05",),
    ),
    RealPattern(
        "convolution returned as nested lists",
        A02,
        {
            "conv2d": cell("""
def conv2d(image, kernel, stride=1, padding=0):
    rows, cols = len(image), len(image[0])
    k_rows, k_cols = len(kernel), len(kernel[0])
    grid = [[0.0] * (cols + 2 * padding) for _ in range(rows + 2 * padding)]
    for r in range(rows):
        for c in range(cols):
            grid[r + padding][c + padding] = image[r][c]
    out_rows = (rows + 2 * padding - k_rows) // stride + 1
    out_cols = (cols + 2 * padding - k_cols) // stride + 1
    result = []
    for i in range(out_rows):
        row = []
        for j in range(out_cols):
            total = 0.0
            for a in range(k_rows):
                for b in range(k_cols):
                    total += grid[i * stride + a][j * stride + b] * kernel[a][b]
            row.append(total)
        result.append(row)
    return result
""")
        },
        {"conv2d": 4},
        "every value right, strides and padding included; a list of lists; no ValueError",
        ("S12",),
        hints={"conv2d": ("list",)},
    ),
    RealPattern(
        "bias added with float() on a (1, 1, 1) array",
        A02,
        {
            "conv2d": cell("""
def window_response(window, weights, bias):
    return np.sum(window * weights) + float(bias)


def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0:
        raise ValueError("stride must be >= 1 and padding >= 0")
    padded = zero_pad(image, padding)
    kh, kw = kernel.shape
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError("the kernel is larger than the padded image")
    bias = np.zeros((1, 1, 1))  # one filter's bias, shaped like its slice of the layer's
    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = padded[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = window_response(window, kernel, bias)
    return out
""")
        },
        {"conv2d": 1},
        "float() of a (1, 1, 1) array raises TypeError on NumPy 2 at every window; "
        "only the argument checks, which come first, work",
        ("S06",),
        hints={"conv2d": ("NumPy 2", ".item()")},
    ),
    RealPattern(
        "kernel flipped, same-size output through k // 2 offsets",
        A02,
        {
            "conv2d": cell("""
def conv2d(image, kernel, stride=1, padding=0):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)[::-1, ::-1]  # convolution flips the kernel
    kh, kw = kernel.shape
    top, left = kh // 2, kw // 2
    out = np.zeros(image.shape)
    for i in range(top, image.shape[0] - top):
        for j in range(left, image.shape[1] - left):
            total = 0.0
            for a in range(kh):
                for b in range(kw):
                    total += kernel[a, b] * image[i - top + a, j - left + b]
            out[i, j] = total
    return out
""")
        },
        {"conv2d": 1},
        "flips the kernel, keeps the input's size with a zero border, ignores stride and "
        "padding, no ValueError; the result is a float array",
        ("S11",),
        hints={"conv2d": ("W - F", "W - kw", "H - kh")},
    ),
    RealPattern(
        "centred windows with k // 2 offsets break even-sized kernels",
        A02,
        {
            "conv2d": cell("""
def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0:
        raise ValueError("stride must be >= 1 and padding >= 0")
    padded = zero_pad(image, padding)
    kh, kw = kernel.shape
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError("the kernel is larger than the padded image")
    rh, rw = kh // 2, kw // 2  # the kernel's reach around its centre
    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            ci, cj = i * stride + rh, j * stride + rw  # the window's centre
            window = padded[ci - rh : ci + rh + 1, cj - rw : cj + rw + 1]
            out[i, j] = np.sum(window * kernel)
    return out
""")
        },
        {"conv2d": 2},
        "right for odd kernels (the lecture's 3x3); any even side makes the window one "
        "too wide and raises; argument checks right",
        ("S11",),
        hints={"conv2d": ("even", "짝수")},
    ),
    RealPattern(
        "square output, stride and padding ignored",
        A02,
        {
            "conv2d": cell("""
def conv2d(image, kernel, stride=1, padding=0):
    side = image.shape[0]  # the slides' images are square
    k = kernel.shape[0]
    out = np.zeros((int((side - k + 2 * padding) / stride) + 1,) * 2)
    for row in range(image.shape[0] - kernel.shape[0] + 1):
        for col in range(image.shape[1] - kernel.shape[1] + 1):
            patch = image[row : row + kernel.shape[0], col : col + kernel.shape[1]]
            out[row, col] = (patch * kernel).sum()
    return out
""")
        },
        {"conv2d": 2},
        "the lecture's example and a float result; non-square images, strides and padding "
        "fail (IndexError or wrong shape); no ValueError",
        ("S10",),
    ),
    RealPattern(
        "convolution of a batch of channels, no argument checks",
        A02,
        {
            "conv2d": cell("""
def conv_layer(x, w, b, stride, pad):
    # x: (N, C, H, W), w: (F, C, HH, WW), b: (F,)
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    h_out = 1 + (h + 2 * pad - hh) // stride
    w_out = 1 + (wd + 2 * pad - ww) // stride
    out = np.zeros((n, f, h_out, w_out))
    for i in range(n):
        xp = np.pad(x[i], ((0, 0), (pad, pad), (pad, pad)))
        for k in range(f):
            for r in range(h_out):
                for c in range(w_out):
                    area = xp[:, r * stride : r * stride + hh, c * stride : c * stride + ww]
                    out[i, k, r, c] = np.sum(area * w[k]) + b[k]
    return out


def conv2d(image, kernel, stride=1, padding=0):
    x = np.asarray(image)[None, None]
    w = np.asarray(kernel)[None, None]
    return conv_layer(x, w, np.zeros(1), stride, padding)[0, 0]
""")
        },
        {"conv2d": 5},
        "every value right, non-square kernels included; an empty result instead of "
        "ValueError for a kernel larger than the image",
        ("S08",),
    ),
    RealPattern(
        "max pooling without argument checks",
        A02,
        {
            "max_pool2d": cell("""
def max_pool2d(feature_map, pool_size=2, stride=None):
    step = pool_size if stride is None else stride
    fmap = np.asarray(feature_map)
    rows = int(1 + (fmap.shape[0] - pool_size) / step)
    cols = int(1 + (fmap.shape[1] - pool_size) / step)
    out = np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            window = fmap[r * step : r * step + pool_size, c * step : c * step + pool_size]
            out[r, c] = np.max(window)
    return out
""")
        },
        {"max_pool2d": 4},
        "values, negative maps and float right; an empty result for a pool larger than the map",
        ("S07", "S09"),
    ),
    # ------------------------------------------------------------------ 03
    RealPattern(
        "to_categorical as Keras 2.0 wrote it: float64, labels not checked",
        A03,
        {
            "one_hot": cell("""
def one_hot(labels, num_classes=None):
    y = np.array(labels, dtype=int).ravel()
    if not num_classes:
        num_classes = y.max() + 1
    out = np.zeros((len(y), num_classes))
    out[np.arange(len(y)), y] = 1
    return out
""")
        },
        {"one_hot": 3},
        "values, lists and columns right; float64; -1 wraps around and 1.5 becomes 1",
        ("S13", "S14"),
    ),
    RealPattern(
        "one_hot that needs an ndarray",
        A03,
        {
            "one_hot": cell("""
def one_hot(labels, num_classes=None):
    if labels.ndim == 2:
        labels = labels[:, 0]
    if np.any(labels < 0) or np.any(labels % 1 != 0):
        raise ValueError("labels must be non-negative integers")
    labels = labels.astype(np.int64)
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    if labels.max() >= num_classes:
        raise ValueError("a label is out of range")
    out = np.zeros((labels.shape[0], num_classes), dtype=np.float32)
    out[np.arange(labels.shape[0]), labels] = 1
    return out
""")
        },
        {"one_hot": 4},
        "everything right for arrays (values, None, float32, columns, bad labels); "
        "a Python list raises AttributeError: one requirement missed",
        ("S15", "S16"),
        hints={"one_hot": ("np.asarray", "np.array")},
    ),
    RealPattern(
        "one_hot without num_classes=None",
        A03,
        {
            "one_hot": cell("""
def one_hot(labels, num_classes=None):
    encoded = np.zeros((len(labels), num_classes))
    for row, label in enumerate(labels):
        encoded[row, label] = 1.0
    return encoded
""")
        },
        {"one_hot": 2},
        "the MNIST example, lists and columns right; None raises; float64; no validation",
        ("S17",),
    ),
    RealPattern(
        "classes by examples, None for anything but an array",
        A03,
        {
            "one_hot": cell("""
def one_hot(labels, num_classes=None):
    if not isinstance(labels, np.ndarray) or not isinstance(num_classes, int):
        return None
    encoded = np.zeros((num_classes, labels.shape[0]))  # one column per example
    for i, label in enumerate(labels):
        encoded[label, i] = 1
    return encoded
""")
        },
        {"one_hot": 0},
        "(C, N) for arrays, None for lists or num_classes=None",
        ("S18",),
    ),
    RealPattern(
        "labels decoded along axis 0",
        A03,
        {
            "from_one_hot": cell("""
def from_one_hot(y):
    # one column per example, classes down the rows
    return np.argmax(y, axis=0)
""")
        },
        {"from_one_hot": 0},
        "the argmax of each column, not of each row",
        ("S19",),
    ),
    # ------------------------------------------------------------------ 04
    RealPattern(
        "exactly 60,000 flattened images, and a 784-input MLP",
        A04,
        {
            "preprocess": cell("""
def preprocess(x):
    x = x.reshape(60000, 784).astype("float32")
    return x / 255


def encode_labels(y):
    return keras.utils.to_categorical(y, 10)
"""),
            "build_mlp": cell("""
def build_mlp():
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model
"""),
        },
        {"preprocess": 1, "build_mlp": 1},
        "preprocess works on exactly 60,000 images and flattens them; labels right; "
        "the MLP has two hidden layers on a (784,) input, its loss right",
        ("S21",),
        hints={"preprocess": ("-1", "shape[0]")},
    ),
    RealPattern(
        "Keras's channels-last MNIST example",
        A04,
        {
            "preprocess": cell("""
def preprocess(x):
    if keras.backend.image_data_format() == "channels_first":
        x = x.reshape(x.shape[0], 1, 28, 28)
    else:
        x = x.reshape(x.shape[0], 28, 28, 1)
    x = x.astype("float32")
    x /= 255
    return x


def encode_labels(y):
    return keras.utils.to_categorical(y, 10)
"""),
            "build_cnn": cell("""
EPOCHS = 3
BATCH_SIZE = 128


def build_cnn():
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Dropout(0.25),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        loss=keras.losses.categorical_crossentropy,
        optimizer=keras.optimizers.Adadelta(),
        metrics=["accuracy"],
    )
    return model
"""),
        },
        {"preprocess": 3, "build_cnn": 3},
        "everything the two cells ask for",
        ("S20",),
    ),
    # ------------------------------------------------------------------ 05
    RealPattern(
        "the lecture's loader with Dog first",
        A05,
        {
            "load_pet_images": cell("""
CATEGORIES = ["Dog", "Cat"]


def load_pet_images(basedir, img_size=50):
    data = []
    for category in CATEGORIES:
        folder = os.path.join(basedir, category)
        label = CATEGORIES.index(category)
        for name in os.listdir(folder):
            try:
                gray = cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE)
                data.append((cv2.resize(gray, (img_size, img_size)), label))
            except Exception:
                pass
    images = np.array([image for image, _ in data])
    labels = np.array([label for _, label in data])
    return images, labels, []
""")
        },
        {"load_pet_images": 4, "robust_loading": 2},
        "gray, resized, every image read, labels Dog 0 and Cat 1; nothing in skipped, "
        "hidden files read, listing order kept; a missing folder and Ctrl-C right",
        ("S22",),
    ),
    RealPattern(
        "flattened images from an unsorted listing",
        A05,
        {
            "load_pet_images": cell("""
def load_pet_images(basedir, img_size=50):
    features, labels = [], []
    for label, category in enumerate(["Cat", "Dog"]):
        folder = os.path.join(basedir, category)
        for name in os.listdir(folder):
            gray = cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE)
            try:
                small = cv2.resize(gray, (50, 50))
            except Exception:
                continue
            features.append(small.flatten())  # one row of pixels per image, for an SVM
            labels.append(label)
    return np.array(features), np.array(labels), []
""")
        },
        {"load_pet_images": 3, "robust_loading": 2},
        "every image read, labels and pixels right, flattened to (N, 2500) at a fixed 50; "
        "nothing in skipped, hidden files read, listing order kept",
        ("S23",),
        cannot_judge=frozenset({"test_order_does_not_depend_on_the_listing"}),
    ),
    RealPattern(
        "fixed 60x60 images, shuffled",
        A05,
        {
            "load_pet_images": cell("""
import random


def load_pet_images(basedir, img_size=50):
    data = []
    for label, category in enumerate(["Cat", "Dog"]):
        folder = os.path.join(basedir, category)
        for name in os.listdir(folder):
            gray = cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE)
            if gray is None:
                print("cannot read", name)
                continue
            data.append((cv2.resize(gray, (60, 60)), label))
    random.Random(0).shuffle(data)  # cats and dogs mixed before training
    images = np.array([image for image, _ in data])
    labels = np.array([label for _, label in data])
    return images, labels, []
""")
        },
        {"load_pet_images": 3, "robust_loading": 2},
        "every image read, labels and pixels right, at a fixed 60x60; unreadable files "
        "printed, not kept; hidden files read; shuffled",
        ("S24",),
    ),
    RealPattern(
        "images scaled to [0, 1] with a channel axis, classes in listing order",
        A05,
        {
            "load_pet_images": cell("""
def load_pet_images(basedir, img_size=50):
    classes = os.listdir(basedir)
    data, target = [], []
    for label, category in enumerate(classes):
        folder = os.path.join(basedir, category)
        for name in os.listdir(folder):
            colour = cv2.imread(os.path.join(folder, name))
            try:
                gray = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
                data.append(cv2.resize(gray, (img_size, img_size)))
                target.append(label)
            except Exception as error:
                print("skipping", name, error)
    data = np.array(data) / 255.0
    data = data.reshape(data.shape[0], img_size, img_size, 1)
    return data, np.array(target), []
""")
        },
        {"load_pet_images": 3, "robust_loading": 2},
        "every image read in gray at img_size; float in [0, 1] with a channel axis; "
        "a class's label is its place in the listing; errors printed, not kept",
        ("S25",),
    ),
    RealPattern(
        "one-hot labels of the files whose name says jpg",
        A05,
        {
            "load_pet_images": cell("""
def load_pet_images(basedir, img_size=50):
    folders = {os.path.join(basedir, "Cat"): 0, os.path.join(basedir, "Dog"): 1}
    data = []
    for folder, label in folders.items():
        for name in os.listdir(folder):
            if "jpg" in name:
                try:
                    gray = cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE)
                    data.append([cv2.resize(gray, (img_size, img_size)), np.eye(2)[label]])
                except Exception:
                    pass
    images = np.array([image for image, _ in data])
    labels = np.array([label for _, label in data])
    return images, labels, []
""")
        },
        {"load_pet_images": 2, "robust_loading": 2},
        "3 of 8 images (names with jpg), one-hot labels; pixels and img_size right; "
        "nothing in skipped, ._5.jpg read, listing order kept",
        ("S26",),
        exact=False,  # the order point: the three files read may happen to be listed in order
        hints={"load_pet_images": ("one-hot", "원-핫")},
    ),
    # ------------------------------------------------------------------ 06
    RealPattern(
        "binary crossentropy without clipping",
        A06,
        losses(
            binary="""
def binary_crossentropy(y_true, y_pred, eps=1e-7):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
"""
        ),
        {"binary_crossentropy": 1},
        "right on random predictions; nan at exactly 0 or 1; (N, 1) broadcasts to (N, N)",
        ("S27",),
    ),
    RealPattern(
        "binary crossentropy with log(1 - y_true)",
        A06,
        losses(
            binary="""
def binary_crossentropy(y_true, y_pred, eps=1e-7):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_true))
"""
        ),
        {"binary_crossentropy": 0},
        "the second term takes the label's log: nan wherever y = 1",
        ("S28",),
    ),
    RealPattern(
        "categorical crossentropy without clipping",
        A06,
        losses(
            categorical="""
def categorical_crossentropy(y_true, y_pred, eps=1e-7):
    return -np.mean(np.sum(y_true * np.log(y_pred), axis=1))
"""
        ),
        {"categorical_crossentropy": 1},
        "right on random predictions; nan where a prediction is exactly 0",
        ("S29",),
    ),
    RealPattern(
        "clipped, then 1e-9 added inside the log",
        A06,
        losses(
            categorical="""
def categorical_crossentropy(y_true, y_pred, eps=1e-7):
    p = np.clip(y_pred, eps, 1 - eps)
    return -np.sum(y_true * np.log(p + 1e-9)) / len(p)
"""
        ),
        {"categorical_crossentropy": 1},
        "right on random predictions; p = 0 costs -log(eps + 1e-9), 16.108 for Keras's 16.118",
        ("S30",),
        hints={"categorical_crossentropy": ("1e-09", "1e-9", "1.0e-09")},
    ),
    RealPattern(
        "mean over the classes instead of the samples",
        A06,
        losses(
            categorical="""
def categorical_crossentropy(y_true, y_pred, eps=1e-7):
    p = np.clip(y_pred, eps, 1 - eps)
    return -np.sum(y_true * np.log(p)) / p.shape[1]
"""
        ),
        {"categorical_crossentropy": 0},
        "divides by the number of classes",
        ("S32",),
    ),
    RealPattern(
        "predicted classes as an (N, 1) column for a sigmoid model",
        A06,
        {
            "predict_labels": cell("""
def predict_labels(model, x):
    probabilities = model.predict(x, verbose=0)
    if probabilities.shape[-1] > 1:
        return probabilities.argmax(axis=-1)
    return (probabilities > 0.5).astype("int32")
""")
        },
        {"predict_labels": 1},
        "the softmax model's labels right; the sigmoid model's come as an (N, 1) column",
        ("S31",),
    ),
]
