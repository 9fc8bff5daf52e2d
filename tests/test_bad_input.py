"""Every example of issue 10 ("no silent wrong answers") as a named regression test.

Each bad call must end in a clear error of ours -- raised by a `raise` statement inside backprop_nb, of type
TypeError/ValueError (FileNotFoundError for a missing file, RuntimeError for a call-order mistake), with a message
that names the argument -- and must leave every object as it was. Legitimate inputs must give correct results.
"""
import inspect, io, linecache, os, re
import matplotlib
matplotlib.use("Agg")
import numpy as np
import pytest

import backprop_nb
from backprop_nb import autograd, data, diagnostics, layers, learning_rate, losses, neuron, optim, playground, training
from backprop_nb.activations import get_activation
from backprop_nb.gradcheck import numerical_grad
from backprop_nb.layers import MLP, Dense, init_weights
from backprop_nb.losses import BCE, SoftmaxCE, output_delta
from backprop_nb.training import fit

PKG = os.path.dirname(backprop_nb.__file__)


def ours(types=(TypeError, ValueError), match=None):
    "`with ours(...)`: the block must raise an error of ours (a `raise` in backprop_nb) of `types`, matching `match`."
    return _Ours(types, match)


class _Ours:
    def __init__(self, types, match): self.types, self.match, self.value = types, match, None
    def __enter__(self): return self
    def __exit__(self, et, e, tb):
        assert e is not None, f"no error raised (expected {self.types})"
        assert isinstance(e, self.types), f"{type(e).__name__}: {e}"
        while tb.tb_next is not None: tb = tb.tb_next
        fn, ln = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        line = linecache.getline(fn, ln)
        assert os.path.abspath(fn).startswith(PKG + os.sep) and re.search(r"\braise\b", line), \
            f"{type(e).__name__} comes from inside {fn}:{ln}: {line.strip()} -- not a raise of ours: {e}"
        if self.match: assert re.search(self.match, str(e)), f"message {str(e)!r} does not match {self.match!r}"
        self.value = e
        return True


def weights(model):
    "A copy of every parameter array of `model`."
    return [p.copy() for p, _ in model.parameters()]


def grads(model):
    return [g.copy() for _, g in model.parameters()]


def same(a, b): return len(a) == len(b) and all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


@pytest.fixture
def moons():
    return data.make_moons(120, noise=0.1, seed=0)


def mlp(out="sigmoid", sizes=(2, 8, 1), **kw):
    return MLP(list(sizes), activation="tanh", output=out, seed=0, **kw)


def fit_quiet(model, X, y, **kw):
    "`fit` without a progress bar."
    return fit(model, X, y, progress=False, **kw)


# ---- the classic learner mistake: raw scores into bce ---------------------------------------------------------

def test_fit_bce_on_identity_output_is_refused_before_training(moons):
    X, y = moons
    m = mlp(out="identity")
    w0 = weights(m)
    with ours(ValueError, match=r"sigmoid"):
        fit_quiet(m, X, y, loss="bce", epochs=5)
    assert same(weights(m), w0)


def test_bce_refuses_raw_scores_with_the_fix():
    with ours(ValueError, match=r"bce expects probabilities in \[0, 1\]; got values up to 5"):
        BCE()([[5.0], [-3.0]], [1, 0])
    with ours(ValueError, match=r"use output='sigmoid', or softmax_ce on logits"):
        BCE().grad([[5.0], [-3.0]], [1, 0])


@pytest.mark.parametrize("shift", ["pm1", "plus3"])
def test_bce_targets_outside_unit_interval_refused_on_fused_path(shift):
    z = np.array([[0.5], [-1.0], [2.0]])
    y = np.array([1.0, 0.0, 1.0])
    bad = 2 * y - 1 if shift == "pm1" else y + 3
    with ours(ValueError, match=r"bce targets must lie in \[0, 1\]"):
        output_delta("bce", "sigmoid", z, get_activation("sigmoid")(z), bad)


