"""The import contracts (pyproject.toml, `lint-imports` in `make test`) catch a forbidden import.

Each case copies the package into a temporary directory, adds one import that breaks one
contract, and runs `lint-imports` with the project's configuration against the copy: it
must fail, name the contract and show the import. That the real tree keeps every
contract is checked by scripts/check.py itself (the `import contracts` step), so it is
not repeated here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kodeord

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(kodeord.__file__).resolve().parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract_names() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


def copy_of_the_project(where: Path) -> Path:
    shutil.copytree(
        PACKAGE, where / "src" / "kodeord", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where / "src" / "kodeord"


def lint_imports(project: Path, contract: str) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the copy: PYTHONPATH puts it before the installed package."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "COLUMNS": "250"}
    command = [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


# (module of the copy, what is added to it, the contract it breaks, what the report shows)
CASES = [
    (
        "domain/__init__.py",
        "import kodeord.adapters.db",
        "domain-pure",
        "kodeord.domain -> kodeord.adapters.db",
    ),
    ("domain/__init__.py", "import sqlalchemy", "domain-pure", "kodeord.domain -> sqlalchemy"),
    ("domain/__init__.py", "import asyncio", "domain-pure", "kodeord.domain -> asyncio"),
    ("smpp/__init__.py", "import socket", "smpp-independent", "kodeord.smpp -> socket"),
    (
        "smpp/__init__.py",
        "import kodeord.domain",
        "smpp-independent",
        "kodeord.smpp -> kodeord.domain",
    ),
    ("app/jobs.py", "import kodeord.web", "app-on-ports", "kodeord.app.jobs -> kodeord.web"),
    ("app/jobs.py", "import sqlalchemy", "app-no-io-libraries", "kodeord.app.jobs -> sqlalchemy"),
    ("app/jobs.py", "import httpx", "app-no-io-libraries", "kodeord.app.jobs -> httpx"),
    (
        "adapters/__init__.py",
        "import kodeord.web",
        "adapters-not-web",
        "kodeord.adapters -> kodeord.web",
    ),
    (
        "app/accounts/__init__.py",
        "import kodeord.app.mo",
        "app-layers",
        "kodeord.app.accounts -> kodeord.app.mo",
    ),
    (
        "app/jobs.py",
        "import kodeord.app.accounts",
        "app-layers",
        "kodeord.app.jobs -> kodeord.app.accounts",
    ),
    # exhaustive: a new package under kodeord.app must be given a layer
    ("app/billing/__init__.py", '"""Billing."""', "app-layers", "kodeord.app.billing"),
]


@pytest.mark.parametrize(("module", "added", "contract", "shown"), CASES)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, added: str, contract: str, shown: str
) -> None:
    package = copy_of_the_project(tmp_path)
    target = package / module
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.read_text() if target.exists() else ""
    target.write_text(f"{before}\n{added}  # added by the test\n")

    result = lint_imports(tmp_path, contract)

    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert f"{contract_names()[contract]} BROKEN" in report, report
    assert shown in report, report
