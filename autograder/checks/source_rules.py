"""What 07's, 08's and 09's submitted code may not use, read from the source the grader holds.

These rules are read from the code itself, every cell the student could
write, as nbgrader read them from the submitted notebook, which the kernel
cannot change (``notebooks.student_sources``), after IPython's own
transformation (a magic or a shell command is a call of ``get_ipython``).

:data:`OWN_TRAINING` (07, 08, 09): a model's weights learnt by ``fit`` in the
graded run. Nothing that loads, sets or decodes weights or data, nothing
that reads the notebook's own text back at run time (IPython's input
history), none of the tools that would name anything without writing it out
(``getattr``, ``importlib``, ``eval``, ...), and no more literal data in the
whole notebook than it needs, docstrings included: :func:`literal_characters`.

This rule is a list of what is forbidden, and a list of tricks is never
complete: a small model's weights fit within the literal budget and reach
the first accuracy tiers by ways the list does not name
(``docs/security.md`` has the arithmetic and the entry that
shows it). 04 and 06 need no such rule: the grader trains their recipes
itself and reads no weight of the student's (:mod:`.replay`). 02's rule is
an allowlist instead (:mod:`.allowlist`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder.checks.allowlist import python_of

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
        # IPython's input history, magics and shell: the notebook's text read back at run time
        "In", "Out", "_ih", "_oh", "_i", "_ii", "_iii", "_dh", "get_ipython",
    }
)  # fmt: skip
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
    "pkgutil",
    "_thread",
    "posix",
    "codecs",
    "struct",
)
HATCH_ATTRIBUTES = frozenset(
    {"setprofile", "settrace", "modules", "__dict__", "__builtins__", "__getattribute__",
     "__globals__", "__code__", "__loader__", "__spec__", "__subclasses__"}
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """Modules a cell may not import, names, attributes and keywords it may not use."""

    modules: tuple[str, ...]
    names: frozenset[str]
    attributes: frozenset[str]
    literal_budget: int | None = None  # characters of literal data in all cells together
    keywords: frozenset[str] = frozenset()  # keyword arguments of any call


OWN_TRAINING = Rule(
    modules=("pickle", "base64", "binascii", "zlib", "gzip", "bz2", "lzma", "zipfile", "io",
             "h5py", "urllib", "http", "socket", "requests", "shutil", "os", "pathlib",
             *HATCH_MODULES),
    names=HATCHES | {"open"},
    attributes=frozenset(
        {"load_weights", "set_weights", "load_model", "load", "loads", "loadtxt", "fromfile",
         "frombuffer", "genfromtxt", "b64decode", "assign", "set_value", "read_bytes",
         "read_text", "fromhex", "frombytes", "from_bytes", "assign_add", "assign_sub",
         "scatter_update", "scatter_nd_update"}
    ) | HATCH_ATTRIBUTES,
    literal_budget=2_000,
    keywords=frozenset({"buffer"}),  # np.ndarray(shape, buffer=bytes): frombuffer by another name
)  # fmt: skip


def forbidden_uses(source: str, rule: Rule = OWN_TRAINING) -> list[str]:
    """Where the source breaks the rule, as ``line N: what``; empty when it keeps it.

    Source that does not parse, even after IPython's transformation, has
    nothing to find: it does not run either.
    """
    tree, magics = python_of(source)
    if tree is None:
        return []
    found = [f"line {line}: {what}" for line, what in magics]
    for node in ast.walk(tree):
        what = _forbidden(node, rule)
        if what and not (magics and what == "get_ipython"):  # the magic is named already
            found.append(f"line {getattr(node, 'lineno', '?')}: {what}")
    return found


def literal_characters(source: str) -> int:
    """Characters of literal data the source writes out: numbers and strings, docstrings too.

    A docstring is a string like any other at run time (``f.__doc__``), so it
    is counted; comments are not, as no rule-abiding code can read them back.
    """
    tree, _ = python_of(source)
    if tree is None:
        return 0
    return sum(_literal_size(node) for node in ast.walk(tree))


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
    if isinstance(node, ast.keyword) and node.arg in rule.keywords:
        return f"{node.arg}=..."
    return None


def _literal_size(node: ast.AST) -> int:
    """Characters of data a constant writes out (a number counts its digits)."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool) or node.value is None:
        return 0
    if isinstance(node.value, str | bytes):
        return len(node.value)
    return len(repr(node.value))