def test_backward_loss_refuses_bad_targets_before_touching_gradients(moons):
    X, y = moons
    m = mlp()
    m.forward(X)
    g0 = grads(m)
    with ours(ValueError, match=r"\[0, 1\]"):
        m.backward_loss("bce", 2 * y - 1)
    assert same(grads(m), g0)


def test_softmax_ce_refuses_negative_probability_targets():
    z = np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0]])
    with ours(ValueError, match=r"\[0, 1\]"):
        SoftmaxCE()(z, [[1.5, -0.5, 0.0], [0.0, 0.0, 1.0]])


def test_softmax_ce_infinite_logit_gives_no_nan():
    ce = SoftmaxCE()
    z = np.array([[np.inf, 0.0, -1.0], [0.0, 1.0, 2.0]])
    try:
        L, g = ce(z, [0, 2]), ce.grad(z, [0, 2])
    except (TypeError, ValueError):
        return  # refusing non-finite logits clearly is the other acceptable answer
    assert not np.isnan(L) and not np.isnan(g).any()
    np.testing.assert_allclose(L, ce(z[1:], [2]) / 2)


# ---- wrong sizes broadcast instead of failing --------------------------------------------------------------

def test_accuracy_refuses_labels_of_another_length(moons):
    X, y = moons
    with ours(ValueError, match=r"y"):
        training.accuracy(mlp(), X, y[:1])


@pytest.mark.parametrize("label", [5, 1.7, np.nan])
def test_accuracy_refuses_impossible_labels(moons, label):
    X, y = moons
    y = y.astype(float)
    y[0] = label
    with ours(ValueError):
        training.accuracy(mlp(), X, y)


def test_scalar_neuron_refuses_input_of_wrong_length():
    with ours(ValueError, match=r"3"):
        autograd.Neuron(3)([1.0, 2.0])


def test_scalar_mlp_refuses_input_of_wrong_length():
    with ours(ValueError, match=r"2"):
        autograd.MLP(2, [4, 1])([1.0])


def test_scalar_neuron_and_mlp_refuse_empty_sizes():
    with ours(ValueError): autograd.Neuron(0)
    with ours(ValueError): autograd.MLP(2, [])


# ---- MLP.load ------------------------------------------------------------------------------------------------

def _saved(tmp_path, **override):
    "Save a small MLP, then rewrite its file with entries replaced by `override`."
    m = mlp(sizes=(2, 5, 1))
    p = tmp_path / "m.npz"
    m.save(p)
    with np.load(p) as f: entries = dict(f)
    entries.update(override)
    np.savez(p, **entries)
    return p


def test_load_refuses_weights_of_the_wrong_shape(tmp_path):
    p = _saved(tmp_path, W0=np.ones((1, 5)))
    with ours(ValueError, match=r"W0"): MLP.load(p)


def test_load_refuses_sizes_that_do_not_match_the_weights(tmp_path):
    p = _saved(tmp_path, sizes=np.array([2, 5]))
    with ours(ValueError): MLP.load(p)


def test_load_refuses_nan_weights(tmp_path):
    W = np.ones((2, 5)); W[0, 0] = np.nan
    p = _saved(tmp_path, W0=W)
    with ours(ValueError, match=r"NaN|finite"): MLP.load(p)


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", "truncated"])
def test_load_of_unreadable_files_is_a_clear_value_error(tmp_path, content):
    p = tmp_path / "bad.npz"
    if content == "truncated":
        mlp().save(p)
        content = p.read_bytes()[:100]
    p.write_bytes(content)
    with ours(ValueError, match=r"bad\.npz|file"): MLP.load(p)


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with ours(FileNotFoundError): MLP.load(tmp_path / "missing.npz")


def test_load_of_an_npz_without_a_model_is_a_clear_value_error(tmp_path):
    p = tmp_path / "other.npz"
    np.savez(p, a=np.ones(3))
    with ours(ValueError): MLP.load(p)


def test_save_and_load_agree_on_file_objects():
    m = mlp()
    buf = io.BytesIO()
    try: m.save(buf)
    except TypeError: return  # refusing file objects in `save` is consistent too
    buf.seek(0)
    m2 = MLP.load(buf)
    assert same(weights(m2), weights(m))


