"The README's run command, `jupyter lab nbs/`: it serves the notebooks, and in a real browser the playground notebook runs and its widget works."
import json, os, sys, urllib.request
import pytest
from conftest import need_chromium

pytest.importorskip("jupyterlab", reason="jupyterlab not installed (pip install -e '.[dev]')")
from voila_app import CLIPPED, ROOT, local_only, serve

RUN_TIMEOUT = 240_000    # ms for JupyterLab to start a kernel and run every cell of the playground notebook
UPDATE_TIMEOUT = 60_000  # ms for one retrain + redraw

# a test must never write into nbs/ (JupyterLab autosaves every 2 minutes and keeps checkpoints beside a notebook) nor ask about news
SETTINGS = {"@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}

def get(url):
    with urllib.request.urlopen(url, timeout=10) as r: return r.status, r.read()

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "One JupyterLab server on nbs/ (the README's command) for the module, with its own config and runtime folders."
    tmp = tmp_path_factory.mktemp("lab")
    for plugin, settings in SETTINGS.items():
        (tmp / "settings" / plugin).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "settings" / plugin).write_text(json.dumps(settings))
    command = lambda port: [sys.executable, "-m", "jupyterlab", "nbs/", "--no-browser", f"--port={port}",
                            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
                            "--ServerApp.password=", f"--LabApp.user_settings_dir={tmp / 'settings'}",
                            f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
                            f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_CONFIG_DIR=str(tmp / "config"),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    with serve(command, tmp / "lab.log", "api/status", env) as url: yield url

def test_jupyter_lab_serves_the_notebooks(lab):
    status, page = get(lab + "lab")
    assert status == 200 and b"JupyterLab" in page
    names = {item["name"] for item in json.loads(get(lab + "api/contents/")[1])["content"]}
    assert {"index.ipynb", "02_activations.ipynb", "13_playground.ipynb", "13a_app.ipynb"} <= names, names

@pytest.mark.browser
def test_playground_notebook_runs_in_jupyterlab(lab, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.route("**/*", local_only)
    page.goto(lab + "lab/tree/13_playground.ipynb", wait_until="domcontentloaded", timeout=RUN_TIMEOUT)
    saved = page.locator("img[alt='a saved picture of the widget']")
    saved.first.wait_for(timeout=RUN_TIMEOUT)                   # before running: the saved picture...
    assert "run the cells" in page.locator(".jp-OutputArea-output", has=saved).first.text_content()  # ...and how to run it
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=RUN_TIMEOUT)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function("() => { const i = document.querySelector('img.bp-plot'); return i && i.src.startsWith('blob:') && i.naturalWidth > 0; }",
                           timeout=RUN_TIMEOUT)
    page.locator(".bp-playground").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "lab_playground.png"))
    text = page.locator(".jp-Notebook").inner_text()
    assert "Loading widget" not in text and "Error displaying widget" not in text
    assert page.evaluate(CLIPPED) == []
    before = page.evaluate("() => [document.querySelector('img.bp-plot').src, document.querySelector('.bp-status').innerText]")
    page.locator(".bp-lr .noUi-handle").press("ArrowLeft")       # the lr slider, one step left
    page.wait_for_function("([src, status]) => document.querySelector('img.bp-plot').src !== src &&"
                           " document.querySelector('.bp-status').innerText !== status &&"
                           " document.querySelector('.bp-status').innerText.startsWith('lr 0.251 ·')",
                           arg=before, timeout=UPDATE_TIMEOUT)
    page.close()
