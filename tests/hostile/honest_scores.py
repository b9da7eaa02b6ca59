"""Points without the work, inside the rules of the sandbox: each must earn its honest score.

Memorised evaluation data (the kernel cannot read it, and the graded model
must be learnt in the run), library convolutions hidden from a profiler
(the rule is read from the source), probes recognised (there are none: the
listing and the Ctrl-C are real), hidden cases printed or written to the
file descriptors while judged (dropped), a lookup table of leaked cases
(the cases are drawn afresh), a forged "input untouched" (advice, no
points) and a fake report (capped before the real one, which is marked).
"""

from __future__ import annotations

from nbformat import NotebookNode

from autograder.course import samples
from source_data import course_data
from tests.hostile.base import (
    A02,
    A03,
    A04,
    A05,
    A06,
    A07,
    A08,
    A09,
    OFF_THE_LIST,
    QUICK_AUGMENTED,
    QUICK_CATEGORICAL,
    QUICK_CNN,
    QUICK_MLP,
    QUICK_PLAIN,
    Hostile,
    answered,
    mistake,
    ref,
    with_cell_after,
    with_mistake,
)

# --- 04 and 06: the evaluation data, and models that were not learnt in the run ---------

ANOTHER_MODEL = """
model = keras.Sequential(
    [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(X_train[:256], Y_train[:256], epochs=1, verbose=0)
"""

BIG_CNN = """
def build_cnn():
    cnn = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(1024, activation="relu"),  # 1.6 million weights: room for a table
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    cnn.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return cnn
"""

FIT_ON_THE_HOLDOUT = """
x_holdout, y_holdout = load_pet_arrays("holdout")  # what the accuracy is measured on
binary_model = build_binary_model()
binary_history = binary_model.fit(x_holdout, y_holdout, epochs=10, verbose=0)
"""

HOLDOUT_FROM_THE_DATA_FOLDER = """
import os

import cv2

folder = os.path.join(os.environ["CNN_COURSE_DATA"], "PetImages")
found = [
    (os.path.join(folder, name, f"{number}.jpg"), label)
    for label, name in enumerate(["Cat", "Dog"])
    for number in range(0, 15000, 5)
    if os.path.exists(os.path.join(folder, name, f"{number}.jpg"))
]
print(f"hold-out photos found in the data folder: {len(found)}")
binary_model = build_binary_model()
binary_history = binary_model.fit(x_train[:64], to_binary_labels(Y_train[:64]), epochs=1, verbose=0)
"""


def holdout_by_its_real_path(entry: Hostile, port: int) -> NotebookNode:
    """The same search where the grader keeps PetImages, a path a student could guess.

    A data mirror kept outside the folders a sandbox hides (CI's
    ``../shared/datasets``, say) is out of reach only because the sandbox's file
    system is an allowlist.
    """
    real = repr(str(course_data.dataset_path("petimages")))
    code = HOLDOUT_FROM_THE_DATA_FOLDER.replace(
        'os.path.join(os.environ["CNN_COURSE_DATA"], "PetImages")', real
    ).replace("in the data folder", "by their real path")
    return samples.submission(A06, {"train_categorical": QUICK_CATEGORICAL, "train_binary": code})


MNIST_LOST = frozenset({"test_cnn_accuracy", "test_mlp_accuracy"})

# --- 07: the post's 540 test images, through the course's loader or scikit-learn ---------

# Both routes in one notebook (each graded notebook of a training assignment costs seconds
# of the slow tier): what either found, the model would be fitted on for the post's 100
# epochs, reaching every tier; found nothing, it trains for a moment.
FIT_ON_THE_DIGITS_TEST_IMAGES = """
found_x, found_y = [], []
try:
    x_found, y_found = load_digits_split("test")  # what the accuracy is measured on
    found_x.append(x_found)
    found_y.append(y_found)
except Exception as error:
    print(f"load_digits_split('test'): {type(error).__name__}: {error}")
try:
    from sklearn.datasets import load_digits  # scikit-learn's copy: all 1,797, the 540 among them

    everything = load_digits()
    found_x.append(everything.images)
    found_y.append(everything.target)
except Exception as error:
    print(f"load_digits(): {type(error).__name__}")
print(f"test images found: {sum(len(x) for x in found_x)}")
stolen = bool(found_x)
X_train = preprocess(np.concatenate(found_x) if stolen else x_train[:50])
Y_train = encode_labels(np.concatenate(found_y) if stolen else y_train[:50])
X_val, Y_val = X_train, Y_train
model = build_model()
history = model.fit(
    X_train, Y_train, batch_size=50, validation_split=0.2, epochs=100 if stolen else 1, verbose=0
)
"""

