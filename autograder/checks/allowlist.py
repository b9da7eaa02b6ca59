"""02's own-work rule as an allowlist: what a convolution computed by hand may use.

A list of forbidden things is only as good as the reviewer's imagination
(``pkgutil.resolve_name``, ``_thread``, a comment run through ``_ih``, ...).
This rule names what a manual convolution may use instead, and every code
cell the student could write (``notebooks.student_sources``) must keep to
it:

* imports: only the modules of :data:`MODULES`, and from them only names on
  the attribute list;
* attributes (``x.name``, whatever ``x`` is): only the names of
  :data:`ATTRIBUTES`, or names the student's own code defines as attributes
  (``self.stride = ...``, a method) that no allowed object already has;
* names: only those the student's cells (or the notebook's locked cells)
  bind at module level, those a function binds for itself, and the
  built-ins of :data:`BUILTINS`;
* no double-underscore names or attributes beyond ``__name__`` and
  ``__init__``, no star import, and no IPython magic or shell command other
  than :data:`MAGICS` (whose code is read as part of the cell).

The attribute list is by name, whatever the object: it is sound as long as
no chain of listed names leads from an allowed object to a library
convolution, a way to name something from a string, or a way to start a
thread or process. ``tests/test_own_work.py`` walks every such chain from
the allowed modules, built-ins and typical values to prove it.

Why every cell and not only the code ``conv2d`` reaches: cells share one
namespace, and code in any of them can change what ``conv2d``'s names mean
(rebind a global it reads, replace ``np.sum``, patch a built-in, start a
thread that serves it, run a file with ``%run``). Which cells can do that is
an alias analysis of a dynamic language; "no cell can obtain a library
convolution" needs none.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

# What a manual convolution, a test of it and a look at its result need.
MODULES = frozenset(
    {"numpy", "numpy.lib.stride_tricks", "numpy.random", "numpy.linalg", "numpy.testing",
     "math", "itertools", "functools", "typing", "__future__", "time"}
)  # fmt: skip

NUMPY_ATTRIBUTES = frozenset(
    {
        # making arrays
        "array", "asarray", "asanyarray", "ascontiguousarray", "zeros", "zeros_like", "ones",
        "ones_like", "empty", "empty_like", "full", "full_like", "arange", "linspace", "eye",
        "identity", "copy",
        # types
        "float64", "float32", "float16", "double", "single", "int64", "int32", "int16", "int8",
        "uint8", "int_", "intp", "bool_", "dtype", "floating", "integer", "number",
        "issubdtype", "ndarray", "newaxis", "inf", "nan", "pi", "e", "finfo", "iinfo",
        # element-wise arithmetic and reductions: the multiply-and-sum written out
        "sum", "prod", "dot", "vdot", "matmul", "multiply", "add", "subtract", "divide",
        "true_divide", "floor_divide", "power", "sqrt", "abs", "absolute", "exp", "log",
        "maximum", "minimum", "max", "min", "amax", "amin", "argmax", "argmin", "mean", "std",
        "var", "clip", "round", "around", "floor", "ceil", "sign", "negative", "square",
        "einsum", "tensordot", "inner", "outer", "all", "any", "allclose", "isclose",
        "array_equal", "isnan", "isfinite", "where", "nonzero", "count_nonzero", "cumsum",
        "trace", "diag", "reduce", "accumulate", "roll", "diff", "rint", "argwhere", "take",
        "put", "copyto", "isscalar", "fromfunction", "vectorize", "ndenumerate", "nditer",
        "mgrid", "ogrid",
        # shapes, padding and windows: the slide written out
        "pad", "reshape", "ravel", "flatten", "transpose", "swapaxes", "moveaxis",
        "expand_dims", "squeeze", "stack", "vstack", "hstack", "concatenate", "column_stack",
        "dstack", "tile", "repeat", "flip", "fliplr", "flipud", "rot90", "broadcast_to",
        "atleast_2d", "shape", "ndim", "size", "indices", "meshgrid", "ix_", "unravel_index",
        "split", "array_split", "T", "lib", "stride_tricks", "sliding_window_view",
        "as_strided", "strides", "itemsize", "nbytes",
        # array methods not named above
        "astype", "tolist", "item", "fill", "view", "base", "real", "imag", "sort", "argsort",
        "flat", "seterr",
        # random test inputs, comparisons, printing
        "random", "default_rng", "seed", "rand", "randn", "randint", "normal", "uniform",
        "integers", "standard_normal", "choice", "permutation", "shuffle", "testing",
        "assert_allclose", "assert_array_equal", "assert_array_almost_equal",
        "assert_almost_equal", "assert_equal", "linalg", "norm", "errstate",
        "set_printoptions", "printoptions",
        # the dtype of an array
        "kind", "name", "type",
    }
)  # fmt: skip

PYTHON_ATTRIBUTES = frozenset(
    {
        # math, itertools, functools, typing, __future__, time
        "fsum", "isqrt", "trunc", "product", "chain", "starmap", "reduce", "partial",
        "lru_cache", "cache", "wraps", "Any", "Optional", "Union", "Tuple", "List", "Dict",
        "Sequence", "Iterable", "Callable", "annotations", "time", "perf_counter",
        "process_time",
        # list, dict, str, exceptions and numbers
        "append", "extend", "pop", "insert", "index", "count", "reverse", "clear", "items",
        "keys", "values", "get", "update", "setdefault", "format", "join", "split", "strip",
        "lstrip", "rstrip", "replace", "lower", "upper", "startswith", "endswith", "zfill",
        "ljust", "rjust", "center", "splitlines", "args", "is_integer",
        # a class of the student's: super().__init__(...), type(self).__name__
        "__init__", "__name__",
    }
)  # fmt: skip

ATTRIBUTES = NUMPY_ATTRIBUTES | PYTHON_ATTRIBUTES

BUILTINS = frozenset(
    {"range", "len", "min", "max", "sum", "abs", "int", "float", "round", "enumerate", "zip",
     "list", "tuple", "dict", "set", "frozenset", "print", "isinstance", "issubclass", "bool",
     "str", "map", "filter", "sorted", "reversed", "any", "all", "divmod", "pow", "slice",
     "iter", "next", "super", "object", "property", "staticmethod", "classmethod", "repr",
     "format", "hash", "chr", "ord", "complex", "callable", "hasattr", "display",
     "Exception", "ValueError", "TypeError", "IndexError", "KeyError", "AssertionError",
     "NotImplementedError", "RuntimeError", "ZeroDivisionError", "ArithmeticError",
     "AttributeError", "StopIteration", "NotImplemented", "Ellipsis", "__name__"}
)  # fmt: skip

# IPython magics: ones whose argument is Python code (read as part of the cell), and
# ``%matplotlib`` with a backend name.
CODE_MAGICS = frozenset({"time", "timeit"})
MATPLOTLIB_BACKENDS = frozenset({"inline", "notebook", "widget", "ipympl", "agg"})
DUNDER_ATTRIBUTES = frozenset({"__init__", "__name__"})


@dataclass(frozen=True)
class Allowlist:
    """What a notebook's code may use: modules, attributes by name, built-ins."""

    modules: frozenset[str] = MODULES
    attributes: frozenset[str] = ATTRIBUTES
    builtins: frozenset[str] = BUILTINS


