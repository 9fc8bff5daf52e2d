"The offline docs build: pages exist, math is typeset by the bundled MathJax in headless Chromium with zero console errors and zero failed requests, nothing overflows, README is current."
import filecmp, importlib.util, json, re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_re_remote = re.compile(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//[^"]*"')


def _build_docs_module():
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "tools" / "build_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    "Build the site and a README once, into a temporary folder."
    out = tmp_path_factory.mktemp("docs")
    bd = _build_docs_module()
    pages = bd.load_pages(bd.proc_nbs())
    bd.build_site(pages, out / "_site")
    index = next(p for p in pages if p["file"] == "index.html")
    bd.build_readme(index, out / "README.md")
    return out, pages


def test_one_page_per_notebook(built):
    out, pages = built
    nbs = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))
    assert sorted(p["src"] for p in pages) == nbs
    bad = [p["src"] for p in pages if p["title"].startswith("#")]
    assert not bad, f"page title starts with '#' (the H1 cell's source begins '# # '): {bad}"
    for p in pages:
        text = (out / "_site" / p["file"]).read_text()
        assert not _re_remote.search(text), f'{p["file"]} loads {_re_remote.search(text)[0]}'
        assert 'src="mathjax/MathJax.js?config=' in text
        assert text.count('class="site-nav"') == 1 and all(q["file"] in text for q in pages)
    assert (out / "_site" / "mathjax" / "MathJax.js").exists()


def test_show_doc_rendered(built):
    "`show_doc` output is rendered as a signature, not left as a code cell."
    out, _ = built
    text = (out / "_site" / "gradcheck.html").read_text()
    assert "<h3" in text and "check_grad" in text and "show_doc(" not in text


def test_readme_up_to_date(built):
    "README.md (and its images) equal what `python tools/build_docs.py` generates from nbs/index.ipynb."
    out, _ = built
    assert (out / "README.md").read_text() == (ROOT / "README.md").read_text(), \
        "README.md is stale: run `python tools/build_docs.py`"
    new, old = out / "README_files", ROOT / "README_files"
    if new.exists() or old.exists():
        cmp = filecmp.dircmp(new, old)
        assert not (cmp.left_only or cmp.right_only or cmp.diff_files), "README_files/ is stale"


@pytest.fixture(scope="module")
def browser(chromium): return chromium  # one headless Chromium for the module (conftest: skips without it)


def _open(browser, page_file):
    "Open a built page from file://, aborting (and recording) every request that leaves the machine; record console errors and failed requests."
    page, log = browser.new_page(viewport={"width": 1366, "height": 900}), dict(blocked=[], errors=[], failed=[])
    def route(r):
        if r.request.url.startswith(("file://", "data:", "http://127.0.0.1")): return r.continue_()
        log["blocked"].append(r.request.url); r.abort()
    page.route("**/*", route)
    page.on("console", lambda m: log["errors"].append(m.text[:200]) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)[:200]))
    page.on("requestfailed", lambda r: None if r.url in log["blocked"] else log["failed"].append(f"{r.url} ({r.failure})"))
    page.goto(page_file.as_uri())
    page.wait_for_selector("html[data-mathjax=done]", state="attached", timeout=60_000)
    page.wait_for_load_state("load")
    return page, log


_PROSE_JS = """() => Array.from(document.querySelectorAll('main .jp-RenderedMarkdown')).map(el => {
    const c = el.cloneNode(true); c.querySelectorAll('pre, code, script').forEach(e => e.remove()); return c.innerText;
}).join('\\n')"""


def _raw_tex_left(page):
    "Prose (markdown, outside code) that still looks like unrendered TeX."
    text = page.evaluate(_PROSE_JS)
    return [t for t in ("$$", "\\frac", "\\partial") if t in text]


@pytest.mark.browser
@pytest.mark.parametrize("page_file", ["gradcheck.html", "neuron.html"])
def test_math_typeset_in_chromium(built, browser, page_file):
    out, _ = built
    page, log = _open(browser, out / "_site" / page_file)
    try:
        assert page.locator(".MathJax_Display").count() > 0       # display equations
        assert page.locator("span.MathJax").count() > 5            # inline and display math
        assert page.locator(".MathJax_Error, merror").count() == 0  # no TeX errors
        assert not _raw_tex_left(page), "raw TeX left on the page"
        assert log["blocked"] == [], f"page tried to reach the network: {log['blocked']}"
    finally: page.close()


