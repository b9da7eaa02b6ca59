"""Work done elsewhere: each must earn what the same notebook earns without it.

02: a library convolution reached by a route no list of tricks named
(``pkgutil.resolve_name`` and a ``_thread`` thread, a comment run through
IPython's input history, a magic that runs a file): the rule is a list of
what a manual convolution may use (``autograder/checks/allowlist.py``), so
each costs ``conv2d``'s value points, as the library call written out does.
Honest ways to write a convolution by hand, next to them, keep every point.

The quick tier (``tests/test_own_work.py``) proves the rule on every source
here; the catalogue grades through nbgrader the two routes only a real
kernel has (a thread the profiler does not see, IPython's history).
"""

from __future__ import annotations

from collections.abc import Callable

from nbformat import NotebookNode

from autograder.course import samples
from tests.hostile.base import (
    A02,
    A04,
    QUICK_CNN,
    Hostile,
    answered,
    mistake,
    with_cell_after,
)
from tests.hostile.honest_scores import CHECKED

# --- 02: manual convolutions as students and textbooks write them ---------------------

# CS231n's conv_forward_naive, cut down to one image and one filter.
CS231N_NAIVE = """
def conv2d(image, kernel, stride=1, padding=0):
    x = np.asarray(image, dtype=np.float64)
    w = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or w.ndim != 2 or stride < 1 or padding < 0:
        raise ValueError("bad arguments")
    H, W = x.shape
    HH, WW = w.shape
    x_pad = np.pad(x, ((padding, padding), (padding, padding)), mode="constant")
    if HH > H + 2 * padding or WW > W + 2 * padding:
        raise ValueError("kernel larger than the padded image")
    H_out = 1 + (H + 2 * padding - HH) // stride
    W_out = 1 + (W + 2 * padding - WW) // stride
    out = np.zeros((H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            out[i, j] = np.sum(x_pad[hs : hs + HH, ws : ws + WW] * w)
    return out
"""

# deeplearning.ai's zero_pad / conv_single_step / conv_forward, for one channel.
DEEPLEARNING_AI = """
def conv_single_step(a_slice_prev, W, b=0.0):
    s = np.multiply(a_slice_prev, W)
    Z = np.sum(s)
    Z = Z + float(b)
    return Z


def conv2d(image, kernel, stride=1, padding=0):
    A_prev = np.asarray(image)
    W = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0 or A_prev.ndim != 2 or W.ndim != 2:
        raise ValueError("stride >= 1, padding >= 0 and 2-D arrays, please")
    A_prev_pad = np.pad(A_prev, ((padding, padding), (padding, padding)), "constant",
                        constant_values=(0, 0))
    (n_H_prev, n_W_prev), (f_h, f_w) = A_prev_pad.shape, W.shape
    if f_h > n_H_prev or f_w > n_W_prev:
        raise ValueError("the filter does not fit")
    n_H = int((n_H_prev - f_h) / stride) + 1
    n_W = int((n_W_prev - f_w) / stride) + 1
    Z = np.zeros((n_H, n_W))
    for h in range(n_H):
        vert_start = h * stride
        vert_end = vert_start + f_h
        for w in range(n_W):
            horiz_start = w * stride
            horiz_end = horiz_start + f_w
            a_slice_prev = A_prev_pad[vert_start:vert_end, horiz_start:horiz_end]
            Z[h, w] = conv_single_step(a_slice_prev, W)
    assert Z.shape == (n_H, n_W)
    return Z
"""

# The slide as a window view and a product summed by einsum: no loop at all.
WINDOW_VIEW_EINSUM = """
from numpy.lib.stride_tricks import sliding_window_view


def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=np.float64)
    if stride < 1 or padding < 0:
        raise ValueError("bad stride or padding")
    padded = zero_pad(image, padding)
    if kernel.ndim != 2 or any(k > s for k, s in zip(kernel.shape, padded.shape)):
        raise ValueError("kernel too large")
    windows = sliding_window_view(padded, kernel.shape)[::stride, ::stride]
    return np.einsum("ijkl,kl->ij", windows, kernel)
"""

