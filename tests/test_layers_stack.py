"The layer stack without PyTorch: Dropout and BatchNorm gradients by central differences, train/eval, bad input, snapshot/restore, save/load robustness."
import io, math
import numpy as np
import pytest
from backprop_nb.gradcheck import check_grad
from backprop_nb.layers import MLP, Dense, Dropout, BatchNorm, init_weights
from backprop_nb.losses import Loss, get_loss

def test_dropout_gradient_through_fixed_mask():
    x, g = np.random.default_rng(1).standard_normal((7, 5)), np.random.default_rng(2).standard_normal((7, 5))
    drop = Dropout(0.4, seed=3)
    def L(_):
        drop.rng = np.random.default_rng(3)  # the same mask on every call
        return np.sum(g * drop.forward(x))
    L(None)
    check_grad(L, x, drop.backward(g), name="dropout dx")
    assert set(np.unique(drop.mask)) <= {0.0, 1 / 0.6}

def test_dropout_same_seed_same_masks_and_float32_kept():
    x = np.ones((4, 6), np.float32)
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    assert np.array_equal(a.forward(x), b.forward(x)) and a.forward(x).dtype == np.float32

@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_central_differences(training):
    rng = np.random.default_rng(4)
    x, g = rng.standard_normal((6, 3)) * 2 + 1, rng.standard_normal((6, 3))
    bn = BatchNorm(3).train(training)
    bn.gamma[:], bn.running_var[:] = [0.5, 1.5, 2.0], 3.0
    L = lambda _: np.sum(g * bn.forward(x))
    L(None); dx = bn.backward(g)
    check_grad(L, x, dx, name="dx"); check_grad(L, bn.gamma, bn.dgamma.copy(), name="dgamma")
    check_grad(L, bn.beta, bn.dbeta.copy(), name="dbeta")

@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("loss,output,K", [("mse", "identity", 2), ("bce", "sigmoid", 1), ("softmax_ce", "identity", 3)])
def test_stack_gradients(training, loss, output, K):
    rng = np.random.default_rng(0)
    net = MLP([3, 5, 4, K], "tanh", output, seed=1, batchnorm=True, dropout=0.25).train(training)
    X = rng.standard_normal((8, 3))
    y = rng.standard_normal((8, K)) if loss == "mse" else rng.integers(0, max(K, 2), 8)
    def L(_):
        for l in net.layers[1:]: l.drop.rng = np.random.default_rng(0)
        return get_loss(loss)(net.forward(X), y)
    L(None); net.backward_loss(loss, y)
    for i, (p, g) in enumerate(net.parameters()):
        if training and any(p is l.b for l in net.layers if l.norm): assert np.abs(g).max() < 1e-12; continue
        check_grad(L, p, g.copy(), name=f"param {i}")

def test_default_stack_unchanged():
    "The default MLP draws the same weights as before the stack grew, and has no BatchNorm or Dropout."
    net, rng = MLP([3, 4, 2], seed=5), np.random.default_rng(5)
    for l, (n_in, n_out) in zip(net.layers, [(3, 4), (4, 2)]):
        assert np.array_equal(l.W, init_weights(n_in, n_out, "xavier", rng)) and l.norm is None and l.drop is None
    assert [p.shape for p, _ in net.parameters()] == [(3, 4), (4,), (4, 2), (2,)]
    assert repr(net) == "MLP([3, 4, 2], activation='tanh', output='identity', dtype=float64)"

def test_train_eval_switch_every_layer():
    net = MLP([2, 4, 4, 1], batchnorm=True, dropout=0.5)
    assert net.eval() is net and not any(l.training for l in [*net.layers, *net.layers[1].sublayers()])
    X = np.random.default_rng(0).standard_normal((1, 2))
    assert net.forward(X).shape == (1, 1)  # one sample is fine in evaluation mode
    net.train()
    with pytest.raises(ValueError, match="at least 2 samples in training mode"): net.forward(X)
    with pytest.raises(TypeError, match="mode must be True or False"): net.train("yes")

