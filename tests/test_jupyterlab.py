"The README's run command, `jupyter lab nbs/`, serves the notebooks: a smoke test over HTTP on 127.0.0.1 (no browser)."
import json, os, sys, urllib.request
import pytest

pytest.importorskip("jupyterlab", reason="jupyterlab not installed (pip install -e '.[dev]')")
from voila_app import serve

def get(url):
    with urllib.request.urlopen(url, timeout=10) as r: return r.status, r.read()

def test_jupyter_lab_serves_the_notebooks(tmp_path):
    command = lambda port: [sys.executable, "-m", "jupyterlab", "nbs/", "--no-browser", f"--port={port}",
                            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
                            "--ServerApp.password="] + (["--allow-root"] if os.geteuid() == 0 else [])  # root must opt in
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    with serve(command, tmp_path / "lab.log", "api/status", env) as url:
        status, page = get(url + "lab")
        assert status == 200 and b"JupyterLab" in page
        names = {item["name"] for item in json.loads(get(url + "api/contents/")[1])["content"]}
        assert {"index.ipynb", "02_activations.ipynb", "13_playground.ipynb"} <= names, names