# im2col: every window a row, then one matrix product (CS231n's fast layers, by hand).
IM2COL = """
import itertools


def im2col(padded, kh, kw, stride):
    out_h = (padded.shape[0] - kh) // stride + 1
    out_w = (padded.shape[1] - kw) // stride + 1
    cols = np.empty((out_h * out_w, kh * kw))
    for row, (i, j) in enumerate(itertools.product(range(out_h), range(out_w))):
        cols[row] = padded[i * stride : i * stride + kh, j * stride : j * stride + kw].ravel()
    return cols, out_h, out_w


def conv2d(image, kernel, stride=1, padding=0):
    kernel = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0:
        raise ValueError("bad stride or padding")
    padded = zero_pad(image, padding)
    kh, kw = kernel.shape
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError("kernel too large")
    cols, out_h, out_w = im2col(padded, kh, kw, stride)
    return np.dot(cols, kernel.reshape(-1)).reshape(out_h, out_w)
"""

# A layer object, as a student who read ahead writes it, with a timing and a test cell.
LAYER_CLASS = """
import math
import time
from typing import Optional


class Conv2D:
    \"\"\"One filter, slid by hand.\"\"\"

    def __init__(self, kernel, stride: int = 1, padding: int = 0):
        self.kernel = np.asarray(kernel, dtype=np.float64)
        self.stride, self.padding = stride, padding

    def output_size(self, size: int, k: int) -> int:
        return math.floor((size + 2 * self.padding - k) / self.stride) + 1

    def forward(self, image) -> np.ndarray:
        if self.stride < 1 or self.padding < 0:
            raise ValueError(f"bad stride {self.stride} or padding {self.padding}")
        padded = zero_pad(image, self.padding)
        kh, kw = self.kernel.shape
        if kh > padded.shape[0] or kw > padded.shape[1]:
            raise ValueError("kernel too large")
        out = np.zeros((self.output_size(len(image), kh), self.output_size(len(image[0]), kw)))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                top, left = i * self.stride, j * self.stride
                out[i, j] = (padded[top : top + kh, left : left + kw] * self.kernel).sum()
        return out


def conv2d(image, kernel, stride=1, padding=0, timer: Optional[list] = None):
    started = time.perf_counter()
    result = Conv2D(kernel, stride, padding).forward(np.asarray(image))
    if timer is not None:
        timer.append(time.perf_counter() - started)
    return result
"""

# What a careful student adds after the answer: a timing and a check against brute force.
SELF_TEST_CELL = """%timeit -n 3 conv2d(np.ones((28, 28)), np.ones((3, 3)))
rng = np.random.default_rng(0)
for trial in range(5):
    image, kernel = rng.normal(size=(7, 9)), rng.normal(size=(3, 2))
    expected = np.array([[np.sum(image[i:i + 3, j:j + 2] * kernel) for j in range(8)]
                         for i in range(5)])
    np.testing.assert_allclose(conv2d(image, kernel), expected, rtol=1e-12)
print("conv2d agrees with the brute force", result.shape)
"""

HONEST_CONVOLUTIONS = {
    "cs231n_conv_forward_naive": CS231N_NAIVE,
    "deeplearning_ai_conv_single_step": DEEPLEARNING_AI,
    "window_view_and_einsum": WINDOW_VIEW_EINSUM,
    "im2col_and_dot": IM2COL,
    "a_layer_class_with_a_timer": LAYER_CLASS,
}

# --- 02: a library convolution by routes no list of tricks named -----------------------

# The review's attack: a name resolved from a string, computed in a thread of _thread's.
RESOLVED_IN_A_THREAD = (
    CHECKED
    + """
import _thread
import pkgutil

_correlate = pkgutil.resolve_name("scipy.signal:correlate2d")


def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    done, box = _thread.allocate_lock(), []
    done.acquire()

    def work():  # the profiler of the calling thread does not see this one
        box.append(_correlate(padded, kernel, mode="valid"))
        done.release()

    _thread.start_new_thread(work, ())
    done.acquire()
    return box[0][::stride, ::stride]
"""
)

# Code kept in a comment, where no parser looks, run from IPython's input history.
FROM_A_COMMENT = (
    CHECKED
    + """
# from scipy.signal import correlate2d as _c
_hidden = [line for cell in _ih for line in cell.splitlines() if line.startswith("# from sc")]
get_ipython().run_cell(_hidden[0][2:])


def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    return _c(padded, kernel, mode="valid")[::stride, ::stride]
"""
)

