"The course reads in order: no notebook uses a module that a later notebook teaches, and the package's own imports agree."
import json, re
from pathlib import Path
import pytest

NBS = Path(__file__).resolve().parents[1] / "nbs"
LIB = Path(__file__).resolve().parents[1] / "backprop_nb"
IMPORT = re.compile(r"^\s*(?:from\s+backprop_nb\.(\w+)|import\s+backprop_nb\.(\w+)|from\s+backprop_nb\s+import\s+([\w, ]+))", re.M)

def notebooks():
    "The course notebooks in reading order (nbdev skips names starting with '_')."
    return sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_") and p.stem != "index")

def code(nb_path):
    return [''.join(c["source"]) for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code"]

def teaches(nb_path):
    "The module a notebook exports (its `#| default_exp`), or None."
    for src in code(nb_path):
        m = re.search(r"^#\|\s*default_exp\s+(\w+)", src, re.M)
        if m: return m.group(1)

def uses(sources):
    "Names of `backprop_nb` modules imported anywhere in `sources`."
    found = set()
    for src in sources:
        for m in IMPORT.finditer(src):
            if m.group(3): found |= {n.strip() for n in m.group(3).split(",") if n.strip()}
            else: found.add(m.group(1) or m.group(2))
    return found

TEACHER = {teaches(p): i for i, p in enumerate(notebooks()) if teaches(p)}

def test_every_module_has_one_notebook():
    mods = {p.stem for p in LIB.glob("*.py") if not p.stem.startswith("_")}
    assert mods == set(TEACHER), f"modules without a notebook: {mods - set(TEACHER)}; notebooks without a module: {set(TEACHER) - mods}"

@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.stem)
def test_notebook_uses_only_earlier_modules(nb):
    order = notebooks().index(nb)
    later = {m: notebooks()[TEACHER[m]].stem for m in uses(code(nb)) if m in TEACHER and TEACHER[m] > order}
    assert not later, f"{nb.name} uses modules taught later: {later}"

@pytest.mark.parametrize("mod", sorted(TEACHER))
def test_module_imports_only_earlier_modules(mod):
    src = (LIB / f"{mod}.py").read_text()
    imported = set(re.findall(r"^\s*from \.(\w+) import", src, re.M)) | set(re.findall(r"^\s*from \. import (\w+)", src, re.M))
    later = {m for m in imported if m in TEACHER and TEACHER[m] > TEACHER[mod]}
    assert not later, f"backprop_nb.{mod} imports modules taught later: {later}"

@pytest.mark.parametrize("mod", sorted(TEACHER))
def test_no_private_name_crosses_a_module(mod):
    src = (LIB / f"{mod}.py").read_text()
    private = re.findall(r"^\s*from \.\w+ import .*\b(_[a-z]\w*)", src, re.M)
    assert not private, f"backprop_nb.{mod} imports private names {private}"
