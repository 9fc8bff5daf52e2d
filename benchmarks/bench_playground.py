"""The playground app's speed: first plot, a learning-rate slider move (retrain + redraw), frames per second of play.

Run from the repository root, one benchmark at a time on this shared machine:
    flock /tmp/bench.lock python benchmarks/bench_playground.py [--moves 12] [--loads 3] [--no-browser]

In-process: set `pg.lr.value` (what the slider does) and time until `pg.plot.value` holds the new PNG,
with the share spent in training and in redrawing, and a naive redraw (new figure + 120x120 `contourf`
per update) for comparison; play: tick `pg.play.value` through the default run frame by frame (what the
browser's play button does) and count frames per second. Browser: serve the app (`nbs/13a_app.ipynb`)
with Voila, as the README does; time `--loads` fresh page loads (each starts its own kernel) from the
request to the first plot; press an arrow key on the slider handle in headless Chromium and time from
the key press to the plot image's `src` changing; press play and count new pictures per second.
"""
import argparse, statistics, sys, tempfile, time, io
from pathlib import Path
import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from backprop_nb.playground import FRAME_MS, GRID, MARGIN, playground
from backprop_nb.plots import boundary_grid

BUDGET_MS = 250
LRS = (10 ** -0.4, 10 ** -0.3)  # one keyboard step apart on the slider, as in the browser; alternate: every move is a change

def timed(fn, log):
    "Wrap `fn` so each call's duration (ms) is appended to `log`."
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter(); out = fn(*args, **kwargs)
        log.append((time.perf_counter() - t0) * 1e3)
        return out
    return wrapper

def naive_redraw(pg, n=120):
    "The baseline: a new figure and a `contourf` of the class probabilities per update, saved to PNG."
    from matplotlib.figure import Figure
    t, h = pg.task, pg.history
    fig = Figure(figsize=(8.4, 3.5), dpi=90)
    ax_b, ax_l = fig.subplots(1, 2)
    xx, yy, P = boundary_grid(pg.model, t["X"], n=n, margin=MARGIN)
    ax_b.contourf(xx, yy, P.argmax(-1) + P.max(-1), levels=20, cmap="RdBu")
    ax_b.scatter(t["X"][:, 0], t["X"][:, 1], c=t["y"], edgecolors="k")
    ax_l.semilogy(h.train_loss); ax_l.semilogy(h.val_loss)
    fig.tight_layout()
    buf = io.BytesIO(); fig.savefig(buf, format="png")
    return buf.getvalue()

def in_process(moves):
    pg = playground()
    logs = {"retrain + redraw (set .value)": [], "  training (fit)": [], "  redraw (grid + render + PNG)": []}
    pg.train = timed(pg.train, logs["  training (fit)"])
    pg.redraw = timed(pg.redraw, logs["  redraw (grid + render + PNG)"])
    for k in logs: logs[k].clear()
    for i in range(moves + 2):
        before = pg.plot.value
        t0 = time.perf_counter(); pg.lr.value = LRS[i % 2]
        assert pg.plot.value != before
        if i >= 2: logs["retrain + redraw (set .value)"].append((time.perf_counter() - t0) * 1e3)  # 2 warm-ups
    for k in ("  training (fit)", "  redraw (grid + render + PNG)"): del logs[k][:2]
    naive = []
    for _ in range(moves): timed(naive_redraw, naive)(pg)
    logs["naive redraw (new figure + contourf)"] = naive
    return logs

def play_in_process(runs=5):
    "Frames per second of play for the default net: tick the play counter through one whole run, `runs` times."
    pg, fps = playground(), []
    for _ in range(runs):
        pg.reset()
        frames = range(pg.play.step, pg.epochs.value + 1, pg.play.step)
        t0 = time.perf_counter()
        for epoch in frames: pg.play.value = epoch
        fps.append(len(frames) / (time.perf_counter() - t0))
    return fps

def first_plot(url, loads, settle=0):
    "Seconds from requesting the app to its first plot, over `loads` fresh pages (each with a new kernel), `settle` s apart."
    from playwright.sync_api import sync_playwright
    from voila_app import CHROMIUM, CHROMIUM_ARGS, PLOT_READY, RENDER_TIMEOUT, local_only
    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _ in range(loads):
            time.sleep(settle)  # a server at rest: its pool has executed the app in a new kernel again
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.route("**/*", local_only)
            t0 = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=RENDER_TIMEOUT)
            page.wait_for_function(PLOT_READY, timeout=RENDER_TIMEOUT, polling=10)
            out.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    return out

COUNT_PICTURES = """() => { window.__changes = [];
    new MutationObserver(() => window.__changes.push(performance.now()))
        .observe(document.querySelector('img.bp-plot'), {attributes: true, attributeFilter: ['src']}); }"""

