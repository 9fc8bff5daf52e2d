"Property, parity and long tests for `backprop_nb.autograd` (the notebook holds the fast golden-value checks)."
import math, random, re, subprocess, sys
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from backprop_nb.autograd import Value, Neuron, Layer, MLP, affine, topo_order, check_value_grads
from backprop_nb.gradcheck import numerical_grad

# ---- random programs: each step applies one op to earlier registers, so nodes fan out and share subgraphs
BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y,
          "max": lambda x, y: x.max(y)}
UNARY = {
    "neg": lambda x: -x, "relu": lambda x: x.relu(), "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(),
    "exp": lambda x: x.exp(), "log": lambda x: x.log(), "square": lambda x: x ** 2, "cube": lambda x: x ** 3,
    "sqrt": lambda x: x ** 0.5, "inv": lambda x: x ** -1, "2**x": lambda x: 2 ** x,
    "1.5+x": lambda x: 1.5 + x, "x-0.5": lambda x: x - 0.5, "0.5-x": lambda x: 0.5 - x,
    "3*x": lambda x: 3 * x, "x/4": lambda x: x / 4, "2/x": lambda x: 2 / x,
}
# inputs the gradient check must avoid: kinks, the edge of a domain, overflow
SAFE = {"div": lambda x, y: abs(y) > 0.2, "max": lambda x, y: abs(x - y) > 1e-3, "relu": lambda x: abs(x) > 1e-3, "exp": lambda x: x < 5,
        "log": lambda x: x > 0.2, "sqrt": lambda x: x > 0.2, "inv": lambda x: abs(x) > 0.2, "2/x": lambda x: abs(x) > 0.2}

N_INPUTS = 3
step = st.one_of(st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 99), st.integers(0, 99)),
                 st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 99)))
programs = st.lists(step, min_size=1, max_size=8)
inputs = st.lists(st.floats(-2, 2, allow_nan=False), min_size=N_INPUTS, max_size=N_INPUTS)

def run(program, xs):
    "Evaluate `program` on the inputs `xs` (`Value`s or torch tensors); the last register is the output."
    regs = list(xs)
    for op, *args in program:
        args = [regs[i % len(regs)] for i in args]
        regs.append((BINARY.get(op) or UNARY[op])(*args))
    return regs[-1]

def is_safe(program, xs):
    "True if every op in `program` sees inputs inside its safe region and values stay moderate."
    regs = [Value(x) for x in xs]
    for op, *args in program:
        args = [regs[i % len(regs)] for i in args]
        if op in SAFE and not SAFE[op](*(a.data for a in args)): return False
        regs.append((BINARY.get(op) or UNARY[op])(*args))
        if not abs(regs[-1].data) < 1e3: return False
    return True

@settings(max_examples=200, deadline=None)
@given(programs, inputs)
def test_random_programs_match_central_differences(program, xs):
    assume(is_safe(program, xs))
    f = lambda *vs: run(program, vs)
    vs = [Value(x) for x in xs]
    f(*vs).backward()
    if max(abs(v.grad) for v in vs) < 1e-6:  # a gradient that is 0 up to rounding (x/x) has no relative error
        numeric = numerical_grad(lambda x: f(*map(Value, x)).data, np.array(xs))
        assert np.abs(numeric).max() < 1e-6
    else:
        assert check_value_grads(f, *xs, tol=1e-5) <= 1e-5

# ---- PyTorch as an independent oracle, float64 (tensors have the same methods, so `run` works unchanged)

@settings(max_examples=200, deadline=None)
@given(programs, inputs)
def test_random_programs_match_pytorch(program, xs):
    torch = pytest.importorskip("torch")
    assume(is_safe(program, xs))
    vs = [Value(x) for x in xs]
    run(program, vs).backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = run(program, ts)
    out.backward()
    want = [0.0 if t.grad is None else t.grad.item() for t in ts]
    np.testing.assert_allclose([v.grad for v in vs], want, rtol=1e-10, atol=1e-12)
    assert run(program, [Value(x) for x in xs]).data == pytest.approx(out.item(), rel=1e-12, abs=1e-14)

def test_sigmoid_extremes_match_pytorch():
    torch = pytest.importorskip("torch")
    for x in (-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4):
        v, t = Value(x), torch.tensor(x, dtype=torch.float64, requires_grad=True)
        s = v.sigmoid(); s.backward(); torch.sigmoid(t).backward()
        assert math.isfinite(s.data) and s.data == pytest.approx(torch.sigmoid(t).item(), rel=1e-15, abs=1e-300)
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300)

def hinge_l2_loss(Value, model, X, y, alpha=1e-4):
    "micrograd's demo loss: mean max-margin loss plus L2 on the parameters."
    scores = [model([Value(a) for a in row]) for row in X]
    data_loss = sum((1 + -yi * s).relu() for yi, s in zip(y, scores)) * (1.0 / len(y))
    return data_loss + alpha * sum(p * p for p in model.parameters())

