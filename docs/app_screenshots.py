"""Take the app's screenshots for README.md and docs/app.md at 1280 × 720 (a classroom
projector): the presenter layout during the checkpoint standoff, the same under simulated
deuteranopia, and two runs side by side.

    python docs/app_screenshots.py        # writes docs/img/app_1280x720*.png, app_side_by_side.png

Needs Playwright for Python and the browser tests' Chromium (tests/browser.py: Debian's
chromium-headless-shell, or chromium),
and colorspacious for the simulation (Machado et al. 2009, severity 100).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from colorspacious import cspace_convert
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM  # noqa: E402 - the Chromium the browser tests use

IMG = ROOT / "docs" / "img"
PORT = 8977


def _simulate_deuteranopia(src: Path, out: Path) -> None:
    rgb = np.asarray(Image.open(src).convert("RGB"), dtype=float) / 255.0
    seen = cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": "deuteranomaly", "severity": 100}, "sRGB1")
    Image.fromarray((np.clip(seen, 0, 1) * 255).round().astype(np.uint8)).save(out, optimize=True)


def main() -> int:
    server = subprocess.Popen([sys.executable, "run.py", "viz", "--port", str(PORT)], cwd=ROOT)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", PORT)).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"http://127.0.0.1:{PORT}/")
            page.wait_for_selector(".corridor-side-a .corridor-clock", timeout=60_000)

            def step(times: int = 1) -> None:
                for _ in range(times):
                    before = page.inner_text(".corridor-side-a .corridor-clock")
                    page.click("button.corridor-step")
                    page.wait_for_function("b => document.querySelector('.corridor-side-a .corridor-clock')"
                                           ".innerText !== b", arg=before)

            page.locator(".corridor-speed button", has_text="1 day").click()
            page.wait_for_selector("button.corridor-step:has-text('+24 h')")
            step()
            page.locator(".corridor-speed button", has_text="1 h").click()
            page.wait_for_selector("button.corridor-step:has-text('+1 h')")
            step(3)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(IMG / "app_1280x720.png"))
            _simulate_deuteranopia(IMG / "app_1280x720.png", IMG / "app_1280x720_deuteranopia.png")

            page.click("button.corridor-drawer-toggle")
            page.locator(".corridor-compare input").check(force=True)
            page.wait_for_selector(".corridor-side-b .corridor-clock", timeout=60_000)
            page.click(".corridor-scenario-b .v-select__slot")
            page.locator(".menuable__content__active .v-list-item", has_text="Open road").first.click()
            page.wait_for_function("() => document.querySelector('.corridor-side-b h3').innerText.includes('Open')")
            page.click("button.corridor-drawer-toggle")
            page.locator(".corridor-speed button", has_text="1 day").click()
            page.wait_for_selector("button.corridor-step:has-text('+24 h')")
            page.locator(".corridor-speed button", has_text="1 h").click()
            page.wait_for_selector("button.corridor-step:has-text('+1 h')")
            step(27)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(IMG / "app_side_by_side.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"wrote {IMG}/app_1280x720.png, app_1280x720_deuteranopia.png, app_side_by_side.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
