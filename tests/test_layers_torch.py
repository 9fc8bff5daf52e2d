"PyTorch parity of `layers` and `optim` (float64, rel. error <= 1e-9), hypothesis shape/dtype properties, save/load."
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from backprop_nb.activations import ACTIVATIONS
from backprop_nb.gradcheck import rel_error
from backprop_nb.layers import MLP
from backprop_nb.losses import get_loss
from backprop_nb.optim import SGD

torch = pytest.importorskip("torch")
F = torch.nn.functional
PAIRS = {"mse": ("identity", 2), "bce": ("sigmoid", 1), "softmax_ce": ("identity", 3)}  # loss: (output, K)
TORCH_LOSS = {  # our convention: per-sample sum over output units, mean over the batch
    "mse": lambda y_hat, y: 0.5 * F.mse_loss(y_hat, y, reduction="sum") / len(y_hat),
    "bce": lambda y_hat, y: F.binary_cross_entropy(y_hat, y[:, None]),
    "softmax_ce": lambda z, y: F.cross_entropy(z, y),
}
REL = 1e-9

def net_and_data(activation, loss, seed=0, batch=7):
    output, K = PAIRS[loss]
    rng = np.random.default_rng(seed)
    net = MLP([3, 5, 4, K], activation, output, seed=seed)
    for l in net.layers: l.b[:] = rng.standard_normal(l.b.shape) * 0.5
    X = rng.standard_normal((batch, 3))
    y = {"mse": lambda: rng.standard_normal((batch, K)), "bce": lambda: rng.integers(0, 2, batch).astype(float),
         "softmax_ce": lambda: rng.integers(0, K, batch)}[loss]()
    return net, X, y

def torch_grads(net, X, y, loss):
    "Loss, per-layer (dW, db) in our layout, and dL/dX from torch autograd."
    model, Xt = net.to_torch(), torch.tensor(X, requires_grad=True)
    L = TORCH_LOSS[loss](model(Xt), torch.from_numpy(y))
    L.backward()
    lins = [m for m in model if isinstance(m, torch.nn.Linear)]
    return L.item(), [(m.weight.grad.numpy().T, m.bias.grad.numpy()) for m in lins], Xt.grad.numpy()

@pytest.mark.parametrize("loss", PAIRS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_loss_and_grads_match_torch(activation, loss):
    net, X, y = net_and_data(activation, loss)
    L_t, grads_t, dX_t = torch_grads(net, X, y, loss)
    net.forward(X)
    L = net.backward_loss(loss, y)
    assert abs(L - L_t) <= REL * abs(L_t)
    for k, (layer, (dW_t, db_t)) in enumerate(zip(net.layers, grads_t)):
        assert rel_error(layer.dW, dW_t) <= REL, f"layer {k} dW"
        assert rel_error(layer.db, db_t) <= REL, f"layer {k} db"
    dX = net.backward(get_loss(loss).grad(net.forward(X), y))  # the chained path and dL/dX
    assert rel_error(dX, dX_t) <= REL
    for layer, (dW_t, _) in zip(net.layers, grads_t): assert rel_error(layer.dW, dW_t) <= REL

@pytest.mark.parametrize("dtype,rel", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_equivalent(activation, dtype, rel):
    net = MLP([4, 8, 8, 3], activation, "sigmoid", seed=1, dtype=dtype)
    X = np.random.default_rng(2).standard_normal((10, 4)).astype(dtype)
    model = net.to_torch()
    with torch.no_grad(): out = model(torch.from_numpy(X)).numpy()
    assert out.dtype == dtype
    assert rel_error(net.forward(X), out) <= rel
    assert sum(isinstance(m, torch.nn.Linear) for m in model) == 3

@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch(momentum):
    net, X, y = net_and_data("tanh", "softmax_ce")
    model = net.to_torch()
    opt, topt = SGD(net, lr=0.3, momentum=momentum), torch.optim.SGD(model.parameters(), lr=0.3, momentum=momentum)
    for _ in range(5):
        net.forward(X); net.backward_loss("softmax_ce", y); opt.step()
        topt.zero_grad(); F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y)).backward(); topt.step()
    lins = [m for m in model if isinstance(m, torch.nn.Linear)]
    for layer, m in zip(net.layers, lins):
        assert rel_error(layer.W, m.weight.detach().numpy().T) <= REL
        assert rel_error(layer.b, m.bias.detach().numpy()) <= REL

