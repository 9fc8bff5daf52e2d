"""Mutation tests of the exercise checker: every exercise accepts its reference and a differently written correct
solution, and recognises each catalogued mistake (written here independently of the catalogue) by its hint;
functions that raise, hang, return None, NaN or the wrong shape, or change their input get a clear verdict."""
import math, re, threading
from pathlib import Path

import numpy as np
import pytest

from backprop_nb.autograd import Value
from backprop_nb.exercises import EXERCISES, Exercise, Mistake, Verdict, check, check_exercise, progress

NBS = Path(__file__).resolve().parents[1] / "nbs"
T = 0.25  # seconds a learner call may take in these tests


def sig(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def onehot(y, K): return (np.arange(K) == np.asarray(y)[:, None]).astype(float)


# ---- differently written correct solutions (loops, other formulas) ----
def cd_copies(f, x, eps):
    g = np.empty(x.shape)
    for i in range(x.size):
        up, down = x.copy().ravel(), x.copy().ravel()
        up[i] += eps; down[i] -= eps
        g.flat[i] = (f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / (2 * eps)
    return g


def sigmoid_loop(z):
    out = np.empty(np.shape(z))
    for i in np.ndindex(out.shape):
        t = z[i]
        s = 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
        out[i] = s - s * s
    return out


def softmax_ce_loop(z, y):
    g = np.empty_like(z)
    for n, row in enumerate(z):
        lse = row.max() + math.log(np.exp(row - row.max()).sum())
        g[n] = np.exp(row - lse)
        g[n, y[n]] -= 1
    return g / len(z)


def neuron_loop(x, w, b, y):
    dw, db = np.zeros_like(w), 0.0
    for xn, yn in zip(x, y):
        a = 1 / (1 + math.exp(-(xn @ w + b)))
        d = (a - yn) * a * (1 - a) / len(y)
        dw += d * xn; db += d
    return dw, db


def mlp_per_sample(x, y, Ws, bs):
    "Backprop one sample at a time and add up: the 1/N enters once per sample."
    dWs, dbs = [np.zeros_like(W) for W in Ws], [np.zeros_like(b) for b in bs]
    for xn, yn in zip(x, y):
        acts = [xn]
        for l, (W, b) in enumerate(zip(Ws, bs)):
            z = acts[-1] @ W + b
            acts.append(z if l == len(Ws) - 1 else np.tanh(z))
        d = (acts[-1] - yn) / len(x)
        for l in reversed(range(len(Ws))):
            dWs[l] += np.outer(acts[l], d); dbs[l] += d
            d = (Ws[l] @ d) * (1 - acts[l] ** 2)
    return dWs, dbs


def bn_loop(x, gamma, dout, eps, ddof=0):
    "Batch norm's backward pass column by column, through the three paths (direct, via μ, via σ²) one at a time."
    N, n = x.shape
    dx, dgamma = np.empty_like(x), np.empty(n)
    for j in range(n):
        c = x[:, j]; mu = c.sum() / N; var = ((c - mu) ** 2).sum() / (N - ddof); s = (var + eps) ** -0.5
        g = gamma[j] * dout[:, j]
        dvar = np.sum(g * (c - mu)) * -0.5 * s ** 3
        dmu = -s * g.sum()
        dx[:, j] = g * s + dvar * 2 * (c - mu) / (N - ddof) + dmu / N
        dgamma[j] = np.sum(dout[:, j] * (c - mu) * s)
    return dx, dgamma, dout.sum(axis=0)


def adam_loop(w, g, m, v, t, lr, beta1, beta2, eps):
    w, m, v = w.astype(float).copy(), m.astype(float).copy(), v.astype(float).copy()
    for i in np.ndindex(w.shape):
        m[i] = beta1 * m[i] + (1 - beta1) * g[i]
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2
        w[i] -= lr * (m[i] / (1 - beta1 ** t)) / (math.sqrt(v[i] / (1 - beta2 ** t)) + eps)
    return w, m, v


def adam_with(moments=lambda g, m, v, b1, b2: (b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g ** 2),
              hat=lambda m, v, t, b1, b2: (m / (1 - b1 ** t), v / (1 - b2 ** t)),
              step=lambda mh, vh, lr, eps: lr * mh / (vh ** 0.5 + eps), keep=lambda m, v, mh, vh: (m, v)):
    def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
        m, v = moments(g, m, v, beta1, beta2)
        mh, vh = hat(m, v, t, beta1, beta2)
        return (w - step(mh, vh, lr, eps), *keep(m, v, mh, vh))
    return adam_step


ALT = {
    "central_difference": cd_copies,
    "sigmoid_grad": sigmoid_loop,
    "tanh_grad": lambda z: 1 / np.cosh(z) ** 2,
    "relu_grad": lambda z: np.heaviside(z, 0.0),
    "mse_grad": lambda y_hat, y: np.array([[(p - t) / y.shape[0] for p, t in zip(r, s)] for r, s in zip(y_hat, y)]),
    "bce_grad": lambda y_hat, y: (-y / y_hat + (1 - y) / (1 - y_hat)) / y_hat.shape[0],
    "softmax_ce_grad": softmax_ce_loop,
    "neuron_grads": neuron_loop,
    "softplus": lambda x: (1 + x.exp()).log(),
    "dense_backward": lambda x, W, dz: (np.einsum("ni,nj->ij", x, dz), np.einsum("nj->j", dz), np.einsum("nj,ij->ni", dz, W)),
    "mlp_backward": mlp_per_sample,
    "dropout_backward": lambda dout, mask, p: np.array([[d / (1 - p) if k else 0.0 for d, k in zip(r, s)] for r, s in zip(dout, mask)]),
    "batchnorm_backward": bn_loop,
    "sgd_step": lambda w, g, lr: np.subtract(w, lr * g),
    "momentum_step": lambda w, g, v, lr, mu: (w - lr * g - lr * mu * v, g + mu * v),
    "adam_step": adam_loop,
    "critical_lr": lambda A: 2 / np.linalg.norm(A, 2),
    "xavier_variance": lambda n_in, n_out: 1 / ((n_in + n_out) / 2),
    "he_variance": lambda n_in, n_out: 4.0 / (2 * n_in),
}


# ---- wrong answers, one per catalogued mistake, written independently of the catalogue ----
def cd_with(estimate):
    def central_difference(f, x, eps):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += eps; down[i] -= eps
            g[i] = estimate(f, x, up, down, eps)
        return g
    return central_difference


def value_op(data, local):
    return lambda x: Value(data(x.data), (x,), "softplus", (local(x.data),))


softplus_data = lambda t: math.log1p(math.exp(t))


def mlp_with(out=lambda a, y: (a - y) / len(y), hidden=lambda d, W, a: (d @ W.T) * (1 - a * a), dW=lambda a, d: a.T @ d):
    def mlp_backward(x, y, Ws, bs):
        acts = [x]
        for l, (W, b) in enumerate(zip(Ws, bs)):
            acts.append(acts[-1] @ W + b if l == len(Ws) - 1 else np.tanh(acts[-1] @ W + b))
        d, dWs, dbs = out(acts[-1], y), [], []
        for l in range(len(Ws) - 1, -1, -1):
            dWs.insert(0, dW(acts[l], d)); dbs.insert(0, d.sum(0))
            d = hidden(d, Ws[l], acts[l])
        return dWs, dbs
    return mlp_backward



MUTANTS = {
    ("central_difference", "forward_difference"): cd_with(lambda f, x, up, down, eps: (f(up) - f(x)) / eps),
    ("central_difference", "missing_2"): cd_with(lambda f, x, up, down, eps: (f(up) - f(down)) / eps),
    ("central_difference", "all_at_once"): cd_with(lambda f, x, up, down, eps: (f(x + eps) - f(x - eps)) / (2 * eps)),
    ("central_difference", "sign"): cd_with(lambda f, x, up, down, eps: (f(down) - f(up)) / (2 * eps)),
    ("sigmoid_grad", "returned_f"): sig,
    ("sigmoid_grad", "z_for_a"): lambda z: z - z ** 2,
    ("sigmoid_grad", "f_prime_at_a"): lambda z: sig(sig(z)) * (1 - sig(sig(z))),
    ("sigmoid_grad", "sign"): lambda z: sig(z) ** 2 - sig(z),
    ("tanh_grad", "returned_f"): lambda z: np.tanh(z).copy(),
    ("tanh_grad", "z_for_a"): lambda z: 1 - z * z,
    ("tanh_grad", "no_square"): lambda z: 1 - np.tanh(z),
    ("tanh_grad", "f_prime_at_a"): lambda z: 1 / np.cosh(np.tanh(z)) ** 2,
    ("tanh_grad", "sign"): lambda z: -1 / np.cosh(z) ** 2,
    ("relu_grad", "ge_zero"): lambda z: np.where(z < 0, 0.0, 1.0),
    ("relu_grad", "returned_f"): lambda z: z * (z > 0),
    ("relu_grad", "flipped"): lambda z: np.heaviside(-z, 0.0),
    ("mse_grad", "missing_1_over_N"): lambda y_hat, y: y_hat - y,
    ("mse_grad", "mean_over_units"): lambda y_hat, y: (y_hat - y) / np.prod(y.shape),
    ("mse_grad", "forgot_half"): lambda y_hat, y: (2 * y_hat - 2 * y) / y.shape[0],
    ("mse_grad", "sign"): lambda y_hat, y: -(y_hat - y) / y.shape[0],
    ("bce_grad", "missing_1_over_N"): lambda y_hat, y: -y / y_hat + (1 - y) / (1 - y_hat),
    ("bce_grad", "fused_delta"): lambda y_hat, y: (y_hat - y) / y.shape[0],
    ("bce_grad", "only_first_term"): lambda y_hat, y: -(y / y_hat) / y.shape[0],
    ("bce_grad", "second_term_sign"): lambda y_hat, y: -(y / y_hat + (1 - y) / (1 - y_hat)) / y.shape[0],
    ("bce_grad", "sign"): lambda y_hat, y: (y / y_hat - (1 - y) / (1 - y_hat)) / y.shape[0],
    ("softmax_ce_grad", "missing_1_over_N"): lambda z, y: softmax_ce_loop(z, y) * len(z),
    ("softmax_ce_grad", "no_onehot"): lambda z, y: softmax_ce_loop(z, y) + onehot(y, z.shape[1]) / len(z),
    ("softmax_ce_grad", "wrong_axis"): lambda z, y: (np.exp(z - z.max(0)) / np.exp(z - z.max(0)).sum(0) - onehot(y, z.shape[1])) / len(z),
    ("softmax_ce_grad", "dL_dp"): lambda z, y: -onehot(y, z.shape[1]) / (softmax_ce_loop(z, y) * len(z) + onehot(y, z.shape[1])) / len(z),
    ("softmax_ce_grad", "sign"): lambda z, y: -softmax_ce_loop(z, y),
    ("neuron_grads", "missing_fprime"): lambda x, w, b, y: (x.T @ ((sig(x @ w + b) - y) / len(y)), np.mean(sig(x @ w + b) - y)),
    ("neuron_grads", "f_prime_at_a"): lambda x, w, b, y: (lambda d: (x.T @ d, d.sum()))((sig(x @ w + b) - y) * sig(sig(x @ w + b)) * (1 - sig(sig(x @ w + b))) / len(y)),
    ("neuron_grads", "missing_1_over_N"): lambda x, w, b, y: tuple(g * len(y) for g in neuron_loop(x, w, b, y)),
    ("neuron_grads", "sign"): lambda x, w, b, y: tuple(-g for g in neuron_loop(x, w, b, y)),
    ("neuron_grads", "db_not_summed"): lambda x, w, b, y: (neuron_loop(x, w, b, y)[0], (sig(x @ w + b) - y) * sig(x @ w + b) * (1 - sig(x @ w + b)) / len(y)),
    ("softplus", "local_is_f"): value_op(softplus_data, softplus_data),
    ("softplus", "local_exp"): value_op(softplus_data, lambda t: math.e ** t),
    ("softplus", "local_sigma_minus"): value_op(softplus_data, lambda t: 1 / (1 + math.exp(t))),
    ("softplus", "not_connected"): lambda x: Value(softplus_data(x.data)),
    ("dense_backward", "transposed_dW"): lambda x, W, dz: ((x.T @ dz).T, dz.sum(0), dz @ W.T),
    ("dense_backward", "db_mean"): lambda x, W, dz: (x.T @ dz, np.mean(dz, axis=0), dz @ W.T),
    ("dense_backward", "db_not_summed"): lambda x, W, dz: (x.T @ dz, dz.copy(), dz @ W.T),
    ("dense_backward", "dW_over_N"): lambda x, W, dz: (np.einsum("ni,nj->ij", x, dz) / x.shape[0], dz.sum(0), dz @ W.T),
    ("mlp_backward", "missing_fprime"): mlp_with(hidden=lambda d, W, a: d @ W.T),
    ("mlp_backward", "f_prime_at_a"): mlp_with(hidden=lambda d, W, a: (d @ W.T) / np.cosh(a) ** 2),
    ("mlp_backward", "missing_1_over_N"): mlp_with(out=lambda a, y: a - y),
    ("mlp_backward", "sign"): mlp_with(out=lambda a, y: -(a - y) / len(y)),
    ("mlp_backward", "transposed_dW"): mlp_with(dW=lambda a, d: (a.T @ d).T),
    ("dropout_backward", "no_scale"): lambda dout, mask, p: np.where(mask > 0, dout, 0.0),
    ("dropout_backward", "over_p"): lambda dout, mask, p: np.where(mask > 0, dout / p, 0.0),
    ("dropout_backward", "no_mask"): lambda dout, mask, p: dout * (1 / (1 - p)),
    ("dropout_backward", "times_keep"): lambda dout, mask, p: np.where(mask > 0, dout * (1 - p), 0.0),
    ("batchnorm_backward", "constant_stats"): lambda x, gamma, dout, eps: (gamma * dout / np.sqrt(x.var(0) + eps), *bn_loop(x, gamma, dout, eps)[1:]),
    ("batchnorm_backward", "mean_path_only"): lambda x, gamma, dout, eps: (
        (gamma * dout - (gamma * dout).mean(0)) / np.sqrt(x.var(0) + eps), *bn_loop(x, gamma, dout, eps)[1:]),
    ("batchnorm_backward", "unbiased"): lambda x, gamma, dout, eps: bn_loop(x, gamma, dout, eps, ddof=1),
    ("batchnorm_backward", "dgamma_no_xhat"): lambda x, gamma, dout, eps: (bn_loop(x, gamma, dout, eps)[0], dout.sum(0), dout.sum(0)),
    ("batchnorm_backward", "dbeta_not_summed"): lambda x, gamma, dout, eps: (*bn_loop(x, gamma, dout, eps)[:2], dout.copy()),
    ("adam_step", "no_bias_correction"): adam_with(hat=lambda m, v, t, b1, b2: (m, v)),
    ("adam_step", "eps_inside"): adam_with(step=lambda mh, vh, lr, eps: lr * mh / (vh + eps) ** 0.5),
    ("adam_step", "v_not_squared"): adam_with(moments=lambda g, m, v, b1, b2: (b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g)),
    ("adam_step", "betas_swapped"): lambda w, g, m, v, t, lr, beta1, beta2, eps: adam_loop(w, g, m, v, t, lr, beta2, beta1, eps),
    ("adam_step", "corrected_state"): adam_with(keep=lambda m, v, mh, vh: (mh, vh)),
    ("adam_step", "ascent"): adam_with(step=lambda mh, vh, lr, eps: -lr * mh / (vh ** 0.5 + eps)),
    ("sgd_step", "ascent"): lambda w, g, lr: w - (-lr) * g,
    ("sgd_step", "no_lr"): lambda w, g, lr: np.subtract(w, g),
    ("momentum_step", "other_convention"): lambda w, g, v, lr, mu: (w + mu * v - lr * g, mu * v - lr * g),
    ("momentum_step", "old_velocity"): lambda w, g, v, lr, mu: (w - lr * v, g + mu * v),
    ("momentum_step", "dampening"): lambda w, g, v, lr, mu: (w - lr * (mu * v + (1 - mu) * g), mu * v + (1 - mu) * g),
    ("momentum_step", "ascent"): lambda w, g, v, lr, mu: (w + lr * (g + mu * v), g + mu * v),
    ("critical_lr", "one_over"): lambda A: 1 / np.linalg.norm(A, 2),
    ("critical_lr", "lambda_min"): lambda A: 2 * np.linalg.norm(np.linalg.inv(A), 2),
    ("critical_lr", "diagonal"): lambda A: 2 / max(A[i, i] for i in range(len(A))),
    ("xavier_variance", "std"): lambda n_in, n_out: (2 / (n_in + n_out)) ** 0.5,
    ("xavier_variance", "lecun"): lambda n_in, n_out: 1.0 / n_in,
    ("xavier_variance", "uniform_bound"): lambda n_in, n_out: math.sqrt(6.0 / (n_in + n_out)),
    ("xavier_variance", "missing_2"): lambda n_in, n_out: 0.5 * 2 / (n_in + n_out),
    ("he_variance", "std"): lambda n_in, n_out: math.sqrt(2.0 / n_in),
    ("he_variance", "no_relu_factor"): lambda n_in, n_out: n_in ** -1.0,
    ("he_variance", "xavier"): lambda n_in, n_out: 1 / ((n_in + n_out) / 2),
}


def test_registry():
    names = list(EXERCISES)
    assert len(names) >= 15
    for name, sig_ in [("sigmoid_grad", "sigmoid_grad(z)"), ("bce_grad", "bce_grad(y_hat, y)"),
                       ("softmax_ce_grad", "softmax_ce_grad(z, y)"), ("dense_backward", "dense_backward(x, W, dz)")]:
        assert EXERCISES[name].signature == sig_
    chapters = [ex.chapter for ex in EXERCISES.values()]
    assert chapters == sorted(chapters), "exercises are not in the order of the course"
    for ex in EXERCISES.values():
        assert (NBS / f"{ex.chapter}.ipynb").exists(), f"{ex.name}: no chapter {ex.chapter}"
        assert "$$" in ex.statement and ex.hint and ex.mistakes, ex.name
        assert ex.signature.startswith(ex.name + "(")


@pytest.mark.parametrize("name", list(EXERCISES))
def test_accepts_correct_solutions(name):
    ex = EXERCISES[name]
    assert check_exercise(ex, ex.reference, timeout=5).passed
    v = check_exercise(ex, ALT[name], timeout=5)
    assert v.passed, v.message
    assert "Well done" in v.message


@pytest.mark.parametrize("name,key", [(n, m.key) for n, ex in EXERCISES.items() for m in ex.mistakes])
def test_recognises_mistake(name, key):
    ex = EXERCISES[name]
    hint = next(m.hint for m in ex.mistakes if m.key == key)
    for fn in (next(m.fn for m in ex.mistakes if m.key == key), MUTANTS[name, key]):
        v = check_exercise(ex, fn, timeout=5)
        assert v.passed is False and hint in v.message, (name, key, v.message)


def test_every_mistake_has_an_independent_mutant():
    assert {(n, m.key) for n, ex in EXERCISES.items() for m in ex.mistakes} <= set(MUTANTS)


def _array_exercises(): return [n for n in EXERCISES if n != "softplus"]


def _map_first(out, f):
    "Apply `f` to the first array of an output (a tuple's first item, a list's first element)."
    if isinstance(out, tuple): return (_map_first(out[0], f),) + out[1:]
    if isinstance(out, list): return [_map_first(out[0], f)] + out[1:]
    return f(np.asarray(out, dtype=float))


@pytest.mark.parametrize("name", _array_exercises())
def test_generic_wrong_answers(name):
    ex = EXERCISES[name]
    ref = ex.reference

    def raises(*args):
        raise KeyError("oops")
    v = check_exercise(ex, raises, timeout=5)
    assert not v.passed and "raised `KeyError: 'oops'`" in v.message and "line" in v.message and "raise KeyError" in v.message
    v = check_exercise(ex, lambda *args: None, timeout=5)
    assert not v.passed and "returned None" in v.message and "`return`" in v.message
    v = check_exercise(ex, lambda *args: _map_first(ref(*args), lambda a: a * np.nan), timeout=5)
    assert not v.passed and "NaN or inf" in v.message
    v = check_exercise(ex, lambda *args: _map_first(ref(*args), lambda a: a[..., None]), timeout=5)
    assert not v.passed and "has shape" in v.message and "must have" in v.message
    v = check_exercise(ex, lambda *args: _map_first(ref(*args), lambda a: a * 1.5 + 0.1), timeout=5)
    assert not v.passed and "disagrees with" in v.message


def test_not_written_yet():
    def sigmoid_grad(z):
        raise NotImplementedError
    v = check("sigmoid_grad", sigmoid_grad)
    assert v.passed is False and "not written yet" in v.message


@pytest.mark.parametrize("name", ["sigmoid_grad", "mlp_backward"])
def test_never_returns(name):
    def spins(*args):
        while True:
            try:
                while True: pass
            except Exception: pass  # a learner's broad except must not swallow the time limit
    v = check_exercise(EXERCISES[name], spins, timeout=T)
    assert v.passed is False and f"did not return within {T:g} s" in v.message


def test_never_returns_off_the_main_thread():
    "Off the main thread (no signals) the call runs in a daemon thread that is abandoned."
    box = {}
    t = threading.Thread(target=lambda: box.update(v=check_exercise(EXERCISES["tanh_grad"], lambda z: threading.Event().wait(), timeout=T)))
    t.start(); t.join(10)
    assert box["v"].passed is False and "did not return" in box["v"].message
    ok = {}
    t = threading.Thread(target=lambda: ok.update(v=check_exercise(EXERCISES["tanh_grad"], ALT["tanh_grad"])))
    t.start(); t.join(10)
    assert ok["v"].passed


@pytest.mark.parametrize("name,fn,arg", [
    ("sgd_step", lambda w, g, lr: w.__isub__(lr * g), "w"),
    ("relu_grad", lambda z: (z.__setitem__(z <= 0, 0), (z > 0) * 1.0)[1], "z"),
    ("momentum_step", lambda w, g, v, lr, mu: (v.__imul__(mu), v.__iadd__(g), (w - lr * v, v))[2], "v"),
    ("mlp_backward", lambda x, y, Ws, bs: (Ws[0].__imul__(1.0 + 1e-9), mlp_per_sample(x, y, Ws, bs))[1], "Ws"),
    ("central_difference", lambda f, x, eps: (x.__iadd__(0.0 * x + 1e-3), cd_copies(f, x, eps))[1], "x"),
])
def test_mutating_an_input(name, fn, arg):
    v = check_exercise(EXERCISES[name], fn)
    assert v.passed is False and f"changed its input `{arg}` in place" in v.message


def test_structure_errors():
    v = check("dense_backward", lambda x, W, dz: (x.T @ dz, dz.sum(0)))
    assert not v.passed and "return a tuple `(dW, db, dx)` of 3 items" in v.message
    v = check("mlp_backward", lambda x, y, Ws, bs: (ALT["mlp_backward"](x, y, Ws, bs)[0][:-1], ALT["mlp_backward"](x, y, Ws, bs)[1]))
    assert not v.passed and "`dWs` should be a tuple or list of" in v.message
    v = check("softplus", lambda x: softplus_data(x.data))
    assert not v.passed and "must return a new `Value`" in v.message
    v = check("critical_lr", lambda A: "two")
    assert not v.passed and "should be numbers" in v.message
    v = check("dense_backward", lambda x, W, dz: (x.T @ dz, dz.sum(0), dz @ W))  # W where Wᵀ belongs: shapes do not fit
    assert not v.passed and "matmul" in v.message and "The shapes do not fit" in v.message and "dz @ W" in v.message
    v = check("dense_backward", lambda x, W, dz: (x.T @ dz, dz.sum(0), (dz @ W.T).T))
    assert not v.passed and "That is the transpose" in v.message
    v = check("sigmoid_grad", lambda z, a: a * (1 - a))
    assert not v.passed and "`<lambda>(z, a)`" in v.message and "`sigmoid_grad(z)`" in v.message
    v = check("softplus", lambda x: Value(softplus_data(x.data), (x,), "softplus", 0.5))
    assert not v.passed and "one local derivative per input" in v.message


def test_two_mistakes_at_once():
    "A catalogued mistake in one output and an unknown error in another: both are reported, each once."
    v = check("dense_backward", lambda x, W, dz: (dz.T @ x, dz.sum(0), 2 * dz @ W.T))
    hint = next(m.hint for m in EXERCISES["dense_backward"].mistakes if m.key == "transposed_dW")
    lines = v.message.splitlines()
    assert not v.passed and len(lines) == 2 and hint in lines[0] and lines[1].startswith("`dx` disagrees")


def test_low_precision_is_named():
    v = check("mlp_backward", lambda x, y, Ws, bs: tuple([a.astype(np.float16) for a in part] for part in mlp_per_sample(x, y, Ws, bs)))
    assert not v.passed and "low precision" in v.message


def test_verdict_never_shows_the_answer():
    ex = EXERCISES["mse_grad"]
    label, args = ex.cases(np.random.default_rng(0))[0]
    want = ex.reference(*args)
    v = check("mse_grad", lambda y_hat, y: (y_hat - y) / len(y) * 1.01)
    assert not v.passed
    text = repr(v) + v._repr_html_()
    for w in want.ravel():
        for digits in (3, 4, 6):
            assert f"{w:.{digits}f}" not in text and f"{w:.{digits}g}" not in text


def test_display():
    v = check("sgd_step", ALT["sgd_step"])
    assert isinstance(v, Verdict) and bool(v) and repr(v).startswith("✓ sgd_step: ")
    assert "#2e7d32" in v._repr_html_() and "<code>" in v._repr_html_()
    w = check("sgd_step", MUTANTS["sgd_step", "ascent"])
    assert not w and repr(w).startswith("✗ sgd_step: ") and "#b26a00" in w._repr_html_()
    w = Verdict("x", False, "<script>alert(1)</script>")
    assert "<script>" not in w._repr_html_()
    md = EXERCISES["bce_grad"]._repr_markdown_()
    assert "bce_grad(y_hat, y)" in md and "03_losses.ipynb" in md and "<summary>Hint</summary>" in md


def test_progress():
    check("he_variance", ALT["he_variance"])
    check("xavier_variance", MUTANTS["xavier_variance", "std"])
    p = progress()
    status = {ex.name: ok for ex, ok in p.rows}
    assert status["he_variance"] is True and status["xavier_variance"] is False
    assert [ex.name for ex, _ in p.rows] == list(EXERCISES)
    assert "✓ he_variance" in repr(p) and "✗ xavier_variance" in repr(p)
    assert "| ✓ passed |" in p._repr_markdown_() and f"exercises pass" in repr(p)
    assert p.passed == sum(ok is True for ok in status.values())


def test_bad_arguments():
    with pytest.raises(ValueError, match="sigmoid_grad"): check("sigmoid_gard", sig)
    with pytest.raises(TypeError, match="must be your function"): check("sigmoid_grad", 3.0)
    with pytest.raises(ValueError, match="timeout"): check("sigmoid_grad", sig, timeout=0)


def test_custom_exercise():
    "An `Exercise` works outside the registry too (a teacher's own)."
    ex = Exercise("double", "double(x)", "01_gradcheck", "Double", r"$$y = 2x$$", "Multiply.", reference=lambda x: 2 * x,
                  cases=lambda rng: [("x = 1, 2", (np.array([1.0, 2.0]),))], outputs=[("y", "the shape of x")], oracle="2x",
                  mistakes=[Mistake("half", "That is x/2.", lambda x: x / 2)])
    assert check_exercise(ex, lambda x: x + x).passed
    assert check_exercise(ex, lambda x: 0.5 * x).message == "That is x/2."


def test_dropout_reference_is_the_layers_backward():
    "The dropout exercise's reference (dout ⊙ m/(1 − p)) equals `layers.Dropout.backward` for the masks its forward draws."
    from backprop_nb.layers import Dropout
    ex, rng = EXERCISES["dropout_backward"], np.random.default_rng(1)
    for p in (0.0, 0.3, 0.8):
        drop = Dropout(p, seed=2)
        x = rng.uniform(1, 2, size=(5, 4))
        mask = (drop.forward(x) != 0).astype(float)
        dout = rng.normal(size=x.shape)
        np.testing.assert_allclose(ex.reference(dout, mask, p), drop.backward(dout), rtol=1e-15)


def test_adam_reference_matches_torch():
    "Adam's reference, stepped from the state it returns, follows torch.optim.Adam for 20 steps."
    torch = pytest.importorskip("torch")
    ex, rng = EXERCISES["adam_step"], np.random.default_rng(3)
    w0, gs = rng.normal(size=4), rng.normal(size=(20, 4))
    tw = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.Adam([tw], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    w, m, v = w0, np.zeros(4), np.zeros(4)
    for t, g in enumerate(gs, 1):
        w, m, v = ex.reference(w, g, m, v, t, 0.05, 0.8, 0.99, 1e-6)
        tw.grad = torch.tensor(g); opt.step()
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-12)


def test_softplus_reference_matches_torch():
    torch = pytest.importorskip("torch")
    for t in (-15.0, -2.5, 0.0, 1.3, 15.0):
        x = torch.tensor(t, dtype=torch.float64, requires_grad=True)
        y = torch.nn.functional.softplus(x)
        y.backward()
        v = EXERCISES["softplus"].reference(Value(t))
        assert abs(v.data - y.item()) <= 1e-12 * max(1, abs(y.item()))
        assert abs(v._local[0] - x.grad.item()) <= 1e-12