MANUAL_CONVOLUTION = Allowlist()


def unlisted_uses(
    sources: Mapping[str, str],
    allow: Allowlist = MANUAL_CONVOLUTION,
    given: Iterable[str] = (),
) -> list[str]:
    """What the cells use that is not on the list, as ``\\`cell\\` line N: what``.

    ``sources`` are the student's cells by name, read together: a name bound
    in one cell may be used in another. ``given`` are the names the
    notebook's locked cells bind. A cell that does not parse after IPython's
    own transformation has nothing to find: it does not run either.
    """
    cells = {name: python_of(source) for name, source in sources.items()}
    trees = {name: tree for name, (tree, _) in cells.items() if tree is not None}
    bound = set(given) | {n for tree in trees.values() for n in _module_bindings(tree)}
    own_attributes = {n for tree in trees.values() for n in _attribute_bindings(tree)}
    attributes = allow.attributes | (own_attributes - known_attributes(allow))
    found = []
    for name, (tree, magics) in cells.items():
        if tree is None:
            continue
        uses = magics + _unlisted_in(tree, allow, attributes)
        uses += _unbound_names(tree, bound | allow.builtins, skip=bool(magics))
        found += [f"`{name}` line {line}: {what}" for line, what in sorted(set(uses))]
    return found


def bound_names(sources: Mapping[str, str]) -> set[str]:
    """The names the cells bind in the notebook's namespace."""
    trees = [tree for tree, _ in map(python_of, sources.values()) if tree is not None]
    return {name for tree in trees for name in _module_bindings(tree)}


