"""Per-interaction latency of the playground: a learning-rate slider move -> retrain + redraw.

Run from the repository root, one benchmark at a time on this shared machine:
    flock /tmp/bench.lock python benchmarks/bench_playground.py [--moves 12] [--no-browser]

In-process: set `pg.lr.value` (what the slider does) and time until `pg.plot.value` holds the new PNG,
with the share spent in training and in redrawing, and a naive redraw (new figure + 120x120 `contourf`
per update) for comparison. Browser: serve the notebook with Voila, press an arrow key on the slider
handle in headless Chromium and time from the key press to the plot image's `src` changing.
"""
import argparse, statistics, sys, tempfile, time, io
from pathlib import Path
import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from backprop_nb.playground import GRID, MARGIN, playground
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

# the plot changed since `n` changes and the summary shows the value the slider's readout shows: nothing in flight
SETTLED = """n => window.__changes.length > n && document.querySelector('.bp-status').innerText
    .startsWith('lr ' + document.querySelector('.bp-lr .widget-readout').innerText.trim() + ' ')"""

def in_browser(moves):
    from playwright.sync_api import sync_playwright
    from voila_app import open_app, serve_voila
    with tempfile.TemporaryDirectory() as tmp, serve_voila(Path(tmp) / "voila.log") as url, sync_playwright() as pw:
        with open_app(pw, url) as page:
            page.evaluate("""() => { window.__changes = [];
                new MutationObserver(() => window.__changes.push(performance.now()))
                    .observe(document.querySelector('img.bp-plot'), {attributes: true, attributeFilter: ['src']}); }""")
            handle, out = page.locator(".bp-lr .noUi-handle"), []
            handle.focus()
            for i in range(moves + 2):  # the first 2 moves are warm-ups (and snap the start value to the slider's grid)
                n, t0 = page.evaluate("[window.__changes.length, performance.now()]")
                handle.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
                page.wait_for_function(SETTLED, arg=n, timeout=60_000)
                if i >= 2: out.append(page.evaluate("window.__changes[window.__changes.length - 1]") - t0)
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "bench_playground.png"))
    return {"key press -> plot src changed": out}

COLUMNS = ("where", "per slider move", "median ms", "min ms", "max ms", "n", "median / 250 ms")
WIDTHS = (10, 36, 9, 7, 7, 3, 15)

def line(cells): return "| " + " | ".join(f"{c:>{w}}" if i > 1 else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, WIDTHS))) + " |"

def row(where, what, ms):
    med = statistics.median(ms)
    return line((where, what, f"{med:.1f}", f"{min(ms):.1f}", f"{max(ms):.1f}", len(ms), f"{med / BUDGET_MS:.2f}"))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=12, help="slider moves to time (>= 10)")
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
    if not args.no_browser:
        for what, ms in in_browser(args.moves).items(): print(row("browser", what, ms))

if __name__ == "__main__":
    main()
