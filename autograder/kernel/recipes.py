"""What each ``fit`` of a Keras model asked for, recorded in the student's kernel for the judge.

The judge does not grade the weights a notebook trained: it trains the
notebook's recipe again itself (:mod:`autograder.checks.replay`) and grades
that. The recipe is the model's configuration and compile settings, which
the judge reads from the model it is sent, and the settings of every
``fit`` that trained the model, which only this process sees: how many
samples, epochs, the batch size, the validation split, shuffling, and what
the judge does not replay (sample or class weights, callbacks).

:func:`install` wraps ``keras.Model.fit`` as soon as Keras defines it,
without importing Keras itself (a notebook that never imports it pays
nothing): an import hook waits for the module that defines ``Model``. The
course's kernel launcher installs it before the notebook's first cell.

Everything here runs in the student's process, so the record is only a
claim: a notebook that changes it changes what the judge trains, no more.
This module imports only the standard library.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import inspect
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

MODEL_MODULE = "keras.src.models.model"  # where Keras 3 defines keras.Model
MAX_FITS = 100  # fits kept per model; later ones are counted, not kept
MAX_NAMES = 10  # callback names kept per fit

_fits: weakref.WeakKeyDictionary[Any, list[dict[str, Any]]] = weakref.WeakKeyDictionary()
_inside = threading.local()  # a fit that calls fit (a subclass's super().fit) is one fit


def install() -> None:
    """Record every ``fit`` of every Keras model from now on, once Keras is imported."""
    loaded = sys.modules.get(MODEL_MODULE)
    if loaded is not None:
        _wrap_fit(loaded)
    elif not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(MODEL_MODULE, _wrap_fit))


def recipe_of(model: Any) -> list[dict[str, Any]] | None:
    """The recorded fits of ``model``, oldest first, as data; None when it has none."""
    try:
        fits = _fits.get(model)
    except TypeError:  # not an object a weak reference can name: not a model
        return None
    return [dict(fit) for fit in fits] if fits else None


def answer(request: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """The judge's ``recipe`` request: the recorded fits of the notebook's object of that name."""
    name = request.get("name")
    found = namespace.get(name) if isinstance(name, str) else None
    return {"recipe": None if found is None else recipe_of(found)}


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``then(module)`` right after the module called ``name`` is first executed."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once is enough, and the finders below find the file
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader, then = spec.loader, self.then
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            then(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this module's loader only
        return spec


def _wrap_fit(module: ModuleType) -> None:
    model_class = getattr(module, "Model", None)
    fit = getattr(model_class, "fit", None)
    if fit is None or getattr(fit, "records_recipes", False):
        return
    parameters = inspect.signature(fit)

    @functools.wraps(fit)
    def recorded_fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_inside, "fit", False):
            return fit(self, *args, **kwargs)
        _inside.fit = True
        try:
            history = fit(self, *args, **kwargs)
        finally:
            _inside.fit = False
        _record(self, parameters, args, kwargs, history)  # only a fit that finished
        return history

    recorded_fit.records_recipes = True  # type: ignore[attr-defined]
    model_class.fit = recorded_fit  # type: ignore[union-attr]


def _record(
    model: Any, parameters: inspect.Signature, args: tuple, kwargs: dict, history: Any
) -> None:
    try:
        bound = parameters.bind(model, *args, **kwargs)
    except TypeError:
        return
    bound.apply_defaults()
    call = bound.arguments
    try:
        fits = _fits.setdefault(model, [])
    except TypeError:
        return
    if len(fits) < MAX_FITS:
        fits.append(describe_fit(call, history))


def describe_fit(call: dict[str, Any], history: Any) -> dict[str, Any]:
    """One fit's settings as plain data, from its arguments and the History it returned."""
    ran = getattr(history, "epoch", None)
    epochs = len(ran) if isinstance(ran, list) else _int(call.get("epochs"), 1)
    ignored = [name for name in ("sample_weight", "class_weight") if call.get(name) is not None]
    callbacks = call.get("callbacks") or []
    if not isinstance(callbacks, list | tuple):
        callbacks = [callbacks]
    ignored += [f"callback {type(c).__name__}"[:80] for c in callbacks][:MAX_NAMES]
    shuffle = call.get("shuffle", True)
    return {
        "epochs": epochs,
        "batch_size": _int(call.get("batch_size"), None),
        "samples": sample_count(call.get("x")),
        "validation_split": _float(call.get("validation_split")),
        "validation_data": call.get("validation_data") is not None,
        "shuffle": shuffle if shuffle == "batch" else bool(shuffle),
        "steps_per_epoch": _int(call.get("steps_per_epoch"), None),
        "ignored": ignored,
    }


def sample_count(x: Any) -> int | None:
    """How many samples ``x`` holds: an array's (or a list or dict of arrays') first axis.

    None for data of another kind (a ``tf.data.Dataset``, a generator).
    """
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, list | tuple) and x and hasattr(x[0], "shape"):
        x = x[0]
    shape = getattr(x, "shape", None)
    try:
        return int(shape[0]) if shape is not None and len(shape) else None
    except (TypeError, ValueError, IndexError):
        return None


def _int(value: Any, default: int | None) -> int | None:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError, OverflowError):
        return default


def _float(value: Any) -> float:
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0
