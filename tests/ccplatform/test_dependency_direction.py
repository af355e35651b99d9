"""Dependencies point one way: the platform package imports no app, and the audit log imports
only the platform package (every other app may use both)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("ccplatform", "audit", "accounts", "customers", "retention", "incidents")
MAY_IMPORT = {"ccplatform": set(), "audit": {"ccplatform"}}


def imported_apps(package: str) -> dict[str, set[str]]:
    """Each other app that `package` imports (anywhere, function bodies too) → the files."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in APPS and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_base_package_imports_only_what_is_below_it(package: str) -> None:
    imports = imported_apps(package)
    forbidden = {app: files for app, files in imports.items() if app not in MAY_IMPORT[package]}
    assert forbidden == {}


def test_the_scan_sees_imports_inside_functions_too() -> None:
    # customers registers its rotation jobs from AppConfig.ready, inside a method.
    assert "customers/apps.py" in imported_apps("customers")["ccplatform"]
