"Sanity checks before training (10b_sanity_checks) and the course's claims about PyTorch's conventions."
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_nb.data import make_moons
from backprop_nb.layers import MLP
from backprop_nb.losses import get_loss
from backprop_nb.sanity import expected_initial_loss, sanity_checks


@pytest.mark.parametrize("k", [1, 3, 10])
def test_mse_is_k_over_2_times_torch_mseloss(k):
    "03_losses: `mse` (½ Σ over units, mean over the batch) = K/2 × `nn.MSELoss()`, and so are the gradients."
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(k)
    y_hat, y = rng.normal(size=(7, k)), rng.normal(size=(7, k))
    t = torch.tensor(y_hat, requires_grad=True)
    ref = torch.nn.MSELoss()(t, torch.tensor(y))
    ref.backward()
    mse = get_loss("mse")
    np.testing.assert_allclose(mse(y_hat, y), k / 2 * ref.item(), rtol=1e-12)
    np.testing.assert_allclose(mse.grad(y_hat, y), k / 2 * t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("k", [2, 10])
def test_chance_loss_matches_torch(k):
    "10b: with all logits 0, PyTorch's cross-entropy is ln K, as `expected_initial_loss` says."
    torch = pytest.importorskip("torch")
    y = np.arange(12) % k
    ref = torch.nn.CrossEntropyLoss()(torch.zeros(12, k, dtype=torch.float64), torch.tensor(y)).item()
    np.testing.assert_allclose(expected_initial_loss("softmax_ce", y, k), ref, rtol=1e-12)
    np.testing.assert_allclose(ref, np.log(k), rtol=1e-12)


@settings(max_examples=8, deadline=None)
@given(width=st.integers(2, 6), activation=st.sampled_from(["tanh", "sigmoid", "leaky_relu"]), seed=st.integers(0, 50))
def test_checks_never_touch_the_model(width, activation, seed):
    "Every check runs on a copy: weights, gradients and caches of the model passed in are unchanged."
    X, y = make_moons(60, noise=0.1, seed=seed)
    net = MLP([2, width, 1], activation=activation, output="sigmoid", seed=seed)
    net.forward(X[:3]); net.backward_loss("bce", y[:3])
    before = [a.copy() for pair in net.parameters() for a in pair] + [l.x.copy() for l in net.layers]
    report = sanity_checks(net, X, y, "bce", epochs=20, n_grad=2, seed=seed)
    after = [a for pair in net.parameters() for a in pair] + [l.x for l in net.layers]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert [r["key"] for r in report.rows] == ["initial_loss", "overfit", "gradients"]
    assert report["gradients"]["value"] < 1e-6  # random inputs almost surely stay off leaky_relu's kink