# --- IPython's syntax, made Python -------------------------------------------------------


def python_of(source: str) -> tuple[ast.Module | None, list[tuple[int, str]]]:
    """The cell as the Python IPython runs, with allowed magics replaced by their code.

    Also the magics and shell commands that are not allowed, as findings.
    """
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
    except Exception:  # IPython's transformer gave up: Python's parser decides
        python = source
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return None, []
    magics: list[tuple[int, str]] = []
    tree = _Magics(magics).visit(tree)
    ast.fix_missing_locations(tree)
    return tree, magics


def _magic_call(node: ast.AST) -> tuple[str, list[str]] | None:
    """``get_ipython().method('a', 'b')`` as ``(method, ['a', 'b'])``, else None."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "get_ipython"
    ):
        return None
    args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
    if not all(isinstance(a, str) for a in args):
        return None
    return node.func.attr, [str(a) for a in args]


_TIMEIT_OPTIONS = re.compile(r"^\s*(?:(?:-[nrp]\s*\d+|-[tcqo])\s+)*")


class _Magics(ast.NodeTransformer):
    """Replaces allowed magics by their code (or nothing); records the others."""

    def __init__(self, found: list[tuple[int, str]]) -> None:
        self.found = found

    def visit_Expr(self, node: ast.Expr) -> Any:
        if _magic_call(node.value) is None:
            return self.generic_visit(node)
        code = self._code(node.value)
        if code is None:
            return node
        return [self.visit(statement) for statement in code.body] or ast.Pass()

    def visit_Call(self, node: ast.Call) -> Any:
        if _magic_call(node) is None:
            return self.generic_visit(node)
        code = self._code(node)
        if code is None:
            return node
        if len(code.body) == 1 and isinstance(code.body[0], ast.Expr):
            return self.visit(code.body[0].value)
        self.found.append((node.lineno, "an IPython magic whose code is not an expression"))
        return node

    def _code(self, node: ast.AST) -> ast.Module | None:
        """The Python an allowed magic runs (empty for %matplotlib), else None."""
        call = _magic_call(node)
        if call is None:
            return None
        method, args = call
        line = getattr(node, "lineno", 0)
        if method in ("system", "getoutput"):
            self.found.append((line, f"!{args[0] if args else ''} (a shell command)"[:80]))
            return None
        if method not in ("run_line_magic", "run_cell_magic") or not args:
            return None
        magic, text = args[0], args[-1]
        if magic == "matplotlib" and method == "run_line_magic" and text in MATPLOTLIB_BACKENDS:
            return ast.Module(body=[], type_ignores=[])
        if magic in CODE_MAGICS:
            try:
                if method == "run_line_magic":
                    text = _TIMEIT_OPTIONS.sub("", text)
                return ast.parse(text)
            except SyntaxError:
                pass
        percent = "%%" if method == "run_cell_magic" else "%"
        self.found.append((line, f"{percent}{magic} (an IPython magic)"))
        return None


# --- what the cells bind ------------------------------------------------------------------


def _module_bindings(tree: ast.Module) -> set[str]:
    """Names a cell binds in the notebook's namespace, ``global`` ones included."""
    table = symtable.symtable(ast.unparse(tree), "<cell>", "exec")
    names = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    for scope in _scopes(table):
        names |= {s.get_name() for s in scope.get_symbols() if s.is_declared_global()}
    return names


