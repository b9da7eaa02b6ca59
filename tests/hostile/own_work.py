"""Work done elsewhere: each must earn what the same notebook earns without it.

02: a library convolution reached by a route no list of tricks named
(``pkgutil.resolve_name`` and a ``_thread`` thread, a comment run through
IPython's input history, a magic that runs a file): the rule is a list of
what a manual convolution may use (``autograder/checks/allowlist.py``), so
each costs ``conv2d``'s value points, as the library call written out does.
Honest ways to write a convolution by hand, next to them, keep every point.

04: the weights of a small model trained elsewhere, written into the
notebook (in a docstring, or packed five codes to a character) and set in
the kernel. The grader trains the recipe itself and reads no weight of the
student's (``autograder/checks/replay.py``), so they earn exactly what the
same model trained for a moment earns: no tier.

The quick tier (``tests/test_own_work.py``, ``tests/test_replay.py``) proves
the rules on every source here; the catalogue grades through nbgrader the
two 02 routes only a real kernel has (a thread the profiler does not see,
IPython's history) and the two 04 weights.
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
# 1,836-parameter CNN (Conv2D(4, 5, strides=2), Conv2D(6, 3, strides=2), Dense(10)),
# trained outside the graded run (seed 42, 8 epochs of Adam 3e-3, batch 128, on the 60,000
# training images) and quantised to 4 bits per weight, one range per tensor: 0.9682 on
# the 10,000 test images. Its 1,836 codes in hexadecimal, and each tensor's range:
MLP_CODES = (
    "bc8a59b875a9a2b984b65d8a988eb5ada5c6c2f36b3dcb7eddaddbd8d7c0ab2dad5ecf9dfeb7edb5ab3a9a7d"
    "bbacdcdbed9932f0b5a9459968c6d97828ba8b64a9898baab964c65a3a8c7a2ba68ac7dbbd87a6798d89b87d"
    "59caa972e984fa4a9a3b6d0489b9cbd7e851ec4b7b4e7a3d8ac8f8cbb857aa999678a89d39a7ed92dca1da79"
    "ab5e8a2b48a9c978ac75997bbd2c68ae1c89a75a89779b55882698aaf0b18997a9797899988a99899a9b8a87"
    "c9849a89a9ba879998a8aaa7878869a7aaa9bb48679a9989899a9999998898997999889998a8997998999b75"
    "abd795a9cc2a6e948aaaa8a8a999aa798999899b889989898a89a7baad65cad792abab2b7f92989998969898"
    "aa6a8998979987889a89798ab8ab8c86c9c680bffc44a85a7977aca284a7988b8898979a7a99a99a67ab99a9"
    "9b88b6c7a5a7aa897998abab86aa899999987b989798899998a8877a98ab8787aab7a99aba584c8698889b9b"
    "989999898b889989a9999999a78a98999786bab8988799695c879898aa999999ab887b999888a978889a78a9"
    "a88a9a87c9a987a79a6b9b899999866a899989897a9a8a8a9868897d7aa7c8788c99c68a7787772bd779a89a"
    "975bb997697b89a9b79a8879aa7a7ac89b968babb06a89779b7a69998ad69897a7a898a69a78b8a8a89ba9a8"
    "87baa899b888a9b79b48aaa939999566b998aaa898aa8a989877a8aa98a99aa8a979b858a9ba9a577b99789a"
    "9968aaa9aa78a99996aa88989989b98a8c88ab79aa89a99987a7793b9a779a9888899a698a99969b8a9a9999"
    "9a7aaa959a8a9aa9975a8996784db897a9a89799999789a9b999a788a79a9ab8b7818ab9aba7946a8a788999"
    "88a969999b67a896a89a87a698b98a8aa798b797aa97b78986c99a796b9b688ba47897979b9898a8879a9897"
    "9aa97aa8b678aa96a99897a9a8568aa9688aa8a789c6a597988a9879989a99a7989bb888aba69a9787989887"
    "b99ab98789889998ab8899a8a998787a98a88998a6a87c6ba895887a796bc7a84b86968a8a997788a9a99996"
    "a88989a9a7b8b9989a599a8899aa6a89998a87a7777caa599a6ca98a58a78a9b88798899a79899b8a5b69898"
    "c988899aa87bb89a7aa799998889997aa99b8b879989a8aa8a988ab6979aa9999a7a97899a98889988a8aa3b"
    "a497a77989a7b76c9aaa8a797996a78b9a8ec79899676989a888a9aaa868a8a78a99999898866a8b6a7a6979"
    "9a7a8a9ab8787a7a7b999989987cd89997997bb8a986a9995a7b559a896aaa8a9b717b0b56ef"
)
MLP_RANGES = [
    (-1.006, 0.618),
    (-0.052, 0.265),
    (-0.953, 0.753),
    (-0.225, 0.408),
    (-1.56, 1.065),
    (-0.198, 0.153),
]

TINY_BUILD_MLP = """
def build_mlp() -> keras.Model:
    \"\"\"A small CNN in the MLP's place.\"\"\"
    mlp = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(4, 5, strides=2, activation="relu"),
            keras.layers.Conv2D(6, 3, strides=2, activation="relu"),
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
    values += [0] * (-len(values) % 5)
    return "".join(
        chr(0x10000 + sum(values[i + k] << 4 * k for k in range(5)))
        for i in range(0, len(values), 5)
    )


def docstring_weights() -> str:
    """Weights as hex in a docstring, decoded by bytes.fromhex and np.ndarray(buffer=...)
    and set by assign_add: the docstring counts as literal data, and each name is forbidden."""
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
    """The same weights in 368 characters of a plain string, set through an optimizer step.

    No name a list of tricks would hold, and less literal data than honest
    notebooks write: no budget on the notebook's text could tell it apart
    (``docs/own-work.md``).
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
    # 04: the honest twin of both is the same small build_mlp trained for a moment (no
    # tier): the grader trains the recipe, a moment of 256 images, and grades that. The
    # report still shows what the notebook's own model, the smuggled weights, scores.
    Hostile(
        "weights_in_a_docstring",
        A04,
        tiny_mlp_with(docstring_weights),
        frozenset({"test_cnn_accuracy", "test_mlp_accuracy"}),
        "the model your notebook trained: 0.968",
        fails=TINY_MLP_FAILS,
    ),
    Hostile(
        "smallest_model_within_the_rule",
        A04,
        tiny_mlp_with(packed_weights),
        frozenset({"test_cnn_accuracy", "test_mlp_accuracy"}),
        "the model your notebook trained: 0.968",
        fails=TINY_MLP_FAILS,
    ),
]
