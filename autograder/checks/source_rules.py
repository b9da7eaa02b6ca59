"""What a student's submitted code may not use, read from the source the grader holds.

Watching code run (:mod:`autograder.kernel.probes`) happens in the student's
own process, and code can hide from a profiler in many ways (a worker thread,
a C function called through ``map``, ``sys.setprofile(None)``, OpenCV's
functions that name no module). So these rules are read from the code
itself, every cell the student could write, as nbgrader read them from the
submitted notebook, which the kernel cannot change
(``notebooks.student_sources``). Each notebook states its rule. What cannot
be seen this way is said in the README's security note.

* :data:`OWN_TRAINING` (04, 06): a model's weights learnt by ``fit`` in the
  graded run. Nothing that loads, sets or decodes weights or data, and no
  more literal data in the whole notebook than it needs (a table of weights
  or answers would be more): :func:`literal_characters`.

It forbids the tools that would name anything without writing it out
(``getattr``, ``importlib``, ``eval``, ...). 02's rule is an allowlist
instead (:mod:`.allowlist`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# What would name anything without writing it out, or hide a call from a probe.
HATCHES = frozenset(
    {
        "getattr",
        "__import__",
        "eval",
        "exec",
        "compile",
        "globals",
        "vars",
        "__builtins__",
        "__loader__",
        "__spec__",
        "breakpoint",
    }
)
HATCH_MODULES = (
    "importlib",
    "ctypes",
    "threading",
    "multiprocessing",
    "concurrent",
    "operator",
    "builtins",
    "pydoc",
    "runpy",
    "code",
    "codeop",
    "marshal",
    "subprocess",
    "inspect",
    "gc",
    "types",
)
HATCH_ATTRIBUTES = frozenset(
    {"setprofile", "settrace", "modules", "__dict__", "__builtins__", "__getattribute__",
     "__globals__", "__code__", "__loader__", "__spec__", "__subclasses__"}
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """Modules a cell may not import, and names and attributes it may not use."""

    modules: tuple[str, ...]
    names: frozenset[str]
    attributes: frozenset[str]
    literal_budget: int | None = None  # characters of literal data in all cells together


OWN_TRAINING = Rule(
    modules=("pickle", "base64", "binascii", "zlib", "gzip", "bz2", "lzma", "zipfile", "io",
             "h5py", "urllib", "http", "socket", "requests", "shutil", "os", "pathlib",
             *HATCH_MODULES),
    names=HATCHES | {"open"},
    attributes=frozenset(
        {"load_weights", "set_weights", "load_model", "load", "loads", "loadtxt", "fromfile",
         "frombuffer", "genfromtxt", "b64decode", "assign", "set_value", "read_bytes",
         "read_text"}
    ) | HATCH_ATTRIBUTES,
    literal_budget=2_000,
)  # fmt: skip


def forbidden_uses(source: str, rule: Rule) -> list[str]:
    """Where the source breaks the rule, as ``line N: what``; empty when it keeps it.

    Source that does not parse has nothing to find: it does not run either.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        what = _forbidden(node, rule)
        if what:
            found.append(f"line {getattr(node, 'lineno', '?')}: {what}")
    return found


def literal_characters(source: str) -> int:
    """Characters of literal data the source writes out (numbers, strings; not docstrings)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    docstrings = _docstrings(tree)
    return sum(_literal_size(node) for node in ast.walk(tree) if node not in docstrings)


def _forbidden(node: ast.AST, rule: Rule) -> str | None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name.split(".")[0] in rule.modules]
        return f"import {', '.join(bad)}" if bad else None
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        names = [alias.name for alias in node.names]
        if module.split(".")[0] in rule.modules or rule.attributes & set(names):
            return f"from {module} import {', '.join(names)}"
        return None
    if isinstance(node, ast.Attribute) and node.attr in rule.attributes:
        return f".{node.attr}"
    if isinstance(node, ast.Name) and node.id in rule.names:
        return node.id
    return None


def _docstrings(tree: ast.AST) -> set[ast.AST]:
    """The constants that are docstrings: prose, not data."""
    owners = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _literal_size(node: ast.AST) -> int:
    """Characters of data a constant writes out (a number counts its digits)."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool) or node.value is None:
        return 0
    if isinstance(node.value, str | bytes):
        return len(node.value)
    return len(repr(node.value))
