"Tests for `backprop_nb.training`: PyTorch parity of whole runs, divergence, early stopping, determinism, errors."
import json
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from backprop_nb.layers import MLP
from backprop_nb.gradcheck import rel_error
from backprop_nb.optim import SGD
from backprop_nb.training import (fit, evaluate, accuracy, predict, predict_proba, clip_grad_norm, History,
                                   ClipGradNorm, DivergenceWatch, EarlyStopping)
from backprop_nb.learning_rate import lr_find
from backprop_nb.data import make_moons, make_spiral, make_regression_1d
from backprop_nb import layers

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
    hist = fit(net, X, y, loss=loss, optimizer=SGD(net, 0.3, momentum=momentum), epochs=10, batch_size=len(X),
               callbacks=[ClipGradNorm(clip_norm)] if clip_norm else [], restore_best=False, progress=False)
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
    hist = fit(net, X, y, loss="bce", epochs=50, validation=0.2, callbacks=[EarlyStopping(3, min_delta=1e9)], progress=False)
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
        h = fit(net, X, y, loss="softmax_ce", lr=0.5, epochs=8, batch_size=16, validation=0.2, optimizer="momentum",
                callbacks=[ClipGradNorm(1.0)], seed=seed, progress=False)
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
    for k in ("train_loss", "val_loss", "train_acc", "val_acc", "lr"):
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
        steps, lr = 0, 0.1
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
    (dict(lr=0), ValueError, "lr must be a number > 0, got 0"),
    (dict(lr=float("inf")), ValueError, "lr must be a finite number"),
    (dict(lr=-1), ValueError, "lr must be a number > 0"),
    (dict(lr="0.1"), TypeError, "lr must be a number"),
    (dict(epochs=0), ValueError, "epochs must be an integer >= 1"),
    (dict(epochs=2.5), TypeError, "epochs must be an integer"),
    (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1"),
    (dict(patience=0), ValueError, "patience must be an integer >= 1"),
    (dict(seed=-1), ValueError, "seed must be an integer >= 0 or a numpy.random.Generator, got -1"),
    (dict(seed=1.5), TypeError, "seed must be an integer >= 0 or a numpy.random.Generator, got 1.5"),
    (dict(progress="yes"), TypeError, "progress must be True or False"),
    (dict(schedule=0.5), TypeError, "schedule must be None or callable"),
    (dict(optimizer=object()), TypeError, "optimizer must be a name"),
    (dict(optimizer="adagrad"), ValueError, "optimizer must be one of"),
    (dict(lr=0.1, optimizer=SGD(MLP([2, 3, 1], "tanh", "sigmoid"), 0.1)), ValueError, "given together with an optimizer object"),
    (dict(optimizer=SGD(MLP([2, 3, 1], "tanh", "sigmoid"), 0.1)), ValueError, "optimizer was built for another model"),
    (dict(callbacks=[1]), TypeError, "callbacks must have a method among before_fit"),
    (dict(patience=2, callbacks=[EarlyStopping(3)]), ValueError, "set them in one place"),
    (dict(restore_best=False, callbacks=[EarlyStopping(3)]), ValueError, "set them in one place"),
    (dict(validation=1.5), ValueError, "validation must be a number in (0, 1), got 1.5"),
    (dict(validation=0.01), ValueError, "validation=0.01 leaves an empty part for 20 samples"),
    (dict(validation=[X0, y0]), TypeError, "validation must be None, a fraction"),
    (dict(validation=(X0[:, :1], y0)), ValueError, "X_val has 1 features per row but the model takes 2"),
    (dict(validation=(X0, y0 + 5)), ValueError, "bce targets must lie in [0, 1] (a class 0/1 or a probability); y_val has values from 5 to 6"),
    (dict(validation=(X0, y0[:3])), ValueError, "X_val has 20 rows, y_val has shape (3,)"),
    (dict(validation=(np.where(X0 > 0, np.nan, X0), y0)), ValueError, "X_val contains NaN"),
    (dict(loss="hinge"), ValueError, "unknown loss 'hinge'"),
    (dict(X=X0[:, :1]), ValueError, "X has 1 features per row but the model takes 2"),
    (dict(X=X0.astype(np.complex128)), TypeError, "X must hold real numbers"),
    (dict(y=np.full(20, 1.7)), ValueError, "bce targets must lie in [0, 1]"),
    (dict(y=np.eye(2)[y0]), ValueError, "y has 2 columns but the model has 1 output units"),
    (dict(X=np.where(X0 > 0.5, np.inf, X0)), ValueError, "X contains NaN or infinite values"),
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


def test_bce_on_raw_scores_is_refused_before_training():
    net = MLP([2, 8, 1], output="identity")
    w0 = [p.copy() for p, _ in net.parameters()]
    with pytest.raises(ValueError, match="use output='sigmoid', or softmax_ce on logits"):
        fit(net, X0, y0, loss="bce", progress=False)
    for (p, _), w in zip(net.parameters(), w0): np.testing.assert_array_equal(p, w)


def test_float16_model_is_refused():
    "Refused when the model is built (MLP checks its dtype), so fit never sees a float16 network."
    with pytest.raises(TypeError, match="float16 is not supported"): MLP([2, 3, 1], "tanh", "sigmoid", dtype=np.float16)


def test_validation_fraction_may_be_a_numpy_float_and_seed_a_generator():
    a = fit(MLP([2, 3, 1], "tanh", "sigmoid"), X0, y0, loss="bce", epochs=2, validation=np.float32(0.25), progress=False)
    b = fit(MLP([2, 3, 1], "tanh", "sigmoid"), X0, y0, loss="bce", epochs=2, validation=0.25, progress=False)
    c = fit(MLP([2, 3, 1], "tanh", "sigmoid"), X0, y0, loss="bce", epochs=2, validation=0.25, seed=np.random.default_rng(0), progress=False)
    assert a == b == c


@pytest.mark.parametrize("bad, msg", [(y0[:1], "X has 20 rows, y has shape (1,)"), (np.full(20, 5), "must lie in [0, 1]"),
                                      (np.full(20, 1.7), "must lie in [0, 1]"), (np.full(20, np.nan), "y contains NaN")])
def test_accuracy_refuses_bad_labels(bad, msg):
    with pytest.raises(ValueError) as e: accuracy(MLP([2, 3, 1], "tanh", "sigmoid"), X0, bad)
    assert msg in str(e.value)
    with pytest.raises(ValueError): accuracy(MLP([2, 3, 3]), X0, bad)


@pytest.mark.parametrize("max_norm, exc", [(-1, ValueError), (0, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
                                           ("1", TypeError), (None, TypeError)])
def test_clip_grad_norm_refuses_bad_max_norm(max_norm, exc):
    g = [np.ones(3)]
    with pytest.raises(exc, match="max_norm must be a"): clip_grad_norm(g, max_norm)
    with pytest.raises(exc, match="max_norm must be a"): ClipGradNorm(max_norm)
    np.testing.assert_array_equal(g[0], 1.0)


def test_callback_protocol_order_and_stop():
    events = []
    class Spy:
        def before_fit(self, run): events.append(("before_fit", run.epoch, run.history.epochs))
        def before_epoch(self, run): events.append(("before_epoch", run.epoch))
        def before_step(self, run): events.append(("before_step", run.epoch))
        def after_epoch(self, run):
            events.append(("after_epoch", run.epoch, run.history.epochs))
            assert run.X_val is not None and len(run.X_val) == 5 and run.opt.lr == 0.1
            if run.epoch == 2: run.stop_reason = "enough"
        def after_fit(self, run): events.append(("after_fit", run.epoch))
    h = fit(MLP([2, 3, 1], "tanh", "sigmoid"), X0, y0, loss="bce", epochs=5, batch_size=10, validation=0.25,
            callbacks=[Spy()], progress=False)
    steps = [("before_step", 1)] * 2
    assert events == [("before_fit", 0, 0), ("before_epoch", 1), *steps, ("after_epoch", 1, 1),
                      ("before_epoch", 2), *[("before_step", 2)] * 2, ("after_epoch", 2, 2), ("after_fit", 2)]
    assert h.stop_reason == "enough" and h.epochs == 2


def test_schedule_sets_lr_per_epoch_and_history_records_it():
    seen = []
    class Watch:
        def before_epoch(self, run): seen.append(run.opt.lr)
    X, y = make_moons(60, seed=0)
    h = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", lr=0.8, epochs=6, progress=False,
            schedule=lambda epoch, base_lr: base_lr / (1 + epoch), callbacks=[Watch()])
    assert h.lr == [0.8] + seen and seen == [0.8 / (1 + e) for e in range(6)]
    with pytest.raises(ValueError, match=r"the lr returned by schedule\(0, 0.1\) for epoch 1 of epochs=2 must be a number > 0, got -1.0"):
        fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", epochs=2, progress=False, schedule=lambda e, lr: -1.0)


def test_worse_than_start_flags_a_failed_run():
    X, y = make_moons(200, seed=0)
    h = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", lr=50.0, epochs=10, restore_best=False,
            callbacks=[DivergenceWatch(float("inf"))], progress=False)
    assert h.stop_reason == "max_epochs" and h.worse_than_start and "ended worse than it started" in repr(h)
    good = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", lr=0.5, epochs=10, progress=False)
    assert not good.worse_than_start and "lower the learning rate" not in repr(good)
    div = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", lr=1e4, epochs=10, progress=False)
    assert div.worse_than_start and f"diverged at epoch {div.diverged_epoch}: lower the learning rate" in repr(div)


