"""Fuzz every public function and class of backprop_nb with malformed arguments (issue 10).

Each public callable (enumerated from `backprop_nb._modidx` and the modules' `__all__`) has one valid call in
`CASES`; `fuzz_engine.mutations` derives the malformed variants from the valid values and the signature's defaults
(wrong types, None, strings, bools, wrong shapes, 0-d/3-d, empty, NaN/±inf, huge/negative/zero sizes and rates,
int/bool/complex/object/float16 dtypes, corrupt files). Every call must end in a finite result (of the valid
result's shape where the mutation keeps shapes) or in a TypeError/ValueError/FileNotFoundError/RuntimeError raised by
a `raise` statement in backprop_nb; inputs are never changed, and an object is unchanged after an error.

Two passes: `test_sweep` tries every (argument, kind) once with a representative value; `test_random` lets hypothesis
draw random values of every kind (derandomized under CI). Counts go to `.pytest_cache/fuzz_counts.json` and stdout.
Nothing is skipped silently: `NOT_FUZZED` lists what is not called, with the reason.
"""
import collections, importlib, inspect, io, json, math, os, sys, tempfile, time
import matplotlib
matplotlib.use("Agg")
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import fuzz_engine as fe
from backprop_nb._modidx import d as MODIDX

settings.register_profile("ci", derandomize=True, max_examples=4, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("dev", max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("ci" if os.environ.get("CI") else "dev")

COUNTS = collections.Counter()       # outcome -> number of calls
FAILURES = collections.defaultdict(list)  # case -> failure lines


# ---- small, fast valid inputs ---------------------------------------------------------------------------------

def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)

def M(name):
    "A module of backprop_nb by short name."
    return importlib.import_module(f"backprop_nb.{name}")

def mlp(out=1, output=None, sizes=None):
    layers = M("layers")
    return layers.MLP(sizes or [2, 3, out], activation="tanh", output=output or ("sigmoid" if out == 1 else "identity"), seed=0)

def trained_history():
    X, y = _data()
    return _fit(mlp(), X, y, loss="bce", epochs=2)

def _fit(model, X, y, **kw):
    "`fit` with the arguments this version of it takes (progress bars off)."
    fit = M("training").fit
    params = inspect.signature(fit).parameters
    kw = {"batch_size": 8, "progress": False, **kw}
    return fit(model, X, y, **{k: v for k, v in kw.items() if k in params})

def neuron_after_forward():
    n = M("neuron").Neuron(2); n.forward(_data()[0]); return n

def neuron_after_backward():
    n = neuron_after_forward(); n.backward(np.full(24, 0.1)); return n

def dense_after_forward():
    d = M("layers").Dense(2, 3, activation="tanh"); d.forward(_data()[0]); return d

def mlp_after_forward(out=1):
    m = mlp(out); m.forward(_data()[0]); return m

def value_graph():
    ag = M("autograd")
    x, w = ag.Value(0.5), ag.Value(-1.5)
    return (x * w + 1.0).tanh()

def pg(**kw):
    return M("playground").Playground(epochs=10, **kw)


# ---- the catalogue: one valid call per public callable ------------------------------------------------------

CASES = {}

def case(name, kw=dict, **opts):
    "Register the valid call of `name` ('module.func', 'module.Class' or 'module.Class.method')."
    parts = name.split(".")
    mod = M(parts[0])
    if len(parts) == 3:  # a method: opts give `inst` (and maybe `fresh`)
        attr = parts[2]
        target = (lambda o, a=attr: getattr(o, a)) if not attr.endswith("=") else (lambda o, a=attr[:-1]: (lambda **kw: setattr(o, a, kw["value"])))
    else: target = getattr(mod, parts[1])
    CASES[name] = fe.Case(name, target, kw, **opts)

V = lambda **kw: (lambda: kw)  # valid kwargs holding only immutable values
X0, y0 = _data()
DEV = {k: "developer-facing argument of a checker: the package passes literals" for k in
       ("name", "lo", "hi", "lo_open", "hi_open", "finite", "options", "types", "what", "ndim", "names")}
PREDICATE = {"v": "a predicate or formatter: every value is a legitimate input"}

# validation
for f in ("is_int", "is_number", "describe"): case(f"validation.{f}", V(v=3), lenient=PREDICATE)
case("validation.check_int", V(name="n", v=3, lo=1, hi=5), skip=DEV)
case("validation.check_size", V(name="n", v=3, lo=1), skip=DEV)
case("validation.check_number", V(name="lr", v=0.1, lo=0.0, hi=1.0), skip=DEV)
case("validation.check_bool", V(name="b", v=True), skip=DEV)
case("validation.check_choice", V(name="c", v="a", options=("a", "b")), skip=DEV)
case("validation.check_type", V(name="t", v=3, types=int, what="an int"), skip=DEV, lenient=PREDICATE)
case("validation.check_callable", lambda: dict(name="f", v=np.sin), skip=DEV)
case("validation.check_float_dtype", lambda: dict(name="dtype", dtype=np.float32), skip=DEV)
case("validation.all_finite", lambda: dict(x=np.ones((3, 2)), chunk=4), skip=DEV, lenient={"x": "a predicate over any numeric array"})
case("validation.check_array", lambda: dict(name="X", x=np.ones((3, 2)), ndim=2), skip=DEV, any_shape=("x",))  # callers check emptiness
case("validation.check_xy", lambda: dict(X=X0.copy(), y=y0.copy()), skip=DEV)

# gradcheck
cube = lambda x: float(np.sum(np.asarray(x) ** 3))
case("gradcheck.numerical_grad", lambda: dict(f=cube, x=np.array([0.5, -1.0]), eps=1e-6), any_shape=("x",))
case("gradcheck.rel_error", lambda: dict(a=np.array([1.0, 2.0]), b=np.array([1.0, 2.5])))
case("gradcheck.check_grad", lambda: dict(f=cube, x=np.array([0.5, -1.0]), analytic=np.array([0.75, 3.0]), name="x"),
     extra_exc=(AssertionError,), free_text=("name",))  # a failed gradient check is an AssertionError by design

# activations
for cls in ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity"):
    make = (lambda c=cls: getattr(M("activations"), c)())
    case(f"activations.{cls}", V() if cls != "LeakyReLU" else V(alpha=0.01))
    case(f"activations.{cls}.__call__", lambda: dict(z=np.array([[-1.0, 0.5], [2.0, -0.2]])), inst=make, propagate=("z",), any_shape=("z",))
    case(f"activations.{cls}.grad", lambda: dict(z=np.array([[-1.0, 0.5], [2.0, -0.2]]), a=None), inst=make,
         propagate=("z", "a"), none_ok=("a",), any_shape=("z",), lenient={"a": "a = f(z) computed by the caller: any real array of z's shape"})
case("activations.Activation", V())
case("activations.get_activation", V(name="tanh"))

# losses
P2 = lambda: np.array([[0.8], [0.3], [0.6]])
for cls, kw in (("MSE", lambda: dict(y_hat=np.array([[0.5, 1.0], [2.0, -1.0]]), y=np.array([[1.0, 0.0], [2.0, 0.5]]))),
                ("BCE", lambda: dict(y_hat=P2(), y=np.array([1.0, 0.0, 1.0]))),
                ("SoftmaxCE", lambda: dict(z=np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0]]), y=np.array([0, 2])))):
    make = (lambda c=cls: getattr(M("losses"), c)())
    case(f"losses.{cls}", V())
    for meth in ("__call__", "grad"): case(f"losses.{cls}.{meth}", kw, inst=make, propagate=("y_hat", "z"))
