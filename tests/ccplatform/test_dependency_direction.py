"""Dependencies point one way (DESIGN.md "Layout"): ccplatform → audit → accounts → customers
→ retention, incidents, and demo seeding above them all. An app may import what is below it,
never what is above; and no app imports another app's models, except the user model
(AUTH_USER_MODEL, the one shared type): other apps' data comes through their selectors and
services."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first; an app may import the apps before it in this order.
ORDER = ("ccplatform", "audit", "accounts", "customers", "retention", "incidents", "demo")
# Side by side: neither may import the other.
PEERS = {frozenset({"retention", "incidents"})}
SHARED_MODEL = ("accounts", "User")  # AUTH_USER_MODEL


@dataclass(frozen=True)
class Arrow:
    """One import statement of `source` (a file of app `package`) naming app `target`."""

    package: str
    target: str
    module: str
    names: tuple[str, ...]
    source: str


def arrows(package: str, root: Path = ROOT) -> list[Arrow]:
    """Every import of another app in `package` (anywhere, function bodies included)."""
    found: list[Arrow] = []
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # frozen history: migrations name models by app label, as Django does
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            pairs: list[tuple[str, tuple[str, ...]]]
            if isinstance(node, ast.Import):
                pairs = [(alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                pairs = [(node.module, tuple(alias.name for alias in node.names))]
            else:
                continue
            for module, names in pairs:
                top = module.split(".")[0]
                if top in ORDER and top != package:
                    source = str(path.relative_to(root))
                    found.append(Arrow(package, top, module, names, source))
    return found


def against_the_direction(arrow: Arrow) -> bool:
    if frozenset({arrow.package, arrow.target}) in PEERS:
        return True
    return ORDER.index(arrow.target) > ORDER.index(arrow.package)


def into_foreign_models(arrow: Arrow) -> bool:
    """Whether the import reaches another app's models (anything but the shared user model)."""
    parts = arrow.module.split(".")
    if len(parts) < 2 or parts[1] != "models":
        return False
    if arrow.package == "demo" or arrow.target == "ccplatform":
        # Demo seeding sits above every app and builds their records; ccplatform.models
        # holds the platform's abstract field sets (DataKeyFields), not an app's data.
        return False
    app, model = SHARED_MODEL
    return not (arrow.target == app and len(parts) == 2 and arrow.names == (model,))


@pytest.mark.parametrize("package", ORDER)
def test_no_app_imports_an_app_above_it(package: str) -> None:
    wrong = [f"{a.source}: {a.module}" for a in arrows(package) if against_the_direction(a)]
    assert wrong == []


@pytest.mark.parametrize("package", ORDER)
def test_no_app_imports_another_apps_models_but_the_user_model(package: str) -> None:
    wrong = [
        f"{a.source}: from {a.module} import {', '.join(a.names)}"
        for a in arrows(package)
        if into_foreign_models(a)
    ]
    assert wrong == []


def test_the_scan_sees_imports_inside_functions_too() -> None:
    # customers registers its rotation jobs from AppConfig.ready, inside a method.
    assert "customers/apps.py" in {
        a.source for a in arrows("customers") if a.target == "ccplatform"
    }


def test_the_rules_catch_what_they_must(tmp_path: Path) -> None:
    """Made-up apps that break each rule, so that a scan that sees nothing cannot pass."""
    files = {
        "audit/uses_accounts.py": "from accounts.services.users import user_create\n",
        "customers/uses_team.py": "from accounts.models import Team\n",
        "customers/uses_user.py": "from accounts.models import User\n",
        "customers/uses_models_module.py": "import accounts.models\n",
        "customers/uses_outcome.py": "from audit.models import Outcome\n",
        "customers/lazy.py": "def f():\n    from retention.services import x\n",
        "retention/uses_incidents.py": "from incidents.selectors import y\n",
        "ccplatform/uses_demo.py": "import demo.accounts\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = {a.source: a for package in ORDER for a in arrows(package, tmp_path)}
    assert against_the_direction(found["audit/uses_accounts.py"])
    assert into_foreign_models(found["customers/uses_team.py"])
    assert not into_foreign_models(found["customers/uses_user.py"])
    assert into_foreign_models(found["customers/uses_models_module.py"])
    assert into_foreign_models(found["customers/uses_outcome.py"])
    assert against_the_direction(found["customers/lazy.py"])
    assert against_the_direction(found["retention/uses_incidents.py"])
    assert against_the_direction(found["ccplatform/uses_demo.py"])
