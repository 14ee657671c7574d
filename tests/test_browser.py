"""The web app in a real browser: a live `streamlit run` server and headless Chromium.

Uses Debian's /usr/bin/chromium through Playwright (``make test`` installs it;
``playwright install`` is never run). Without chromium the test is skipped
on a developer machine and fails under CI, where the setup must provide it.
The screenshot lands in test-artifacts/browser/ (git-ignored) for a human
to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_S = 90.0
PLAN_WAIT_MS = 120_000

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200 and response.read().strip() == b"ok")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture
def server() -> Iterator[str]:
    """A Streamlit server for the app on a free port; its log goes to test-artifacts."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing under CI: `make test` installs it (make browser)")
        pytest.skip(f"{CHROMIUM} is not installed; run `make browser` (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = ARTIFACTS / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
                "--server.address", "127.0.0.1",
                "--server.port", str(port),
                "--server.headless", "true",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            health = f"http://127.0.0.1:{port}/_stcore/health"
            deadline = time.monotonic() + SERVER_START_S
            while not _healthy(health):
                if process.poll() is not None:
                    pytest.fail(f"streamlit exited with {process.returncode}:\n"
                                + log_path.read_text(errors="replace"))
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not answer {health} within {SERVER_START_S:g} s:\n"
                                + log_path.read_text(errors="replace"))
                time.sleep(0.25)
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def test_the_sample_plan_renders_in_chromium(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    shot = ARTIFACTS / "plan.png"
    shot.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(server)
            page.get_by_role("button", name="Run the plan").click(timeout=PLAN_WAIT_MS)

            expect(page.get_by_role("heading", name="Orders (")).to_be_visible(
                timeout=PLAN_WAIT_MS)
            metrics = page.locator('[data-testid="stMetric"]')
            expect(metrics.filter(has_text="Expected GMV")).to_contain_text("¥")
            # Altair renders into an SVG inside each Vega-Lite chart; bars are SVG paths.
            charts = page.locator('[data-testid="stVegaLiteChart"]')
            expect(charts).to_have_count(3, timeout=PLAN_WAIT_MS)
            for i in range(3):
                expect(charts.nth(i).locator("svg.marks path").first).to_be_attached()
            # The orders table: Glide data grid with its canvas, showing the orders.
            tables = page.locator('[data-testid="stDataFrame"]')
            orders = tables.filter(has_text="Reasons").first
            expect(orders.locator("canvas").first).to_be_visible()
            expect(page.get_by_text("What stops more spending")).to_be_visible()
            expect(page.locator('[data-testid="stException"]')).to_have_count(0)

            # The page scrolls inside Streamlit's main block, so grow the window to
            # the page's height to get everything into one screenshot.
            height = page.evaluate(
                "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1600, "height": int(height)})
            page.wait_for_load_state("networkidle")
            expect(charts.nth(0).locator("svg.marks")).to_be_visible()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.is_file()
    assert shot.stat().st_size > 100_000  # a full page of tables and charts, not a blank frame


def test_a_dry_run_replan_renders_in_chromium(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    actuals = tmp_path / "actuals_0421.csv"
    actuals.write_text(
        "date,video_id,tool,spend,gmv,plays\n"
        "2027-04-21,v0012,dou_plus,1000,300,50000\n"
        "2027-04-21,v0008,kol_bidding,2000,9000,50000\n",
        encoding="utf-8",
    )
    store = tmp_path / "history.sqlite"
    shot = ARTIFACTS / "replan.png"
    shot.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(server + "replan")
            expect(page.get_by_role("heading", name="Re-plan")).to_be_visible(
                timeout=PLAN_WAIT_MS)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                str(actuals))
            expect(page.get_by_text("2 rows on 2027-04-21")).to_be_visible(timeout=PLAN_WAIT_MS)
            path_box = page.get_by_label("History store (SQLite file or PostgreSQL URL)",
                                         exact=True)
            path_box.fill(str(store))
            path_box.press("Enter")
            expect(page.get_by_text(str(store))).to_be_visible(timeout=PLAN_WAIT_MS)
            page.get_by_role("button", name="Re-plan (dry run)").click(timeout=PLAN_WAIT_MS)

            expect(page.get_by_role("heading", name="Learned ROI")).to_be_visible(
                timeout=PLAN_WAIT_MS)
            metrics = page.locator('[data-testid="stMetric"]')
            expect(metrics.filter(has_text="Added")).to_contain_text("2")
            expect(metrics.filter(has_text="Expected GMV")).to_contain_text("¥")
            expect(page.get_by_text("nothing was recorded")).to_be_visible()
            expect(page.locator('[data-testid="stException"]')).to_have_count(0)
            height = page.evaluate(
                "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1600, "height": int(height)})
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.is_file()
