"""What a reviewer tries against the grader's own training of the recipe (04).

The grader grades a model by training its recipe again itself
(``autograder/checks/replay.py``), so every attack here must earn what the
recipe earns when the grader trains it: weights written in through the
configuration (a ``Constant`` initialiser holding them, arrays in a layer's
arguments), code in the model (a class of one's own, a ``Lambda``), a model
trained without ``fit``, and a record of the fits changed in the kernel to
claim more training than was done (the grader trains the claim: honest work
by definition, within the budget) or an impossible amount of it.

The quick tier (``tests/test_replay.py``) judges each in-process beside its
honest twin; the catalogue grades the claim through nbgrader, in the
sandboxed kernel, beside ``tests/hostile/own_work.py``'s weights written in.
"""

from __future__ import annotations

from tests.hostile.base import A04, QUICK_CNN, QUICK_MLP, Hostile, answered
from tests.hostile.own_work import MLP_CODES, MLP_RANGES, TINY_BUILD_MLP, packed_in_characters

# The smallest first-tier model's weights (tests/hostile/own_work.py), decoded in the
# build function and handed to Keras as Constant initialisers: no set_weights, no assign.
CONSTANT_INITIALISERS = (
    f"PACKED = {packed_in_characters(MLP_CODES)!r}\n"
    f"RANGES = {MLP_RANGES!r}\n"
    + """SHAPES = [(5, 5, 1, 4), (4,), (3, 3, 4, 6), (6,), (150, 10), (10,)]


def weights():
    codes = np.array([(ord(c) - 65536) >> s & 15 for c in PACKED for s in range(0, 20, 4)])
    tensors, start = [], 0
    for shape, (lo, hi) in zip(SHAPES, RANGES):
        size = int(np.prod(shape))
        tensors.append(lo + (hi - lo) / 15 * codes[start : start + size].reshape(shape))
        start += size
    return [keras.initializers.Constant(t.astype("float32")) for t in tensors]


def build_mlp() -> keras.Model:
    k1, b1, k2, b2, k3, b3 = weights()
    mlp = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(4, 5, strides=2, activation="relu", kernel_initializer=k1,
                                bias_initializer=b1),
            keras.layers.Conv2D(6, 3, strides=2, activation="relu", kernel_initializer=k2,
                                bias_initializer=b2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax", kernel_initializer=k3,
                               bias_initializer=b3),
        ]
    )
    mlp.compile(optimizer=keras.optimizers.SGD(0.0), loss="categorical_crossentropy")
    return mlp
"""
)

# A per-pixel mask written into a layer's arguments, as nested lists: data, not a recipe.
ARRAYS_IN_A_LAYERS_ARGUMENTS = TINY_BUILD_MLP.replace(
    "keras.Input(shape=(28, 28, 1)),",
    "keras.Input(shape=(28, 28, 1)),\n"
    "            keras.layers.Rescaling(scale=np.linspace(0.5, 1.5, 784).reshape(28, 28, 1)"
    ".tolist()),",
)

# Code in the model: a layer class of the student's, which the grader's safe_mode cannot
# rebuild (the kernel registers it; the judge does not run the notebook's code).
A_CLASS_OF_ITS_OWN = '''
@keras.saving.register_keras_serializable(package="mine")
class Memory(keras.layers.Layer):
    """Answers from a table kept in the layer, whatever it is given."""

    def call(self, x):
        return keras.ops.softmax(keras.ops.mean(x, axis=(1, 2)) @ keras.ops.ones((1, 10)))


def build_mlp() -> keras.Model:
    mlp = keras.Sequential([keras.Input(shape=(28, 28, 1)), Memory()])
    mlp.compile(optimizer="adam", loss="categorical_crossentropy")
    return mlp
'''

A_LAMBDA = TINY_BUILD_MLP.replace(
    "keras.layers.Flatten(),",
    "keras.layers.Flatten(),\n            keras.layers.Lambda(lambda t: t),",
)

# Trained without fit: a loop of train_on_batch, as a student who read ahead might.
TRAINED_BY_HAND = """
X_train, Y_train = preprocess(x_train), encode_labels(y_train)
X_val, Y_val = X_train[-6000:], Y_train[-6000:]
mlp = build_mlp()
for start in range(0, 54000, 200):
    mlp.train_on_batch(X_train[start : start + 200], Y_train[start : start + 200])
mlp_history = None
"""

# The record changed in the kernel to claim more than was trained: two epochs of all the
# training images, where the kernel trained one epoch of 256. The grader trains the claim.
CLAIM = {"epochs": 2, "samples": 60000, "batch_size": 200, "validation_split": 0.1}
CLAIMS_MORE_THAN_IT_RAN = QUICK_MLP + (
    f"\nfrom autograder.kernel import recipes\nrecipes._fits[mlp][0].update({CLAIM!r})\n"
)
# The honest twin: the very recipe claimed, trained by the notebook.
TRAINS_THE_CLAIM = QUICK_MLP.replace(
    "X_train[:256], Y_train[:256], epochs=1",
    "X_train, Y_train, validation_split=0.1, epochs=2, batch_size=200",
)
CLAIMS_A_BILLION = QUICK_MLP + (
    "\nfrom autograder.kernel import recipes\n"
    "recipes._fits[mlp][0].update(samples=10**9, epochs=10**5, batch_size=1)\n"
)

# Each attack's answer cells, and what its finding says.
ATTACKS: dict[str, tuple[dict[str, str], str]] = {
    "constant_initialisers_carrying_weights": (
        {"build_mlp": CONSTANT_INITIALISERS, "train_mlp": QUICK_MLP},
        "data written into the configuration",
    ),
    "arrays_in_a_layers_arguments": (
        {"build_mlp": ARRAYS_IN_A_LAYERS_ARGUMENTS, "train_mlp": QUICK_MLP},
        "a list of 784 numbers",
    ),
    # In the sandbox the judge cannot even load it; judged in-process, the class is known.
    "a_layer_class_of_its_own": (
        {"build_mlp": A_CLASS_OF_ITS_OWN, "train_mlp": QUICK_MLP},
        "a class of your own",
    ),
    "a_lambda_layer": ({"build_mlp": A_LAMBDA, "train_mlp": QUICK_MLP}, "cannot read"),
    "trained_without_fit": ({"train_mlp": TRAINED_BY_HAND}, "no finished fit of mlp"),
    "a_recipe_claiming_a_billion_samples": ({"train_mlp": CLAIMS_A_BILLION}, "100,000 passes"),
}

# The claim earns what the claimed recipe earns when the grader trains it: the MLP's first
# tier (0.9717 with the grader's seed), as the twin that trains it for real.
CLAIMED_FAILS = frozenset({"test_mlp_accuracy_at_least[0.975]"})

ENTRIES = [
    Hostile(
        "recipe_claims_more_than_the_kernel_ran",
        A04,
        answered(train_mlp=CLAIMS_MORE_THAN_IT_RAN, train_cnn=QUICK_CNN),
        frozenset({"test_cnn_accuracy"}),
        "[mlp_accuracy] 1 / 2",
        fails=CLAIMED_FAILS,
    ),
]