for meth in ("check", "targets"):
    case(f"losses.BCE.{meth}", lambda: dict(y_hat=P2(), y=np.array([1.0, 0.0, 1.0])), inst=lambda: M("losses").BCE(), propagate=("y_hat",))
case("losses.Loss", V())
case("losses.softmax", lambda: dict(z=np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0]])), propagate=("z",), any_shape=("z",))
case("losses.log_softmax", lambda: dict(z=np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0]])), propagate=("z",), any_shape=("z",))
case("losses.get_loss", V(name="bce"))
case("losses.output_delta", lambda: dict(loss="bce", activation="sigmoid", z=np.array([[0.5], [-1.0]]),
                                         a=1 / (1 + np.exp(-np.array([[0.5], [-1.0]]))), y=np.array([1.0, 0.0])),
     propagate=("z", "a"), none_ok=("a",), lenient={"z": "the fused sigmoid+BCE path needs only a = f(z); z is checked for shape"})

# neuron
case("neuron.Neuron", V(n_in=2, activation="sigmoid", seed=0, dtype=np.float64))
case("neuron.Neuron.forward", lambda: dict(x=X0.copy()), inst=lambda: M("neuron").Neuron(2))
case("neuron.Neuron.backward_dz", lambda: dict(dz=np.full(24, 0.1)), inst=neuron_after_forward, fresh=lambda: M("neuron").Neuron(2))
case("neuron.Neuron.backward", lambda: dict(da=np.full(24, 0.1)), inst=neuron_after_forward, fresh=lambda: M("neuron").Neuron(2))
case("neuron.Neuron.step", V(lr=0.1), inst=neuron_after_backward, fresh=neuron_after_forward)
case("neuron.Table", lambda: dict(rows=[dict(key="z", v=1.0)], cols=["v"]))
case("neuron.Table.__getitem__", V(key="z"), inst=lambda: M("neuron").Table([dict(key="z", v=1.0)], ["v"]), extra_exc=(KeyError,))
case("neuron.chain_rule_table", V(x=1.5, w=0.8, b=-0.2, y=1.0, activation="sigmoid", loss="mse"))
case("neuron.train_neuron", lambda: dict(neuron=M("neuron").Neuron(2), X=X0.copy(), y=y0.astype(float), loss="bce", lr=0.5, epochs=3),
     mutates=("neuron",))

# autograd
AG = lambda: M("autograd")
case("autograd.Value", V(data=1.5), skip={k: "private graph bookkeeping, set by the operators" for k in ("_children", "_op", "_local")})
ARITH = (ArithmeticError,)  # a Value behaves like a float: 1/0 and 1e200**2 raise ZeroDivisionError/OverflowError (ours, named)
for op in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__"):
    case(f"autograd.Value.{op}", V(other=2.0), inst=lambda: AG().Value(1.5), extra_exc=ARITH)