def test_inputs_are_never_copied_whole_or_mutated():
    "fit gathers batches and chunks from the caller's arrays: its peak extra memory is a small fraction of X."
    import tracemalloc
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 100)); y = (X[:, 0] > 0).astype(np.int64)
    X_before, y_before = X.copy(), y.copy()
    net = MLP([100, 16, 1], "tanh", "sigmoid", dtype=np.float32)   # a float32 model on float64 data: cast per batch
    tracemalloc.start()
    try: fit(net, X, y, loss="bce", epochs=1, batch_size=256, validation=0.1, progress=False)
    finally: peak = tracemalloc.get_traced_memory()[1]; tracemalloc.stop()
    assert peak < 0.25 * X.nbytes      # a whole copy would be 0.5x (the cast) to 1x (the split)
    np.testing.assert_array_equal(X, X_before); np.testing.assert_array_equal(y, y_before)


def test_memory_mapped_data_gives_the_in_memory_results(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 20)).astype(np.float32)
    y = (X[:, :3].sum(1) > 0).astype(np.int64) + (X[:, 3:6].sum(1) > 0)
    np.save(tmp_path / "X.npy", X); np.save(tmp_path / "y.npy", y)
    Xm, ym = np.load(tmp_path / "X.npy", mmap_mode="r"), np.load(tmp_path / "y.npy", mmap_mode="r")
    def run(X, y):
        net = MLP([20, 16, 3], "relu", init="he", seed=1)
        return net, fit(net, X, y, loss="softmax_ce", lr=0.2, epochs=3, batch_size=64, validation=0.2, seed=3, progress=False)
    (n1, h1), (n2, h2) = run(X, y), run(Xm, ym)
    assert h1 == h2
    for (p, _), (q, _) in zip(n1.parameters(), n2.parameters()): np.testing.assert_array_equal(p, q)
    assert evaluate(n1, X, y, "softmax_ce") == evaluate(n1, Xm, ym, "softmax_ce")
    np.testing.assert_array_equal(predict(n1, Xm), layers.predict(n1, X))
    np.testing.assert_allclose(predict_proba(n1, Xm), layers.predict_proba(n1, X), rtol=1e-12)
    assert lr_find(n1, X, y, "softmax_ce", steps=30).lrs.tolist() == lr_find(n1, Xm, ym, "softmax_ce", steps=30).lrs.tolist()
    assert isinstance(Xm, np.memmap) and not Xm.flags.writeable


