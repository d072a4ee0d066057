"""Every check Kodeord has, in one place: ruff, mypy, the import contracts, then pytest.

Developers run it through `make test`; `.ci/run` runs `make test` and nothing else.
Exits non-zero when any step fails. System packages that the interoperability tests
need (Kannel, chromium) are installed first when we are root and they are missing. The import
contracts (`lint-imports`, configured in pyproject.toml) say which package may import
which. The last lines say whether the PostgreSQL leg ran (tests/conftest.py leaves it
out unless KODEORD_TEST_POSTGRES_URL is set) and how to switch it on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_ENV = "KODEORD_TEST_POSTGRES_URL"  # read by tests/conftest.py


def run(step: str, *argv: str) -> int:
    print(f"==> {step}: {' '.join(argv)}", flush=True)
    return subprocess.call(list(argv), cwd=ROOT)


# program the tests need -> the Debian package that has it: Kannel for the interop tests,
# chromium for the console's browser tests (Playwright drives it; it downloads nothing)
SYSTEM_PACKAGES = {"bearerbox": "kannel", "chromium": "chromium"}


def ensure_system_packages() -> None:
    """Install the Debian packages the tests use, when we can (root with apt-get)."""
    missing = [pkg for program, pkg in SYSTEM_PACKAGES.items() if not shutil.which(program)]
    if not missing or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.call(["apt-get", "update", "-qq"], env=env)
    subprocess.call(["apt-get", "install", "-y", "-qq", *missing], env=env)


def postgres_leg_note(env: Mapping[str, str]) -> str:
    """Whether the suite ran against PostgreSQL too, and how to make it do so."""
    if env.get(POSTGRES_ENV):
        return f"PostgreSQL leg: run ({POSTGRES_ENV} is set)"
    return (
        f"PostgreSQL leg: NOT run ({POSTGRES_ENV} is not set); to run it too:\n"
        f"  {POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/test make test"
    )


def main() -> int:
    ensure_system_packages()
    failed = []
    code = [d for d in ("src", "tests", "bench", "scripts") if (ROOT / d).is_dir()]
    if run("ruff format", str(BIN / "ruff"), "format", "--check", *code):
        failed.append("ruff format")
    if run("ruff lint", str(BIN / "ruff"), "check", *code):
        failed.append("ruff lint")
    if run("mypy", str(BIN / "mypy")):
        failed.append("mypy")
    if run("import contracts", str(BIN / "lint-imports"), "--no-logo"):
        failed.append("import contracts")
    pytest_args = sys.argv[1:] or ["-q"]
    if run("pytest", str(BIN / "python"), "-m", "pytest", *pytest_args):
        failed.append("pytest")
    print(postgres_leg_note(os.environ), flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
