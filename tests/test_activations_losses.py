"Property tests (hypothesis) for activations and losses: gradients vs central differences, formulas, extremes, PyTorch parity."
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from backprop_nb.activations import ACTIVATIONS, get_activation
from backprop_nb.gradcheck import check_grad
from backprop_nb.losses import LOSSES, get_loss, softmax

SETTINGS = settings(max_examples=40, deadline=None)
shapes = st.tuples(st.integers(1, 6), st.integers(1, 4))
KINKED = {"relu", "leaky_relu"}


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def batch(lo, hi, shape=shapes):
    "Float64 arrays of a random (N, K) shape with elements in [lo, hi]."
    return shape.flatmap(lambda s: arrays(np.float64, s, elements=floats(lo, hi)))


def away_from_kink(z, name):
    "Push elements within 1e-3 of 0 away from it for activations with a kink there."
    return np.where(np.abs(z) < 1e-3, 0.5, z) if name in KINKED else z


@st.composite
def targets_for(draw, loss_name):
    "A (prediction, target) pair valid for `loss_name`."
    n, k = draw(shapes)
    if loss_name == "mse": return draw(arrays(np.float64, (n, k), elements=floats(-3, 3))), draw(arrays(np.float64, (n, k), elements=floats(-3, 3)))
    if loss_name == "bce": return draw(arrays(np.float64, (n, k), elements=floats(0.02, 0.98))), draw(arrays(np.float64, (n, k), elements=floats(0, 1)))
    k = max(k, 2)  # softmax_ce: logits and integer labels
    return draw(arrays(np.float64, (n, k), elements=floats(-8, 8))), np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))


def reference_loss(name, y_hat, y):
    "Each loss written straight from its formula: per-sample sum over units, mean over the batch."
    if name == "mse": return np.mean(np.sum(0.5 * (y - y_hat) ** 2, axis=1))
    if name == "bce": return np.mean(np.sum(-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)), axis=1))
    log_p = y_hat - np.log(np.sum(np.exp(y_hat), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(y)), y])


# ---- activations -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@SETTINGS
@given(z=batch(-4, 4))
def test_activation_grad_matches_central_differences(name, z):
    f = get_activation(name)
    z = away_from_kink(z, name)
    err = check_grad(lambda z: f(z).sum(), z, f.grad(z), name=f"{name}'(z)")
    assert err < 1e-6
    np.testing.assert_allclose(f.grad(z, f(z)), f.grad(z), rtol=0, atol=1e-15)  # reusing a = f(z) changes nothing
    assert f(z).shape == f.grad(z).shape == z.shape


@SETTINGS
@given(z=batch(-1e4, 1e4))
def test_sigmoid_finite_without_warnings(z):
    f = get_activation("sigmoid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, da = f(z), f.grad(z)
    assert np.isfinite(a).all() and np.isfinite(da).all()
    assert ((a >= 0) & (a <= 1)).all() and ((da >= 0) & (da <= 0.25)).all()


def test_sigmoid_extremes():
    f = get_activation("sigmoid")
    np.testing.assert_array_equal(f(np.array([-1e4, 0.0, 1e4])), [0.0, 0.5, 1.0])


# ---- losses ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(LOSSES))
@SETTINGS
@given(data=st.data())
def test_loss_matches_formula_and_grad_matches_central_differences(name, data):
    loss = get_loss(name)
    y_hat, y = data.draw(targets_for(name))
    assert isinstance(loss(y_hat, y), float)
    np.testing.assert_allclose(loss(y_hat, y), reference_loss(name, y_hat, y), rtol=1e-12, atol=1e-12)
    g = loss.grad(y_hat, y)
    assert g.shape == y_hat.shape
    # at an exact minimum (y_hat == y) the gradient is 0 and a *relative* error only measures rounding noise
    assume(np.abs(g).max() > 1e-6)
    assert check_grad(lambda v: loss(v, y), y_hat, g, name=f"{name}.grad") < 1e-6


@SETTINGS
@given(data=st.data())
def test_softmax_ce_one_hot_equals_labels(data):
    z, labels = data.draw(targets_for("softmax_ce"))
    one_hot = np.eye(z.shape[1])[labels]
    loss = get_loss("softmax_ce")
    np.testing.assert_allclose(loss(z, one_hot), loss(z, labels), rtol=1e-12)
    np.testing.assert_allclose(loss.grad(z, one_hot), loss.grad(z, labels), rtol=1e-12)
    np.testing.assert_allclose(loss.grad(z, labels), (softmax(z) - one_hot) / len(z), atol=1e-15)


@SETTINGS
@given(n=st.integers(1, 8), data=st.data())
def test_bce_finite_at_zero_and_one(n, data):
    y_hat = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)))
    bce = get_loss("bce")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(bce(y_hat, y)) and np.isfinite(bce.grad(y_hat, y)).all()
    if (y_hat == y).all(): assert bce(y_hat, y) < 1e-12


@SETTINGS
@given(z=batch(-1e4, 1e4, st.tuples(st.integers(1, 5), st.integers(2, 4))))
def test_softmax_ce_finite_at_extreme_logits(z):
    loss = get_loss("softmax_ce")
    labels = np.zeros(len(z), dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(loss(z, labels)) and np.isfinite(loss.grad(z, labels)).all()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_mismatched_shapes_name_both(name):
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(3, 2\)"):
        get_loss(name)(np.full((4, 2), 0.5), np.full((3, 2), 0.5))


def test_unknown_names_list_valid_ones():
    with pytest.raises(ValueError, match="sigmoid"): get_activation("swish")
    with pytest.raises(ValueError, match="mse"): get_loss("hinge")


# ---- PyTorch parity (optional oracle) ----------------------------------------------------------------

def _torch_activation(torch, name):
    F = torch.nn.functional
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "identity": lambda z: z * 1.0}[name]


def _torch_loss(torch, name, y_hat, y):
    F, n = torch.nn.functional, y_hat.shape[0]
    if name == "mse": return 0.5 * F.mse_loss(y_hat, y, reduction="sum") / n
    if name == "bce": return F.binary_cross_entropy(y_hat, y, reduction="sum") / n
    return F.cross_entropy(y_hat, y)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@settings(max_examples=20, deadline=None)
@given(z=batch(-20, 20))
def test_activation_parity_with_torch(name, z):
    torch = pytest.importorskip("torch")
    z = np.concatenate([z.ravel(), [0.0]])  # include the kink: the conventions at 0 match PyTorch's
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    at = _torch_activation(torch, name)(zt)
    at.sum().backward()
    f = get_activation(name)
    np.testing.assert_allclose(f(z), at.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f.grad(z), zt.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(LOSSES))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_loss_parity_with_torch(name, data):
    torch = pytest.importorskip("torch")
    y_hat, y = data.draw(targets_for(name))
    yh_t = torch.tensor(y_hat, requires_grad=True)
    lt = _torch_loss(torch, name, yh_t, torch.tensor(y))
    lt.backward()
    loss = get_loss(name)
    np.testing.assert_allclose(loss(y_hat, y), lt.item(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss.grad(y_hat, y), yh_t.grad.numpy(), rtol=1e-10, atol=1e-14)
