"Serve the notebooks on 127.0.0.1 (Voila, JupyterLab) and open the playground app in Debian Chromium via Playwright (shared by tests and benchmarks)."
import contextlib, os, socket, subprocess, sys, time, urllib.error, urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "nbs" / "13a_app.ipynb"  # the app alone: what the README serves with Voila
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-extensions", "--disable-sync", "--no-first-run", "--mute-audio"]
SERVER_TIMEOUT = 60      # s for Voila to answer HTTP
RENDER_TIMEOUT = 120_000 # ms for the notebook to execute and the widget to appear (~3 s here, much more under load)
# texts of controls inside `.bp-playground` whose content is cut off (wider than their box)
CLIPPED = """() => Array.from(document.querySelectorAll(`.bp-playground select, .bp-playground button, .bp-playground label,
    .bp-playground .widget-readout, .bp-playground input, .bp-epoch, .bp-playground .widget-label`))
    .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1)
    .map(e => `${e.tagName}.${e.className}: ${e.textContent.trim()} (${e.scrollWidth} > ${e.clientWidth})`)"""
PLOT_READY = "() => { const i = document.querySelector('img.bp-plot'); return i && i.src.startsWith('blob:') && i.naturalWidth > 0; }"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_http(url, proc, timeout):
    "Poll `url` until the server answers, exits, or `timeout` seconds pass."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None: raise RuntimeError(f"the server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2): return
        except urllib.error.HTTPError: return  # any HTTP answer (even 404) means the server is up
        except OSError: time.sleep(0.2)         # polling a port, not waiting for the app
    raise TimeoutError(f"the server did not answer at {url} within {timeout} s")

@contextlib.contextmanager
def serve(command, log_path, probe, env=None):
    "Run `command(port)` (a server) from the repo root on a free 127.0.0.1 port until `probe` answers; yield its URL; always shut it down."
    port = free_port()
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url + probe, proc, SERVER_TIMEOUT)
        yield url
    finally:
        proc.terminate()
        try: proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9); proc.wait(timeout=15)

VOILA_APP = ["--preheat_kernel=True"]  # the README's app command: `voila --preheat_kernel=True nbs/13a_app.ipynb`

def serve_voila(log_path, notebook=NOTEBOOK, preheat=True):
    "Serve `notebook` with Voila as the README does (a kernel executes the app ahead of each page load unless `preheat` is False); yield its URL."
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    command = lambda port: [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
                            "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"] + (VOILA_APP if preheat else [])
    return serve(command, log_path, "voila/static/", env)

def local_only(route):
    "Abort every request that does not go to the local server (Voila asks a CDN for icon stylesheets)."
    if urlparse(route.request.url).hostname == "127.0.0.1": route.continue_()
    else: route.abort()

@contextlib.contextmanager
def open_app(playwright, url, width=1366):
    "Headless Chromium showing the app at `url` in a `width`-pixel window, once the first plot has rendered."
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.route("**/*", local_only)
        page.goto(url, timeout=RENDER_TIMEOUT, wait_until="domcontentloaded")
        page.wait_for_function(PLOT_READY, timeout=RENDER_TIMEOUT)
        yield page
    finally:
        browser.close()
