#!/usr/bin/env python
"""Write the "previous / next" links at the end of every notebook, in reading order.

    python tools/navlinks.py           # (re)write the links in nbs/*.ipynb; prints the notebooks it changed
    python tools/navlinks.py --check   # change nothing; exit 1 and name the notebooks whose links are stale

The reading order is `index` (the home page) followed by every other `nbs/*.ipynb` sorted by name; names starting
with `_` are skipped, as nbdev skips them. Each notebook gets one markdown cell, recognised by its first line
`MARKER`, placed right before the final `#| hide` cell that runs `nbdev_export` (or last, if there is none):

    [← 03_losses: Losses](03_losses.ipynb) · [index](index.ipynb) · [05_chain_rule: The chain rule →](05_chain_rule.ipynb)

Running it again replaces that cell (wherever it is) and leaves an up-to-date notebook byte for byte unchanged, so
after adding or renaming a notebook one run re-links the whole course. The file is written as `nbdev-clean` writes it.
"""
import argparse, json, re, sys
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / "nbs"
MARKER = "<!-- previous / next: written by tools/navlinks.py, do not edit -->"
CELL_ID = "course-nav"


def reading_order(nbs=NBS):
    "Notebook stems in reading order: `index` first, then the others sorted by name (no `_` names)."
    stems = sorted(p.stem for p in Path(nbs).glob("*.ipynb") if not p.name.startswith("_"))
    return (["index"] if "index" in stems else []) + [s for s in stems if s != "index"]


def title(nb):
    "The notebook's `# Title` (first level-1 heading of a markdown cell), or '' if it has none."
    for c in nb["cells"]:
        if c["cell_type"] != "markdown": continue
        m = re.search(r"^#\s+(.+?)\s*$", "".join(c["source"]), re.M)
        if m: return m.group(1)
    return ""


def _link(stem, titles, arrow):
    text = f"{stem}: {titles[stem]}" if titles.get(stem) else stem
    text = text.replace("[", r"\[").replace("]", r"\]")
    return f"[← {text}]({stem}.ipynb)" if arrow == "prev" else f"[{text} →]({stem}.ipynb)"


def nav_markdown(stem, order, titles):
    "The links of notebook `stem`: previous (if any), index (unless adjacent or itself), next (if any)."
    i = order.index(stem)
    prev, nxt = (order[i - 1] if i > 0 else None), (order[i + 1] if i + 1 < len(order) else None)
    parts = [_link(prev, titles, "prev")] if prev else []
    if stem != "index" and prev != "index": parts.append("[index](index.ipynb)")
    if nxt: parts.append(_link(nxt, titles, "next"))
    return MARKER + "\n\n" + " · ".join(parts)


def _is_export_cell(c):
    src = "".join(c["source"])
    return c["cell_type"] == "code" and src.lstrip().startswith("#| hide") and "nbdev_export" in src


def with_nav(nb, text):
    "A copy of `nb` whose only nav cell holds `text`, right before the final export cell (or last)."
    cells = [c for c in nb["cells"] if not is_nav_cell(c)]
    at = len(cells) - 1 if cells and _is_export_cell(cells[-1]) else len(cells)
    nav = {"cell_type": "markdown", "id": CELL_ID, "metadata": {}, "source": text.splitlines(keepends=True)}
    return {**nb, "cells": cells[:at] + [nav] + cells[at:]}


def is_nav_cell(c):
    return c["cell_type"] == "markdown" and "".join(c["source"]).startswith(MARKER)


def dumps(nb):
    "Serialise `nb` exactly as `nbdev-clean` writes a notebook."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def updated(nbs=NBS):
    "{path: new text} for every notebook whose nav cell is missing, stale or misplaced."
    order = reading_order(nbs)
    nbs_ = {s: json.loads((Path(nbs) / f"{s}.ipynb").read_text()) for s in order}
    titles = {s: title(nb) for s, nb in nbs_.items()}
    out = {}
    for s, nb in nbs_.items():
        path = Path(nbs) / f"{s}.ipynb"
        new = dumps(with_nav(nb, nav_markdown(s, order, titles)))
        if new != path.read_text(): out[path] = new
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="report stale notebooks and exit 1 instead of writing")
    ap.add_argument("--nbs", type=Path, default=NBS, help="the notebooks folder")
    args = ap.parse_args(argv)
    stale = updated(args.nbs)
    if args.check:
        for p in stale: print(f"stale previous/next links: {p.name} (run python tools/navlinks.py)")
        return 1 if stale else 0
    for p, text in stale.items():
        p.write_text(text)
        print(f"linked {p.name}")
    return 0


if __name__ == "__main__": sys.exit(main())
