"""Architecture rules of issue 13, checked by reading the code of ``solvers/`` (``ast``; nothing
is imported).

1. No import cycle between modules of ``solvers/`` (module-level and function-level imports,
   absolute and relative, ``from . import x`` included; imports under ``if TYPE_CHECKING:``
   are left out because they never run).
2. ``is_numpy_namespace`` / ``is_cupy_namespace`` / ``is_array_api_strict_namespace`` are used
   only in the backend layer: ``solvers/_array_api.py``, ``solvers/_backend*.py`` and
   ``solvers/_lib/``.
3. No subpackage imports another subpackage's private module or private name (for instance
   ``solvers.multigrid`` importing ``solvers.linalg._linear_operator``). The shared top-level
   modules ``solvers._array_api``, ``solvers._backend*``, ``solvers._result``,
   ``solvers._progress`` and ``solvers._lib`` may be imported by every subpackage.
4. No public function or method has a parameter named ``max_iter``, ``random_state``,
   ``time_limit``, ``seed`` or ``n_iter`` (the library's keywords are ``maxiter``, ``rng``,
   ``max_time``; see README "Layout and conventions").
5. No module is longer than 800 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "solvers"

NAMESPACE_CHECKS = {"is_numpy_namespace", "is_cupy_namespace", "is_array_api_strict_namespace"}
FORBIDDEN_PARAMETERS = {"max_iter", "random_state", "time_limit", "seed", "n_iter"}
MAX_LINES = 800
SHARED_PRIVATE = ("solvers._array_api", "solvers._backend", "solvers._result",
                  "solvers._progress", "solvers._lib")


# ----------------------------------------------------------------------------- reading the code
def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _collect_modules():
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        modules[_module_name(path)] = path
    return modules


MODULES = _collect_modules()
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
         for name, path in MODULES.items()}


def _rel(name):
    return MODULES[name].relative_to(ROOT).as_posix()


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _is_type_checking(test):
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _walk_runtime(tree):
    """``ast.walk`` without the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve_base(module, node):
    """Absolute dotted name of the module an ``ImportFrom`` reads from."""
    if node.level == 0:
        return node.module or ""
    package = module if _is_package(module) else module.rpartition(".")[0]
    parts = package.split(".")
    if node.level > 1:
        parts = parts[:len(parts) - (node.level - 1)]
    base = ".".join(parts)
    return f"{base}.{node.module}" if node.module else base


def _imports(module):
    """``(target_module, imported_name_or_None, lineno)`` for each import of ``module``
    whose target is a module of ``solvers``."""
    out = []
    for node in _walk_runtime(TREES[module]):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in MODULES:  # ``import a.b.c`` of a non-module tail
                    name = name.rpartition(".")[0]
                if name:
                    out.append((name, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_base(module, node)
            if not (base == "solvers" or base.startswith("solvers.")):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in MODULES:               # ``from . import _stencil_conv``
                    out.append((sub, None, node.lineno))
                elif base in MODULES:            # ``from ._grid import f``
                    out.append((base, alias.name, node.lineno))
    return out


def _import_graph():
    graph = {m: {} for m in MODULES}
    for module in MODULES:
        for target, _, lineno in _imports(module):
            if target != module:
                graph[module].setdefault(target, lineno)
    return graph


def _strongly_connected(graph):
    """Tarjan's algorithm (iterative); returns the components with more than one module."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return comps


def _subpackage(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and _is_package(module)) else None


def _is_shared(module):
    return any(module == s or module.startswith(s) for s in SHARED_PRIVATE)


# ----------------------------------------------------------------------------- the rules
def test_the_checker_sees_the_package():
    assert "solvers._array_api" in MODULES and "solvers.multigrid" in MODULES
    graph = _import_graph()
    assert "solvers._array_api" in graph["solvers.linalg._krylov"]


def test_no_import_cycles():
    graph = _import_graph()
    problems = []
    for comp in _strongly_connected(graph):
        members = set(comp)
        edges = [f"{_rel(a)}:{line} imports {b}" for a in comp
                 for b, line in sorted(graph[a].items()) if b in members]
        problems.append(f"cycle between {', '.join(comp)}:\n    " + "\n    ".join(edges))
    assert not problems, "import cycles in solvers/:\n  " + "\n  ".join(problems)


def _backend_layer(module):
    rel = _rel(module)
    name = MODULES[module].name
    return (rel == "solvers/_array_api.py" or rel.startswith("solvers/_lib/")
            or (MODULES[module].parent == PACKAGE and name.startswith("_backend")))


def test_namespace_checks_only_in_backend_layer():
    problems = []
    for module, tree in TREES.items():
        if _backend_layer(module):
            continue
        seen = set()
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Name):
                names = [node.id]
            elif isinstance(node, ast.Attribute):
                names = [node.attr]
            elif isinstance(node, (ast.ImportFrom, ast.Import)):
                names = [a.name.rpartition(".")[2] for a in node.names]
            for n in names:
                if n in NAMESPACE_CHECKS and (node.lineno, n) not in seen:
                    seen.add((node.lineno, n))
                    problems.append(f"{_rel(module)}:{node.lineno} uses {n}")
    assert not problems, ("namespace checks outside the backend layer (ask solvers._backend "
                          "instead):\n  " + "\n  ".join(sorted(problems)))


def test_no_reach_into_another_subpackages_private_modules():
    problems = []
    for module in MODULES:
        own = _subpackage(module)
        for target, name, lineno in _imports(module):
            if _is_shared(target):
                continue
            other = _subpackage(target)
            if other is None or other == own:
                continue
            private_module = any(p.startswith("_") for p in target.split(".")[2:])
            private_name = name is not None and name.startswith("_")
            if private_module or private_name:
                what = target + (f".{name}" if private_name else "")
                problems.append(f"{_rel(module)}:{lineno} imports {what}")
    assert not problems, ("subpackages importing another subpackage's private modules or "
                          "names:\n  " + "\n  ".join(sorted(problems)))


def _public_functions(tree):
    """Public functions and methods of public classes, not nested in functions."""
    def visit(body, public_scope):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = node.name
                if public_scope and (not name.startswith("_") or name in ("__init__",
                                                                         "__call__")):
                    yield node
            elif isinstance(node, ast.ClassDef):
                yield from visit(node.body, public_scope and not node.name.startswith("_"))
            elif isinstance(node, (ast.If, ast.Try)):
                yield from visit(node.body, public_scope)
                yield from visit(node.orelse, public_scope)
    yield from visit(tree.body, True)


def test_no_legacy_parameter_names():
    problems = []
    for module, tree in TREES.items():
        for fn in _public_functions(tree):
            a = fn.args
            for arg in a.posonlyargs + a.args + a.kwonlyargs:
                if arg.arg in FORBIDDEN_PARAMETERS:
                    problems.append(f"{_rel(module)}:{fn.lineno} {fn.name}({arg.arg}=...)")
    assert not problems, ("public parameters with a legacy name (use maxiter, rng, max_time, "
                          "nit):\n  " + "\n  ".join(sorted(problems)))


@pytest.mark.parametrize("module", sorted(MODULES), ids=lambda m: _rel(m))
def test_module_length(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{_rel(module)} has {n} lines (at most {MAX_LINES}): split it"