def play_in_browser(page, runs=3):
    "Frames per second of play for the default net in the page: new pictures per second over one whole run, `runs` times."
    fps, play = [], page.locator(".bp-play button").first
    for _ in range(runs):
        page.evaluate("window.__changes = []")
        play.dispatch_event("click")   # from the end of a run, play starts over at epoch 0
        page.wait_for_function("() => document.querySelector('.bp-epoch').innerText.trim() === 'epoch 60 / 60'"
                               " && window.__changes.length > 5"   # the run is over and play has paused itself:
                               " && document.querySelector('.bp-play button i').classList.contains('fa-play')",
                               timeout=120_000, polling=50)
        t = page.evaluate("window.__changes")
        fps.append((len(t) - 1) / (t[-1] - t[0]) * 1e3)
    return fps

# the plot changed since `n` changes and the summary shows the value the slider's readout shows: nothing in flight
SETTLED = """n => window.__changes.length > n && document.querySelector('.bp-status').innerText
    .startsWith('lr ' + document.querySelector('.bp-lr .widget-readout').innerText.trim() + ' ')"""

def in_browser(moves, loads):
    from playwright.sync_api import sync_playwright
    from voila_app import open_app, serve_voila
    with tempfile.TemporaryDirectory() as tmp:
        with serve_voila(Path(tmp) / "cold.log", preheat=False) as url: cold = first_plot(url, loads)
        with serve_voila(Path(tmp) / "warm.log") as url: warm = first_plot(url, loads, settle=15)
    with tempfile.TemporaryDirectory() as tmp, serve_voila(Path(tmp) / "voila.log") as url:
        with sync_playwright() as pw, open_app(pw, url) as page:
            page.evaluate(COUNT_PICTURES)
            fps = play_in_browser(page)
            page.evaluate("window.__changes = []")
            handle, out = page.locator(".bp-lr .noUi-handle"), []
            handle.focus()
            for i in range(moves + 2):  # the first 2 moves are warm-ups (and snap the start value to the slider's grid)
                n, t0 = page.evaluate("[window.__changes.length, performance.now()]")
                handle.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
                page.wait_for_function(SETTLED, arg=n, timeout=60_000)
                if i >= 2: out.append(page.evaluate("window.__changes[window.__changes.length - 1]") - t0)
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "bench_playground.png"))
    return {"key press -> plot src changed": out}, {"cold (plain `voila`)": cold, "preheated (README command)": warm}, fps

COLUMNS = ("where", "per slider move", "median ms", "min ms", "max ms", "n", "median / 250 ms")
WIDTHS = (10, 36, 9, 7, 7, 3, 15)

def line(cells): return "| " + " | ".join(f"{c:>{w}}" if i > 1 else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, WIDTHS))) + " |"

def row(where, what, ms):
    med = statistics.median(ms)
    return line((where, what, f"{med:.1f}", f"{min(ms):.1f}", f"{max(ms):.1f}", len(ms), f"{med / BUDGET_MS:.2f}"))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=12, help="slider moves to time (>= 10)")
    ap.add_argument("--loads", type=int, default=3, help="fresh page loads to time to the first plot")
    ap.add_argument("--no-browser", action="store_true", help="skip the Voila + Chromium measurement")
    args = ap.parse_args()
    print("BLAS:", ", ".join(f"{i['internal_api']} {i.get('architecture', '?')} ({i['num_threads']} threads)"
                             for i in threadpool_info() if i["user_api"] == "blas"))
    print(f"defaults: {dict((k, c.value) for k, c in playground().controls.items())}, GRID={GRID}\n")
    print(line(COLUMNS)); print("|" + "|".join("-" * (w + 2) for w in WIDTHS) + "|")
    logs = in_process(args.moves)
    for what, ms in logs.items(): print(row("in-process", what, ms))
    ours, naive = logs["  redraw (grid + render + PNG)"], logs["naive redraw (new figure + contourf)"]
    print(f"\nredraw speed-up over the naive redraw: {statistics.median(naive) / statistics.median(ours):.1f}x")
    fps = {"in-process": play_in_process()}
    if not args.no_browser:
        latency, loads, fps["browser"] = in_browser(args.moves, args.loads)
        for what, ms in latency.items(): print(row("browser", what, ms))
    print(f"\nplay, default net ({playground().play.step} epochs per frame, one frame per {FRAME_MS} ms at most: 10 frames/s max in the browser):")
    print("| where      | median frames/s | min  | max  | n | goal |")
    print("|------------|-----------------|------|------|---|------|")
    for where, f in fps.items():
        print(f"| {where:<10} | {statistics.median(f):>15.1f} | {min(f):>4.1f} | {max(f):>4.1f} | {len(f)} | >= {10 if where == 'in-process' else 5} |")
    if not args.no_browser:
        print("\nfirst plot in the browser, s (nbs/13a_app.ipynb, each load a fresh page and kernel); goal <= 3 s:")
        print("| server                     | median |  loads |")
        print("|----------------------------|--------|--------|")
        for what, t in loads.items(): print(f"| {what:<26} | {statistics.median(t):>6.2f} | {', '.join(f'{x:.2f}' for x in t)} |")

if __name__ == "__main__":
    main()