# A file written by one magic and run by another: the cell that holds it is no Python.
WRITTEN_AND_RUN = "%%writefile /tmp/helper.py\nfrom scipy.signal import correlate2d as helper\n"
RUNS_THE_FILE = "%run -i /tmp/helper.py\n"

# More routes a reviewer would try next: each obtains a library function, a process,
# or a way to name one from a string.
ROUTES = {
    "codecs_spells_the_name": """
import codecs
import pkgutil
_c = pkgutil.resolve_name(codecs.decode("fpvcl.fvtany:pbeeryngr2q", "rot13"))
""",
    "struct_spells_the_name": """
import struct
from pkgutil import resolve_name
_c = resolve_name(struct.pack("26s", b"scipy.signal:correlate2d").rstrip(b"\\0").decode())
""",
    "posix_fork_computes_it_elsewhere": """
import posix
reader, writer = posix.pipe()
if posix.fork() == 0:
    posix._exit(0)
""",
    "a_lambda_default_holds_it": """
import pkgutil
conv = (lambda f=pkgutil.resolve_name("numpy:correl" + "ate"): f)()
""",
    "a_class_attribute_holds_it": """
import pkgutil as _p

class Library:
    correlate = staticmethod(_p.resolve_name("numpy:correl" + "ate"))
""",
    "functools_reduces_over_getattr": """
import functools
_c = functools.reduce(getattr, ["signal", "correlate2d"], __import__("scipy.signal"))
""",
    "operator_attrgetter": """
from operator import attrgetter
_c = attrgetter("correl" + "ate")(np)
""",
    "polymul_is_a_convolution": """
def row(a, b):
    return np.polymul(a, b[::-1])[len(b) - 1 : len(a)]
""",
    "a_star_import": "from numpy import *\n",
    "sys_modules": "import sys\n_c = sys.modules['numpy'].correlate\n",
    "dunder_dict": "_c = np.__dict__['correl' + 'ate']\n",
    "type_of_a_module": "_c = type(np).__getattribute__(np, 'correlate')\n",
    "a_frame_s_globals": """
def find():
    try:
        raise ValueError
    except ValueError as e:
        return e.__traceback__.tb_frame.f_globals
""",
    "vars_of_numpy": "_c = vars(np)['convolve']\n",
    "a_shell_command": "!python -c 'import scipy'\n",
    "pylab_magic": "%pylab inline\n",
    "the_fft": "spectrum = np.fft.fft2(np.ones((3, 3)))\n",
    "a_method_named_like_the_library": """
class Mine:
    def convolve(self):
        return 0

_c = np.convolve
""",
}

# --- 04: weights trained elsewhere, written into the notebook ------------------------

