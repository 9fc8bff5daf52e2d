"Tests for `backprop_nb.training`: PyTorch parity of whole runs, divergence, early stopping, determinism, errors."
import json
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from backprop_nb.layers import MLP
from backprop_nb.gradcheck import rel_error
from backprop_nb.training import fit, evaluate, accuracy, clip_grad_norm, History
from backprop_nb.data import make_moons, make_spiral, make_regression_1d

# (loss, output activation, outputs, data maker)
PAIRS = {"mse": ("identity", 1, lambda: make_regression_1d(24, 0.1, seed=1)),
         "bce": ("sigmoid", 1, lambda: make_moons(24, 0.2, seed=1)),
         "softmax_ce": ("identity", 3, lambda: make_spiral(24, 0.2, seed=1))}


def _torch_loss(name, out, y):
    import torch
    F = torch.nn.functional
    if name == "mse": return 0.5 * ((out[:, 0] - y) ** 2).mean()
    if name == "bce": return F.binary_cross_entropy(out[:, 0], y)
    return F.cross_entropy(out, y)


def _torch_run(net, X, y, loss, lr, momentum, clip_norm, epochs):
    "Full-batch SGD in PyTorch on `net.to_torch()`; global-norm clipping by the exact formula (no 1e-6 in the denominator)."
    import torch
    model = net.to_torch()
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y) if loss == "softmax_ce" else torch.from_numpy(y.astype(np.float64))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = [_torch_loss(loss, model(Xt), yt).item()]
    for _ in range(epochs):
        opt.zero_grad()
        _torch_loss(loss, model(Xt), yt).backward()
        if clip_norm is not None:
            norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
            if norm > clip_norm:
                for p in model.parameters(): p.grad *= clip_norm / norm
        opt.step()
        with torch.no_grad(): losses.append(_torch_loss(loss, model(Xt), yt).item())
    return model, losses


@pytest.mark.parametrize("loss", PAIRS)
@pytest.mark.parametrize("momentum, clip_norm", [(0.0, None), (0.9, None), (0.5, 0.05)])
def test_full_batch_run_equals_pytorch(loss, momentum, clip_norm):
    "Ten full-batch epochs of `fit` give PyTorch's losses and weights (float64, rel. error <= 1e-9)."
    pytest.importorskip("torch")
    output, K, make = PAIRS[loss]
    X, y = make()
    net = MLP([X.shape[1], 5, 4, K], "tanh", output, seed=3)
    model, torch_losses = _torch_run(net, X, y, loss, 0.3, momentum, clip_norm, epochs=10)
    hist = fit(net, X, y, loss=loss, lr=0.3, momentum=momentum, clip_norm=clip_norm, epochs=10,
               batch_size=len(X), restore_best=False, progress=False)
    assert rel_error(hist.train_loss, torch_losses) <= 1e-9
    linears = [m for m in model if hasattr(m, "weight")]
    for layer, lin in zip(net.layers, linears):
        assert rel_error(layer.W, lin.weight.detach().numpy().T) <= 1e-9
        assert rel_error(layer.b, lin.bias.detach().numpy()) <= 1e-9


def test_clip_grad_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    ts = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for t, g in zip(ts, grads): t.grad = torch.from_numpy(g.copy())
    want_norm = torch.nn.utils.clip_grad_norm_(ts, 0.5).item()
    got_norm = clip_grad_norm(grads, 0.5)
    assert rel_error(got_norm, want_norm) <= 1e-12
    for t, g in zip(ts, grads): assert rel_error(g, t.grad.numpy()) <= 1e-5  # torch divides by norm + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_moons_validation_accuracy(seed):
    X, y = make_moons(400, noise=0.15, seed=seed)
    net = MLP([2, 16, 16, 1], activation="tanh", output="sigmoid", seed=seed)
    hist = fit(net, X, y, loss="bce", lr=0.5, epochs=300, validation=0.25, seed=seed, progress=False)
    assert hist.val_acc[hist.best_epoch] >= 0.97


def test_spiral_training_accuracy():
    X, y = make_spiral(300, seed=1)
    net = MLP([2, 100, 3], activation="relu", output="identity", init="he", seed=1)
    fit(net, X, y, loss="softmax_ce", lr=2.0, epochs=100, batch_size=64, seed=1, progress=False)
    assert accuracy(net, X, y) >= 0.95


def _finite(net): return all(np.isfinite(p).all() for p, _ in net.parameters())


