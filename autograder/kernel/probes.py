"""Observations made in the student's own process while a check calls a student function.

A few checks need to watch or steer the student's code as it runs: which
library functions it calls (02), the order directories are listed in (05),
and a Ctrl-C while one file is read (05). Those can only happen where the
student's code runs, so they live here, in the part of the package the
kernel can import, and are asked for by name::

    with applied([("library_calls", {})]) as observed:
        conv2d(image, kernel)
    observed["library_calls"]  # e.g. ["scipy.signal.correlate2d"]

They are as strong as the student's process is honest: code written to
notice them could switch them off, which the README's security note says.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

# Modules whose functions compute a convolution for you, and NumPy's own 1-D ones.
LIBRARY_MODULES = ("scipy.signal", "scipy.ndimage", "tensorflow", "keras", "torch", "jax", "cv2")
LIBRARY_NUMPY_FUNCTIONS = ("convolve", "correlate", "correlate2")


class SimulatedInterrupt(KeyboardInterrupt):
    """Ctrl-C pressed while one file is being read (a real KeyboardInterrupt stops grading)."""


@contextlib.contextmanager
def library_calls() -> Iterator[list[str]]:
    """Record every library convolution called inside the block, however it was imported.

    A profiler sees the functions actually called, so ``from scipy.signal
    import correlate2d as c`` is caught as surely as ``scipy.signal.correlate2d``.
    """
    found: list[str] = []

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            module, name = frame.f_globals.get("__name__") or "", frame.f_code.co_name
        elif event == "c_call":
            module, name = getattr(arg, "__module__", None) or "", getattr(arg, "__name__", "")
        else:
            return
        numpy_conv = module.startswith("numpy") and name in LIBRARY_NUMPY_FUNCTIONS
        if module.startswith(LIBRARY_MODULES) or numpy_conv:
            found.append(f"{module}.{name}")

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        yield found
    finally:
        sys.setprofile(previous)


class _Listing:
    """What ``os.scandir`` returns (an iterator and a context manager), in a chosen order."""

    def __init__(self, entries: list[os.DirEntry]) -> None:
        self._entries = iter(entries)

    def __iter__(self) -> _Listing:
        return self

    def __next__(self) -> os.DirEntry:
        return next(self._entries)

    def __enter__(self) -> _Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def close(self) -> None:
        return None


@contextlib.contextmanager
def listing_order(*, reverse: bool) -> Iterator[None]:
    """List every directory sorted by name (or in reverse) inside the block.

    ``os.listdir`` and ``os.scandir`` are what ``pathlib``, ``glob`` and
    ``os.walk`` call underneath, so the order reaches every way of listing.
    """
    real_listdir, real_scandir = os.listdir, os.scandir

    def listdir(path: Any = ".") -> list[Any]:
        return sorted(real_listdir(path), reverse=reverse)

    def scandir(path: Any = ".") -> _Listing:
        with real_scandir(path) as entries:
            return _Listing(sorted(entries, key=lambda e: e.name, reverse=reverse))

    os.listdir, os.scandir = listdir, scandir
    try:
        yield
    finally:
        os.listdir, os.scandir = real_listdir, real_scandir


@contextlib.contextmanager
def interrupt_when_reading(path: str) -> Iterator[list[str]]:
    """Make ``cv2.imread`` raise :class:`SimulatedInterrupt` for ``path``; record the reads."""
    import cv2

    real_imread, reads = cv2.imread, []

    def imread(filename: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(os.path.abspath(os.fspath(filename)))
        if reads[-1] == os.path.abspath(path):
            raise SimulatedInterrupt
        return real_imread(filename, *args, **kwargs)

    cv2.imread = imread
    try:
        yield reads
    finally:
        cv2.imread = real_imread


PROBES = {
    "library_calls": library_calls,
    "listing_order": listing_order,
    "interrupt_when_reading": interrupt_when_reading,
}

Probe = tuple[str, dict[str, Any]]


@contextlib.contextmanager
def applied(probes: list[Probe] | tuple[Probe, ...]) -> Iterator[dict[str, Any]]:
    """Apply the named probes around a block; yield what each observed, by name."""
    observed: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        for name, options in probes:
            if name not in PROBES:
                raise KeyError(f"no probe named {name!r}")
            observed[name] = stack.enter_context(PROBES[name](**options))
        yield observed
