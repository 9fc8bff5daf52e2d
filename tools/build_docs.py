#!/usr/bin/env python
"""Build the docs site and README.md offline, without Quarto.

    python tools/build_docs.py                # -> _site/ (one HTML page per notebook) and README.md
    python tools/build_docs.py --readme-only  # just README.md, from nbs/index.ipynb

1. `nbdev.quarto._pre_docs`, i.e. what `nbdev-proc-nbs` runs, writes nbdev's processed notebooks to
   `_proc/` (directives applied, `show_doc` cells executed). We call it in-process with nbdev's
   Quarto auto-installer switched off: that installer needs root and the network.
2. nbdev leaves float `execution` timings in cell metadata, which nbformat's schema (and so
   nbconvert) rejects; we drop them.
3. Each processed notebook becomes one static page in `_site/` (nbconvert's `lab` template, a
   sidebar linking every page, Quarto cell options `echo`/`include`/`output` honoured). Math is
   typeset by MathJax 2.7.9 copied from the `jupyter_server_mathjax` wheel: no CDN, no network.
4. README.md is the processed `index` notebook through nbconvert's markdown exporter; its images
   are written next to it under `README_files/`.
On GitHub, the Pages workflow builds the real Quarto site instead (`nbdev-docs`).
"""
import argparse, html, json, os, re, shutil, sys, time
from pathlib import Path

import nbformat, yaml
from jinja2 import DictLoader
from nbconvert import HTMLExporter, MarkdownExporter