@pytest.mark.parametrize("make,err,msg", [
    (lambda: Dropout(1.0), ValueError, r"p must be a number in \[0, 1\), got 1.0"),
    (lambda: Dropout(-0.2), ValueError, "p must be a number in"),
    (lambda: Dropout(math.nan), ValueError, "p must be a finite number"),
    (lambda: Dropout("0.5"), TypeError, "p must be a number"),
    (lambda: Dropout(True), TypeError, "p must be a number"),
    (lambda: Dropout(0.5, seed=-1), TypeError, "seed must be a seed"),
    (lambda: BatchNorm(0), ValueError, "n must be an integer >= 1"),
    (lambda: BatchNorm(3, eps=0), ValueError, "eps must be a number > 0"),
    (lambda: BatchNorm(3, momentum=1.5), ValueError, "momentum must be a number in"),
    (lambda: BatchNorm(3, dtype=np.float16), TypeError, "float16"),
    (lambda: BatchNorm(3).forward(np.ones((1, 3))), ValueError, "at least 2 samples in training mode"),
    (lambda: BatchNorm(3).backward(np.ones((2, 3))), RuntimeError, "before forward"),
    (lambda: Dense(True, 3), TypeError, "n_in must be an integer, got True"),
    (lambda: Dense(2, 3, dtype=int), TypeError, "dtype must be float32 or float64"),
    (lambda: Dense(2, 3, dtype=bool), TypeError, "dtype must be float32 or float64"),
    (lambda: Dense(2, 3, dtype=complex), TypeError, "dtype must be float32 or float64"),
    (lambda: Dense(2, 3, dtype=object), TypeError, "dtype must be float32 or float64"),
    (lambda: init_weights(2, 3, dtype=np.int64), TypeError, "dtype must be float32 or float64"),
    (lambda: init_weights(2.0, 3), TypeError, "n_in must be an integer"),
    (lambda: MLP(3), TypeError, "sizes must be a list of layer widths"),
    (lambda: MLP([3, 0]), ValueError, r"sizes\[1\] must be an integer >= 1"),
    (lambda: MLP([3, 2], batchnorm=1), TypeError, "batchnorm must be True or False"),
    (lambda: MLP([3, 2], dropout=1), ValueError, r"dropout must be a number in \[0, 1\)"),
    (lambda: MLP([3, 2], seed="a"), TypeError, "seed must be a seed"),
])
def test_bad_input_is_a_clear_error(make, err, msg):
    with pytest.raises(err, match=msg): make()

class Picky(Loss):
    "A loss that refuses every target after checking them (as bce refuses targets outside [0, 1])."
    name = "picky"
    def __call__(self, y_hat, y): raise ValueError("picky refuses these targets")
    def grad(self, y_hat, y): return np.zeros_like(y_hat)

@pytest.mark.parametrize("loss,y", [(Picky(), [0.0, 1.0, 0.0]), ("bce", [3.0, 4.0, 5.0])])
def test_backward_loss_leaves_gradients_alone_when_it_raises(loss, y):
    net = MLP([2, 4, 1], output="sigmoid", batchnorm=True)
    X = np.random.default_rng(0).standard_normal((3, 2))
    net.forward(X); net.backward_loss("bce", [0.0, 1.0, 1.0])
    before = [g.copy() for _, g in net.parameters()]
    with pytest.raises(ValueError): net.backward_loss(loss, np.array(y))
    assert all(np.array_equal(g, b) for (_, g), b in zip(net.parameters(), before))

def test_snapshot_restore_includes_running_statistics():
    net = MLP([2, 4, 1], batchnorm=True)
    X = np.random.default_rng(0).standard_normal((6, 2))
    snap = net.snapshot()
    net.forward(X)  # moves the running statistics
    net.restore(snap)
    assert np.array_equal(net.layers[0].norm.running_var, np.ones(4)) and len(snap) == 8
    with pytest.raises(ValueError, match="weights must be a list of 8 arrays"): net.restore(snap[:6])