# ---- dangerous values accepted -----------------------------------------------------------------------------

def _clipper(max_norm):
    "The gradient-clipping entry point of this version: `clip_grad_norm(grads, max_norm)` or `ClipGradNorm(max_norm)`."
    if hasattr(training, "clip_grad_norm"):
        return lambda: training.clip_grad_norm([np.array([3.0, 4.0])], max_norm)
    return lambda: training.ClipGradNorm(max_norm)


@pytest.mark.parametrize("max_norm", [-1, 0, np.nan, "1"])
def test_gradient_clipping_refuses_non_positive_nan_and_strings(max_norm):
    g = np.array([3.0, 4.0])
    with ours():
        if hasattr(training, "clip_grad_norm"): training.clip_grad_norm([g], max_norm)
        else: training.ClipGradNorm(max_norm)
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_lr_find_never_suggests_a_rate_below_the_range_it_tried(moons):
    X, y = moons
    lr_min = 5.0
    try:
        r = learning_rate.lr_find(mlp(), X, y, "bce", lr_min=lr_min, lr_max=50.0, steps=20)
    except ValueError:
        return  # saying the range starts too high is the other acceptable answer
    assert r.suggestion >= lr_min


@pytest.mark.parametrize("dtype", [np.int64, int, bool, complex, object, np.float16])
def test_neuron_refuses_non_float_dtypes(dtype):
    with ours(TypeError, match=r"dtype"): neuron.Neuron(3, dtype=dtype)


@pytest.mark.parametrize("dtype", [int, bool, complex, object])
def test_dense_and_init_weights_refuse_non_float_dtypes(dtype):
    with ours(TypeError, match=r"dtype"): Dense(2, 3, dtype=dtype)
    with ours(TypeError, match=r"dtype"): init_weights(2, 3, dtype=dtype)


def test_fit_refuses_lr_together_with_an_optimizer_object(moons):
    X, y = moons
    m = mlp()
    w0 = weights(m)
    with ours(match=r"lr"):
        fit_quiet(m, X, y, loss="bce", epochs=2, optimizer=optim.SGD(m, lr=0.1), lr=0.5)
    assert same(weights(m), w0)


def test_fit_refuses_momentum_argument_or_uses_it(moons):
    X, y = moons
    if "momentum" in inspect.signature(fit).parameters:
        m = mlp()
        with ours(match=r"momentum"):
            fit_quiet(m, X, y, loss="bce", epochs=2, optimizer=optim.SGD(m, lr=0.1), momentum=0.9)
    else:
        with pytest.raises(TypeError): fit_quiet(mlp(), X, y, loss="bce", epochs=2, momentum=0.9)


def test_fit_refuses_an_optimizer_of_another_model(moons):
    X, y = moons
    m, other = mlp(), mlp()
    with ours(ValueError, match=r"optimizer"):
        fit_quiet(m, X, y, loss="bce", epochs=2, optimizer=optim.SGD(other, lr=0.1))


def test_playground_refuses_out_of_range_lr_naming_the_control():
    with ours(ValueError, match=r"lr"): playground.playground(lr=100)


def test_gradient_flow_lab_refuses_out_of_range_depth_naming_the_control():
    with ours(ValueError, match=r"depth"): diagnostics.gradient_flow_lab(depth=50)


def test_playground_invalid_choice_names_control_and_options():
    with ours(ValueError, match=r"activation.*tanh"): playground.playground(activation="swish")


def test_gradient_flow_lab_invalid_choice_names_control_and_options():
    with ours(ValueError, match=r"init.*xavier"): diagnostics.gradient_flow_lab(init="glorot")


# ---- failure reported as success ---------------------------------------------------------------------------

def test_playground_reports_a_run_that_ends_worse_than_it_started():
    p = playground.playground(dataset="spiral", layers=4, units=1, activation="tanh", lr=10)
    h = p.history
    assert h.stop_reason == "diverged" or getattr(h, "worse_than_start", False)
    text = p.status.value if hasattr(p, "status") else p.summary()
    assert "lower the learning rate" in text