case("autograd.Value.__pow__", V(other=2.0), inst=lambda: AG().Value(1.5), extra_exc=ARITH)  # named `other` as in micrograd: a negative exponent is legitimate
case("autograd.Value.__rpow__", V(other=2.0), inst=lambda: AG().Value(1.5), extra_exc=ARITH)
for meth in ("__neg__", "relu", "tanh", "exp", "log", "sigmoid", "zero_grad"):
    case(f"autograd.Value.{meth}", V(), inst=lambda: AG().Value(1.5), extra_exc=ARITH)
case("autograd.Value.backward", V(), inst=value_graph)
case("autograd.topo_order", lambda: dict(root=value_graph()))
def check_value_grads_xs(f, xs, name="x", eps=1e-6, tol=1e-6):
    "`autograd.check_value_grads(f, *xs, ...)` with the positional `xs` as one argument, so it can be fuzzed."
    xs = xs if isinstance(xs, (list, tuple)) else [xs]  # a non-list xs is passed as the one input, so the function sees it
    return M("autograd").check_value_grads(f, *xs, name=name, eps=eps, tol=tol)
CASES["autograd.check_value_grads"] = fe.Case("autograd.check_value_grads", check_value_grads_xs,
                                              lambda: dict(f=lambda u, v: u * v + u.tanh(), xs=[0.5, -1.5], name="x"),
                                              extra_exc=(AssertionError,), free_text=("name",))  # a failed check is an AssertionError
case("autograd.Module", V()); case("autograd.Module.zero_grad", V(), inst=lambda: AG().MLP(2, [3, 1]))
case("autograd.Module.parameters", V(), inst=lambda: AG().Module())
case("autograd.Neuron", V(nin=2, nonlin=True)); case("autograd.Neuron.parameters", V(), inst=lambda: AG().Neuron(2))
case("autograd.Neuron.__call__", V(x=[1.0, -2.0]), inst=lambda: AG().Neuron(2))
case("autograd.Layer", V(nin=2, nout=3)); case("autograd.Layer.parameters", V(), inst=lambda: AG().Layer(2, 3))
case("autograd.Layer.__call__", V(x=[1.0, -2.0]), inst=lambda: AG().Layer(2, 3))
case("autograd.MLP", V(nin=2, nouts=[3, 1])); case("autograd.MLP.parameters", V(), inst=lambda: AG().MLP(2, [3, 1]))
case("autograd.MLP.__call__", V(x=[1.0, -2.0]), inst=lambda: AG().MLP(2, [3, 1]))

# viz
case("viz.layered_layout", lambda: dict(root=value_graph(), sweeps=4))
case("viz.draw_graph", lambda: dict(root=value_graph(), labels=None, dx=1.6, dy=0.75), none_ok=("labels",), slow=True)

# layers
case("layers.init_weights", V(n_in=2, n_out=3, init="xavier", rng=0, dtype=np.float64))
case("layers.Dense", V(n_in=2, n_out=3, activation="tanh", init="xavier", rng=0, dtype=np.float64))
case("layers.Dense.forward", lambda: dict(x=X0.copy()), inst=lambda: M("layers").Dense(2, 3, activation="tanh"))
case("layers.Dense.backward_z", lambda: dict(dz=np.full((24, 3), 0.1), need_dx=True), inst=dense_after_forward,
     fresh=lambda: M("layers").Dense(2, 3))
case("layers.Dense.backward", lambda: dict(da=np.full((24, 3), 0.1), need_dx=True), inst=dense_after_forward,
     fresh=lambda: M("layers").Dense(2, 3))
case("layers.MLP", lambda: dict(sizes=[2, 3, 1], activation="tanh", output="sigmoid", init="xavier", seed=0, dtype=np.float64))
case("layers.MLP.parameters", V(), inst=mlp)
case("layers.MLP.forward", lambda: dict(X=X0.copy()), inst=mlp)
case("layers.MLP.backward", lambda: dict(dout=np.full((24, 1), 0.1)), inst=mlp_after_forward, fresh=mlp)
case("layers.MLP.backward_loss", lambda: dict(loss="bce", y=y0.copy()), inst=mlp_after_forward, fresh=mlp)
case("layers.MLP.save", lambda: dict(path=os.path.join(tempfile.mkdtemp(), "m.npz")), inst=mlp)
case("layers.MLP.load", None, files=True)  # filled in below: a classmethod reading files
case("layers.MLP.to_torch", V(), inst=mlp, slow=True)
case("layers.predicted_class", lambda: dict(y_hat=np.array([[0.2, 0.8], [0.9, 0.1]])),
     propagate=("y_hat",))  # a diverged network's NaN outputs still get labels: fit's accuracy of a diverged run (12_gradient_flow)
case("layers.predict", lambda: dict(model=mlp(), X=X0.copy()))
case("layers.predict_proba", lambda: dict(model=mlp(), X=X0.copy()))

def _saved_model_path():
    p = os.path.join(tempfile.mkdtemp(), "m.npz"); mlp().save(p); return p
CASES["layers.MLP.load"] = fe.Case("layers.MLP.load", lambda o: M("layers").MLP.load, lambda: dict(path=_saved_model_path()),
                                   inst=lambda: None, files=True)

# optim

