"""What crosses between a student's kernel and the judge: data, never pickles.

Messages are JSON objects with a length prefix, over a Unix socket. Values
inside them are encoded by :class:`Codec`:

* ``None``, booleans, numbers and strings as themselves;
* lists, tuples, sets and dicts, item by item;
* NumPy arrays and scalars as ``.npy`` bytes, read back with ``allow_pickle=False``;
* Keras models as ``.keras`` files in a folder both sides can read, loaded
  with Keras's ``safe_mode`` (no code inside a model file runs);
* a Keras ``History`` as its ``history`` and ``epoch`` values;
* an exception as its class names and message;
* anything else (a student's function, say) as a numbered reference that
  only the side holding the object can resolve.

This module is imported inside the student's kernel, so it holds no secret.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import socket
import struct
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MAX_MESSAGE = 2**31  # bytes; the largest value sent is a 10,000-image array
_LENGTH = struct.Struct("!Q")


class WireError(Exception):
    """The other side sent something that is not a message, or hung up."""


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    """Send one message."""
    data = json.dumps(message).encode()
    sock.sendall(_LENGTH.pack(len(data)) + data)


def receive(sock: socket.socket) -> dict[str, Any]:
    """Receive one message; :class:`WireError` if the peer hung up or sent garbage."""
    (length,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    if length > MAX_MESSAGE:
        raise WireError(f"message of {length} bytes is too large")
    try:
        message = json.loads(_exactly(sock, length))
    except ValueError as error:
        raise WireError(f"not a message: {error}") from error
    if not isinstance(message, dict):
        raise WireError("not a message: a JSON object was expected")
    return message


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise WireError("the connection was closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Opaque:
    """An object of the other side that is not data: described, never run."""

    def __init__(self, type_name: str, why: str = "") -> None:
        self.type_name = type_name
        self.why = why

    def __repr__(self) -> str:
        why = f": {self.why}" if self.why else ""
        return f"<{self.type_name} object that the grader cannot read{why}>"


def is_keras_model(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def _is_history(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.callbacks.History)


class Codec:
    """Encodes and decodes values for one side of a connection.

    ``folder`` is where this side writes model files for the other to read;
    ``resolve`` turns a reference from the other side into a local stand-in.
    """

    def __init__(self, folder: Path, resolve: Callable[[dict[str, Any]], Any] | None = None):
        self.folder = Path(folder)
        self.objects: dict[int, Any] = {}  # references handed out, by number
        self._numbers = itertools.count(1)
        self._resolve = resolve or (lambda ref: Opaque(ref.get("type", "?")))

    def encode(self, value: Any) -> Any:
        """A JSON-ready form of ``value``."""
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.ndarray | np.generic):
            array = np.asarray(value)
            if array.dtype.hasobject:
                return self._reference(value)
            kind = "array" if isinstance(value, np.ndarray) else "scalar"
            return {"$": kind, "npy": _npy(array)}
        if isinstance(value, list | tuple | set | frozenset):
            kind = "list" if isinstance(value, list) else "tuple"
            kind = "set" if isinstance(value, set | frozenset) else kind
            return {"$": kind, "items": [self.encode(item) for item in value]}
        if isinstance(value, dict):
            return {
                "$": "dict",
                "items": [[self.encode(k), self.encode(v)] for k, v in value.items()],
            }
        if isinstance(value, BaseException):
            return {"$": "error", **describe_error(value)}
        if is_keras_model(value):
            path = self.folder / f"model-{next(self._numbers)}.keras"
            value.save(path)
            return {"$": "model", "path": str(path)}
        if _is_history(value):
            return {"$": "history", "history": self.encode(value.history), "epoch": value.epoch}
        return self._reference(value)

    def _reference(self, value: Any) -> dict[str, Any]:
        number = next(self._numbers)
        self.objects[number] = value
        kind = "function" if isinstance(value, types.FunctionType) else "object"
        return {"$": "ref", "id": number, "kind": kind, "type": type(value).__name__}

    def decode(self, value: Any) -> Any:
        """The value an encoded form stands for."""
        if not isinstance(value, dict):
            if isinstance(value, list):
                raise WireError("untagged list")
            return value
        kind = value.get("$")
        if kind in ("array", "scalar"):
            array = np.load(io.BytesIO(base64.b64decode(value["npy"])), allow_pickle=False)
            return array if kind == "array" else array[()]
        if kind in ("list", "tuple", "set"):
            items = [self.decode(item) for item in value["items"]]
            return {"list": list, "tuple": tuple, "set": set}[kind](items)
        if kind == "dict":
            return {_hashable(self.decode(k)): self.decode(v) for k, v in value["items"]}
        if kind == "error":
            return rebuild_error(value)
        if kind == "model":
            return _load_model(Path(value["path"]))
        if kind == "history":
            return types.SimpleNamespace(
                history=self.decode(value["history"]), epoch=list(value["epoch"])
            )
        if kind == "ref":
            return self._resolve(value)
        raise WireError(f"unknown value kind {kind!r}")


def _hashable(key: Any) -> Any:
    return key.item() if isinstance(key, np.generic) else key


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode()


def _load_model(path: Path) -> Any:
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # a model the grader cannot rebuild is reported, not fatal
        return Opaque("keras.Model", f"{type(error).__name__}: {str(error)[:200]}")


def describe_error(error: BaseException) -> dict[str, Any]:
    """An exception as class names (most specific first) and message."""
    return {
        "names": [cls.__name__ for cls in type(error).__mro__ if cls is not object],
        "message": str(error)[:2000],
    }


def rebuild_error(described: dict[str, Any]) -> BaseException:
    """An exception of the same name whose base is the nearest built-in one.

    ``isinstance(error, ValueError)`` and ``type(error).__name__`` then read
    as they did in the kernel, without running any of the kernel's code.
    """
    names = [str(n) for n in described.get("names", [])] or ["Exception"]
    base = next((b for b in map(_builtin_exception, names) if b is not None), Exception)
    cls = base if names[0] == base.__name__ else type(names[0], (base,), {})
    return cls(str(described.get("message", "")))


def _builtin_exception(name: str) -> type[BaseException] | None:
    import builtins

    value = getattr(builtins, name, None)
    return value if isinstance(value, type) and issubclass(value, BaseException) else None
