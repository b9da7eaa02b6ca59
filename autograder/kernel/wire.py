"""What crosses between a student's kernel and the judge: data, never pickles, read with bounds.

A message is a JSON header with a length prefix, then the binary blobs the
header lists, over a Unix socket::

    8-byte length | header (a JSON object, "blobs": [n0, n1, ...]) | blob 0 | blob 1 | ...

Values inside a header are encoded by :class:`Codec`:

* ``None``, booleans, numbers and strings as themselves;
* lists, tuples, sets and dicts, item by item;
* NumPy arrays and scalars as ``.npy`` blobs, read back with ``allow_pickle=False``;
* Keras models as ``.keras`` blobs, loaded with Keras's ``safe_mode`` (no code
  inside a model file runs) from a file the receiving side writes itself;
* a Keras ``History`` as its ``history`` and ``epoch`` values;
* an exception as its class names, message and the student's frames (function,
  line and code line of each frame in a notebook cell, never a value);
* anything else (a student's function, say) as a numbered reference that
  only the side holding the object can resolve; and a value one side asked
  the other to keep (``keep``) as the number of that very object.

The judge reads every byte from the kernel as hostile, so every bound is
checked before anything is allocated or parsed: the header's size, its
nesting and item count, each blob's size and their sum, a model's unpacked
size; a peer that stops sending half-way meets a deadline. Whatever breaks
a bound is a :class:`WireError`, which costs the cell being judged, never
the judge.

This module is imported inside the student's kernel, so it holds no secret.
"""

from __future__ import annotations

import io
import itertools
import json
import linecache
import os
import socket
import struct
import sys
import tempfile
import time
import types
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MAX_HEADER = 8 * 2**20  # bytes of JSON; arrays travel as blobs, so headers stay small
MAX_DEPTH = 64  # nesting of lists and dicts in a header
MAX_ITEMS = 200_000  # values in one header
MAX_BLOBS = 64  # blobs in one message
MAX_BLOB = 256 * 2**20  # bytes; the largest sent is 10,000 MNIST images in float64 (63 MB)
MAX_BLOB_TOTAL = 512 * 2**20
MAX_MODEL_UNPACKED = 256 * 2**20  # bytes a .keras archive may unpack to
MAX_TEXT = 2_000  # characters of an error message or a type's name kept
_LENGTH = struct.Struct("!Q")


class WireError(Exception):
    """The other side sent something that is not a message, broke a bound, or hung up."""


def send(sock: socket.socket, header: dict[str, Any], blobs: Sequence[bytes] = ()) -> None:
    """Send one message: a header and the blobs its values refer to."""
    data = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode()
    sock.sendall(_LENGTH.pack(len(data)) + data)
    for blob in blobs:
        sock.sendall(blob)


def receive(
    sock: socket.socket, deadline: float | None = None
) -> tuple[dict[str, Any], list[bytes]]:
    """Receive one message, within its bounds and before ``deadline`` (``time.monotonic``)."""
    (length,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size, deadline))
    if length > MAX_HEADER:
        raise WireError(f"a message header of {length:,} bytes is over the {MAX_HEADER:,} limit")
    header = _parse(_exactly(sock, length, deadline))
    sizes = header.pop("blobs", [])
    if (
        not isinstance(sizes, list)
        or len(sizes) > MAX_BLOBS
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_BLOB for n in sizes
        )
        or sum(sizes) > MAX_BLOB_TOTAL
    ):
        raise WireError("the message's blobs are not a list of sizes within the limits")
    return header, [_exactly(sock, n, deadline) for n in sizes]


