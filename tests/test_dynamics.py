"`dynamics.ActivationStats` driven through the callback protocol by hand: every recorded number against a direct computation."
from types import SimpleNamespace
import numpy as np
import pytest
from backprop_nb.activations import get_activation
from backprop_nb.dynamics import ActivationStats, max_grad, stuck
from backprop_nb.layers import MLP
from backprop_nb.optim import SGD

def drive(net, X, y, epochs=3, batches=2, **kw):
    "Run the callback's hooks as `fit` does: before_fit, (before_step per batch, after_epoch) per epoch."
    cb, opt = ActivationStats(**kw), SGD(net, 0.1)
    run = SimpleNamespace(model=net, X=X, y=y, opt=opt, epoch=0)
    cb.before_fit(run)
    norms = []
    for run.epoch in range(1, epochs + 1):
        per_step = []
        for Xb, yb in zip(np.array_split(X, batches), np.array_split(y, batches)):
            net.forward(Xb); net.backward_loss("bce", yb)
            cb.before_step(run)
            per_step.append([np.linalg.norm(l.dW) for l in net.layers])
            opt.step()
        norms.append(np.mean(per_step, axis=0))
        cb.after_epoch(run)
    return cb, norms

@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_records_match_a_direct_computation(activation):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 3)) * 3, rng.integers(0, 2, 60).astype(float)
    net = MLP([3, 5, 4, 1], activation, "sigmoid", seed=1)
    cb, norms = drive(net, X, y, n=40)
    np.testing.assert_allclose(cb.grad_norm, norms, rtol=1e-12)
    net.forward(X[:40])  # the final weights on the fixed sample = the last row
    for l, layer in enumerate(net.layers[:-1]):
        mask = layer.act.grad(layer.z, layer.a) < 0.01 * max_grad(layer.act)
        assert cb.mean[-1][l] == pytest.approx(layer.a.mean()) and cb.std[-1][l] == pytest.approx(layer.a.std())
        assert cb.stuck[-1][l] == pytest.approx(mask.mean()) and cb.dead[-1][l] == pytest.approx(mask.all(axis=0).mean())
        assert cb.hist[-1][l].sum() == layer.a.size
    assert cb.epochs == [0, 1, 2, 3] and len(cb.grad_norm) == 3

def test_bounded_activations_use_their_range_and_others_the_data():
    X = np.random.default_rng(1).standard_normal((30, 2))
    cb, _ = drive(MLP([2, 3, 3, 1], "sigmoid", "sigmoid", seed=0), X, np.zeros(30), bins=5)
    assert cb.ranges == [(0.0, 1.0), (0.0, 1.0)]
    cb, _ = drive(MLP([2, 3, 3, 1], "relu", "sigmoid", init="he", seed=0), X, np.zeros(30), bins=5)
    assert all(lo == 0.0 and hi > 0 for lo, hi in cb.ranges)

def test_stuck_thresholds():
    z = np.array([-8.0, -4.0, -0.5, 0.5, 4.0, 8.0])
    assert stuck(get_activation("sigmoid"), z).tolist() == [True, False, False, False, False, True]
    assert stuck(get_activation("relu"), z).tolist() == [True, True, True, False, False, False]
    assert max_grad(get_activation("tanh")) == pytest.approx(1.0)

@pytest.mark.parametrize("kw,error,text", [
    (dict(bins=1), ValueError, "bins must be an integer >= 2"),
    (dict(n=0), ValueError, "n must be an integer >= 1"),
    (dict(tol=1.0), ValueError, "tol must be a number in (0, 1)"),
    (dict(X=np.zeros(3)), ValueError, "X must be 2-D"),
    (dict(X="data"), TypeError, "X must be an array of numbers"),
])
def test_bad_arguments(kw, error, text):
    with pytest.raises(error, match=None) as e: ActivationStats(**kw)
    assert text in str(e.value)

def test_model_without_dense_layers_is_refused():
    with pytest.raises(TypeError, match="at least two Dense layers"):
        ActivationStats().before_fit(SimpleNamespace(model=object(), X=np.zeros((2, 2))))

def test_plots_refuse_what_is_not_a_recorded_run():
    from backprop_nb.dynamics import plot_activation_hist, plot_activation_stats
    for plot in (plot_activation_hist, plot_activation_stats):
        with pytest.raises(TypeError, match="stats must be an ActivationStats"): plot(None)
        with pytest.raises(ValueError, match="no epochs recorded yet"): plot(ActivationStats())

def test_names_work_like_activation_objects():
    z = np.linspace(-9, 9, 7)
    assert (stuck("tanh", z) == stuck(get_activation("tanh"), z)).all() and max_grad("sigmoid") == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown activation"): stuck("sigmoidd", z)
    with pytest.raises(ValueError, match="X is empty"): ActivationStats(X=np.zeros((0, 2)))