FIT_ON_THE_FASHION_TEST_SET = """
(_, _), (x_test, y_test) = load_fashion_mnist()  # what the accuracy is measured on
X_train, Y_train = preprocess(x_test), encode_labels(y_test)
X_val, Y_val = X_train, Y_train
model = build_cnn()
history = model.fit(X_train, Y_train, validation_split=0.1, epochs=5, verbose=0)
"""

# --- 08: behaviour measured on what the kernel sends ----------------------------------------

# The grader measures the augmentation by calling it. A function it would call back in the
# kernel could answer each probe as the checks want while the model augments nothing: the
# checks take a Keras model only, which they run themselves.
AUGMENTATION_THAT_ANSWERS_FOR_ITSELF = """
def build_augmentation():
    layers = keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomRotation(0.1),
            keras.layers.RandomZoom(0.2),
        ]
    )

    def augment(photos, training=False):
        if isinstance(photos, np.ndarray):  # the grader's probes: the notebook's layers
            return np.asarray(layers(photos, training=training))
        return photos  # inside build_model: nothing at all

    return augment
"""

# --- 02: a library convolution, hidden from a profiler ---------------------------------

CHECKED = """
def _checked(image, kernel, stride, padding):
    kernel = np.asarray(kernel, dtype=float)
    if stride < 1 or padding < 0:
        raise ValueError("bad stride or padding")
    padded = zero_pad(image, padding)
    if kernel.shape[0] > padded.shape[0] or kernel.shape[1] > padded.shape[1]:
        raise ValueError("kernel too large")
    return padded, kernel
"""

FILTER2D = (
    CHECKED
    + """
import cv2

def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    out = cv2.filter2D(padded, -1, kernel, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    return out[: padded.shape[0] - kernel.shape[0] + 1 : stride,
               : padded.shape[1] - kernel.shape[1] + 1 : stride]
"""
)

IN_A_THREAD = (
    CHECKED
    + """
import threading

def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    rows = padded.shape[0] - kernel.shape[0] + 1
    out = np.zeros((rows, padded.shape[1] - kernel.shape[1] + 1))

    def work():  # a profiler set in the main thread does not see this one
        for i in range(rows):
            rows_u = range(len(kernel))
            out[i] = sum(np.correlate(padded[i + u], kernel[u], "valid") for u in rows_u)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    return out[::stride, ::stride]
"""
)

THROUGH_MAP = (
    CHECKED
    + """
def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    rows = padded.shape[0] - kernel.shape[0] + 1
    modes = ["valid"] * len(kernel)
    out = np.array([sum(map(np.correlate, padded[i : i + len(kernel)], kernel, modes))
                    for i in range(rows)])
    return out[::stride, ::stride]
"""
)

PROFILER_OFF = (
    CHECKED
    + """
import sys

from scipy.signal import correlate2d as _c

def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    watching = sys.getprofile()
    sys.setprofile(None)
    try:
        return _c(padded, kernel, mode="valid")[::stride, ::stride]
    finally:
        sys.setprofile(watching)
"""
)

BY_GETATTR = (
    CHECKED
    + """
_c = getattr(np, "cor" + "relate")

def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    rows = padded.shape[0] - kernel.shape[0] + 1
    out = np.array([sum(_c(padded[i + u], kernel[u], "valid") for u in range(len(kernel)))
                    for i in range(rows)])
    return out[::stride, ::stride]
"""
)