ROOT = Path(__file__).resolve().parents[1]
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
# The wheel ships only the HTML-CSS output with STIX-Web fonts (CommonHTML, the SVG output code and
# the TeX fonts are pruned), so: HTML-CSS always (Chromium understands MathML, and MathJax would pick
# its NativeMML output, which asks for the missing TeX fonts: 404s), told which fonts exist; its
# font-loading probe `url('about:blank')` is refused by every browser (a console error on every page),
# so it looks for a local font instead, which never touches the network; so do the @font-face rules
# for the pruned TeX fonts that the (unused, but loaded) NativeMML output adds. No automatic line breaks:
# they split formulas in table cells; a wide display equation scrolls instead.
MATHJAX_SETUP = r"""
var NATIVE_FONTS = {};
[[1, "Caligraphic-WEB"], [2, "Caligraphic-WEB"], [3, "AMS-WEB"], [4, "Script-WEB"], [5, "Fraktur-WEB"], [6, "Fraktur-WEB"]]
  .forEach(function (f) { NATIVE_FONTS["@font-face /*" + f[0] + "*/"] = {src: "local('MathJax_" + f[1] + "')"}; });
MathJax.Hub.Config({
  tex2jax: {inlineMath: [['$','$'], ['\\(','\\)']], displayMath: [['$$','$$'], ['\\[','\\]']],
            processEscapes: true, processEnvironments: true},
  MMLorHTML: {prefer: "HTML"},
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
               imageFont: null, linebreaks: {automatic: false},
               styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}},
  NativeMML: {styles: NATIVE_FONTS},
  messageStyle: "none", displayAlign: "center"
});
// mark the page once the first typeset pass is over (tests wait for it)
MathJax.Hub.Register.StartupHook("End", function () { document.documentElement.dataset.mathjax = "done"; });
"""
CSS = """
body.jp-Notebook { margin: 0; padding: 0; }
nav.site-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 15rem; overflow-y: auto; padding: 1rem;
  box-sizing: border-box; border-right: 1px solid #ddd; background: #fafafa; font-family: var(--jp-ui-font-family); }
nav.site-nav a { display: block; padding: .25rem 0; color: #1a5fb4; text-decoration: none; }
nav.site-nav a.current { font-weight: bold; color: #000; }
nav.site-nav .site-title { font-size: 1.2rem; font-weight: bold; margin-bottom: .75rem; }
main { margin-left: 15rem; padding: 1rem 2rem; max-width: 62rem; }
div.description { font-size: 1.15rem; color: #555; }
div.description p { margin: 0 0 1rem; }
main pre { overflow-x: auto; }                       /* long code lines scroll inside their box */
main .MathJax_Display { overflow-x: auto; overflow-y: hidden; }
main td.token, main th.token { white-space: nowrap; } /* a number or name in a table cell never breaks */
main img { max-width: 100%; height: auto; }
nav.prev-next { display: flex; gap: 1rem; margin: 3rem 0 1rem; padding-top: 1rem; border-top: 1px solid #ddd;
  font-family: var(--jp-ui-font-family); }
nav.prev-next a { flex: 0 1 48%; padding: .6rem .9rem; border: 1px solid #ddd; border-radius: 6px; color: #1a5fb4;
  text-decoration: none; }
nav.prev-next a:hover { background: #f3f6fb; }
nav.prev-next a.next { margin-left: auto; text-align: right; }
nav.prev-next small { display: block; color: #666; font-size: .8rem; }
"""
# `lab` with every network <script> (require.js, widgets, mermaid) removed and MathJax made local.
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block html_head_js_mathjax %}
<script type="text/x-mathjax-config">{{ resources.mathjax_setup }}</script>
<script src="{{ resources.local_mathjax }}"></script>
{% endblock html_head_js_mathjax %}
{% block extra_css %}<style type="text/css">{{ resources.site_css }}</style>{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.site_nav }}
{%- endblock body_header -%}
"""


def proc_nbs(force=False, file_glob=""):
    "Run nbdev's notebook processing (`nbdev-proc-nbs`) into `_proc/` without trying to install Quarto."
    import nbdev.quarto
    nbdev.quarto._ensure_quarto = lambda: None
    cwd = os.getcwd()
    try: cache = nbdev.quarto._pre_docs(str(ROOT / "nbs"), n_workers=min(2, os.cpu_count() or 1), force=force,
                                        file_glob=file_glob)[0]
    finally: os.chdir(cwd)
    return Path(cache)


_CELL_KEYS = {"id", "cell_type", "metadata", "source", "outputs", "execution_count", "attachments"}


def read_proc_nb(path):
    "Read a processed notebook, dropping what nbformat's schema rejects: nbdev's float `execution` metadata and private keys."
    nb = json.loads(Path(path).read_text())
    for i, cell in enumerate(nb["cells"]):
        cell.get("metadata", {}).pop("execution", None)
        nb["cells"][i] = {k: v for k, v in cell.items() if k in _CELL_KEYS}
    return nbformat.reads(json.dumps(nb), as_version=4)


def _front_matter(nb):
    "Pop the raw YAML front-matter cell nbdev puts first; return its fields."
    if nb.cells and nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("---"):
        return yaml.safe_load(nb.cells.pop(0).source.strip().strip("-")) or {}
    return {}


_re_opt = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


def apply_cell_options(nb):
    "Honour the Quarto cell options nbdev leaves for its renderer, then strip every `#|` line."
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            opts = dict(m.groups() for m in map(_re_opt.match, lines) if m)
            if opts.get("include") == "false": continue
            cell.source = "\n".join(l for l in lines if not l.startswith("#|")).strip("\n")
            if opts.get("output") == "false": cell.outputs = []
            if opts.get("echo") == "false": cell.metadata["transient"] = {"remove_source": True}
            if not cell.source and not cell.outputs: continue
        cells.append(cell)
    nb.cells = cells
    return nb


def load_pages(proc, only=None):
    "Processed notebooks as page dicts (`nb`, `title`, `description`, `file`), in the sidebar's order."
    order = yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    pages = []
    for name in order:
        if not isinstance(name, str) or not name.endswith(".ipynb") or (only and name != only): continue
        nb = read_proc_nb(proc / name)
        fm = _front_matter(nb)
        out = fm.get("output-file") or Path(name).with_suffix(".html").name
        pages.append(dict(nb=apply_cell_options(nb), title=str(fm.get("title", Path(name).stem)),
                          description=str(fm.get("description", "")), file=out, src=name))
    return pages


def _header_cell(page):
    "Markdown cell showing the page title and description, its markdown rendered (Quarto renders them from the front matter)."
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    desc = page["description"] and f'\n\n<div class="description">{markdown2html_mistune(page["description"])}</div>'
    return nbformat.v4.new_markdown_cell(f"# {page['title']}{desc}")


def _nav(pages, current, site_title):
    cls = lambda p: ' class="current"' if p is current else ""
    links = "\n".join(f'<a href="{p["file"]}"{cls(p)}>{html.escape(p["title"])}</a>' for p in pages)
    return f'<nav class="site-nav"><div class="site-title">{html.escape(site_title)}</div>\n{links}\n</nav>'


_re_nb_href = re.compile(r'href="([\w.-]+\.ipynb)(#[^"]*)?"')


def _link_pages(body, pages):
    "Point links to sibling notebooks (`04_neuron.ipynb`) at their pages (`neuron.html`)."
    files = {p["src"]: p["file"] for p in pages}
    return _re_nb_href.sub(lambda m: f'href="{files[m[1]]}{m[2] or ""}"' if m[1] in files else m[0], body)


_re_token_cell = re.compile(r"<(td|th)((?: style=\"[^\"]*\")?)>([^<\s]+)</\1>")


def _keep_tokens_whole(body):
    "Mark table cells holding one token (a number like 2.25796e-11, a name) so CSS never breaks them."
    return _re_token_cell.sub(r'<\1\2 class="token">\3</\1>', body)


_re_prev_next = re.compile(r"<p>((?:Previous|Next):.*?)</p>\s*", re.S)
_re_href = re.compile(r'<a href="([^"]+)"[^>]*>(.*?)</a>', re.S)


def _prev_next(body, pages, i):
    "`body` ending in a previous/next footer: the notebook's own 'Previous: … · Next: …' line if it has one, else the sidebar's neighbours."
    titles = {p["file"]: p["title"] for p in pages}
    links = {"prev": pages[i - 1]["file"] if i > 0 else None, "next": pages[i + 1]["file"] if i + 1 < len(pages) else None}
    own = list(_re_prev_next.finditer(body))
    if own:
        m = own[-1]
        links = {"prev": None, "next": None}
        for part in re.split(r"\s+·\s+", m[1]):
            a = _re_href.search(part)
            if a: links["next" if part.lstrip().startswith("Next") else "prev"] = a[1]
        body = body[:m.start()] + body[m.end():]
    label = lambda href, kind: (f'<a class="{kind}" href="{href}"><small>{"← previous" if kind == "prev" else "next →"}</small>'
                                f'{html.escape(titles.get(href.split("#")[0], href))}</a>')
    nav = "".join(label(links[k], k) for k in ("prev", "next") if links[k])
    return body.replace("</main>", f'<nav class="prev-next">{nav}</nav>\n</main>', 1)


def copy_mathjax(site):
    "Copy MathJax 2.7.9 from the `jupyter_server_mathjax` wheel into `site/mathjax`."
    import jupyter_server_mathjax
    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(src, site / "mathjax", dirs_exist_ok=True)


def build_site(pages, site, site_title="backprop_nb"):
    "Render every page to `site/<file>` with a shared sidebar and the local MathJax."
    site.mkdir(parents=True, exist_ok=True)
    copy_mathjax(site)
    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"site.html.j2": TEMPLATE})],
                            exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.template_file = "site.html.j2"
    exporter.mathjax_url = f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"  # the exporter would put its CDN default in resources
    for i, page in enumerate(pages):
        nb = page["nb"].copy()
        nb.cells = [_header_cell(page)] + nb.cells
        nb.metadata.pop("widgets", None)
        resources = dict(local_mathjax=exporter.mathjax_url, mathjax_setup=MATHJAX_SETUP,
                         site_css=CSS, site_nav=_nav(pages, page, site_title), metadata=dict(name=page["title"]))
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        (site / page["file"]).write_text(_prev_next(_keep_tokens_whole(_link_pages(body, pages)), pages, i))
    return [site / p["file"] for p in pages]


def build_readme(page, readme):
    "Write `readme` (markdown) from the processed index page; images go to `README_files/` beside it."
    nb = page["nb"].copy()
    head = f"# {page['title']}\n\n" + (f"> {page['description']}\n" if page["description"] else "")
    nb.cells = [nbformat.v4.new_markdown_cell(head)] + nb.cells
    nb.metadata["language_info"] = {"name": "python"}  # fenced code as ```python
    files_dir = readme.stem + "_files"
    body, res = MarkdownExporter().from_notebook_node(nb, resources=dict(output_files_dir=files_dir))
    shutil.rmtree(readme.parent / files_dir, ignore_errors=True)
    for name, data in res.get("outputs", {}).items():
        (readme.parent / name).parent.mkdir(parents=True, exist_ok=True)
        (readme.parent / name).write_bytes(data)
    body = re.sub(r"\]\(([\w.-]+\.ipynb)", r"](nbs/\1", body)  # notebook links, relative to the repo root
    readme.write_text(re.sub(r"\n{3,}", "\n\n", body).strip() + "\n")
    return readme


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_site", help="output folder for the HTML site")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md", help="where to write the README")
    ap.add_argument("--readme-only", action="store_true", help="only process nbs/index.ipynb and regenerate the README")
    ap.add_argument("--force", action="store_true", help="reprocess every notebook, ignoring nbdev's cache")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    only = "index.ipynb" if args.readme_only else None
    pages = load_pages(proc_nbs(args.force, file_glob=only or ""), only=only)
    index = next((p for p in pages if p["file"] == "index.html"), None)
    if index is not None: build_readme(index, args.readme.resolve())
    if not args.readme_only: build_site(pages, args.site.resolve())
    print(f"built {'README only' if only else f'{len(pages)} pages into {args.site}'} and {args.readme} "
          f"in {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    sys.exit(main())