def moons_like(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X.tolist(), np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0).tolist()

def test_mlp_demo_loss_matches_pytorch():
    torch = pytest.importorskip("torch")
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    X, y = moons_like(20, 0)
    loss = hinge_l2_loss(Value, model, X, y)
    model.zero_grad(); loss.backward()
    # the same network written with torch tensors, weights copied from the Value model
    layers = [([torch.tensor([w.data for w in n.w], dtype=torch.float64, requires_grad=True) for n in layer.neurons],
               [torch.tensor(n.b.data, dtype=torch.float64, requires_grad=True) for n in layer.neurons], layer.neurons[0].nonlin)
              for layer in model.layers]
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    h = Xt
    for ws, bs, nonlin in layers:
        z = torch.stack([h @ w + b for w, b in zip(ws, bs)], dim=1)
        h = torch.relu(z) if nonlin else z
    flat = [p for ws, bs, _ in layers for w, b in zip(ws, bs) for p in (w, b)]
    loss_t = torch.relu(1 - yt * h[:, 0]).mean() + 1e-4 * sum((p * p).sum() for p in flat)
    loss_t.backward()
    assert loss.data == pytest.approx(loss_t.item(), rel=1e-12)
    want = np.concatenate([np.r_[w.grad.numpy(), b.grad.item()] for ws, bs, _ in layers for w, b in zip(ws, bs)])
    np.testing.assert_allclose([p.grad for p in model.parameters()], want, rtol=1e-9, atol=1e-14)

# ---- micrograd users' code runs unchanged and gives the same numbers
def user_code(Value, MLP):
    "Code written for micrograd: expression from its README, then a training step of its demo MLP."
    a, b = Value(-4.0), Value(2.0)
    c = a + b; d = a * b + b ** 3
    c += c + 1; c += 1 + c + (-a)
    d += d * 2 + (b + a).relu(); d += 3 * d + (b - a).relu()
    e = c - d; f = e ** 2; g = f / 2.0; g += 10.0 / f
    g.backward()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    X, y = moons_like(10, 1)
    loss = hinge_l2_loss(Value, model, X, y)
    model.zero_grad(); loss.backward()
    for p in model.parameters(): p.data -= 0.1 * p.grad
    loss2 = hinge_l2_loss(Value, model, X, y)
    return [g.data, a.grad, b.grad, loss.data, loss2.data, len(model.parameters())] + [p.grad for p in model.parameters()]

def test_micrograd_user_code_gives_same_numbers():
    pytest.importorskip("micrograd")
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MMLP
    ours, theirs = user_code(Value, MLP), user_code(MValue, MMLP)
    assert ours[3] == theirs[3]  # the forward pass sums in micrograd's order: the loss is bit-identical
    assert ours[0] == pytest.approx(24.70408163265306, rel=1e-12)  # micrograd README's printed values
    assert ours[1] == pytest.approx(138.83381924198252, rel=1e-12) and ours[2] == pytest.approx(645.5772594752186, rel=1e-12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)

def test_micrograd_repr_and_param_count():
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337
    assert repr(model.layers[-1]) == "Layer of [LinearNeuron(16)]"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"

# ---- deep graphs and repeated backward
def test_50k_chain_backprops():
    x = Value(0.5)
    y = x
    for _ in range(50_000): y = (y + x) * 0.5  # y_k = (y_{k-1} + x) / 2, so dy/dx = 1 exactly for y_0 = x
    y.backward()
    assert len(topo_order(y)) == 100_001
    assert x.grad == pytest.approx(1.0, rel=1e-12)

def test_double_backward_doubles_leaves_only():
    torch = pytest.importorskip("torch")
    a, b = Value(2.0), Value(-3.0)
    c = a * b; d = c + a; L = d * d
    L.backward(); once = (a.grad, b.grad, c.grad, d.grad)
    L.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])
    assert (c.grad, d.grad) == once[2:]
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, -3.0))
    tL = (ta * tb + ta) ** 2
    tL.backward(retain_graph=True); tL.backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())
    L.zero_grad()
    assert [v.grad for v in (a, b, c, d, L)] == [0.0] * 5

def test_import_does_not_load_plotting():
    code = "import sys, backprop_nb, backprop_nb.autograd; print('matplotlib' in sys.modules or 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

# ---- the fused neuron node: same value as micrograd's chain of products and sums, same gradients
@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(*[st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n)] * 2)),
       st.floats(-3, 3, allow_nan=False), st.lists(st.booleans(), min_size=6, max_size=6))