def _parse(data: bytes) -> dict[str, Any]:
    try:
        header = json.loads(data)
    except RecursionError:
        raise WireError(f"a message nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:
        raise WireError(f"not a message: {str(error)[:200]}") from None
    if not isinstance(header, dict):
        raise WireError("not a message: a JSON object was expected")
    _check_shape(header)
    return header


def _check_shape(header: Any) -> None:
    """Raise WireError if the header nests too deeply or holds too many values."""
    stack, items = [(header, 1)], 0
    while stack:
        value, depth = stack.pop()
        items += 1
        if depth > MAX_DEPTH or items > MAX_ITEMS:
            raise WireError(
                f"a message nested more than {MAX_DEPTH} deep or of more than {MAX_ITEMS:,} values"
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    """Exactly ``size`` bytes from the socket, into one buffer allocated once."""
    buffer, view, got = bytearray(size), None, 0
    view = memoryview(buffer)
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError("the other side stopped sending before the message was complete")
            sock.settimeout(left)
        try:
            count = sock.recv_into(view[got:], min(size - got, 1 << 20))
        except TimeoutError:
            raise WireError(
                "the other side stopped sending before the message was complete"
            ) from None
        if not count:
            raise WireError("the connection was closed")
        got += count
    return bytes(buffer)


class Opaque:
    """An object of the other side that is not data: described, never run."""

    def __init__(self, type_name: str, why: str = "") -> None:
        self.type_name = type_name[:100]
        self.why = why[:MAX_TEXT]

    def __repr__(self) -> str:
        why = f": {self.why}" if self.why else ""
        return f"<{self.type_name} object that the grader cannot read{why}>"


class Kept:
    """A value the other side keeps for us, named by its number there (``Codec.keep``)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"<kept #{self.number}>"


def is_keras_model(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def _is_history(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.callbacks.History)


class Codec:
    """Encodes and decodes values for one side of a connection.

    ``scratch`` is a folder of this side's own, where it writes model files
    it sends or receives; ``resolve`` turns a reference from the other side
    into a local stand-in.
    """

    def __init__(
        self, scratch: Path, resolve: Callable[[dict[str, Any]], Any] | None = None
    ) -> None:
        self.scratch = Path(scratch)
        self.objects: dict[int, Any] = {}  # references handed out, by number
        self._numbers = itertools.count(1)
        self._resolve = resolve or (lambda ref: Opaque(str(ref.get("type", "?"))))

    def encode(self, value: Any, blobs: list[bytes]) -> Any:
        """A JSON-ready form of ``value``; arrays and models are appended to ``blobs``."""
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.ndarray | np.generic):
            array = np.asarray(value)
            if array.dtype.hasobject:
                return self._reference(value)
            kind = "array" if isinstance(value, np.ndarray) else "scalar"
            return {"$": kind, "blob": _append(blobs, _npy(array))}
        if isinstance(value, list | tuple | set | frozenset):
            kind = "list" if isinstance(value, list) else "tuple"
            kind = "set" if isinstance(value, set | frozenset) else kind
            return {"$": kind, "items": [self.encode(item, blobs) for item in value]}
        if isinstance(value, dict):
            items = [[self.encode(k, blobs), self.encode(v, blobs)] for k, v in value.items()]
            return {"$": "dict", "items": items}
        if isinstance(value, BaseException):
            return {"$": "error", **describe_error(value)}
        if isinstance(value, Kept):
            return {"$": "kept", "id": value.number}
        if is_keras_model(value):
            return {"$": "model", "blob": _append(blobs, self._model_bytes(value))}
        if _is_history(value):
            history = self.encode(value.history, blobs)
            return {"$": "history", "history": history, "epoch": self.encode(value.epoch, blobs)}
        return self._reference(value)

    def _reference(self, value: Any) -> dict[str, Any]:
        number = self.keep(value)
        kind = "function" if isinstance(value, types.FunctionType) else "object"
        return {"$": "ref", "id": number, "kind": kind, "type": type(value).__name__}

    def keep(self, value: Any) -> int:
        """Hold ``value`` under a new number the other side can name it by."""
        number = next(self._numbers)
        self.objects[number] = value
        return number

    def _model_bytes(self, model: Any) -> bytes:
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = Path(folder) / "model.keras"
            model.save(path)
            return path.read_bytes()

    def decode(self, value: Any, blobs: Sequence[bytes]) -> Any:
        """The value an encoded form stands for; :class:`WireError` for anything else."""
        if not isinstance(value, dict):
            if isinstance(value, list):
                raise WireError("untagged list")
            return value
        try:
            return self._decode_tagged(value, blobs)
        except WireError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, OSError) as error:
            raise WireError(f"a value the grader cannot read ({type(error).__name__})") from None

    def _decode_tagged(self, value: dict[str, Any], blobs: Sequence[bytes]) -> Any:
        kind = value.get("$")
        if kind in ("array", "scalar"):
            array = np.load(io.BytesIO(_blob(blobs, value)), allow_pickle=False)
            return array if kind == "array" else array[()]
        if kind in ("list", "tuple", "set"):
            items = [self.decode(item, blobs) for item in value["items"]]
            return {"list": list, "tuple": tuple, "set": set}[kind](items)
        if kind == "dict":
            return {
                _hashable(self.decode(k, blobs)): self.decode(v, blobs) for k, v in value["items"]
            }
        if kind == "error":
            return rebuild_error(value)
        if kind == "model":
            return self._load_model(_blob(blobs, value))
        if kind == "history":
            return types.SimpleNamespace(
                history=self.decode(value["history"], blobs),
                epoch=list(self.decode(value["epoch"], blobs)),
            )
        if kind == "ref":
            return self._resolve(value)
        if kind == "kept":
            if value.get("id") not in self.objects:
                raise WireError("a value refers to an object this side does not keep")
            return self.objects[value["id"]]
        raise WireError(f"unknown value kind {str(kind)[:40]!r}")

    def _load_model(self, data: bytes) -> Any:
        """A Keras model from ``.keras`` bytes, or an :class:`Opaque` saying why not.

        The archive's members are checked before Keras sees it (their number,
        names and unpacked size), and Keras reads it from a file this side
        writes in its own scratch folder: nothing the other side names is
        opened, and ``safe_mode`` runs no code stored in the model.
        """
        problem = _archive_problem(data)
        if problem:
            return Opaque("keras.Model", problem)
        import keras

        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = Path(folder) / "model.keras"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            try:
                return keras.saving.load_model(path, safe_mode=True)
            except Exception as error:  # a model the grader cannot rebuild is reported, not fatal
                return Opaque("keras.Model", f"{type(error).__name__}: {str(error)[:200]}")


def _archive_problem(data: bytes) -> str | None:
    """Why some bytes are not a ``.keras`` archive Keras may unpack, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "not a .keras archive"
    unsafe = [m.filename for m in members if m.filename.startswith("/") or ".." in m.filename]
    if len(members) > 100 or unsafe:
        return "a .keras archive with unexpected members"
    if sum(m.file_size for m in members) > MAX_MODEL_UNPACKED:
        return f"a .keras archive that unpacks to more than {MAX_MODEL_UNPACKED:,} bytes"
    return None


def _append(blobs: list[bytes], blob: bytes) -> int:
    blobs.append(blob)
    return len(blobs) - 1


def _blob(blobs: Sequence[bytes], value: dict[str, Any]) -> bytes:
    index = value["blob"]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(blobs):
        raise WireError("a value refers to a blob the message does not have")
    return blobs[index]


def _hashable(key: Any) -> Any:
    if isinstance(key, np.generic):
        return key.item()
    if isinstance(key, list | dict | set):
        raise WireError("an unhashable dict key")
    return key


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def describe_error(error: BaseException) -> dict[str, Any]:
    """An exception as class names (most specific first), message, and the student's frames."""
    return {
        "names": [cls.__name__ for cls in type(error).__mro__ if cls is not object][:10],
        "message": str(error)[:MAX_TEXT],
        "frames": student_frames(error),
    }


def rebuild_error(described: dict[str, Any]) -> BaseException:
    """An exception of the same name whose base is the nearest built-in one.

    ``isinstance(error, ValueError)`` and ``type(error).__name__`` then read
    as they did in the kernel, without running any of the kernel's code.
    Names and message are cut to their bounds here, on the receiving side;
    the student's frames, read with bounds too, are its ``student_frames``.
    """
    raw = described.get("names")
    names = [str(n)[:100] for n in raw[:10]] if isinstance(raw, list) else []
    names = [n for n in names if n.isidentifier()] or ["Exception"]
    base = next((b for b in map(_builtin_exception, names) if b is not None), Exception)
    cls = base if names[0] == base.__name__ else type(names[0], (base,), {})
    error = cls(str(described.get("message", ""))[:MAX_TEXT])
    error.student_frames = read_frames(described.get("frames"))
    return error


MAX_FRAMES = 8  # the innermost frames of the student's cells sent with an error
MAX_FRAME_TEXT = 200  # characters of a frame's function name or code line


def student_frames(error: BaseException) -> list[dict[str, Any]]:
    """Where in the notebook's cells ``error`` was raised: the innermost frames, outermost
    first, as function, line (in its cell) and code line; library frames left out.

    A cell is code the notebook's kernel compiled from a cell (IPython names it
    ``Cell In[n]`` in its own tracebacks), or a cell the course's tools ran
    (``<notebook cell n>``). Only what the student can read in their notebook
    is sent: no local variable, no value.
    """
    frames = []
    for frame, line in traceback_frames(error):
        filename = frame.f_code.co_filename
        if is_notebook_cell(filename):
            code = linecache.getline(filename, line).strip()
            function = frame.f_code.co_name
            frames.append(
                {"function": function[:MAX_FRAME_TEXT], "line": line, "code": code[:MAX_FRAME_TEXT]}
            )
    return frames[-MAX_FRAMES:]


def traceback_frames(error: BaseException) -> list[tuple[types.FrameType, int]]:
    """The frames an exception passed through, outermost first, with their line numbers."""
    found: list[tuple[types.FrameType, int]] = []
    tb = error.__traceback__
    while tb is not None and len(found) < 1000:
        found.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return found


def is_notebook_cell(filename: str) -> bool:
    """Whether code of this file name was compiled from a notebook cell."""
    if filename.startswith("<notebook cell "):
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    compiler = getattr(shell, "compile", None)
    try:
        return compiler is not None and compiler.format_code_name(filename) is not None
    except Exception:  # a compiler without IPython's method (another shell): not a cell
        return False


def read_frames(raw: Any) -> tuple[dict[str, Any], ...]:
    """The student's frames as the other side sent them, within bounds: at most
    :data:`MAX_FRAMES`, each a function name, a positive line number and a code line."""
    if not isinstance(raw, list):
        return ()
    frames = []
    for item in raw[-MAX_FRAMES:]:
        if not isinstance(item, dict):
            continue
        line = item.get("line")
        if not isinstance(line, int) or isinstance(line, bool) or not 0 < line < 10**7:
            continue
        frames.append(
            {"function": _text(item.get("function")), "line": line, "code": _text(item.get("code"))}
        )
    return tuple(frames)


def _text(value: Any) -> str:
    return value[:MAX_FRAME_TEXT] if isinstance(value, str) else ""


def _builtin_exception(name: str) -> type[BaseException] | None:
    import builtins

    value = getattr(builtins, name, None)
    return value if isinstance(value, type) and issubclass(value, BaseException) else None
