"""Re-encode the PNG figures saved in notebooks with a 256-colour palette, so figure-heavy notebooks stay under 400 KB.

Usage: `python tools/shrink_figures.py nbs/12_gradient_flow.ipynb [...]` after re-executing a notebook. Plots use few
colours, so the palette keeps them visually unchanged at a third of the bytes; already-small images are left alone.
"""
import base64, io, json, sys
from pathlib import Path
from PIL import Image

def shrink_png(b64):
    "The base64 PNG `b64` re-encoded with an adaptive 256-colour palette, or unchanged if that is not smaller."
    raw = base64.b64decode(b64)
    img = Image.open(io.BytesIO(raw))
    out = io.BytesIO()
    img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode() + "\n" if len(out.getvalue()) < 0.9 * len(raw) else b64

def shrink_notebook(path):
    "Shrink every saved PNG output of the notebook at `path` in place; returns (bytes before, bytes after)."
    p = Path(path); text = p.read_text(); nb = json.loads(text)
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data: data["image/png"] = shrink_png(data["image/png"])
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    p.write_text(new)
    return len(text.encode()), len(new.encode())

if __name__ == "__main__":
    for f in sys.argv[1:]: print(f, "%d KB -> %d KB" % tuple(n // 1024 for n in shrink_notebook(f)))
