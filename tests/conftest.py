"Shared test helpers: the Debian Chromium (skip cleanly without it), one headless browser per test module."
import os, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # voila_app (servers, Chromium flags) is shared with benchmarks/
from voila_app import CHROMIUM, CHROMIUM_ARGS


def need_chromium():
    "Skip unless Playwright and the Debian Chromium are installed; return Playwright's sync API."
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian Chromium not found at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
    return sync_api


@pytest.fixture(scope="module")
def chromium():
    "One headless Chromium for the whole test module."
    sync_api = need_chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try: yield browser
        finally: browser.close()