# plots
case("plots.plot_data", lambda: dict(X=X0.copy(), y=y0.copy(), ax=None, s=12.0), none_ok=("ax",), slow=True)
case("plots.plot_history", lambda: dict(history=trained_history(), ax=None, logy=False, metric="loss"), none_ok=("ax",), slow=True)
case("plots.boundary_grid", lambda: dict(model=mlp(), X=X0.copy(), n=20, margin=0.5))
case("plots.plot_decision_boundary", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), ax=None, grid=20), none_ok=("ax",), slow=True)

# data
for f in ("make_moons", "make_circles", "make_xor", "make_regression_1d"): case(f"data.{f}", V(n=20, noise=0.1, seed=0))
case("data.make_spiral", V(n=21, noise=0.1, seed=0, n_classes=3))
case("data.train_val_split", lambda: dict(X=X0.copy(), y=y0.copy(), val_fraction=0.25, seed=0, stratify=False))
case("data.batches", lambda: dict(X=X0.copy(), y=y0.copy(), batch_size=8, seed=0, shuffle=True))
case("data.load_digits", V(), slow=True)

# training
case("training.accuracy", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy()))
case("training.evaluate", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce"))
case("training.clip_grad_norm", lambda: dict(grads=[np.array([3.0, 4.0]), np.array([[1.0]])], max_norm=1.0), mutates=("grads",))
case("training.History", V(), lenient={k: "a record filled by fit; plot_history checks it when drawn" for k in
                                      ("train_loss", "val_loss", "train_acc", "val_acc", "lr", "best_epoch", "stop_reason", "diverged_epoch", "worse_than_start")})
case("training.snapshot_weights", lambda: dict(model=mlp()))
case("training.restore_weights", lambda: dict(model=mlp(), weights=M("training").snapshot_weights(mlp())), mutates=("model",))
case("training.fit", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", lr=0.1, epochs=2, batch_size=8, progress=False,
                                  optimizer="sgd", validation=0.25, patience=2, callbacks=[M("training").ClipGradNorm(1.0)]),
     mutates=("model",), none_ok=("lr", "patience", "validation", "schedule"), slow=True)