# The smallest model built that reaches 04's first MLP tier: build_mlp() returns a
# 2,410-parameter CNN (Conv2D(4, 5, strides=2), Conv2D(8, 3, strides=2), Dense(10)),
# trained outside the graded run (seed 42, 8 epochs of Adam 3e-3, batch 128, on the 60,000
# training images) and quantised to 4 bits per weight, one range per tensor: 0.9676 on
# the 10,000 test images. Its 2,410 codes in hexadecimal, and each tensor's range:
MLP_CODES = (
    "b99a88b958aa46b825b35bcb0acd28ac46b794d14cbb7ccc8ccb98d8d6b06c9c7daeccbadab4ebc15b9caace"
    "dab7cab3fda4f203c6866558567776479777765a5989c96ac675548968867b3576a7849a5799c878b7989189"
    "59a8667795a98699757a8987c7588669874655268a3867757468e848a834379b7a877b45797577947537f8b9"
    "7933945c7cb797877aa675a7847aa89a46788887a9785622682679707563d79822491b8989686863785859a4"
    "6255a8d944585b0d57669a86369989867456779abcfa890c97988a86a96c9c848b746b8958b8b8988a889a9a"
    "7a7989baba989988889aaa9969a977a6887b89baa9a968a5a986aa586a9989bb5887868a8979aa896a8ba6c8"
    "b099abaa889988a97aa79988978a98aa8a99699aab979a4a89ab87bba76595979a78988b7ca895c5a6899988"
    "88998b87aab7979b859bb4aa88997997aa989859a89998bb695995989a69a9a89b8997c6a88a89998a9a9a88"
    "bab785be8599c67898888a97a9879a7a969868785a98bb98898998998999aaa8988a89aa99986b77c8b6968e"
    "a999976687ba7878ab88ba866a98a9779aaa979a89a9ab6879aaa9ba8888bba479889a8989889998aaa997a9"
    "a8aa587abb989a796b889a9a997c869a78aa8a777897c9b798a89a988e86a8979aa89997b999989a86997989"
    "99a89a897a998aa9894c987999998998a998d9a87789aa88ab979988a9a8888aa98baa7698788ab99a9a8a8b"
    "8999a8b9775b8998a978799a9a9bb5998899a9978a8a9b8aa58b89ada8979b687967bc89a7a9798a8ab9c5a7"
    "4885aa98997799aa999ab879999a9a9689a99aabb15b98899a8ba97686aa7879a97b99ab6aa899789a999999"
    "779a9ba87aba9978997bdb8b7a85b985a8a99a97aaa7a8998aab987b9995a79a889977778a88a98877a99999"
    "a67898a99988a9999ca7a86899a98999bb889b77977d8a89787888aa978a79799968ab89979a9899a977998c"
    "a897a99a98a8b96a89a8886a9a599b565a7b79a889797a9899a899988c8a89aa99a77a899a9898799a999898"
    "898b9a99a57a8a9ca4b75b776878a98ac9969798a989c5645ba978a789969999a99997699ab89897998aa9b7"
    "a36a9ca7a82a788798b89889b6889aac98799a78a9a8898b799899898b79889a6b4aaaac5c87a7a698a8a998"
    "97a98ab888b7a78c96a79a9a978a976b9a978a8a79aa988aa77786bb89876bab697a98b796b8a79799998aa7"
    "889b87aa99a89999a8a87a8ca997998a98999798a98789a9a8988aaaa787a9b877a9a67b9aaa6b88799888a8"
    "a98997a8ab97788a8b98999889aa9899898789889b9a898aa8a898a6998a798b788a7c8a99b89698aa89aaaa"
    "aa87868a8b8896988899a978b78989a99988899a988aa669999b6b9a9999679b99a89988988b8a8a76a79799"
    "99a797879a89987a97ab7d7779473f7d393baaa88897a87889ab89b99aa87889a7a98a6a868aa89979c69898"
    "8b88a7a8a9a688a7b5a67c4c858a89b7999997788a9b798aa899899899a9a979b6879a9988b89898998999a8"
    "9b85a89b99b89a8ba7977a97988b7879abaa7a4ba8ba7a88a89bb89999986bb886997898999aa7987879a99a"
    "9988988aa8a86969b95a8ab798a98a5a9bc88888878ac99985987ed699769999aa89a597899a8a98a969a999"
    "87a9755bab98baa58a79a99940463b65f9"
)
MLP_RANGES = [
    (-1.116, 0.731),
    (0.006, 0.237),
    (-1.016, 1.156),
    (-0.731, 0.512),
    (-1.514, 1.038),
    (-0.216, 0.253),
]

TINY_BUILD_MLP = """
def build_mlp() -> keras.Model:
    \"\"\"A small CNN in the MLP's place.\"\"\"
    mlp = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(4, 5, strides=2, activation="relu"),
            keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    mlp.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return mlp
"""

QUICK_TINY_MLP = """
X_train, Y_train = preprocess(x_train), encode_labels(y_train)
X_val, Y_val = X_train[-6000:], Y_train[-6000:]
mlp = build_mlp()
mlp_history = mlp.fit(X_train[:256], Y_train[:256], epochs=1, verbose=0)
"""

TARGETS = """
targets, start = [], 0
for variable, (lo, hi) in zip(mlp.trainable_variables, RANGES):
    size = int(np.prod(variable.shape))
    values = lo + (hi - lo) / 15 * codes[start : start + size].reshape(variable.shape)
    targets.append(values.astype("float32"))
    start += size
"""


def packed_in_characters(hex_codes: str) -> str:
    """Five 4-bit codes per character, as code points above 0xFFFF: 20 bits a character."""
    values = [int(digit, 16) for digit in hex_codes]
    return "".join(
        chr(0x10000 + sum(values[i + k] << 4 * k for k in range(5)))
        for i in range(0, len(values), 5)
    )