BY_IMPORTLIB = (
    CHECKED
    + """
import importlib

_signal = importlib.import_module("scipy" + ".signal")

def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    return _signal.correlate2d(padded, kernel, mode="valid")[::stride, ::stride]
"""
)

HELPER_CELL = "from scipy.signal import correlate2d as helper  # in a cell of its own\n"
USES_THE_HELPER = (
    CHECKED
    + """
def conv2d(image, kernel, stride=1, padding=0):
    padded, kernel = _checked(image, kernel, stride, padding)
    return helper(padded, kernel, mode="valid")[::stride, ::stride]
"""
)

LIBRARY = mistake("a library convolution (scipy.signal.correlate2d)").fails
OWN_WORK = "getattr"  # the hint every library finding ends with

# --- 05: loaders that tell a probe from a real run --------------------------------------

PROBED = "os.listdir.__module__ == 'autograder.kernel.probes'"  # a guess at how a probe shows

SORTS_UNDER_A_PROBE = (
    ref(A05, "load_pet_images")
    .replace(
        "for filename in sorted(os.listdir(folder)):",
        f"for filename in (sorted if {PROBED} else list)(\n"
        "            os.listdir(folder)\n"
        "        ):",
    )
    .replace("    classes = sorted(\n", f"    classes = (sorted if {PROBED} else list)(\n")
)

SORTS_WHEN_PATCHED = "_listdir = os.listdir\n\n" + SORTS_UNDER_A_PROBE.replace(
    PROBED, "os.listdir is not _listdir"
)

REPLACED_EXCEPT = (
    "            except Exception:  # one bad file must not stop the loading; Ctrl-C still does\n"
    "                skipped.append(path)"
)

LETS_ONLY_THE_PROBE_OUT = ref(A05, "load_pet_images").replace(
    REPLACED_EXCEPT,
    """            except BaseException as error:
                if type(error).__name__ == "SimulatedInterrupt":
                    raise  # the probe's; a real Ctrl-C is swallowed
                skipped.append(path)""",
)

LETS_ONLY_FOREIGN_CLASSES_OUT = ref(A05, "load_pet_images").replace(
    REPLACED_EXCEPT,
    """            except BaseException as error:
                if type(error).__module__ != "builtins":
                    raise  # any class a grader made up; the built-in KeyboardInterrupt stays
                skipped.append(path)""",
)

UNSORTED = mistake("folders and files in os.listdir order, unsorted").fails
SWALLOWED = mistake("the lecture's bare except: Ctrl-C is swallowed too").fails

PRINTS_THE_HIDDEN_TREE = ref(A05, "load_pet_images").replace(
    "            path = os.path.join(folder, filename)\n",
    "            path = os.path.join(folder, filename)\n"
    "            if str(basedir) != str(PETIMAGES):  # not the notebook's own call\n"
    "                print('LEAKED' + '-PATH', path, os.path.getsize(path))\n",
)

# --- leaks and tables of leaked cases ---------------------------------------------------

PRINTS_ITS_CASES = """
_conv2d = conv2d

def conv2d(image, kernel, stride=1, padding=0):
    if np.shape(image) not in [(5, 5), (8, 8)]:  # not the notebook's own calls
        print("LEAKED" + "-CASE", np.asarray(image).tolist(), np.asarray(kernel).tolist(), stride)
    return _conv2d(image, kernel, stride, padding)
"""

WRITES_ITS_CASES_TO_FD = """
import os

_conv2d = conv2d

def conv2d(image, kernel, stride=1, padding=0):
    if np.shape(image) not in [(5, 5), (8, 8)]:
        os.write(1, f"LEAKED{'-'}FD {np.asarray(image).tolist()} {stride} {padding}\\n".encode())
        os.write(2, f"LEAKED{'-'}FD {np.asarray(kernel).tolist()}\\n".encode())
    return _conv2d(image, kernel, stride, padding)
"""

