"""The library (generation/, optimizer/) holds only what users run: benchmarks live in bench/, test fixtures and
stand-ins in testing/, and no library module imports either (a user's install needs neither)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIBRARY = ("generation", "optimizer")
OUTSIDE = ("bench", "testing")
# Module names that were benchmark or fixture code once and must not come back inside the library.
MOVED = {"bench", "benchmark", "bench_workers", "toys", "toy_model", "demo_poses", "reference", "local_postgres",
         "build", "synthetic"}  # fmt: skip


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Top-level names of every module path imports, at any depth of the file (imports inside functions count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", LIBRARY)
def test_the_library_imports_no_benchmark_or_fixture_code(package: str) -> None:
    # optimizer/cli/bench.py is the `autosynthda bench` command: it imports bench.* inside each command's body, the
    # one place the library reaches out, so that `make bench-*` keeps working; nothing else may.
    allowed = {REPO / "optimizer" / "cli" / "bench.py": {"bench"}}
    offenders = [
        f"{path.relative_to(REPO)} imports {sorted(wrong)}"
        for path in _modules(package)
        if (wrong := (_imported(path) & set(OUTSIDE)) - allowed.get(path, set()))
    ]
    assert offenders == []


def test_bench_command_imports_benchmarks_only_inside_its_commands() -> None:
    tree = ast.parse((REPO / "optimizer" / "cli" / "bench.py").read_text())
    top = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {alias.name for node in top for alias in node.names} | {
        node.module for node in top if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {n for n in names if n.split(".")[0] in OUTSIDE}


@pytest.mark.parametrize("package", LIBRARY)
def test_no_moved_module_is_back_in_the_library(package: str) -> None:
    # cli/bench.py is the command (see above); every other name in MOVED is benchmark or fixture code.
    back = [
        str(path.relative_to(REPO))
        for path in _modules(package)
        if path.stem in MOVED and path != REPO / "optimizer" / "cli" / "bench.py"
    ]
    assert back == []


@pytest.mark.parametrize("package", OUTSIDE)
def test_bench_and_testing_are_packages(package: str) -> None:
    assert (REPO / package / "__init__.py").is_file()
