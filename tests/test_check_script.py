"""scripts/check.py, the one script behind `make test`: what it tells about the PostgreSQL leg."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check.py"


def load_check_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kodeord_check_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, ["NOT run", "KODEORD_TEST_POSTGRES_URL=postgresql://", "make test"]),
        ({"KODEORD_TEST_POSTGRES_URL": ""}, ["NOT run", "make test"]),
        ({"KODEORD_TEST_POSTGRES_URL": "postgresql://u:secret@db/t"}, ["PostgreSQL leg: run ("]),
    ],
)
def test_the_postgresql_leg_note(env: dict[str, str], says: list[str]) -> None:
    note = load_check_script().postgres_leg_note(env)
    assert all(part in note for part in says), note
    assert "secret" not in note