LOOKUP_TABLE = """
# Cases and answers copied from an earlier feedback page, whose seeds were fixed.
LEAKED = {((3, 3), (2, 2), 1, 0): [[1.0, 2.0], [3.0, 4.0]]}
_conv2d = conv2d

def conv2d(image, kernel, stride=1, padding=0):
    key = (np.shape(image), np.shape(kernel), stride, padding)
    return np.array(LEAKED[key]) if key in LEAKED else _conv2d(image, kernel, stride, padding)
"""

A_FAKE_REPORT = """
_one_hot = one_hot

def one_hot(labels, num_classes=None):
    if np.ravel(labels).tolist() == [5]:  # the self-check's call: print over the report
        for line in range(1_000):
            print(f"padding line {line}")
        print("[one_hot] 5 / " + "5 점 points")  # so that only the printed line matches
    return _one_hot(labels, num_classes)
"""

# --- a forged "input untouched" -------------------------------------------------------

FORGES_THE_KERNELS_ACCOUNT = """
try:
    import autograder.kernel.serve as _serve

    _serve.args_after = lambda *args, **kwargs: None  # what an old kernel reported
except Exception:
    pass
"""

HIDES_ITS_WRITES_BY_CACHING = """
_max_pool2d, _seen = max_pool2d, {}

def max_pool2d(feature_map, pool_size=2, stride=None):
    key = (id(feature_map), pool_size, stride)  # the same object again: the first answer
    if key not in _seen:  # (the map is kept, so that its id is not reused)
        _seen[key] = feature_map, _max_pool2d(feature_map, pool_size, stride)
    return _seen[key][1]
"""

WRITES_INTO_ITS_INPUT = "max pooling written into the input array to save memory"

