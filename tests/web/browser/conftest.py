"""Headless Chromium through Playwright: the system's /usr/bin/chromium when installed (CI
installs Debian's), else Playwright's own browser. Screenshots go to $BOTKIT_SCREENSHOTS, by
default build/screenshots."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
EXECUTABLE = str(CHROMIUM) if CHROMIUM.exists() else None  # else Playwright's own
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("BOTKIT_SCREENSHOTS") or ROOT / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=EXECUTABLE, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1000, "height": 800})
            yield await context.new_page()
        finally:
            await browser.close()
