"""Real-browser fixtures: Playwright for Python driving Debian's chromium (the test
command installs it with apt when missing; Playwright's own browser download is not
used). `shot` saves a full-page screenshot to var/screenshots/console/<lang>/<name>.png
(docs/console.md), at desktop width and, with `phone=True`, at 375 px."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots" / "console"
CHROMIUM = os.environ.get("KODEORD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: `make test` installs Debian's package as root")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def shot(page: object, name: str, lang: str, phone: bool = False) -> Path:
    folder = SHOTS / lang
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{'-phone' if phone else ''}.png"
    if phone:
        page.set_viewport_size({"width": 375, "height": 740})  # type: ignore[attr-defined]
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    if phone:
        page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]
    return path