sizes_st = st.lists(st.integers(1, 6), min_size=2, max_size=4)

@settings(max_examples=40, deadline=None)
@given(sizes=sizes_st, batch=st.integers(1, 8), dtype=st.sampled_from([np.float32, np.float64]),
       activation=st.sampled_from(sorted(ACTIVATIONS)), seed=st.integers(0, 2**16))
def test_shapes_and_dtypes(sizes, batch, dtype, activation, seed):
    net = MLP(sizes, activation, seed=seed, dtype=dtype)
    X = np.random.default_rng(seed).uniform(-3, 3, (batch, sizes[0]))  # float64 input is cast to the model dtype
    y_hat = net.forward(X)
    assert y_hat.shape == (batch, sizes[-1]) and y_hat.dtype == dtype
    dX = net.backward(np.ones_like(y_hat))
    assert dX.shape == X.shape and dX.dtype == dtype
    net.backward_loss("mse", np.zeros((batch, sizes[-1])))
    for p, g in net.parameters(): assert p.dtype == g.dtype == dtype and p.shape == g.shape
    assert all(np.isfinite(g).all() for _, g in net.parameters())

@settings(max_examples=20, deadline=None)
@given(sizes=sizes_st, dtype=st.sampled_from([np.float32, np.float64]),
       activation=st.sampled_from(sorted(ACTIVATIONS)), output=st.sampled_from(sorted(ACTIVATIONS)),
       init=st.sampled_from(["xavier", "he", "normal"]), seed=st.integers(0, 2**16))
def test_save_load_round_trip(tmp_path_factory, sizes, dtype, activation, output, init, seed):
    net = MLP(sizes, activation, output, init, seed=seed, dtype=dtype)
    path = tmp_path_factory.mktemp("npz") / "net.npz"
    net.save(path)
    with np.load(path, allow_pickle=False) as f: assert "sizes" in f  # no pickled objects inside
    loaded = MLP.load(path)
    assert repr(loaded) == repr(net) and loaded.init == init
    for (p, _), (q, _) in zip(loaded.parameters(), net.parameters()):
        assert p.dtype == q.dtype and np.array_equal(p, q)

def test_label_out_of_range_is_a_clear_error():
    net, X, y = net_and_data("relu", "softmax_ce")
    net.forward(X)
    with pytest.raises(ValueError, match="class labels must lie in 0..2"): net.backward_loss("softmax_ce", y + 3)

# --- BatchNorm, Dropout and the stack with them (issue 12): float64, <= 1e-10 ---
from backprop_nb.layers import BatchNorm, Dropout
REL_BN = 1e-10

def batchnorm_pair(n=4, seed=0):
    "Our BatchNorm and torch's BatchNorm1d with the same random gamma, beta; and a generator for the data."
    rng = np.random.default_rng(seed)
    ours = BatchNorm(n)
    ours.gamma[:], ours.beta[:] = rng.uniform(0.5, 2, n), rng.standard_normal(n)
    theirs = torch.nn.BatchNorm1d(n, dtype=torch.float64)
    with torch.no_grad(): theirs.weight.copy_(torch.from_numpy(ours.gamma)); theirs.bias.copy_(torch.from_numpy(ours.beta))
    return ours, theirs, rng

