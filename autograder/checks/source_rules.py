"""What a student's submitted code may not use, read from the source the grader holds.

02 asks for a convolution computed by hand: a ``conv2d`` that hands the work
to a library earns none of the value points. Watching the function run
(:mod:`autograder.kernel.probes`) happens in the student's own process, and
code can hide from a profiler in many ways (a worker thread, a C function
called through ``map``, ``sys.setprofile(None)``, OpenCV's functions that
name no module). So the rule is read from the code itself, as nbgrader read
it from the submitted notebook, which the kernel cannot change: the answer
cells may not import or name a convolution library or a convolution
function, nor the tools that would name one without writing it out
(``getattr``, ``importlib``, ``eval``, ...). What cannot be seen this way is
said in the README's security note.
"""

from __future__ import annotations

import ast

# Libraries that compute a convolution for you.
LIBRARIES = ("scipy", "cv2", "tensorflow", "keras", "torch", "jax", "skimage")
# Convolution functions, by the names libraries give them (np.convolve, cv2.filter2D, ...).
CONVOLUTIONS = frozenset(
    {"convolve", "correlate", "correlate2d", "convolve2d", "fftconvolve", "oaconvolve",
     "filter2D", "sepFilter2D", "conv2d", "conv1d", "convolution"}
)  # fmt: skip
# What would name any of those without writing it out, or hide a call from a probe.
HATCHES = frozenset({"getattr", "__import__", "eval", "exec", "compile", "globals", "vars"})
HATCH_MODULES = ("importlib", "ctypes", "threading", "multiprocessing", "concurrent")
HATCH_ATTRIBUTES = frozenset(
    {"setprofile", "settrace", "modules", "__dict__", "__builtins__", "__getattribute__"}
)


def forbidden_uses(source: str) -> list[str]:
    """Where the source uses what the rule forbids, as ``line N: what``; empty when clean.

    Source that does not parse has nothing to find: it does not run either.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        what = _forbidden(node)
        if what:
            found.append(f"line {getattr(node, 'lineno', '?')}: {what}")
    return found


def _forbidden(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        bad = [n for n in names if n.split(".")[0] in (*LIBRARIES, *HATCH_MODULES)]
        return f"import {', '.join(bad)}" if bad else None
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        names = [alias.name for alias in node.names]
        if module.split(".")[0] in (*LIBRARIES, *HATCH_MODULES) or CONVOLUTIONS & set(names):
            return f"from {module} import {', '.join(names)}"
        return None
    if isinstance(node, ast.Attribute) and node.attr in CONVOLUTIONS | HATCH_ATTRIBUTES:
        return f".{node.attr}"
    if isinstance(node, ast.Name) and node.id in HATCHES:
        return node.id
    return None
