"""The layers of optimizer/ (and generation/ below them all): a module imports only from its own layer or below.
Imports under `if TYPE_CHECKING:` are for annotations and do not count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Lowest first. Within a layer any import is fine; generation/ never imports optimizer/.
LAYERS = [
    ("optimizer.errors", "optimizer.evidence", "optimizer.trials", "optimizer.urls", "optimizer.yaml_keys"),
    ("optimizer.samplers", "optimizer.scoring"),
    ("optimizer.config",),
    ("optimizer.tracking",),
    ("optimizer.study",),
    ("optimizer.cli",),
]


def layer_of(module: str) -> int | None:
    for i, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return i
    return None


def runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of every import not guarded by `if TYPE_CHECKING:`."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(n) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def modules(package: str) -> list[tuple[str, Path]]:
    root = REPO / package
    return [(".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"), p)
            for p in sorted(root.rglob("*.py"))]


@pytest.mark.parametrize(("name", "path"), modules("optimizer"), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_no_import_runs_upward_in_optimizer(name, path):
    own = layer_of(name)
    if own is None:
        assert name == "optimizer", f"{name} belongs to no layer: add it to LAYERS"
        return
    upward = [f"{path.name}:{line} imports {module}" for line, module in runtime_imports(ast.parse(path.read_text()))
              if (other := layer_of(module)) is not None and other > own]
    assert not upward, "\n".join(upward)


def test_generation_never_imports_optimizer():
    offenders = [f"{name}:{line} imports {module}" for name, path in modules("generation")
                 for line, module in runtime_imports(ast.parse(path.read_text())) if module.startswith("optimizer")]
    assert not offenders, "\n".join(offenders)


def test_the_objective_does_not_know_who_watches_a_trial():
    """Review (MLflow) is an Optuna callback and the objective's hooks: the objective imports no tracking."""
    path = REPO / "optimizer" / "study" / "objective.py"
    imported = [module for _, module in runtime_imports(ast.parse(path.read_text()))]
    assert imported and not [m for m in imported if m.startswith("optimizer.tracking") or m == "mlflow"]