@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_matches_torch(training):
    ours, theirs, rng = batchnorm_pair()
    for _ in range(3):  # move the running statistics over a few training batches first
        x = rng.standard_normal((9, 4)) * [1, 3, 0.5, 2] + [1, -2, 0, 5]
        ours.forward(x); theirs(torch.from_numpy(x))
    ours.train(training); theirs.train(training)
    x, g = rng.standard_normal((9, 4)) * 2 - 1, rng.standard_normal((9, 4))
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    (yt * torch.from_numpy(g)).sum().backward()
    y, dx = ours.forward(x), None
    dx = ours.backward(g)
    for got, want in ((y, yt.detach()), (dx, xt.grad), (ours.dgamma, theirs.weight.grad), (ours.dbeta, theirs.bias.grad),
                      (ours.running_mean, theirs.running_mean), (ours.running_var, theirs.running_var)):
        assert rel_error(got, want.numpy()) <= REL_BN

def test_dropout_eval_is_identity_like_torch():
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert np.array_equal(Dropout(0.4).eval().forward(x), x)
    assert np.array_equal(torch.nn.Dropout(0.4).eval()(torch.from_numpy(x)).numpy(), x)

def stack_net(seed=0, **kw):
    "A 3-6-5-2 relu MLP with BatchNorm (and the given options), trained 3 SGD steps so every statistic is non-trivial."
    net = MLP([3, 6, 5, 2], "relu", seed=seed, batchnorm=True, **kw)
    rng, opt = np.random.default_rng(seed), SGD(net, lr=0.1)
    for _ in range(3):
        net.forward(rng.standard_normal((8, 3)) * 2 + 1); net.backward_loss("softmax_ce", rng.integers(0, 2, 8)); opt.step()
    return net

def test_batchnorm_dropout_mlp_to_torch_eval_outputs_equal():
    net = stack_net(dropout=0.3).eval()
    X = np.random.default_rng(5).standard_normal((7, 3))
    model = net.to_torch()
    assert not model.training
    assert [type(m).__name__ for m in model][:5] == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    with torch.no_grad(): out = model(torch.from_numpy(X)).numpy()
    assert rel_error(net.forward(X), out) <= REL_BN

def test_batchnorm_mlp_training_step_matches_torch():
    "Train mode end to end: loss, every gradient (W, b, gamma, beta), then the running statistics after SGD steps."
    net = stack_net()
    model, rng = net.to_torch(), np.random.default_rng(9)
    assert model.training
    opt, topt = SGD(net, lr=0.2), torch.optim.SGD(model.parameters(), lr=0.2)
    for _ in range(4):
        X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
        net.forward(X); L = net.backward_loss("softmax_ce", y)
        topt.zero_grad(); L_t = F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y)); L_t.backward()
        assert abs(L - L_t.item()) <= REL_BN * abs(L_t.item())
        for (p, g), tp in zip(net.parameters(), model.parameters()):
            want = tp.grad.numpy().T if tp.ndim == 2 else tp.grad.numpy()
            assert rel_error(g, want) <= 1e-9 or np.abs(want).max() < 1e-14  # b before BatchNorm: exactly 0 up to rounding
        opt.step(); topt.step()
    bns = [m for m in model if isinstance(m, torch.nn.BatchNorm1d)]
    for l, bn in zip([l for l in net.layers if l.norm], bns):
        assert rel_error(l.norm.running_var, bn.running_var.numpy()) <= REL_BN
        assert rel_error(l.norm.gamma, bn.weight.detach().numpy()) <= 1e-9

def test_mse_is_K_over_2_times_torch_mseloss():
    "Our mse (1/2 summed over the K units, mean over the batch) is K/2 x torch.nn.MSELoss() (mean over all N K entries)."
    rng = np.random.default_rng(0)
    y_hat, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    want = 4 / 2 * torch.nn.MSELoss()(torch.from_numpy(y_hat), torch.from_numpy(y)).item()
    assert abs(get_loss("mse")(y_hat, y) - want) <= 1e-12 * want
