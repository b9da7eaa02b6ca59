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

from tests.hostile.base import A02, Hostile, answered, mistake, with_cell_after
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
]