def test_chunked_evaluation_matches_one_pass():
    "Sets bigger than one chunk: the chunk-weighted mean equals the one-pass loss to rounding, accuracy exactly."
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5000, 300)); y = rng.integers(0, 4, 5000)
    net = MLP([300, 8, 4], seed=0)
    y_hat = net.forward(X)
    loss, acc = evaluate(net, X, y, "softmax_ce")
    assert rel_error(loss, layers.get_loss("softmax_ce")(y_hat, y)) < 1e-12
    assert acc == float(np.mean(y_hat.argmax(1) == y)) == accuracy(net, X, y)


def test_lr_find_never_suggests_below_its_range():
    X, y = make_moons(200, seed=0)
    res = lr_find(MLP([2, 8, 1], "tanh", "sigmoid"), X, y, "bce", lr_min=1.0, lr_max=1e4, steps=20)
    assert res.suggestion >= res.lrs[0] == 1.0
    for kw, exc in [(dict(beta=1), ValueError), (dict(beta="0.9"), TypeError), (dict(stop_factor=1), ValueError),
                    (dict(seed=-1), ValueError), (dict(batch_size=0), ValueError)]:
        with pytest.raises(exc): lr_find(MLP([2, 8, 1], "tanh", "sigmoid"), X, y, "bce", **kw)


