"""One training step of micrograd's demo, backprop_nb.autograd vs micrograd, in one process.

Workload (micrograd's demo.ipynb): scalar MLP(2, [16, 16, 1]), 100 two-moons points with labels -1/+1,
max-margin (hinge) loss relu(1 - y*score) averaged, plus L2 regularisation 1e-4 * sum(p*p); one step =
forward, zero_grad, backward, SGD update (lr 0.1). Both engines get the same weights and the same
plain-float inputs and run the same user code (`demo_loss`, `train_step`), alternating, with a full
`gc.collect()` before each timed run so neither pays for the other's garbage. Prints the graph sizes
(backprop_nb computes a neuron's b + sum_i w_i x_i as one node, micrograd as 2 n_in nodes), fastest and
median times and the ratio, with Python's cycle collector on (the default) and off.

Run: flock /tmp/bench.lock python benchmarks/bench_autograd.py [--repeats 10]
"""
import argparse, gc, platform, random, statistics, time
import numpy as np
from threadpoolctl import threadpool_info
import micrograd.engine, micrograd.nn
from backprop_nb import autograd

ENGINES = {"backprop_nb": (autograd.Value, autograd.MLP), "micrograd": (micrograd.engine.Value, micrograd.nn.MLP)}

def two_moons(n=100, noise=0.1, seed=0):
    "Two interleaved half circles, labels -1/+1 (sklearn's make_moons recipe, numpy only)."
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]]
    X += rng.normal(scale=noise, size=X.shape)
    y = np.r_[-np.ones(n_out), np.ones(n_in)]
    return X.tolist(), y.tolist()

def demo_loss(Value, model, X, y, alpha=1e-4):
    "micrograd's demo loss, verbatim apart from taking the engine as an argument."
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss

def forward_backward(Value, model, X, y):
    total_loss = demo_loss(Value, model, X, y)
    model.zero_grad()
    total_loss.backward()
    return total_loss

def train_step(Value, model, X, y, lr=0.1):
    "One step of the demo's training loop."
    total_loss = forward_backward(Value, model, X, y)
    for p in model.parameters(): p.data -= lr * p.grad
    return total_loss.data

def graph_size(root):
    "Nodes and edges of the graph ending at `root` (works for both engines)."
    seen, stack, edges = {root}, [root], 0
    while stack:
        v = stack.pop()
        for u in v._prev:
            edges += 1
            if u not in seen: seen.add(u); stack.append(u)
    return len(seen), edges

def make_models(seed=1337):
    "One model per engine, with identical weights."
    models = {}
    for name, (_, MLP) in ENGINES.items():
        random.seed(seed)
        models[name] = MLP(2, [16, 16, 1])
    ref = [p.data for p in models["backprop_nb"].parameters()]
    assert ref == [p.data for p in models["micrograd"].parameters()], "engines drew different weights"
    return models

def check_same_numbers(models, X, y):
    "Both engines must compute the same loss and gradients before we time them."
    roots = {name: forward_backward(ENGINES[name][0], m, X, y) for name, m in models.items()}
    grads = {name: np.array([p.grad for p in m.parameters()]) for name, m in models.items()}
    diff = np.abs(grads["backprop_nb"] - grads["micrograd"]).max()
    loss = {name: root.data for name, root in roots.items()}
    assert loss["backprop_nb"] == loss["micrograd"] and diff < 1e-12, (loss, diff)
    return loss["backprop_nb"], diff, {name: graph_size(root) for name, root in roots.items()}

def time_once(name, model, X, y, gc_enabled):
    gc.collect()
    if not gc_enabled: gc.disable()
    t = time.perf_counter()
    train_step(ENGINES[name][0], model, X, y)
    dt = time.perf_counter() - t
    gc.enable()
    return dt

def main(repeats):
    X, y = two_moons()
    models = make_models()
    loss, diff, sizes = check_same_numbers(models, X, y)
    print(f"python {platform.python_version()}, BLAS: " +
          ", ".join(f"{i['internal_api']} {i.get('architecture')}" for i in threadpool_info()) + " (unused: the engines are pure Python)")
    print(f"workload: MLP(2,[16,16,1]) = 337 parameters, 100 two-moons points, hinge + L2; loss {loss:.12f} in both (bit-identical), max |grad diff| {diff:.1e}")
    print("graph: " + ", ".join(f"{name} {n:,} nodes / {e:,} edges" for name, (n, e) in sizes.items()))
    times = {(name, gc_on): [] for gc_on in (True, False) for name in ENGINES}
    for _ in range(repeats):  # alternate the engines so load changes hit both alike
        for name, gc_on in times: times[name, gc_on].append(time_once(name, models[name], X, y, gc_on))
    print(f"\none training step (forward, zero_grad, backward, SGD update), {repeats} alternating runs each (ms)")
    print(f"{'engine':<28}{'fastest':>10}{'median':>10}{'micrograd / this (fastest)':>30}{'(median)':>10}")
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    for (name, gc_on) in times:
        label = name + ("" if gc_on else " (gc disabled)")
        print(f"{label:<28}{best[name, gc_on]*1e3:>10.1f}{med[name, gc_on]*1e3:>10.1f}"
              f"{best['micrograd', True] / best[name, gc_on]:>30.2f}{med['micrograd', True] / med[name, gc_on]:>10.2f}")
    print(f"\nspeed-up of backprop_nb over micrograd (default gc): {best['micrograd', True] / best['backprop_nb', True]:.2f}x fastest, "
          f"{med['micrograd', True] / med['backprop_nb', True]:.2f}x median")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    main(parser.parse_args().repeats)