# learning_rate
A2 = lambda: np.array([[2.0, 0.0], [0.0, 0.5]])
case("learning_rate.critical_lr", lambda: dict(A=A2()))
case("learning_rate.quadratic_gd", lambda: dict(A=A2(), w0=np.array([1.0, 1.0]), lr=0.1, steps=5))
case("learning_rate.quadratic_loss", lambda: dict(A=A2(), W=np.array([[1.0, 1.0], [0.5, -0.5], [2.0, 0.0]])))  # 3 points: W's row count is free, not tied to A's
case("learning_rate.plot_quadratic_gd", lambda: dict(A=A2(), w0=np.array([1.0, 1.0]), lrs=[0.1, 0.5], steps=5), slow=True)
case("learning_rate.hessian_vector_product", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", v=np.ones(13), eps=1e-5))
case("learning_rate.sharpness", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", iters=3, seed=0))
case("learning_rate.LRFindResult", lambda: dict(lrs=np.array([1e-3, 1e-2, 1e-1, 1.0]), losses=np.array([0.7, 0.6, 0.4, 0.9]),
                                                raw_losses=np.array([0.7, 0.6, 0.4, 0.9]), window=1))
case("learning_rate.LRFindResult.plot", V(ax=None), none_ok=("ax",),
     inst=lambda: M("learning_rate").LRFindResult(np.array([1e-3, 1e-2, 1e-1, 1.0]), np.array([0.7, 0.6, 0.4, 0.9]), np.array([0.7, 0.6, 0.4, 0.9])), slow=True)
case("learning_rate.lr_find", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", lr_min=1e-3, lr_max=1.0, steps=8, batch_size=8), slow=True)

# diagnostics
case("diagnostics.backward_steps", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce"), mutates=("model",))
case("diagnostics.plot_backward_steps", lambda: dict(steps=M("diagnostics").backward_steps(mlp(), X0, y0, "bce")), slow=True)
case("diagnostics.backward_stepper", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce"), mutates=("model",), slow=True)
case("diagnostics.layer_stats", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", lr=0.1), mutates=("model",))
case("diagnostics.deep_mlp", V(depth=3, width=4, activation="sigmoid", init="xavier", n_in=2, seed=0))
case("diagnostics.plot_layer_stats", lambda: dict(stats=M("diagnostics").layer_stats(mlp(), X0, y0, "bce"), title=""), none_ok=("title",),
     free_text=("title",), slow=True)  # title is free text (any string), as for dynamics.plot_activation_stats
case("diagnostics.gradient_flow_lab", V(depth=3, activation="sigmoid", init="xavier", width=4, n=16, lr=0.1, seed=0), slow=True)

# playground
case("playground.make_task", V(dataset="moons", noise=0.1, seed=0))
case("playground.confidence_rgb", lambda: dict(P=np.array([[0.2, 0.8], [0.5, 0.5]])), any_shape=("P",))  # P is (..., K): the app passes (n, n, K)
case("playground.BoundaryFigure", V(width=4.0, height=2.0, dpi=50), slow=True)
BF = lambda: M("playground").BoundaryFigure(4.0, 2.0, 50)
case("playground.BoundaryFigure.set_data", lambda: dict(X=X0.copy(), y=y0.copy()), inst=BF, slow=True)
case("playground.BoundaryFigure.set_boundary", lambda: dict(xx=np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 1, 3))[0],
                                                             yy=np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 1, 3))[1],
                                                             rgb=np.full((3, 3, 3), 0.5)), inst=BF, slow=True)
case("playground.BoundaryFigure.set_message", V(text="diverged"), inst=BF, slow=True, free_text=("text",))
case("playground.BoundaryFigure.set_losses", lambda: dict(train_loss=[0.7, 0.5], val_loss=[0.8, 0.6], epochs=10), inst=BF, slow=True)
case("playground.BoundaryFigure.png", V(), inst=BF, slow=True)
case("playground.make_controls", V())
case("playground.Playground", V(lr=0.1, activation="tanh", dataset="moons", noise=0.1, layers=1, units=4, batch_size=32,
                                seed=0), var_kw=True, slow=True)
for meth, kw in (("retrain", V()), ("train", V(epochs=10)), ("summary", V()), ("redraw", V())):
    case(f"playground.Playground.{meth}", kw, inst=lambda: pg(layers=1, units=4))
case("playground.join_histories", lambda: dict(a=trained_history(), b=trained_history()), none_ok=("a",))
case("playground.playground", V(lr=0.1, activation="tanh", layers=1, units=4, epochs=10), var_kw=True, slow=True)

# data (split and batch by index)
case("data.check_seed", V(seed=0, name="seed"), skip={"name": DEV["name"]})
case("data.check_count", V(name="n", v=3, lo=1), skip=DEV)
case("data.split_indices", V(n=20, val_fraction=0.2, test_fraction=0.1, seed=0, labels=None))
case("data.Rows", lambda: dict(X=X0.copy(), index=np.arange(0, 24, 2)), lenient={"X": "a view: its values are checked by the caller (fit), not once more per view"})
case("data.Rows.__getitem__", V(i=slice(0, 3)), lenient={"i": "an int, a slice or an index array are all legitimate keys, as for numpy"}, extra_exc=(IndexError,), inst=lambda: M("data").Rows(X0.copy(), np.arange(0, 24, 2)))
case("data.train_val_test_split", lambda: dict(X=X0.copy(), y=y0.copy(), val_fraction=0.25, test_fraction=0.25, seed=0, stratify=False))
case("data.batch_indices", V(n=20, batch_size=8, seed=0, shuffle=True))

# dynamics
def activation_stats():
    cb = M("dynamics").ActivationStats(n=16, bins=5)
    _fit(mlp(sizes=[2, 3, 3, 1]), X0, y0, loss="bce", epochs=2, callbacks=[cb])
    return cb
case("dynamics.max_grad", V(act="tanh"))
case("dynamics.stuck", lambda: dict(act="tanh", z=np.array([[0.1, 5.0], [-3.0, 0.0]]), a=None, tol=0.01), none_ok=("a",), any_shape=("z",))
case("dynamics.ActivationStats", V(X=None, n=16, bins=5, tol=0.01), none_ok=("X",))
case("dynamics.plot_activation_stats", lambda: dict(stats=activation_stats(), layers=None, title=""), none_ok=("layers", "title"),
     free_text=("title",), slow=True)
case("dynamics.plot_activation_hist", lambda: dict(stats=activation_stats(), layers=None, title=""), none_ok=("layers", "title"),
     free_text=("title",), slow=True)

# optim (update rules and schedules)
def ready_model():
    m = mlp_after_forward(); m.backward_loss("bce", y0); return m
for cls, kw in (("SGD", dict(lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.0)), ("RMSProp", dict(lr=0.01, alpha=0.99, eps=1e-8)),
                ("Adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)), ("AdamW", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
                ("Optimizer", dict(lr=0.1, weight_decay=0.0))):
    case(f"optim.{cls}", (lambda kw=kw: dict(model=ready_model(), **kw)), mutates=("model",))
for meth in ("step", "zero_grad", "hyper_parameters"):
    case(f"optim.Optimizer.{meth}", V(), inst=lambda: M("optim").Adam(ready_model(), lr=1e-3))
case("optim.Optimizer.lr=", V(value=0.05), inst=lambda: M("optim").Adam(ready_model(), lr=1e-3))
case("optim.get_optimizer", lambda: dict(name="adam", model=ready_model(), lr=1e-3), var_kw=True)
case("optim.StepLR", V(step_size=2, gamma=0.5)); case("optim.StepLR.__call__", V(epoch=3, base_lr=0.1), inst=lambda: M("optim").StepLR(2, 0.5))
case("optim.WarmupCosine", V(warmup=2, total=10, min_lr=0.0))
case("optim.WarmupCosine.__call__", V(epoch=3, base_lr=0.1), inst=lambda: M("optim").WarmupCosine(2, 10))

# training (the loop's parts)
case("training.chunks", V(n=100, width=4))
case("training.check_targets", lambda: dict(loss="bce", y=y0.copy(), k=1, name="y"), skip={"name": DEV["name"]})
case("training.check_data", lambda: dict(model=mlp(), loss="bce", X=X0.copy(), y=y0.copy()),
     skip={"names": "labels for messages, given by fit as literals"})
case("training.predict", lambda: dict(model=mlp(), X=X0.copy()))
case("training.predict_proba", lambda: dict(model=mlp(), X=X0.copy()))
case("training.zero_output_loss", lambda: dict(model=mlp(), y=y0.copy(), loss="bce"))
case("training.EarlyStopping", V(patience=3, min_delta=0.0, restore_best=True), none_ok=("patience",))
case("training.DivergenceWatch", V(factor=10.0), lenient={"factor": "inf is documented (only non-finite losses count) and used in 10_training"})
case("training.ClipGradNorm", V(max_norm=1.0))
case("training.ProgressBar", V())
case("training.make_optimizer", lambda: dict(model=mlp(), optimizer="sgd", lr=0.1), none_ok=("lr",))

# autograd (new)
case("autograd.Value.max", V(other=2.0), inst=lambda: AG().Value(1.5))
case("autograd.affine", lambda: dict(w=[AG().Value(0.5), AG().Value(-1.0)], x=[1.0, 2.0], b=AG().Value(0.1)))

# exercises
EX = lambda: M("exercises")
first_ex = lambda: EX().EXERCISES[next(iter(EX().EXERCISES))]
RECORD = "a record type (its fields are filled by the package's own catalogue); checked where it is used"
case("exercises.Mistake", lambda: dict(key="sign", hint="check the sign", fn=lambda x: -x), lenient={k: RECORD for k in ("key", "hint", "fn")})
case("exercises.Exercise", lambda: {k: v for k, v in vars(first_ex()).items() if k in inspect.signature(EX().Exercise).parameters},
     lenient={k: RECORD for k in inspect.signature(M("exercises").Exercise).parameters})
case("exercises.Verdict", V(name="x", passed=True, message="ok"), lenient={k: RECORD for k in ("name", "passed", "message")})
case("exercises.check_exercise", lambda: dict(ex=first_ex(), fn=first_ex().reference, timeout=2.0, seed=0), slow=True)
case("exercises.register", lambda: dict(ex=first_ex()))
case("exercises.check", lambda: dict(name=first_ex().name, fn=first_ex().reference, timeout=2.0, seed=0), slow=True)
case("exercises.Progress", lambda: dict(rows=[(first_ex(), None)]))
case("exercises.progress", V())

# layers (stack: Layer, Dropout, BatchNorm, modes, snapshots)
L_ = lambda: M("layers")
case("layers.Layer", V())
for meth, kw in (("parameters", V()), ("sublayers", V()), ("train", V(mode=True)), ("eval", V())):
    case(f"layers.Layer.{meth}", kw, inst=lambda: L_().Dense(2, 3, batchnorm=True, dropout=0.1))
case("layers.Dense.sublayers", V(), inst=lambda: L_().Dense(2, 3, batchnorm=True))
case("layers.Dense.parameters", V(), inst=lambda: L_().Dense(2, 3))
case("layers.MLP.sublayers", V(), inst=mlp)
case("layers.MLP.snapshot", V(), inst=mlp)
case("layers.MLP.restore", lambda: dict(weights=mlp().snapshot()), inst=mlp)
case("layers.Dropout", V(p=0.5, seed=0))
def dropout_after_forward():
    d = L_().Dropout(0.5, seed=0); d.forward(np.ones((4, 3))); return d
case("layers.Dropout.forward", lambda: dict(x=np.ones((4, 3))), inst=lambda: L_().Dropout(0.5, seed=0), any_shape=("x",))
case("layers.Dropout.backward", lambda: dict(dout=np.ones((4, 3))), inst=dropout_after_forward, fresh=lambda: L_().Dropout(0.5, seed=0))
case("layers.BatchNorm", V(n=3, eps=1e-5, momentum=0.1, dtype=np.float64))
def bn_after_forward():
    b = L_().BatchNorm(3); b.forward(np.arange(12.0).reshape(4, 3) ** 0.5); return b
case("layers.BatchNorm.parameters", V(), inst=lambda: L_().BatchNorm(3))
case("layers.BatchNorm.forward", lambda: dict(x=np.arange(12.0).reshape(4, 3) ** 0.5), inst=lambda: L_().BatchNorm(3))
case("layers.BatchNorm.backward", lambda: dict(dout=np.ones((4, 3)) * 0.1), inst=bn_after_forward, fresh=lambda: L_().BatchNorm(3))

# training.eval_mode is a context manager: the case enters it
def eval_mode_block(model):
    "Forward a batch inside `training.eval_mode(model)`."
    with M("training").eval_mode(model): return model.forward(X0)
CASES["training.eval_mode"] = fe.Case("training.eval_mode", eval_mode_block, lambda: dict(model=mlp()))

# diagnostics/playground (saved pictures, control checks, animation)
def _png():
    import PIL.Image
    buf = io.BytesIO(); PIL.Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(buf, format="png"); return buf.getvalue()
case("diagnostics.picture_bundle", lambda: dict(bundle={"text/plain": "x"}, png=_png(), how="run the cells"), free_text=("how",))
def _widget_and_image():
    import ipywidgets as w
    return dict(widget=w.VBox(), image=w.Image(value=_png()), how="run the cells")
case("diagnostics.with_saved_picture", _widget_and_image, free_text=("how",))
case("playground.check_control", lambda: dict(name="lr", c=M("playground").make_controls()["lr"], v=0.1), skip={"name": DEV["name"]})
case("playground.frame_epochs", V(epochs=60))
case("playground.Playground.advance", V(epoch=10), inst=lambda: pg(layers=1, units=4), slow=True)
case("playground.Playground.reset", V(), inst=lambda: pg(layers=1, units=4), slow=True)

case("training.default_lr", V(name="adam"))
case("training.schedule_lrs", lambda: dict(schedule=M("optim").StepLR(2, 0.5), base_lr=0.1, epochs=5), none_ok=("schedule",))
case("training.check_batchnorm_batches", lambda: dict(model=mlp(), n=24, batch_size=8))
case("training.check_model", lambda: dict(model=mlp()), skip={"attrs": "developer-facing: the package passes literal attribute names"})

# sanity
case("sanity.expected_initial_loss", lambda: dict(loss="bce", y=y0.copy(), n_out=1, output="sigmoid"))
case("sanity.overfit_tiny", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", n=8, lr=0.5, epochs=3, seed=0), slow=True)
case("sanity.max_grad_error", lambda: dict(model=mlp(), X=X0[:4].copy(), y=y0[:4].copy(), loss="bce"))
case("sanity.SanityReport", lambda: dict(rows=[dict(key="z", check="c", passed=True)], cols=["check", "passed"]))
case("sanity.plain_copy", lambda: dict(model=mlp()))
case("sanity.sanity_checks", lambda: dict(model=mlp(), X=X0.copy(), y=y0.copy(), loss="bce", n_tiny=8, lr=0.5, epochs=3, n_grad=2,
                                          init_tol=0.25, overfit_tol=0.01, seed=0), slow=True)

HOOKS = "a callback/update hook called by fit or step() with its own arguments; exercised through the fit and step cases"
NOT_FUZZED = {  # name -> reason; every other public callable is fuzzed
    "activations.Activation.__call__": "abstract: raises NotImplementedError by design (subclasses are fuzzed)",
    "activations.Activation.grad": "abstract: raises NotImplementedError by design (subclasses are fuzzed)",
    "losses.Loss.__call__": "abstract: raises NotImplementedError by design (subclasses are fuzzed)",
    "losses.Loss.grad": "abstract: raises NotImplementedError by design (subclasses are fuzzed)",
    **{f"{c}.{h}": HOOKS for c in ("training.EarlyStopping", "training.ProgressBar") for h in ("before_fit", "after_epoch", "after_fit")},
    **{f"{c}.{h}": HOOKS for c, hs in (("training.DivergenceWatch", ("before_fit", "after_epoch")), ("training.ClipGradNorm", ("before_fit", "before_step")),
                                       ("dynamics.ActivationStats", ("before_fit", "before_step", "after_epoch")))
       for h in hs},
    **{f"optim.{c}.update": HOOKS for c in ("SGD", "RMSProp", "Adam")}, "optim.Optimizer.coupled_grad": HOOKS,
    "training.Run": "fit's own state object (built by fit, handed to callbacks); fuzzed through fit",
    "training.Run.__call__": HOOKS, "training.Run.measure": HOOKS,
    "viz.GraphFigure": "a matplotlib Figure subclass: its arguments are matplotlib's own",
    "viz.GraphFigure.set": "matplotlib's Artist.set, inherited unchanged",
}


# ---- enumeration: every public callable has a case or a reason ----------------------------------------------

def public_callables():
    "'module.name' and 'module.Class.method' for every public callable of every module in `_modidx`."
    out = []
    for modname in MODIDX["syms"]:
        mod = importlib.import_module(modname)
        short = modname.split(".")[-1]
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if not callable(obj) or isinstance(obj, dict): continue
            out.append(f"{short}.{name}")
            if inspect.isclass(obj) and obj.__module__ == modname:
                for k, v in vars(obj).items():
                    public = not k.startswith("_") or k in ("__call__", "__getitem__") or (k.startswith("__") and k[2:-2] in _OPS)
                    if not public or k == "__init__": continue
                    if isinstance(v, property):
                        if v.fset is not None: out.append(f"{short}.{name}.{k}=")
                    elif callable(v) or hasattr(v, "__get__") and callable(getattr(obj, k, None)): out.append(f"{short}.{name}.{k}")
    return out

_OPS = {"add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "pow", "rpow", "neg"}


def test_every_public_callable_is_fuzzed():
    names = public_callables()
    missing = [n for n in names if n not in CASES and n not in NOT_FUZZED]
    stale = [n for n in CASES if n not in names]
    assert not missing, f"public callables without a fuzz case (add one to CASES or a reason to NOT_FUZZED): {missing}"
    assert not stale, f"fuzz cases for names that are no longer public: {stale}"


# ---- running ------------------------------------------------------------------------------------------------

def full_kw(c):
    "The valid keyword arguments of case `c`, completed with the signature's defaults (so those get fuzzed too)."
    kw = c.kw()
    try:
        f = c.target(c.inst()) if c.inst is not None else c.target
        params = inspect.signature(f).parameters
    except (TypeError, ValueError): return kw
    for p in params.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name.startswith("_") or p.name in ("self", "cls"): continue
        if p.name not in kw and p.default is not p.empty: kw[p.name] = p.default
    unknown = [k for k in kw if k not in params] if not any(p.kind == p.VAR_KEYWORD for p in params.values()) else []
    assert not unknown, f"{c.name} no longer takes {unknown}: update its case in CASES"
    return kw


def with_kw(c, kw_factory):
    "A copy of case `c` whose valid arguments come from `kw_factory`."
    return fe.Case(**{**vars(c), "kw": kw_factory})


CPU = collections.Counter()  # case -> CPU seconds


def execute(c, m, tmpdir):
    t = time.process_time()
    outcome, failure = fe.run(c, m, tmpdir)
    CPU[c.name] += time.process_time() - t
    COUNTS["calls"] += 1; COUNTS[outcome] += 1
    import matplotlib.pyplot as plt
    plt.close("all")
    return None if failure is None else f"{c.name}({m.param}={m.kind}): {failure}"


BASELINES = {}


def _baseline(c):
    "The valid call must succeed (else the catalogue is out of date); returns the case with completed kwargs (once per case)."
    if c.name not in BASELINES: BASELINES[c.name] = _make_baseline(c)
    return BASELINES[c.name]


def _make_baseline(c):
    base = full_kw(c)
    keys = set(base)
    def kw():
        fresh = c.kw()  # defaults are immutable or rebuilt by the signature: only the case's own values need fresh copies
        return {k: (fresh[k] if k in fresh else base[k]) for k in keys}
    cc = with_kw(c, kw)
    r = fe.consume(cc.call(kw(), cc.inst() if cc.inst is not None else None))
    assert fe.finite(r), f"{c.name}: the valid call returned a non-finite result"
    cc.result_shape = fe.shape_of(r)
    return cc


def _vm_bytes():
    "This process's virtual memory size (Linux), or None."
    try: return int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError): return None


@pytest.fixture(scope="module", autouse=True)
def memory_cap():
    "A huge size that a callable accepts must end in MemoryError (a reported failure), never in the machine's OOM killer."
    import resource
    vm, (soft, hard) = _vm_bytes(), resource.getrlimit(resource.RLIMIT_AS)
    if vm is not None: resource.setrlimit(resource.RLIMIT_AS, (vm + (3 << 30), hard))  # 3 GB more than now
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module", autouse=True)
def report():
    t = time.perf_counter()
    yield
    COUNTS["seconds"] = round(time.perf_counter() - t, 1)
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), ".pytest_cache", "fuzz_counts.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    takes = {n: set(c.kw()) for n, c in BASELINES.items()}  # the arguments of the cases that ran
    skipped = {f"{n}({k})": why for n, c in CASES.items() for k, why in c.skip.items() if k in takes.get(n, ())}
    lenient = {f"{n}({k})": why for n, c in CASES.items() for k, why in c.lenient.items() if k in takes.get(n, ())}
    summary = dict(counts=dict(COUNTS), cases=len(CASES), not_fuzzed=NOT_FUZZED, arguments_not_fuzzed=skipped,
                   arguments_crash_checked_only=lenient, cpu_seconds={k: round(v, 3) for k, v in CPU.most_common()},
                   failures={k: v for k, v in FAILURES.items() if v})
    with open(path, "w") as f: json.dump(summary, f, indent=1)
    print(f"\nfuzz: {COUNTS['calls']} calls over {len(CASES)} callables in {COUNTS['seconds']} s; outcomes "
          + ", ".join(f"{k}={v}" for k, v in sorted(COUNTS.items()) if k not in ("calls", "seconds")) + f" -> {path}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_sweep(name, tmp_path):
    "Every malformed variant of every argument, once."
    c = _baseline(CASES[name])
    failures = [f for m in fe.mutations(c, c.kw()) if (f := execute(c, m, str(tmp_path)))]
    FAILURES[name] += failures
    assert not failures, "\n".join(failures)


def random_values(kind):
    "Hypothesis strategies for random malformed values."
    nums = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**15, 10**15), st.booleans(),
                     st.none(), st.text(max_size=4), st.complex_numbers(max_magnitude=10))
    shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)
    arrays = st.tuples(shapes, st.sampled_from(["f8", "f4", "f2", "i8", "?", "c16", "O"]),
                       st.sampled_from([0.5, -2.0, np.nan, np.inf, 1e300, 0.0])).map(
        lambda t: np.full(t[0], t[2]).astype(t[1]) if t[1] != "?" else np.full(t[0], True))
    return st.one_of(nums, arrays, st.lists(nums, max_size=3))


@pytest.mark.parametrize("name", sorted(CASES))
def test_random(name, tmp_path):
    "Random malformed values (any type, shape, dtype) for one argument at a time."
    c = _baseline(CASES[name])
    params = [k for k in c.kw() if k not in c.skip]
    if not params: return
    failures = []

    @settings(max_examples=2) if c.slow else (lambda f: f)
    @given(param=st.sampled_from(params), value=random_values("any"))
    def check(param, value):
        m = fe.Mutation(param, "random:" + fe._short(value)[:40], value, must_raise=False,
                        nonfinite=not fe.finite(value))
        if (f := execute(c, m, str(tmp_path))): failures.append(f)
    check()
    FAILURES[name] += failures
    assert not failures, "\n".join(sorted(set(failures))[:20])
