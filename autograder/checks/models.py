"""What the checks of the model-training assignments (04, 06) share: judging Keras models.

Models are judged through Keras 3's public API only: ``isinstance`` of
``keras.Model``, predictions, output shapes, ``model.layers`` and their
classes, ``model.loss`` and ``count_params``. Keras is imported on first use:
it takes seconds to load, and the NumPy assignments never need it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.checks.api import CheckFailed, describe, expect


def keras_module() -> Any:
    """Keras, imported on first use."""
    import keras

    return keras


def all_layers(model: Any) -> list[Any]:
    """The model's layers, nested models included."""
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if hasattr(layer, "layers"):
            layers.extend(all_layers(layer))
    return layers


def expect_compiled_model(model: Any, name: str) -> None:
    """Expect a Keras model, compiled."""
    keras = keras_module()
    expect(
        isinstance(model, keras.Model),
        expected=f"{name} to be a keras.Model",
        found=describe(model),
        hint="모델 객체 자체를 반환하세요 (keras.Sequential([...])나 keras.Model) / "
        "return the model object itself (keras.Sequential([...]) or keras.Model)",
    )
    expect(
        # An uncompiled Keras 3 model has no `optimizer` attribute at all.
        getattr(model, "optimizer", None) is not None and getattr(model, "loss", None) is not None,
        expected=f"{name} to be compiled",
        found="a model without an optimizer or loss",
        hint="반환하기 전에 "
        "model.compile(optimizer=..., loss=..., metrics=['accuracy'])를 호출하세요 / "
        "call model.compile(optimizer=..., loss=..., metrics=['accuracy']) before returning",
    )


def loss_name(loss: Any) -> str:
    """The snake_case name of a compiled loss, in any of its spellings.

    ``"categorical_crossentropy"``, ``keras.losses.CategoricalCrossentropy()``
    and ``keras.losses.categorical_crossentropy`` all read as
    ``categorical_crossentropy``.
    """
    keras = keras_module()
    if isinstance(loss, str):
        return loss
    if isinstance(loss, keras.losses.Loss):
        return keras.losses.serialize(loss)["config"].get("name", type(loss).__name__)
    return getattr(loss, "__name__", repr(loss))


def expect_compiled_loss(model: Any, name: str, loss: str, hint: str) -> None:
    """Expect a compiled model whose loss is the named Keras loss."""
    expect_compiled_model(model, name)
    expect(
        loss_name(model.loss) == loss,
        expected=f"{name} compiled with loss='{loss}'",
        found=f"loss={model.loss!r}",
        hint=hint,
    )


def predict(model: Any, x: np.ndarray, name: str, hint: str, batch_size: int = 1000) -> np.ndarray:
    """The model's predictions on ``x``, or a finding saying why it cannot make them."""
    try:
        return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    except Exception as error:
        raise CheckFailed(
            expected=f"{name}.predict on inputs of shape {x.shape}",
            found=f"{type(error).__name__}: {str(error)[:200]}",
            hint=hint,
        ) from error


def expect_tier(accuracy: float, tier: float, what: str, hint: str) -> None:
    """Expect a measured accuracy at or above one tier."""
    expect(
        accuracy >= tier,
        expected=f"{what} >= {tier:g}",
        found=f"{accuracy:.4f}",
        hint=hint,
    )