# --- MLP.load robustness (issue 10) ---
def npz_bytes(**arrays):
    "An in-memory `.npz` file holding `arrays`."
    buf = io.BytesIO(); np.savez(buf, **arrays); buf.seek(0)
    return buf

def saved_arrays(net):
    "What `save` writes for `net`, as a dict."
    buf = io.BytesIO(); net.save(buf); buf.seek(0)
    with np.load(buf) as f: return {k: f[k] for k in f.files}

NET = MLP([2, 5, 1], output="sigmoid", batchnorm=True, seed=3)

def test_load_from_a_file_object_and_from_a_path(tmp_path):
    buf = io.BytesIO(); NET.save(buf); buf.seek(0)
    assert repr(MLP.load(buf)) == repr(NET)
    with open(tmp_path / "net.npz", "wb") as f: NET.save(f)
    back = MLP.load(tmp_path / "net.npz")
    assert all(np.array_equal(a, b) for a, b in zip(back.snapshot(), NET.snapshot()))

def test_old_files_without_stack_entries_load():
    arrays = saved_arrays(MLP([2, 3, 1]))
    del arrays["batchnorm"], arrays["dropout"]
    assert repr(MLP.load(npz_bytes(**arrays))) == repr(MLP([2, 3, 1]))

@pytest.mark.parametrize("change,msg", [
    (dict(W0=np.ones((1, 5))), r"W0 has shape \(1, 5\), expected \(2, 5\)"),                       # would broadcast
    (dict(sizes=np.array([2, 5])), "holds W1, b1, beta0, gamma0, running_mean0, running_var0, which a network of sizes"),                       # shorter sizes
    (dict(W1=np.full((5, 1), np.nan)), "W1 holds NaN"),
    (dict(running_var0=np.full(5, np.inf)), "running_var0 holds NaN, inf"),
    (dict(gamma0=None), "has no gamma0"),
    (dict(sizes=None), "it has no sizes"),
])
def test_load_refuses_files_that_do_not_fit(change, msg):
    arrays = {**saved_arrays(NET), **change}
    with pytest.raises(ValueError, match=msg): MLP.load(npz_bytes(**{k: v for k, v in arrays.items() if v is not None}))

def test_load_refuses_broken_and_foreign_files(tmp_path):
    good = io.BytesIO(); NET.save(good)
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "cut.npz").write_bytes(good.getvalue()[:200])
    (tmp_path / "text.npz").write_text("not an archive")
    np.save(tmp_path / "array.npy", np.ones(3)); (tmp_path / "array.npy").rename(tmp_path / "array.npz")
    for name in ("empty", "cut", "text", "array"):
        with pytest.raises(ValueError, match="is not an .npz file written by MLP.save"): MLP.load(tmp_path / f"{name}.npz")
    with pytest.raises(ValueError, match=r"seek\(0\)"): MLP.load(good)  # read from the end of what was written
    with pytest.raises(FileNotFoundError): MLP.load(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match="path must be a file path or a binary file object"): MLP.load(3)

def test_fit_measures_in_evaluation_mode_and_keeps_the_training_mode():
    "With Dropout and BatchNorm, fit's history is the deterministic evaluation-mode loss; the model is left in training mode."
    from backprop_nb.data import make_moons
    from backprop_nb.training import fit
    X, y = make_moons(64, noise=0.2, seed=0)
    net = MLP([2, 16, 16, 1], output="sigmoid", batchnorm=True, dropout=0.5, seed=0)
    h = fit(net, X, y, loss="bce", epochs=3, batch_size=16, restore_best=False, progress=False)
    assert net.training
    assert abs(h.train_loss[-1] - get_loss("bce")(net.eval().forward(X), y)) <= 1e-12
