#!/usr/bin/env python
"""Drop live-widget views from saved notebook outputs, keeping their static picture.

    python tools/strip_widget_views.py nbs/13_playground.ipynb ...   # default: every notebook in nbs/

A saved `application/vnd.jupyter.widget-view+json` output can never render without the kernel that
made it: JupyterLab shows "Loading widget..." and then "Error displaying widget: model not found".
The package's widgets also put a picture of themselves and how to run them into their output
(`diagnostics.picture_bundle`); with the view dropped, that picture is what JupyterLab, GitHub and the
docs show until the cell is run again. Run it after re-executing a notebook that displays widgets.
"""
import json, sys
from pathlib import Path

VIEW = "application/vnd.jupyter.widget-view+json"
ROOT = Path(__file__).resolve().parents[1]


def strip(path):
    "Remove widget views that have a static fallback from the outputs of `path`; return how many were removed."
    nb, n = json.loads(Path(path).read_text()), 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if VIEW in data and "text/html" in data: del data[VIEW]; n += 1
    if n: Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return n


if __name__ == "__main__":
    for p in sys.argv[1:] or sorted((ROOT / "nbs").glob("*.ipynb")): print(f"{p}: {strip(p)} widget view(s) dropped")