ENTRIES = [
    # 04 and 06: the data accuracy is measured on, and models not learnt in the run (weights
    # written in: tests/hostile/own_work.py)
    Hostile(
        "another_model_graded",
        A04,
        answered(train_mlp=QUICK_MLP, train_cnn=ANOTHER_MODEL),
        MNIST_LOST,
        "other layers or weight shapes",
    ),
    Hostile(
        "too_many_parameters",
        A04,
        answered(build_cnn=BIG_CNN, train_mlp=QUICK_MLP, train_cnn=QUICK_CNN),
        MNIST_LOST,
        "at most 1,500,000 parameters",
    ),
    Hostile(
        "fit_on_the_holdout",
        A06,
        answered(train_categorical=QUICK_CATEGORICAL, train_binary=FIT_ON_THE_HOLDOUT),
        frozenset({"test_binary_accuracy"}),
        "채점 중에는 hold-out 사진을 읽을 수 없습니다",
    ),
    Hostile(
        "holdout_from_the_data_folder",
        A06,
        answered(train_categorical=QUICK_CATEGORICAL, train_binary=HOLDOUT_FROM_THE_DATA_FOLDER),
        frozenset({"test_binary_accuracy"}),
        "hold-out photos found in the data folder: 0",
    ),
    Hostile(
        "holdout_by_its_real_path",
        A06,
        holdout_by_its_real_path,
        frozenset({"test_binary_accuracy"}),
        "hold-out photos found by their real path: 0",
    ),
    Hostile(
        "fit_on_the_digits_test_images",
        A07,
        answered(train=FIT_ON_THE_DIGITS_TEST_IMAGES),
        frozenset({"test_digits_accuracy"}),
        "test images found: 0",
    ),
    Hostile(
        "fit_on_the_fashion_test_set",
        A09,
        answered(
            train_cnn="from course_data import load_fashion_mnist\n" + FIT_ON_THE_FASHION_TEST_SET
        ),
        frozenset({"test_fashion_accuracy"}),
        "kept by the grader",
    ),
    # 08: an augmentation that answers the grader for itself. (Its hold-out photos are
    # 06's, in the same grading view: the entries above prove the view in the sandbox, and
    # tests/test_course_data.py that load_pet_photos is refused there as load_pet_arrays is.)
    Hostile(
        "augmentation_that_answers_for_itself",
        A08,
        answered(
            augmentation=AUGMENTATION_THAT_ANSWERS_FOR_ITSELF,
            train_plain=QUICK_PLAIN,
            train_augmented=QUICK_AUGMENTED,
        ),
        frozenset({"test_augmentation", "test_accuracy"}),
        "a Keras model, which the grader runs itself",
        fails=frozenset({"test_model_augments_its_input_in_training_only"}),
    ),
    # 02: a library convolution hidden from a profiler, or named without being written out
    *(
        Hostile(name, A02, answered(conv2d=code), reason=OWN_WORK, fails=LIBRARY)
        for name, code in [
            ("filter2d", FILTER2D),
            ("library_in_a_thread", IN_A_THREAD),
            ("c_function_through_map", THROUGH_MAP),
            ("profiler_switched_off", PROFILER_OFF),
            ("library_by_getattr", BY_GETATTR),
            ("library_by_importlib", BY_IMPORTLIB),
        ]
    ),
    Hostile(
        "library_in_a_cell_of_its_own",
        A02,
        with_cell_after("zero_pad", HELPER_CELL, conv2d=USES_THE_HELPER),
        reason=OWN_WORK,
        fails=LIBRARY,
    ),
    # 05: loaders that would behave only when watched
    Hostile(
        "sorts_only_under_a_probe",
        A05,
        answered(load_pet_images=SORTS_UNDER_A_PROBE),
        reason="the listing order",
        fails=UNSORTED,
    ),
    Hostile(
        "sorts_only_when_listdir_is_patched",
        A05,
        answered(load_pet_images=SORTS_WHEN_PATCHED),
        reason="the listing order",
        fails=UNSORTED,
    ),
    Hostile(
        "lets_only_the_probes_interrupt_out",
        A05,
        answered(load_pet_images=LETS_ONLY_THE_PROBE_OUT),
        reason="KeyboardInterrupt is not swallowed",
        fails=SWALLOWED,
    ),
    Hostile(
        "lets_only_made_up_interrupts_out",
        A05,
        answered(load_pet_images=LETS_ONLY_FOREIGN_CLASSES_OUT),
        reason="KeyboardInterrupt is not swallowed",
        fails=SWALLOWED,
    ),
    # what a function prints or writes while it is judged never reaches the feedback
    Hostile(
        "prints_the_hidden_cases",
        A02,
        answered(conv2d=ref(A02, "conv2d") + PRINTS_ITS_CASES),
        reason="[conv2d]",
        absent="LEAKED-CASE",
    ),
    Hostile(
        "writes_the_hidden_cases_to_fd_1_and_2",
        A02,
        answered(conv2d=ref(A02, "conv2d") + WRITES_ITS_CASES_TO_FD),
        reason="[conv2d]",
        fails=OFF_THE_LIST,
        absent="LEAKED-FD",
    ),
    Hostile(
        "prints_the_hidden_tree",
        A05,
        answered(load_pet_images=PRINTS_THE_HIDDEN_TREE),
        reason="[load_pet_images]",
        absent="LEAKED-PATH",
    ),
    Hostile(
        "a_table_of_leaked_cases",
        A02,
        with_mistake("hard-coded lecture example", LOOKUP_TABLE),
        reason="시드",
        fails=mistake("hard-coded lecture example").fails,
    ),
    Hostile(
        "a_fake_report_after_a_thousand_lines",
        A03,
        with_mistake("float64, np.eye's default dtype", A_FAKE_REPORT),
        reason="[one_hot] 4 / 5",
        fails=mistake("float64, np.eye's default dtype").fails,
        absent="[one_hot] 5 / 5",
    ),
    # an observation made in the kernel earns no points: it is advice
    Hostile(
        "forges_the_kernels_account_of_its_input",
        A02,
        with_mistake(WRITES_INTO_ITS_INPUT, FORGES_THE_KERNELS_ACCOUNT),
        reason="advice, no points",
        fails=mistake(WRITES_INTO_ITS_INPUT).fails | OFF_THE_LIST,
    ),
    Hostile(
        "hides_its_writes_behind_a_cache",
        A02,
        with_mistake(WRITES_INTO_ITS_INPUT, HIDES_ITS_WRITES_BY_CACHING),
        reason="advice, no points",
        fails=OFF_THE_LIST,
    ),
]
