"""Observations made in the student's own process while a check calls a student function.

One check watches the student's code as it runs: which library functions
its ``conv2d`` calls (02). That can only happen where the student's code
runs, so it lives here, in the part of the package the kernel can import,
and is asked for by name::

    with applied([("library_calls", {})]) as observed:
        conv2d(image, kernel)
    observed["library_calls"]  # e.g. ["scipy.signal.correlate2d"]

Such an observation is the student's process speaking for itself, which
code written to notice the probe can silence: it may only ever cost points
(a library call seen), never earn them. What earns points is decided from
what the judge itself sees: the submitted source, values returned, and
observations made outside the student's process (``autograder.checks``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

# Modules whose functions compute a convolution for you, and NumPy's own 1-D ones.
LIBRARY_MODULES = ("scipy.signal", "scipy.ndimage", "tensorflow", "keras", "torch", "jax", "cv2")
LIBRARY_NUMPY_FUNCTIONS = ("convolve", "correlate", "correlate2")


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


PROBES = {"library_calls": library_calls}

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