def test_early_stopping_callback_alone_decides_restore_best():
    "A lone `EarlyStopping(restore_best=False)` is accepted and keeps the last weights; explicit settings in both places or two of them are refused."
    X, y = make_moons(60, seed=0)
    net = MLP([2, 4, 1], "tanh", "sigmoid", seed=0)
    h = fit(net, X, y, loss="bce", lr=5.0, epochs=8, callbacks=[EarlyStopping(3, restore_best=False)], progress=False)
    assert h.stop_reason == "early_stop" and h.epochs == h.best_epoch + 3
    assert h.train_loss[-1] == evaluate(net, X, y, "bce")[0] != h.train_loss[h.best_epoch]  # the last weights kept, not the best
    for kw in (dict(restore_best=True), dict(restore_best=False), dict(patience=2)):
        with pytest.raises(ValueError, match="set them in one place"):
            fit(net, X, y, loss="bce", callbacks=[EarlyStopping(3)], progress=False, **kw)
    with pytest.raises(ValueError, match="callbacks hold 2 EarlyStopping objects"):
        fit(net, X, y, loss="bce", callbacks=[EarlyStopping(3), EarlyStopping(4)], progress=False)


def test_schedule_checked_for_every_epoch_before_training():
    from backprop_nb.optim import WarmupCosine
    X, y = make_moons(40, seed=0)
    net = MLP([2, 4, 1], "tanh", "sigmoid", seed=0)
    opt, before = SGD(net, 0.3), net.snapshot()
    with pytest.raises(ValueError, match=r"schedule\(3, 0.3\) for epoch 4 of epochs=5 failed"):
        fit(net, X, y, loss="bce", epochs=5, optimizer=opt, schedule=WarmupCosine(1, 3), progress=False)
    with pytest.raises(ValueError, match=r"the lr returned by schedule\(2, 0.3\) for epoch 3 of epochs=4 must be a finite number"):
        fit(net, X, y, loss="bce", epochs=4, optimizer=opt, schedule=lambda e, lr: lr if e < 2 else float("nan"), progress=False)
    with pytest.raises(TypeError, match="the lr returned by schedule"):
        fit(net, X, y, loss="bce", epochs=4, optimizer=opt, schedule=lambda e, lr: "0.1", progress=False)
    assert opt.lr == 0.3 and opt.t == 0
    for p, q in zip(before, net.snapshot()): assert np.array_equal(p, q)
    h = fit(net, X, y, loss="bce", epochs=5, optimizer=opt, schedule=WarmupCosine(1, 5), progress=False)
    assert h.lr[1:] == [WarmupCosine(1, 5)(e, 0.3) for e in range(5)] and opt.lr == 0.3  # the base rate is back