def _attribute_bindings(tree: ast.Module) -> set[str]:
    """Attribute names the student's own code defines: ``x.name = ...``, class members."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(member.name)
                targets = member.targets if isinstance(member, ast.Assign) else []
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return {name for name in names if not _dunder(name)}


def _scopes(table: symtable.SymbolTable) -> Iterable[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _scopes(child)


# --- what the cells use ----------------------------------------------------------------


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def _unlisted_in(
    tree: ast.Module, allow: Allowlist, attributes: frozenset[str] | set[str]
) -> list[tuple[int, str]]:
    """Imports, attributes and double-underscore names off the list, by line."""
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [
                (line, f"import {a.name} (a module not on the list)")
                for a in node.names
                if a.name not in allow.modules
            ]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if module not in allow.modules:
                found.append((line, f"from {module} import ... (a module not on the list)"))
            found += [
                (line, f"from {module} import {a.name} (not on the list)")
                for a in node.names
                if a.name not in allow.attributes
            ]
        elif isinstance(node, ast.Attribute) and not _calls_get_ipython(node.value):
            if _dunder(node.attr) and node.attr not in DUNDER_ATTRIBUTES:
                found.append((line, f".{node.attr} (double-underscore access)"))
            elif isinstance(node.ctx, ast.Load | ast.Del) and node.attr not in attributes:
                found.append((line, f".{node.attr} (an attribute not on the list)"))
        elif isinstance(node, ast.Name) and _dunder(node.id) and isinstance(node.ctx, ast.Store):
            found.append((line, f"{node.id} = ... (double-underscore access)"))
    return found


def _calls_get_ipython(node: ast.AST) -> bool:
    """``get_ipython()``: what it is used for is a magic, or the name is reported."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
    )


def _unbound_names(tree: ast.Module, known: set[str], skip: bool) -> list[tuple[int, str]]:
    """Names a cell reads from the notebook's namespace that nothing there binds.

    Built-ins other than the allowed ones are among them (``getattr``,
    ``eval``, ``open``, ...), and so are IPython's (``In``, ``_ih``,
    ``get_ipython``; with ``skip`` the last is already reported as a magic).
    """
    table = symtable.symtable(ast.unparse(tree), "<cell>", "exec")
    unbound = {
        symbol.get_name()
        for scope in _scopes(table)
        for symbol in scope.get_symbols()
        if symbol.is_referenced() and symbol.is_global() and symbol.get_name() not in known
    }
    if skip:
        unbound.discard("get_ipython")
    lines = {
        node.id: node.lineno
        for node in reversed(list(ast.walk(tree)))
        if isinstance(node, ast.Name) and node.id in unbound
    }
    return [
        (lines.get(name, 0), f"{name} (a name neither defined in the notebook nor allowed)")
        for name in unbound
    ]


# --- the objects the list reaches ---------------------------------------------------------


def allowed_roots(allow: Allowlist = MANUAL_CONVOLUTION) -> list[Any]:
    """What the notebook's code can hold without an attribute: modules, built-ins, values."""
    import builtins
    import importlib

    import numpy as np

    modules = [importlib.import_module(name) for name in sorted(allow.modules)]
    names = [getattr(builtins, name) for name in sorted(allow.builtins) if hasattr(builtins, name)]
    values = [np.zeros((2, 2)), np.float64(1.0), np.int64(1), np.dtype(float),
              np.random.default_rng(0), np.add, 1, 1.0, "s", [], {}, (), set(), range(1),
              slice(1), ValueError("x"), lambda: None, type("Own", (), {})]  # fmt: skip
    return [*modules, *names, *values]


def reachable(allow: Allowlist = MANUAL_CONVOLUTION, depth: int = 4) -> dict[int, Any]:
    """Every object reached from :func:`allowed_roots` through listed attribute names."""
    seen = {_identity(root): root for root in allowed_roots(allow)}
    frontier = list(seen.values())
    for _ in range(depth):
        following = []
        for obj in frontier:
            for name in allow.attributes:
                try:
                    value = getattr(obj, name)
                except Exception:
                    continue
                if _identity(value) not in seen:
                    seen[_identity(value)] = value
                    following.append(value)
        frontier = following
    return seen


def _identity(obj: Any) -> Any:
    """Modules, classes and functions by identity; other values by their type (one array
    stands for all arrays)."""
    if isinstance(obj, type | ModuleType) or callable(obj):
        return id(obj)
    return type(obj)


@cache
def known_attributes(allow: Allowlist = MANUAL_CONVOLUTION) -> frozenset[str]:
    """Attribute names the allowed objects already have: a student's own class members
    under those names do not unlock them (a method called ``convolve`` is no way to
    ``np.convolve``)."""
    names: set[str] = set()
    for obj in reachable(allow, depth=2).values():
        try:
            names |= set(dir(obj))
        except Exception:
            continue
    return frozenset(names)
