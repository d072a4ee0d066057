"""Every check Kodeord has, in one place: ruff, mypy, then the pytest suite.

Developers run it through `make test`; `.ci/run` runs `make test` and nothing else.
Exits non-zero when any step fails. System packages that the interoperability tests
need (Kannel) are installed first when we are root and they are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(step: str, *argv: str) -> int:
    print(f"==> {step}: {' '.join(argv)}", flush=True)
    return subprocess.call(list(argv), cwd=ROOT)


def ensure_system_packages() -> None:
    """Install Debian packages used by interop tests, when we can (root with apt-get)."""
    if shutil.which("bearerbox") or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.call(["apt-get", "update", "-qq"], env=env)
    subprocess.call(["apt-get", "install", "-y", "-qq", "kannel"], env=env)


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
    pytest_args = sys.argv[1:] or ["-q"]
    if run("pytest", str(BIN / "python"), "-m", "pytest", *pytest_args):
        failed.append("pytest")
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
