"Real-browser tests of the app (`voila nbs/13a_app.ipynb`, as the README runs it), driven with Playwright + Debian Chromium."
import re
import pytest
from conftest import need_chromium

pytestmark = pytest.mark.browser
pytest.importorskip("voila", reason="voila not installed (pip install voila)")
sync_api = need_chromium()
from voila_app import CLIPPED, open_app, serve_voila

UPDATE_TIMEOUT = 60_000  # ms for one retrain + redraw to reach the page (generous: the machine may be busy)
PLAY_TIMEOUT = 120_000   # ms for play to get through a few dozen frames

@pytest.fixture(scope="module")
def page(tmp_path_factory):
    "One Voila server and one browser page for the whole module."
    with serve_voila(tmp_path_factory.mktemp("voila") / "voila.log") as url, sync_api.sync_playwright() as pw:
        with open_app(pw, url) as pg:
            pg.evaluate("""() => { window.__epoch = () => Number(/epoch (\\d+)/.exec(document.querySelector('.bp-epoch').innerText)[1]);
                window.__epochChanged = performance.now();   // when the epoch counter last changed
                new MutationObserver(() => window.__epochChanged = performance.now())
                    .observe(document.querySelector('.bp-epoch'), {subtree: true, childList: true, characterData: true}); }""")
            yield pg

@pytest.fixture(scope="module")
def shots(tmp_path_factory): return tmp_path_factory.mktemp("screenshots")

def state(page):
    "The plot image's `src`, the status text and the epoch counter's text."
    return page.evaluate("""() => [document.querySelector('img.bp-plot').src, document.querySelector('.bp-status').innerText,
                                   document.querySelector('.bp-epoch').innerText]""")

def epoch(page): return int(re.search(r"epoch (\d+)", state(page)[2])[1])

def wait_changed(page, before, status_contains=""):
    "Wait until the image differs from `before`'s and the status differs and contains `status_contains`; return the new state."
    page.wait_for_function("([src, status, want]) => document.querySelector('img.bp-plot').src !== src &&"
                           " document.querySelector('.bp-status').innerText !== status &&"
                           " document.querySelector('.bp-status').innerText.includes(want)",
                           arg=[before[0], before[1], status_contains], timeout=UPDATE_TIMEOUT)
    return state(page)

def type_readout(page, name, text):
    "Type `text` into the slider readout of control `name` (what a user does to jump to a value)."
    page.locator(f".bp-{name} .widget-readout").click()
    page.keyboard.press("Control+A"); page.keyboard.type(text); page.keyboard.press("Enter")

def test_first_plot(page, shots):
    src, status, counter = state(page)
    page.screenshot(path=str(shots / "0_initial.png"), full_page=True)
    assert src.startswith("blob:")
    assert re.search(r"lr 0\.501 · tanh · epoch 60/60 · train loss \d\.\d{4}", status), status
    assert counter.strip() == "epoch 60 / 60"

def test_play_pause_reset_and_restart(page, shots):
    before = state(page)
    type_readout(page, "epochs", "500")                        # a long run: 50 frames of 10 epochs
    before = wait_changed(page, before, "epoch 500/500")
    play = page.locator(".bp-play button").first
    play.dispatch_event("click")
    page.wait_for_function("() => window.__epoch() >= 30 && window.__epoch() < 500", timeout=PLAY_TIMEOUT)
    playing = state(page)
    assert playing[0] != before[0] and "· tanh ·" in playing[1]  # play restarted at epoch 0 and redraws
    page.locator(".bp-activation select").select_option("relu")  # a change while playing starts over from the seed...
    page.wait_for_function("() => document.querySelector('.bp-status').innerText.includes('· relu ·')", timeout=UPDATE_TIMEOUT)
    restarted = epoch(page)
    assert restarted < 30 + 20                                   # (at most two frames went by since the change)
    page.wait_for_function(f"() => window.__epoch() > {restarted}", timeout=PLAY_TIMEOUT)  # ...and keeps playing
    play.dispatch_event("click")                                 # pause
    page.wait_for_function("() => performance.now() - window.__epochChanged > 1500", timeout=PLAY_TIMEOUT)
    paused = state(page)
    assert 0 < epoch(page) < 500 and "· relu ·" in paused[1]
    page.screenshot(path=str(shots / "1_paused.png"), full_page=True)
    page.wait_for_function("() => performance.now() - window.__epochChanged > 1500", timeout=PLAY_TIMEOUT)
    assert state(page) == paused                                 # nothing moves while paused
    page.locator(".bp-reset").click()
    after = wait_changed(page, paused, "press ▶")
    assert after[2].strip() == "epoch 0 / 500"
    page.locator(".bp-activation select").select_option("tanh")  # back to the defaults for the next tests
    after = wait_changed(page, after, "· tanh ·")
    type_readout(page, "epochs", "60")
    wait_changed(page, after, "epoch 60/60")