def test_affine_equals_chain_of_products(wx, b0, is_value):
    w_data, x_data = wx
    def build(fused):
        w = [Value(v) for v in w_data]
        x = [Value(v) if leaf else v for v, leaf in zip(x_data, is_value)]
        b = Value(b0)
        z = affine(w, x, b) if fused else sum((wi * xi for wi, xi in zip(w, x)), b)
        (z * z).backward()
        return z.data, [v.grad for v in [*w, b, *(xi for xi in x if isinstance(xi, Value))]]
    (z_f, g_f), (z_c, g_c) = build(True), build(False)
    assert z_f == z_c
    np.testing.assert_allclose(g_f, g_c, rtol=1e-12, atol=1e-12)

# ---- issue 10: bad input gets a clear error of ours, naming the argument or operation
@pytest.mark.parametrize("call, error, message", [
    (lambda: Neuron(3)([1.0, 2.0]), ValueError, "ReLUNeuron(3) takes 3 inputs, got 2"),
    (lambda: MLP(2, [4, 1])([1.0]), ValueError, "MLP takes 2 inputs, got 1"),
    (lambda: Layer(2, 3)([1.0, 2.0, 3.0]), ValueError, "takes 2 inputs, got 3"),
    (lambda: MLP(2, [4, 1])(1.0), TypeError, "MLP takes a list of 2 inputs"),
    (lambda: MLP(2, [4, 1])("ab"), TypeError, "MLP takes a list of 2 inputs"),
    (lambda: Neuron(0), ValueError, "nin must be an integer >= 1, got 0"),
    (lambda: Neuron(2.0), TypeError, "nin must be an integer"),
    (lambda: Neuron(2, nonlin="yes"), TypeError, "nonlin must be True or False"),
    (lambda: Layer(2, 0), ValueError, "nout must be an integer >= 1"),
    (lambda: MLP(2, []), ValueError, "nouts must list at least one layer size"),
    (lambda: MLP(2, 16), TypeError, "nouts must be a list of layer sizes"),
    (lambda: MLP(2, [16, -1]), ValueError, "nouts[1] must be an integer >= 1"),
    (lambda: MLP(True, [1]), TypeError, "nin must be an integer"),
    (lambda: affine([Value(1.0)], [1.0, 2.0], Value(0.0)), ValueError, "x has 2 entries but w has 1"),
    (lambda: affine([1.0], [1.0], Value(0.0)), TypeError, "affine needs Values for w and b"),
    (lambda: affine([Value(1.0)], [1.0], 0.0), TypeError, "affine needs Values for w and b"),
    (lambda: affine([Value(1.0)], 1.0, Value(0.0)), TypeError, "affine needs lists w and x"),
    (lambda: Neuron(2)([None, 1.0]), TypeError, "unsupported operand for affine (x[0]): Value and None"),
    (lambda: Value(1e200) ** 2, OverflowError, "1e+200 ** 2 overflows float64"),
    (lambda: Value(1e-200) ** -1.5, OverflowError, "overflows float64"),
    (lambda: 10 ** Value(400), OverflowError, "10 ** 400.0 overflows float64"),
    (lambda: Value(10 ** 400), ValueError, "too large for float64"),
    (lambda: Value(True), TypeError, "Value needs a real number (int or float), got True"),
    (lambda: Value(None), TypeError, "Value needs a real number (int or float), got None"),
    (lambda: Value(Value(1.0)), TypeError, "Value needs a real number"),
])
def test_bad_input_gets_our_error(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)

BAD_OPERANDS = ["1", None, [1.0], True, 1 + 2j, np.array([1.0, 2.0]), {}]
OPS = {"+": lambda u, c: u + c, "-": lambda u, c: u - c, "*": lambda u, c: u * c, "/": lambda u, c: u / c,
       "**": lambda u, c: u ** c, "max": lambda u, c: u.max(c)}
REFLECTED = {"+": lambda u, c: c + u, "-": lambda u, c: c - u, "*": lambda u, c: c * u, "/": lambda u, c: c / u, "**": lambda u, c: c ** u}

@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("bad", BAD_OPERANDS, ids=repr)
def test_bad_operand_names_the_operation(op, bad):
    with pytest.raises(TypeError, match=f"unsupported operand for {re.escape(op)}: Value and "):
        OPS[op](Value(2.0), bad)

@pytest.mark.parametrize("op", sorted(REFLECTED))
@pytest.mark.parametrize("bad", [b for b in BAD_OPERANDS if not isinstance(b, np.ndarray)], ids=repr)
def test_bad_reflected_operand_is_refused(op, bad):
    with pytest.raises(TypeError, match=f"unsupported operand for {re.escape(op)}: Value and "):
        REFLECTED[op](Value(2.0), bad)

def test_tiny_divisor_gives_a_huge_slope_not_an_error():
    u, v = Value(1.0), Value(1e-200)
    (u / v).backward()
    assert u.grad == pytest.approx(1e200) and v.grad == -math.inf