def docstring_weights() -> str:
    """The review's attack: hex in a docstring, bytes.fromhex, np.ndarray(buffer=...) and
    assign_add (docstrings were left out of the literal budget; none of these was named)."""
    return (
        f'\n\ndef mlp_weights():\n    """{MLP_CODES}"""\n\n\n'
        + f"RANGES = {MLP_RANGES!r}\n"
        + "raw = bytes.fromhex(mlp_weights.__doc__)\n"
        + "packed = np.ndarray((len(raw),), np.uint8, buffer=raw)\n"
        + "codes = np.stack([packed >> 4, packed & 15], axis=1).ravel()\n"
        + TARGETS
        + "for variable, target in zip(mlp.trainable_variables, targets):\n"
        + "    variable.assign_add(target - variable)\n"
    )


def packed_weights() -> str:
    """The same weights in 482 characters of a plain string, set through an optimizer step.

    Within every rule shipped for 04: no name on OWN_TRAINING's list, and the
    notebook's literal data (docstrings included) under its 2,000 characters.
    """
    return (
        f"PACKED = {packed_in_characters(MLP_CODES)!r}\n"
        + f"RANGES = {MLP_RANGES!r}\n"
        + "codes = np.array([(ord(c) - 65536) >> s & 15 for c in PACKED for s in range(0, 20, 4)])"
        + TARGETS
        + "steps = [v - t for v, t in zip(mlp.trainable_variables, targets)]\n"
        + "keras.optimizers.SGD(1.0).apply_gradients(zip(steps, mlp.trainable_variables))\n"
    )


def tiny_mlp_with(weights: Callable[[], str]) -> Callable[[Hostile, int], NotebookNode]:
    """04 with the small build_mlp, trained for a moment, then given these weights."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        train_mlp = QUICK_TINY_MLP + weights()
        answers = {"build_mlp": TINY_BUILD_MLP, "train_mlp": train_mlp, "train_cnn": QUICK_CNN}
        return samples.submission(A04, answers)

    return build


TINY_MLP_FAILS = frozenset({"test_mlp_is_the_784_512_10_network"})

LIBRARY = mistake("a library convolution (scipy.signal.correlate2d)").fails
OFF_THE_LIST = "not on the list"  # what each finding of the rule says

ENTRIES = [
    Hostile(
        "library_resolved_by_name_in_a_thread",
        A02,
        answered(conv2d=RESOLVED_IN_A_THREAD),
        reason=OFF_THE_LIST,
        fails=LIBRARY,
    ),
    Hostile(
        "library_run_from_a_comment",
        A02,
        answered(conv2d=FROM_A_COMMENT),
        reason="neither defined in the notebook nor allowed",
        fails=LIBRARY,
    ),
    Hostile(
        "library_in_a_file_run_by_a_magic",
        A02,
        with_cell_after(
            "zero_pad",
            WRITTEN_AND_RUN,
            conv2d=RUNS_THE_FILE + CHECKED + "\ndef conv2d(image, kernel, stride=1, padding=0):\n"
            "    padded, kernel = _checked(image, kernel, stride, padding)\n"
            '    return helper(padded, kernel, mode="valid")[::stride, ::stride]\n',
        ),
        reason="an IPython magic",
        fails=LIBRARY,
    ),
    # 04: its honest twin is the same small build_mlp, trained for a moment: no MLP tier.
    Hostile(
        "weights_in_a_docstring",
        A04,
        tiny_mlp_with(docstring_weights),
        frozenset({"test_cnn_accuracy", "test_mlp_accuracy"}),
        "fromhex",
        fails=TINY_MLP_FAILS,
    ),
    # The open hole, measured: 482 characters of weights earn the first MLP tier under the
    # rule shipped for 04 (docs/security-notes/own-work.md). Its twin scores a point less.
    Hostile(
        "smallest_model_within_the_rule",
        A04,
        tiny_mlp_with(packed_weights),
        frozenset({"test_cnn_accuracy"}),
        "[mlp_accuracy] 1 / 2",
        fails=TINY_MLP_FAILS | {"test_mlp_accuracy_at_least[0.975]"},
    ),
]