# per control: a user action that changes it from the default, and one that changes it back
def select(name, value): return lambda p: p.locator(f".bp-{name} select").select_option(label=value)
def key(name, k): return lambda p: p.locator(f".bp-{name} .noUi-handle").press(k)
def seed(text): return lambda p: (p.locator(".bp-seed input").fill(text), p.locator(".bp-seed input").press("Enter"))
ACTIONS = {"dataset": (select("dataset", "circles"), select("dataset", "moons")),
           "noise": (key("noise", "ArrowRight"), key("noise", "ArrowLeft")),
           "layers": (key("layers", "ArrowRight"), key("layers", "ArrowLeft")),
           "units": (key("units", "ArrowRight"), key("units", "ArrowLeft")),
           "activation": (select("activation", "sigmoid"), select("activation", "tanh")),
           "lr": (key("lr", "ArrowLeft"), key("lr", "ArrowRight")),
           "batch_size": (select("batch-size", "16"), select("batch-size", "32")),
           "epochs": (key("epochs", "ArrowRight"), key("epochs", "ArrowLeft")),
           "seed": (seed("3"), seed("0")),
           "optimizer": (select("optimizer", "momentum (0.9)"), select("optimizer", "SGD")),
           "l2": (key("l2", "ArrowRight"), key("l2", "ArrowLeft"))}

def test_every_control_retrains(page, shots):
    first = state(page)
    for name, (change, _) in ACTIONS.items():
        before = state(page)
        change(page)
        wait_changed(page, before)
    page.screenshot(path=str(shots / "2_every_control.png"), full_page=True)
    assert "· sigmoid ·" in state(page)[1] and "epoch 70/70" in state(page)[1]
    for name, (_, undo) in reversed(ACTIONS.items()):  # and back: the first picture again
        before = state(page)
        undo(page)
        wait_changed(page, before)
    assert state(page)[1:] == first[1:]

def test_max_lr_diverges(page, shots):
    before = state(page)
    type_readout(page, "lr", "10")
    after = wait_changed(page, before, "lr 10 ·")
    page.screenshot(path=str(shots / "3_diverged.png"), full_page=True)
    assert re.search(r"diverged at epoch \d+ — lower the learning rate|ended worse than it started", after[1]), after[1]

BOXES = """() => Array.from(document.querySelectorAll(`.bp-playground .widget-dropdown, .bp-playground .widget-slider,
    .bp-playground .widget-text, .bp-play, .bp-reset, .bp-epoch, .bp-plot, .bp-status`))
    .map(e => { const r = e.getBoundingClientRect(); return [e.className.match(/bp-[\\w-]+/)[0], r.x, r.y, r.width, r.height]; })"""

@pytest.mark.parametrize("width", [1024, 1366])
def test_layout_never_moves(page, shots, width):
    page.set_viewport_size({"width": width, "height": 900})
    type_readout(page, "lr", "0.501")                                 # a short status...
    page.wait_for_function("() => document.querySelector('.bp-status').innerText.startsWith('lr 0.501 ·')",
                           timeout=UPDATE_TIMEOUT)
    short = page.evaluate(BOXES)
    assert len(short) == 11 + 5
    before = state(page)
    page.locator(".bp-activation select").select_option("relu")
    before = wait_changed(page, before, "· relu ·")
    type_readout(page, "lr", "10")                                    # ...and a long one, with the hint
    long = wait_changed(page, before, "lower the learning rate")
    page.screenshot(path=str(shots / f"4_layout_{width}.png"), full_page=True)
    assert len(long[1]) > 120, long[1]
    assert page.evaluate(BOXES) == short                              # every box where it was, same size
    assert page.evaluate(CLIPPED) == []                               # no control's content cut off
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # nothing off-screen
    plot = next(b for b in short if b[0] == "bp-plot")
    assert plot[1] + plot[3] <= width
    page.locator(".bp-activation select").select_option("tanh")      # back to the default
    wait_changed(page, long, "· tanh ·")
