"Every notebook links to the notation table at its top and ends with correct previous / next links (tools/navlinks.py)."
import importlib.util, json, re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
spec = importlib.util.spec_from_file_location("navlinks", ROOT / "tools" / "navlinks.py")
navlinks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(navlinks)
ORDER = navlinks.reading_order()
NOTATION_LINK = "(index.ipynb#notation)"


def cells(stem): return json.loads((NBS / f"{stem}.ipynb").read_text())["cells"]


def test_reading_order():
    assert ORDER[0] == "index" and ORDER[1:] == sorted(ORDER[1:])
    assert set(ORDER) == {p.stem for p in NBS.glob("*.ipynb") if not p.name.startswith("_")}


def test_links_are_current():
    "One run of `python tools/navlinks.py` leaves nothing to change."
    stale = sorted(p.name for p in navlinks.updated())
    assert not stale, f"previous/next links are missing or stale in {stale}: run `python tools/navlinks.py`"


@pytest.mark.parametrize("stem", ORDER)
def test_notebook_ends_with_its_links(stem):
    cs = cells(stem)
    nav = [i for i, c in enumerate(cs) if navlinks.is_nav_cell(c)]
    assert len(nav) == 1, f"{stem} has {len(nav)} previous/next cells"
    rest = cs[nav[0] + 1:]
    assert rest == [] or (len(rest) == 1 and navlinks._is_export_cell(rest[0])), f"{stem}: links are not at the end"
    targets = re.findall(r"\]\(([^)]+)\.ipynb\)", "".join(cs[nav[0]]["source"]))
    i = ORDER.index(stem)
    want = ([ORDER[i - 1]] if i > 0 else []) + (["index"] if i > 1 else []) + ([ORDER[i + 1]] if i + 1 < len(ORDER) else [])
    assert targets == want
    assert all((NBS / f"{t}.ipynb").exists() for t in targets)


@pytest.mark.parametrize("stem", ORDER)
def test_notebook_links_the_notation(stem):
    "The notation table is one click away from the top of every notebook: a markdown cell right after the title cell."
    cs = cells(stem)
    title = next(i for i, c in enumerate(cs) if c["cell_type"] == "markdown" and re.search(r"^#\s", "".join(c["source"]), re.M))
    # not inside the title cell: nbdev turns that cell into the page's title and description and drops the rest
    after = "".join(cs[title + 1]["source"]) if cs[title + 1]["cell_type"] == "markdown" else ""
    link = "(#notation)" if stem == "index" else NOTATION_LINK
    assert link in after, f"{stem}: the cell after the title cell does not link {link}"


@pytest.mark.parametrize("stem", ORDER)
def test_title_cell_holds_only_title_and_description(stem):
    "nbdev makes the title cell the page's title and description and drops the rest of it from the docs page."
    cs = cells(stem)
    i = navlinks.title_index({"cells": cs})
    assert i is not None, f"{stem} has no '# Title' cell"
    _, rest = navlinks.split_title("".join(cs[i]["source"]))
    assert not rest, f"{stem}: text after the description would vanish from the docs page: {rest[:80]!r}"


def test_notation_anchor():
    src = "".join("".join(c["source"]) for c in cells("index") if c["cell_type"] == "markdown")
    assert src.count('<a id="notation"></a>') == 1 and "## Notation" in src


def test_no_unexplained_seed():
    "Issue 11: the package's starting equations are named, never called 'the seed'."
    bad = [p.name for p in NBS.glob("*.ipynb") if re.search(r"\bthe seed\b(?!s)", p.read_text(), re.I)]
    assert not bad, f"'the seed' in {bad}: say what is meant"
