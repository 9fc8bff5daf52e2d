"Real-browser test: serve the playground notebook with Voila and drive it with Playwright + Debian Chromium."
import os, re
import pytest

pytest.importorskip("voila", reason="voila not installed (pip install voila)")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
from voila_app import CHROMIUM, open_app, serve_voila
if not os.path.exists(CHROMIUM):
    pytest.skip(f"Debian Chromium not found at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)

UPDATE_TIMEOUT = 30_000  # ms for one retrain + redraw to reach the page

@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with serve_voila(tmp_path_factory.mktemp("voila") / "voila.log") as url, sync_api.sync_playwright() as pw:
        with open_app(pw, url) as pg: yield pg

@pytest.fixture(scope="module")
def shots(tmp_path_factory): return tmp_path_factory.mktemp("screenshots")

def state(page):
    "The plot image's `src` and the shown summary text."
    return page.locator("img.bp-plot").get_attribute("src"), page.locator(".bp-status").inner_text()

def wait_changed(page, before, status_contains):
    "Wait until the image `src` differs from `before`'s and the summary contains `status_contains` (the final value)."
    page.wait_for_function("([src, want]) => document.querySelector('img.bp-plot').src !== src &&"
                           " document.querySelector('.bp-status').innerText.includes(want)",
                           arg=[before[0], status_contains], timeout=UPDATE_TIMEOUT)
    return state(page)

def test_initial_render(page, shots):
    src, status = state(page)
    page.screenshot(path=str(shots / "0_initial.png"), full_page=True)
    assert src.startswith("blob:")
    assert re.search(r"lr 0\.501 · tanh · epoch 60/60 · train loss \d\.\d{4}", status), status

def test_lr_slider_keyboard(page, shots):
    before = state(page)
    readout = page.locator(".bp-lr .widget-readout")
    handle = page.locator(".bp-lr .noUi-handle")
    handle.focus()
    for _ in range(3): handle.press("ArrowLeft")  # three quick steps of 0.1 decade: coalesced, wait for the final one
    page.wait_for_function("() => document.querySelector('.bp-lr .widget-readout').innerText.trim() !== '0.501'",
                           timeout=UPDATE_TIMEOUT)
    lr = float(readout.inner_text())
    assert 0.2 < lr < 0.3                          # 10**(-0.3 - 0.3)
    after = wait_changed(page, before, f"lr {lr:.3g} ·")
    page.screenshot(path=str(shots / "1_lr_left.png"), full_page=True)
    assert after[1] != before[1]

def test_max_lr_via_readout_diverges(page, shots):
    before = state(page)
    page.locator(".bp-lr .widget-readout").click()
    page.keyboard.press("Control+A"); page.keyboard.type("10"); page.keyboard.press("Enter")
    after = wait_changed(page, before, "lr 10 ·")
    page.screenshot(path=str(shots / "2_diverged.png"), full_page=True)
    assert "diverged at epoch" in after[1] and "lower the learning rate" in after[1]

def test_activation_dropdown(page, shots):
    before = state(page)
    page.locator(".bp-activation select").select_option("relu")
    after = wait_changed(page, before, "· relu ·")
    page.screenshot(path=str(shots / "3_relu.png"), full_page=True)
    assert re.search(r"train loss \d\.\d{4}", after[1]) and after[1] != before[1]
