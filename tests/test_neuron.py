"The single neuron over random shapes and values: backward vs central differences and vs PyTorch autograd."
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_nb.gradcheck import check_grad
from backprop_nb.losses import get_loss
from backprop_nb.neuron import Neuron, chain_rule_table, train_neuron

PAIRS = [("sigmoid", "mse"), ("sigmoid", "bce"), ("tanh", "mse"), ("relu", "mse"), ("leaky_relu", "mse"), ("identity", "mse")]
cases = st.tuples(st.sampled_from(PAIRS), st.integers(1, 5), st.integers(1, 6), st.integers(0, 2**31 - 1))


def _setup(pair, n_in, n, seed):
    "A seeded neuron, batch and targets; pre-activations kept away from ReLU's kink."
    (act, loss_name), rng = pair, np.random.default_rng(seed)
    neuron = Neuron(n_in, act, seed=seed)
    X = rng.normal(size=(n, n_in))
    z = X @ neuron.w + neuron.b
    X[np.abs(z) < 1e-3] += 0.1  # step off the kink (rarely needed)
    y = rng.integers(0, 2, n).astype(float) if loss_name == "bce" else rng.normal(size=n)
    return neuron, get_loss(loss_name), X, y


@settings(max_examples=40, deadline=None)
@given(case=cases)
def test_backward_matches_central_differences(case):
    neuron, loss, X, y = _setup(*case)
    dX = neuron.backward(loss.grad(neuron.forward(X), y))
    L = lambda _: loss(neuron.forward(X), y)
    check_grad(L, neuron.w, neuron.dw, name="dw")
    check_grad(L, X, dX, name="dX")
    check_grad(lambda b: loss(neuron.f(X @ neuron.w + b[0]), y), np.array([neuron.b]), np.array([neuron.db]), name="db")


@settings(max_examples=25, deadline=None)
@given(case=cases)
def test_backward_matches_torch(case):
    torch = pytest.importorskip("torch")
    neuron, loss, X, y = _setup(*case)
    dX = neuron.backward(loss.grad(neuron.forward(X), y))
    F = torch.nn.functional
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "identity": lambda z: z}[neuron.f.name]
    w = torch.tensor(neuron.w, requires_grad=True)
    b = torch.tensor(float(neuron.b), dtype=torch.float64, requires_grad=True)
    Xt, yt = torch.tensor(X, requires_grad=True), torch.tensor(y)
    a = act(Xt @ w + b)
    Lt = (F.binary_cross_entropy(a, yt, reduction="sum") if loss.name == "bce" else 0.5 * ((a - yt) ** 2).sum()) / len(X)
    Lt.backward()
    np.testing.assert_allclose(neuron.dw, w.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(neuron.db, b.grad.item(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-10, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-3, 3), w=st.floats(-2, 2), b=st.floats(-2, 2), y=st.floats(0, 1),
       act=st.sampled_from(["sigmoid", "tanh"]), loss=st.sampled_from(["mse", "bce"]))
def test_chain_rule_table_product_and_estimates(x, w, b, y, act, loss):
    if loss == "bce" and act != "sigmoid": act = "sigmoid"  # bce needs a probability
    t = chain_rule_table(x, w, b, y, activation=act, loss=loss)
    v = {r["key"]: r["value"] for r in t.rows}
    np.testing.assert_allclose(v["dL_dw"], v["dL_da"] * v["da_dz"] * v["dz_dw"], rtol=1e-14)
    np.testing.assert_allclose(v["dL_db"], v["dL_da"] * v["da_dz"], rtol=1e-14)
    for r in t.rows:
        if r["numeric"] is not None:
            assert abs(r["value"] - r["numeric"]) <= 1e-6 * max(1.0, abs(r["value"])), r


def test_same_seed_same_training():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, 50).astype(float)
    runs = [train_neuron(Neuron(3, seed=7), X, y, lr=0.3, epochs=20) for _ in range(2)]
    assert runs[0] == runs[1] and all(isinstance(h, float) for h in runs[0])
