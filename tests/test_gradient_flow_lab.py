"Kernel-less tests of the gradient-flow lab and the backward stepper (widgets driven by setting `.value`), plus PyTorch parity of `layer_stats`."
import subprocess, sys
import numpy as np
import pytest
from backprop_nb.data import make_moons
from backprop_nb.diagnostics import (backward_stepper, backward_steps, deep_mlp, gradient_flow_lab, layer_stats,
                                     plot_backward_steps)

X, y = make_moons(256, noise=0.1, seed=0)

def test_import_does_not_load_plotting_or_widgets():
    code = ("import sys, backprop_nb.diagnostics, backprop_nb.learning_rate; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

@pytest.fixture(scope="module")
def lab(): return gradient_flow_lab(depth=6, activation="sigmoid", init="xavier", width=16)

def _expected(lab):
    "`layer_stats` of the network the lab's controls describe."
    model = deep_mlp(lab.depth.value, lab.width.value, lab.activation.value, lab.init.value, seed=0)
    return layer_stats(model, X, y, "bce", lr=0.1)

@pytest.mark.parametrize("control,value", [("depth", 9), ("activation", "relu"), ("init", "he"),
                                           ("width", 40), ("activation", "tanh"), ("init", "normal"), ("depth", 3)])
def test_every_control_redraws(lab, control, value):
    before_png, before_stats = lab.image.value, lab.stats
    getattr(lab, control).value = value
    assert lab.image.value != before_png and lab.image.value[:4] == b"\x89PNG"
    assert lab.stats != before_stats
    want = _expected(lab)
    assert len(lab.stats) == lab.depth.value == len(want)
    for got, exp in zip(lab.stats, want):
        assert got["layer"] == exp["layer"] and got["shape"] == exp["shape"]
        np.testing.assert_allclose([got[k] for k in ("delta_norm", "grad_norm", "act_mean", "act_std", "update_ratio")],
                                   [exp[k] for k in ("delta_norm", "grad_norm", "act_mean", "act_std", "update_ratio")],
                                   rtol=1e-12)

def test_lab_shows_vanishing_then_healthy_flow():
    lab = gradient_flow_lab(depth=10, activation="sigmoid", init="xavier", width=32)
    flow = lambda s: s[0]["delta_norm"] / s[-1]["delta_norm"]
    assert flow(lab.stats) < 1e-3
    lab.activation.value, lab.init.value = "relu", "he"
    assert 0.1 < flow(lab.stats) < 10

def test_stepper_walks_every_layer():
    model = deep_mlp(depth=4, width=3, activation="tanh", seed=1)
    stepper = backward_stepper(model, X[:5], y[:5], "bce")
    assert [s["layer"] for s in stepper.steps] == [4, 3, 2, 1]
    images = {stepper.image.value}
    for i in range(1, 4):
        stepper.step.value = i
        images.add(stepper.image.value)
    assert len(images) == 4
    model.forward(X[:5]); model.backward_loss("bce", y[:5])
    for s in stepper.steps:
        np.testing.assert_allclose(s["dW"], model.layers[s["layer"] - 1].dW, rtol=1e-13, atol=1e-300)

@pytest.mark.parametrize("activation,init", [("sigmoid", "xavier"), ("relu", "he"), ("tanh", "normal")])
def test_layer_stats_match_torch(activation, init):
    torch = pytest.importorskip("torch")
    model = deep_mlp(depth=8, width=16, activation=activation, init=init, seed=3)
    stats = layer_stats(model, X, y, "bce")
    net = model.to_torch()
    Xt = torch.from_numpy(X)
    zs, h = [], Xt
    for m in net:
        h = m(h)
        if isinstance(m, torch.nn.Linear): h.retain_grad(); zs.append(h)
    torch.nn.functional.binary_cross_entropy(h[:, 0], torch.from_numpy(y).double()).backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    np.testing.assert_allclose([r["delta_norm"] for r in stats], [z.grad.norm().item() for z in zs], rtol=1e-9)
    np.testing.assert_allclose([r["grad_norm"] for r in stats], [l.weight.grad.norm().item() for l in linears], rtol=1e-9)

@pytest.mark.parametrize("kwargs,error,message", [
    (dict(depth=50), ValueError, "depth must be an integer in [2, 20], got 50"),
    (dict(width=1), ValueError, "width must be an integer in [2, 128], got 1"),
    (dict(width=8.5), TypeError, "width must be an integer, got 8.5"),
    (dict(activation="swish"), ValueError, "activation must be one of 'sigmoid', 'tanh', 'relu'"),
    (dict(init="glorot"), ValueError, "init must be one of 'xavier', 'he', 'normal'; got 'glorot'"),
    (dict(lr=0), ValueError, "lr must be a number > 0, got 0.0")])
def test_lab_refuses_what_its_controls_cannot_show(kwargs, error, message):
    with pytest.raises(error) as e: gradient_flow_lab(**kwargs)
    assert message in str(e.value)

@pytest.mark.parametrize("steps", [[], None, [1]])
def test_plot_backward_steps_refuses_non_records(steps):
    with pytest.raises(ValueError, match="steps must be the non-empty list of records `backward_steps` returns"):
        plot_backward_steps(steps)

def test_heatmap_numbers_readable():
    "Numbers in the stepper's heatmaps are >= 10 px at 72 dpi (the widgets' resolution), white on dark cells, black on light."
    import matplotlib; matplotlib.use("Agg")
    model = deep_mlp(depth=3, width=3, activation="tanh", seed=1)
    fig = plot_backward_steps(backward_steps(model, X[:4], y[:4], "bce"))
    texts = [t for ax in fig.axes for t in ax.texts if t.get_text().lstrip("-").replace(".", "").replace("e", "").isdigit()]
    assert len(texts) > 20
    for ax in fig.axes:
        if not ax.images: continue
        M = ax.images[0].get_array(); m = np.abs(M).max()
        for t in ax.texts:
            v = M[round(t.get_position()[1]), round(t.get_position()[0])]
            assert t.get_fontsize() >= 10
            assert t.get_color() == ("white" if abs(v) > 0.55 * m else "black")

def test_histograms_centred_on_their_labels():
    import matplotlib.collections as mc
    model = deep_mlp(5, 8, "sigmoid", "xavier", seed=0)
    from backprop_nb.diagnostics import _draw_histograms
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    steps = backward_steps(model, X, y, "bce")
    _draw_histograms(ax, steps[::-1])
    bottoms = sorted(c.get_paths()[0].vertices[:, 1].min() for c in ax.collections if isinstance(c, mc.PolyCollection))
    assert np.allclose(bottoms, np.arange(1, 6) - 0.45)       # each histogram sits on a band centred on its label
    assert list(ax.get_yticks()) == [1, 2, 3, 4, 5]

def test_saved_outputs_show_a_picture():
    for widget in (gradient_flow_lab(depth=3), backward_stepper(deep_mlp(depth=3, width=3), X[:5], y[:5], "bce")):
        bundle = widget._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert bundle["text/html"].startswith('<img src="data:image/png;base64,') and "run the cells" in bundle["text/html"]
        assert not bundle["text/plain"].startswith("VBox(")

def test_lab_and_stepper_have_fixed_widths():
    "Every box has a fixed pixel width and the picture is shown 1:1, so nothing moves when a control changes the picture."
    import io
    from PIL import Image
    for widget in (gradient_flow_lab(depth=3), backward_stepper(deep_mlp(depth=3, width=3), X[:5], y[:5], "bce")):
        width = Image.open(io.BytesIO(widget.image.value)).size[0]
        assert widget.layout.width == widget.image.layout.width == f"{width}px"
    lab = gradient_flow_lab(depth=3)
    assert all(c.layout.width == "210px" for c in (lab.depth, lab.activation, lab.init, lab.width))