@pytest.mark.parametrize("loss", PAIRS)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("restore_best", [True, False])
def test_huge_lr_diverges_with_finite_weights(loss, seed, restore_best):
    output, K, _ = PAIRS[loss]
    X, y = {"mse": make_regression_1d, "bce": make_moons, "softmax_ce": make_spiral}[loss](200, 0.1, seed=seed)
    net = MLP([X.shape[1], 16, 16, K], "tanh", output, seed=seed)
    hist = fit(net, X, y, loss=loss, lr=1e4, epochs=50, validation=0.25, seed=seed, restore_best=restore_best, progress=False)
    assert hist.stop_reason == "diverged" and hist.diverged_epoch == hist.epochs
    assert _finite(net)
    if restore_best:  # the best epoch's weights are back: its loss is what the network now has
        assert evaluate(net, X, y, loss)[0] < 10 * hist.train_loss[0]


def test_diverged_run_keeps_last_finite_epoch_without_restore():
    X, y = make_regression_1d(100, seed=0)
    net = MLP([1, 16, 1], "tanh", "identity", seed=0)
    hist = fit(net, X, y, loss="mse", lr=2.0, epochs=50, batch_size=100, restore_best=False, progress=False)
    assert hist.stop_reason == "diverged" and hist.diverged_epoch > 1
    ref = MLP([1, 16, 1], "tanh", "identity", seed=0)
    fit(ref, X, y, loss="mse", lr=2.0, epochs=hist.diverged_epoch - 1, batch_size=100, restore_best=False, progress=False)
    for (p, _), (q, _) in zip(net.parameters(), ref.parameters()): np.testing.assert_array_equal(p, q)


def test_no_improvement_stops_after_patience_with_initial_weights():
    X, y = make_moons(100, seed=0)
    net = MLP([2, 8, 1], "tanh", "sigmoid", seed=0)
    w0 = [p.copy() for p, _ in net.parameters()]
    hist = fit(net, X, y, loss="bce", epochs=50, validation=0.2, patience=3, min_delta=1e9, progress=False)
    assert (hist.stop_reason, hist.best_epoch, hist.epochs) == ("early_stop", 0, 3)
    for (p, _), w in zip(net.parameters(), w0): np.testing.assert_array_equal(p, w)