def test_train_neuron_divergence_names_step_and_fix():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2)); y = (X[:, 0] > 0).astype(float)
    n = neuron.Neuron(2, "identity")
    w0 = n.w.copy()
    with ours(ValueError, match=r"diverged at step \d+.*lower the learning rate") as e:
        neuron.train_neuron(n, X, y, loss="mse", lr=1e3)
    assert "dz contains NaN" not in str(e.value)
    np.testing.assert_array_equal(n.w, w0)


# ---- misleading or internal messages -----------------------------------------------------------------------

def test_float16_is_refused_clearly(moons):
    X, y = moons
    with ours(TypeError, match=r"float16"): mlp(dtype=np.float16)
    m = mlp()
    try:
        h = fit_quiet(m, X.astype(np.float16), y, loss="bce", epochs=2)
    except (TypeError, ValueError) as e:
        assert "float16" in str(e) and "untrained network" not in str(e)
    else:
        assert np.isfinite(h.train_loss).all()


def test_validation_errors_say_validation(moons):
    X, y = moons
    with ours(ValueError, match=r"validation|X_val|y_val"):
        fit_quiet(mlp(), X, y, loss="bce", epochs=2, validation=(X[:10, :1], y[:10]))
    with ours(ValueError, match=r"validation|X_val|y_val"):
        fit_quiet(mlp(), X, y, loss="bce", epochs=2, validation=(X[:10], y[:5]))


def test_validation_fraction_may_be_a_numpy_float(moons):
    X, y = moons
    h = fit_quiet(mlp(), X, y, loss="bce", epochs=2, validation=np.float32(0.2))
    assert len(h.val_loss) == 3


def test_min_delta_string_is_a_type_error_naming_it(moons):
    X, y = moons
    with ours(TypeError, match=r"min_delta"):
        if "min_delta" in inspect.signature(fit).parameters: fit_quiet(mlp(), X, y, loss="bce", epochs=2, patience=2, min_delta="0.1")
        else: training.EarlyStopping(2, min_delta="0.1")


def test_clip_norm_string_is_a_type_error_naming_it(moons):
    X, y = moons
    with ours(TypeError, match=r"clip_norm|max_norm"):
        if "clip_norm" in inspect.signature(fit).parameters: fit_quiet(mlp(), X, y, loss="bce", epochs=2, clip_norm="1")
        else: training.ClipGradNorm("1")


@pytest.mark.parametrize("seed", [-1, 1.5])
def test_fit_seed_must_be_a_non_negative_integer(moons, seed):
    X, y = moons
    with ours(match=r"seed"): fit_quiet(mlp(), X, y, loss="bce", epochs=2, seed=seed)


def test_lr_find_beta_must_be_below_one(moons):
    X, y = moons
    with ours(ValueError, match=r"beta"): learning_rate.lr_find(mlp(), X, y, "bce", beta=1)


def test_numerical_grad_refuses_zero_eps():
    with ours(ValueError, match=r"eps"): numerical_grad(np.sin, 0.3, eps=0)


def test_value_power_overflow_is_a_clear_error():
    with ours((ValueError, OverflowError), match=r"overflow|too large|1e\+?200"):
        autograd.Value(1e200) ** 2


def test_critical_lr_of_an_empty_matrix():
    with ours(ValueError, match=r"A"): learning_rate.critical_lr(np.zeros((0, 0)))


def test_fit_refuses_an_object_that_is_no_optimizer(moons):
    X, y = moons
    with ours(TypeError, match=r"optimizer"): fit_quiet(mlp(), X, y, loss="bce", epochs=2, optimizer=object())


def test_sgd_refuses_none():
    with ours(TypeError): optim.SGD(None, lr=0.1)


def test_dense_refuses_a_bool_size():
    with ours(TypeError, match=r"n_in"): Dense(True, 3)


def test_mlp_refuses_a_bare_integer_for_sizes():
    with ours(TypeError, match=r"sizes"): MLP(3)


def test_plot_backward_steps_of_nothing():
    with ours(ValueError, match=r"steps"): diagnostics.plot_backward_steps([])