# what a reader would see as broken: code or pictures sticking out of the page, a table cell's number split over
# two lines, markdown left raw in the subtitle, a widget's text stand-in instead of its picture
_LAYOUT_JS = """() => { const main = document.querySelector('main'), right = main.getBoundingClientRect().right, out = [];
  for (const e of main.querySelectorAll('pre, table, img, .jp-OutputArea-output, .MathJax_Display')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > right + 1) out.push(`${e.tagName} sticks out by ${Math.round(r.right - right)} px`);
    if (e.tagName === 'PRE' && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
      out.push(`code overflows its box: ${e.textContent.slice(0, 40)}`); }
  for (const td of main.querySelectorAll('td.token, th.token')) {
    if (td.querySelector('.MathJax')) continue;  // typeset math never breaks (automatic line breaks are off)
    const range = document.createRange(); range.selectNodeContents(td);
    if (range.getClientRects().length > 1) out.push(`table cell broken over lines: ${td.textContent}`); }
  const d = document.querySelector('.description');
  if (d && d.innerText.includes('`')) out.push('raw backticks in the subtitle');
  for (const t of ['Playground(dataset=', 'VBox(children=']) if (main.innerText.includes(t)) out.push(`widget repr: ${t}`);
  return out; }"""


@pytest.mark.browser
def test_every_page_clean(built, browser):
    "Every page: no request leaves the machine, zero console errors, zero failed requests, no TeX left, nothing broken."
    out, pages = built
    problems = []
    for p in pages:
        page, log = _open(browser, out / "_site" / p["file"])
        try:
            tex_errors, raw, layout = page.locator(".MathJax_Error, merror").count(), _raw_tex_left(page), page.evaluate(_LAYOUT_JS)
            if any(log.values()) or tex_errors or raw or layout:
                problems.append(f"{p['file']}: {log} tex_errors={tex_errors} raw={raw} layout={layout}")
        finally: page.close()
    assert not problems, "\n".join(problems)


VIEW = "application/vnd.jupyter.widget-view+json"


def test_saved_widgets_show_a_picture():
    "A widget output saved in a notebook also holds a picture and how to run it (what JupyterLab without a kernel, GitHub and the docs show)."
    bad = []
    for nb_path in sorted((ROOT / "nbs").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb_path.read_text())["cells"]):
            for out in cell.get("outputs", []):
                data, html = out.get("data", {}), "".join(out.get("data", {}).get("text/html", []))
                widget = VIEW in data or str(data.get("text/plain", "")).startswith(("Playground(", "VBox(", "['VBox("))
                if widget and not ("<img" in html and "run the cells" in html): bad.append(f"{nb_path.name} cell {i}")
    assert not bad, f"saved widget outputs without a picture (re-run the notebook, then tools/strip_widget_views.py): {bad}"

def _docs_time_cells(nb_path):
    "Code cells nbdev's docs processor runs in a fresh namespace (any import) that also run other top-level code."
    import ast, nbformat
    nb = nbformat.read(nb_path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "nbdev_export()" in cell.source or "#| export" in cell.source: continue
        src = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        try: tree = ast.parse(src)
        except SyntaxError: continue
        if not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)): continue
        if any(not isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) for n in tree.body):
            yield i, cell.source.splitlines()[0]


def test_imports_in_their_own_cells():
    "nbdev's docs build (here and Quarto's on GitHub) executes every cell containing an import, out of context."
    bad = [f"{p.name} cell {i} ({first!r})" for p in sorted((ROOT / "nbs").glob("*.ipynb")) if not p.name.startswith("_")
           for i, first in _docs_time_cells(p)]
    assert not bad, "move these imports into a cell of their own (nbdev runs import cells when building docs): " + "; ".join(bad)


def test_previous_next_on_every_page(built):
    "Every page ends with previous/next links (the notebook's own 'Previous: … · Next: …' line, else the sidebar's neighbours) to pages that exist."
    out, pages = built
    for i, p in enumerate(pages):
        text = (out / "_site" / p["file"]).read_text()
        nav = re.findall(r'<nav class="prev-next">(.*?)</nav>', text, re.S)
        assert len(nav) == 1, f"{p['file']}: {len(nav)} previous/next footers"
        links = dict((k, h) for k, h in re.findall(r'<a class="(prev|next)" href="([^"#]+)', nav[0]))
        assert ("prev" in links) == (i > 0) and ("next" in links) == (i + 1 < len(pages)), (p["file"], links)
        assert all((out / "_site" / h).exists() for h in links.values()), (p["file"], links)
        assert "<p>Previous:" not in text, f"{p['file']}: the notebook's own previous/next line is left in the page"
