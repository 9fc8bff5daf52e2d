#!/usr/bin/env python
"""Write the course navigation into every notebook: the notation link at the top, "previous / next" at the end.

    python tools/navlinks.py           # (re)write nbs/*.ipynb where needed; prints the notebooks it changed
    python tools/navlinks.py --check   # change nothing; exit 1 and name the notebooks that need it

The reading order is `index` (the home page) followed by every other `nbs/*.ipynb` sorted by name; names starting
with `_` are skipped, as nbdev skips them. For each notebook:

1. **Top.** nbdev turns the title cell (`# Title` + `> description`) into the page's title and description and
   drops everything else in that cell from the docs page, so any text after the description is moved, unchanged,
   into a markdown cell of its own right below. The cell below the title must link the notation table
   (`index.ipynb#notation`, `#notation` in index itself); if it does not, `NOTATION` is put at its top.
2. **End.** One markdown cell, recognised by its first line `MARKER`, right before the final `#| hide` cell that
   runs `nbdev_export` (or last, if there is none):

       [← 03_losses: Losses](03_losses.ipynb) · [index](index.ipynb) · [05_chain_rule: The chain rule →](05_chain_rule.ipynb)

Running it again leaves an up-to-date notebook byte for byte unchanged, so after adding or renaming a notebook one
run re-links the whole course. Files are written as `nbdev-clean` writes them.
"""
import argparse, json, re, sys
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / "nbs"
MARKER = "<!-- previous / next: written by tools/navlinks.py, do not edit -->"
CELL_ID = "course-nav"
NOTATION = "*Notation:* one symbol per meaning, as in the [notation table]({target})."
_re_title = re.compile(r"^#\s+\S")
_re_fm_item = re.compile(r"^-\s+[\w-]+:\s")  # nbdev's `- key: value` front-matter lines stay in the title cell


def reading_order(nbs=NBS):
    "Notebook stems in reading order: `index` first, then the others sorted by name (no `_` names)."
    stems = sorted(p.stem for p in Path(nbs).glob("*.ipynb") if not p.name.startswith("_"))
    return (["index"] if "index" in stems else []) + [s for s in stems if s != "index"]


def _src(c): return "".join(c["source"])
def _md(cid, text): return {"cell_type": "markdown", "id": cid, "metadata": {}, "source": text.splitlines(keepends=True)}


def title_index(nb):
    "Index of the title cell: the first markdown cell with a level-1 heading (None if there is none)."
    return next((i for i, c in enumerate(nb["cells"])
                 if c["cell_type"] == "markdown" and any(_re_title.match(l) for l in _src(c).splitlines())), None)


def title(nb):
    "The notebook's `# Title`, or '' if it has none."
    i = title_index(nb)
    return "" if i is None else next(l for l in _src(nb["cells"][i]).splitlines() if _re_title.match(l))[1:].strip()


def split_title(text):
    "(`# Title`, `> description` and front-matter lines; whatever follows them) of a title cell's text."
    lines = text.strip("\n").split("\n")
    j = next(i for i, l in enumerate(lines) if _re_title.match(l)) + 1
    while j < len(lines) and not lines[j].strip(): j += 1
    if j < len(lines) and lines[j].startswith(">"):
        while j < len(lines) and lines[j].startswith(">"): j += 1
    k = j
    while k < len(lines) and not lines[k].strip(): k += 1
    while k < len(lines) and _re_fm_item.match(lines[k]): j = k = k + 1
    return "\n".join(lines[:j]).strip(), "\n".join(lines[j:]).strip()


def notation_target(stem): return "#notation" if stem == "index" else "index.ipynb#notation"


def _is_notation_cell(c):
    "A cell holding nothing but the `NOTATION` line."
    return c["cell_type"] == "markdown" and _src(c).strip() in {NOTATION.format(target=t) for t in ("#notation", "index.ipynb#notation")}


def with_top(nb, stem):
    "A copy of `nb` whose title cell holds only the title and description, followed by a cell linking the notation."
    cells = [dict(c) for c in nb["cells"] if not _is_notation_cell(c)]  # re-placed below
    i = title_index({"cells": cells})
    if i is None: return nb
    head, rest = split_title(_src(cells[i]))
    if rest:
        cells[i]["source"] = head.splitlines(keepends=True)
        cells.insert(i + 1, _md(f"{cells[i].get('id', 'title')}-intro"[:64], rest))
    target = notation_target(stem)
    if not (i + 1 < len(cells) and cells[i + 1]["cell_type"] == "markdown" and f"]({target})" in _src(cells[i + 1])):
        link = NOTATION.format(target=target)
        if i + 1 < len(cells) and cells[i + 1]["cell_type"] == "markdown":
            cells[i + 1]["source"] = (link + "\n\n" + _src(cells[i + 1])).splitlines(keepends=True)
        else: cells.insert(i + 1, _md("notation-link", link))
    return {**nb, "cells": cells}


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
    src = _src(c)
    return c["cell_type"] == "code" and src.lstrip().startswith("#| hide") and "nbdev_export" in src


def is_nav_cell(c):
    return c["cell_type"] == "markdown" and _src(c).startswith(MARKER)


def with_nav(nb, text):
    "A copy of `nb` whose only nav cell holds `text`, right before the final export cell (or last)."
    cells = [c for c in nb["cells"] if not is_nav_cell(c)]
    at = len(cells) - 1 if cells and _is_export_cell(cells[-1]) else len(cells)
    return {**nb, "cells": cells[:at] + [_md(CELL_ID, text)] + cells[at:]}


def dumps(nb):
    "Serialise `nb` exactly as `nbdev-clean` writes a notebook."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def updated(nbs=NBS):
    "{path: new text} for every notebook whose top or previous/next links are missing, stale or misplaced."
    order = reading_order(nbs)
    nbs_ = {s: json.loads((Path(nbs) / f"{s}.ipynb").read_text()) for s in order}
    titles = {s: title(nb) for s, nb in nbs_.items()}
    out = {}
    for s, nb in nbs_.items():
        path = Path(nbs) / f"{s}.ipynb"
        new = dumps(with_nav(with_top(nb, s), nav_markdown(s, order, titles)))
        if new != path.read_text(): out[path] = new
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="report notebooks that need links and exit 1 instead of writing")
    ap.add_argument("--nbs", type=Path, default=NBS, help="the notebooks folder")
    args = ap.parse_args(argv)
    stale = updated(args.nbs)
    if args.check:
        for p in stale: print(f"stale navigation: {p.name} (run python tools/navlinks.py)")
        return 1 if stale else 0
    for p, text in stale.items():
        p.write_text(text)
        print(f"linked {p.name}")
    return 0


if __name__ == "__main__": sys.exit(main())