def test_restore_best_puts_back_the_best_epoch():
    X, y = make_moons(30, noise=0.3, seed=2)
    def run(**kw):
        net = MLP([2, 32, 32, 1], "tanh", "sigmoid", seed=0)
        return net, fit(net, X, y, loss="bce", lr=1.0, batch_size=15, validation=0.5, progress=False, **kw)
    net, hist = run(epochs=400)
    assert 0 < hist.best_epoch < 400
    ref, _ = run(epochs=hist.best_epoch, restore_best=False)
    for (p, _), (q, _) in zip(net.parameters(), ref.parameters()): np.testing.assert_array_equal(p, q)
    assert evaluate(net, X, y, "bce")[0] != evaluate(run(epochs=400, restore_best=False)[0], X, y, "bce")[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_seed_bit_identical(dtype):
    X, y = make_spiral(150, seed=0)
    def run(seed):
        net = MLP([2, 16, 3], "relu", init="he", seed=0, dtype=dtype)
        h = fit(net, X, y, loss="softmax_ce", lr=0.5, epochs=8, batch_size=16, validation=0.2, momentum=0.9,
                clip_norm=1.0, seed=seed, progress=False)
        return net, h
    (n1, h1), (n2, h2), (_, h3) = run(7), run(7), run(8)
    assert h1 == h2 and h1.train_loss != h3.train_loss
    for (p, _), (q, _) in zip(n1.parameters(), n2.parameters()):
        assert p.dtype == dtype
        np.testing.assert_array_equal(p, q)


def test_history_is_plain_and_json_ready():
    X, y = make_moons(80, seed=0)
    h = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", epochs=5, validation=0.25, progress=False)
    assert isinstance(h, History) and h.epochs == 5 and h.stop_reason == "max_epochs" and h.diverged_epoch is None
    for k in ("train_loss", "val_loss", "train_acc", "val_acc"):
        v = getattr(h, k)
        assert type(v) is list and len(v) == 6 and all(type(x) is float for x in v)
    json.dumps(h.__dict__)
    h_reg = fit(MLP([1, 4, 1]), *make_regression_1d(20), epochs=2, progress=False)
    assert h_reg.train_acc == [] and h_reg.val_loss == [] and h_reg.val_acc == []


def test_validation_tuple_is_used_as_is():
    X, y = make_moons(80, seed=0)
    Xv, yv = make_moons(40, seed=1)
    net = MLP([2, 4, 1], "tanh", "sigmoid")
    want = evaluate(net, Xv, yv, "bce")
    h = fit(net, X, y, loss="bce", epochs=2, validation=(Xv, yv), progress=False)
    assert (h.val_loss[0], h.val_acc[0]) == want


def test_custom_optimizer_is_stepped():
    class Count:
        steps = 0
        def step(self): self.steps += 1
    X, y = make_moons(50, seed=0)
    opt = Count()
    h = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", epochs=3, batch_size=10, optimizer=opt, progress=False)
    assert opt.steps == 15 and h.train_loss[0] == h.train_loss[-1]  # the counter never moves a weight


def test_progress_bar_outside_a_notebook(capsys):
    X, y = make_moons(50, seed=0)
    fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", epochs=3, progress=True)
    assert "100.00%" in capsys.readouterr().out
    fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", epochs=3, progress=False)
    assert capsys.readouterr().out == ""


X0, y0 = make_moons(20, seed=0)
BAD = [
    (dict(lr=0), ValueError, "lr must be a finite number > 0"),
    (dict(lr=float("inf")), ValueError, "lr must be a finite number > 0"),
    (dict(lr=-1), ValueError, "lr must be a finite number > 0"),
    (dict(momentum=1.0), ValueError, "momentum must be in [0, 1)"),
    (dict(epochs=0), ValueError, "epochs must be an integer >= 1"),
    (dict(epochs=2.5), ValueError, "epochs must be an integer >= 1"),
    (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1"),
    (dict(patience=0), ValueError, "patience must be None or an integer >= 1"),
    (dict(min_delta=-0.1), ValueError, "min_delta must be a finite number >= 0"),
    (dict(clip_norm=0.0), ValueError, "clip_norm must be None or a finite number > 0"),
    (dict(diverge_factor=1.0), ValueError, "diverge_factor must be a finite number > 1"),
    (dict(validation=1.5), ValueError, "val_fraction must be in (0, 1)"),
    (dict(validation=[X0, y0]), TypeError, "validation must be None, a fraction"),
    (dict(validation=(X0[:, :1], y0)), ValueError, "expected X with 2 features, got 1"),
    (dict(validation=(X0, y0 + 5)), ValueError, "bce targets must lie in [0, 1]"),
    (dict(loss="hinge"), ValueError, "unknown loss 'hinge'"),
    (dict(X=X0[:, :1]), ValueError, "expected X with 2 features, got 1"),
    (dict(X=np.where(X0 > 0.5, np.inf, X0)), ValueError, "NaN or inf"),
    (dict(X=X0[:0], y=y0[:0]), ValueError, "X is empty"),
    (dict(y=y0[:5]), ValueError, "X has 20 rows, y has shape (5,)"),
    (dict(y=y0 - 1), ValueError, "bce targets must lie in [0, 1]"),
]


@pytest.mark.parametrize("kw, exc, msg", BAD, ids=[str(list(kw)) for kw, _, _ in BAD])
def test_bad_input_is_named(kw, exc, msg):
    kw = dict(dict(X=X0, y=y0, loss="bce", epochs=2, progress=False), **kw)
    with pytest.raises(exc) as e: fit(MLP([2, 3, 1], "tanh", "sigmoid"), **kw)
    assert msg in str(e.value)


def test_softmax_labels_out_of_range_and_nan_targets():
    Xs, ys = make_spiral(30, seed=0)
    with pytest.raises(ValueError, match=r"class labels must lie in 0\.\.2"):
        fit(MLP([2, 4, 3]), Xs, ys + 1, loss="softmax_ce", progress=False)
    Xr, yr = make_regression_1d(10)
    with pytest.raises(ValueError, match="y contains NaN or infinite values"):
        fit(MLP([1, 4, 1]), Xr, np.where(yr > 0, np.nan, yr), loss="mse", progress=False)



@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 40), hidden=st.integers(1, 6), batch_size=st.integers(1, 50), epochs=st.integers(1, 4),
       loss=st.sampled_from(list(PAIRS)), dtype=st.sampled_from([np.float64, np.float32]),
       validation=st.sampled_from([None, 0.5]), seed=st.integers(0, 2**31))
def test_fit_shapes_and_types(n, hidden, batch_size, epochs, loss, dtype, validation, seed):
    "Any small problem trains without error; the history has one entry per epoch plus the start, the weights keep their dtype."
    output, K, make = PAIRS[loss]
    X, y = make()
    X, y = X[:n], y[:n]
    net = MLP([X.shape[1], hidden, K], "tanh", output, seed=seed, dtype=dtype)
    h = fit(net, X, y, loss=loss, lr=0.1, epochs=epochs, batch_size=batch_size, validation=validation, seed=seed, progress=False)
    assert h.stop_reason in ("max_epochs", "diverged")
    assert len(h.train_loss) == h.epochs + 1 and h.epochs <= epochs
    assert len(h.val_loss) == (h.epochs + 1 if validation else 0)
    assert len(h.train_acc) == (h.epochs + 1 if loss != "mse" else 0)
    assert all(p.dtype == dtype and np.isfinite(p).all() for p, _ in net.parameters())