@pytest.mark.parametrize("stop", ["early_stop", "diverged", "exception"])
def test_base_lr_restored_however_the_run_ends(stop):
    from backprop_nb.optim import StepLR
    X, y = make_moons(40, seed=0)
    net = MLP([2, 4, 1], "tanh", "sigmoid", seed=0)
    opt = SGD(net, 1e4 if stop == "diverged" else 0.5)
    class Boom:
        def after_epoch(self, run):
            if run.epoch == 2: raise RuntimeError("boom")
    kw = dict(early_stop=dict(callbacks=[EarlyStopping(1, min_delta=1.0)]), diverged={}, exception=dict(callbacks=[Boom()]))[stop]
    sched = lambda e, lr: lr * 0.5 ** (e + 1)
    if stop == "exception":
        with pytest.raises(RuntimeError, match="boom"): fit(net, X, y, loss="bce", epochs=50, optimizer=opt, schedule=sched, progress=False, **kw)
    else:
        h = fit(net, X, y, loss="bce", epochs=50, optimizer=opt, schedule=sched, progress=False, **kw)
        assert h.stop_reason == stop and h.epochs < 50
    assert opt.lr == (1e4 if stop == "diverged" else 0.5)


@pytest.mark.parametrize("n, batch_size, validation", [(65, 32, None), (50, 1, None), (81, 16, 0.2)])
def test_batchnorm_last_batch_of_one_refused_before_training(n, batch_size, validation):
    X, y = make_moons(n, seed=0)
    net = MLP([2, 6, 1], "tanh", "sigmoid", batchnorm=True, seed=0)
    before = net.snapshot()
    with pytest.raises(ValueError, match="leaves a last mini-batch of 1 sample") as e:
        fit(net, X, y, loss="bce", epochs=2, batch_size=batch_size, validation=validation, progress=False)
    for p, q in zip(before, net.snapshot()): assert np.array_equal(p, q)
    ok = int(str(e.value).rsplit("e.g. ", 1)[1])  # the suggested batch_size trains
    assert fit(net, X, y, loss="bce", epochs=2, batch_size=ok, validation=validation, progress=False).epochs == 2
    fit(MLP([2, 6, 1], "tanh", "sigmoid", seed=0), X, y, loss="bce", epochs=1, batch_size=batch_size, validation=validation, progress=False)


@pytest.mark.parametrize("name, lr", [("sgd", 0.1), ("momentum", 0.1), ("nesterov", 0.1), ("rmsprop", 0.01), ("adam", 1e-3), ("adamw", 1e-3)])
def test_named_optimizer_uses_its_own_default_lr(name, lr):
    X, y = make_moons(30, seed=0)
    h = fit(MLP([2, 4, 1], "tanh", "sigmoid"), X, y, loss="bce", epochs=1, optimizer=name, progress=False)
    assert h.lr == [lr, lr]


def test_optimizer_on_part_of_the_model_refused():
    X, y = make_moons(30, seed=0)
    net = MLP([2, 4, 4, 1], "tanh", "sigmoid")
    with pytest.raises(ValueError, match="optimizer holds only 4 of the model's 6 parameter arrays"):
        fit(net, X, y, loss="bce", optimizer=SGD(net.parameters()[2:], 0.1), progress=False)
