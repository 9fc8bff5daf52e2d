"""One training step (forward + loss + backward + SGD or Adam update): backprop_nb vs PyTorch eager CPU.

`--batchnorm` puts a BatchNorm in every hidden layer of both networks (`MLP(..., batchnorm=True)` vs `BatchNorm1d`).

Run (the OpenBLAS overrides some shells set would pin a slower kernel, so unset them):

    flock /tmp/bench.lock env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_train_step.py

Both frameworks run in this process, alternating, with PyTorch's intra-op threads set to numpy's BLAS
threads (`--threads N` sets both). Prints per-step milliseconds (fastest and median over repeats), the
ratio ours/torch, and for the large case our step's matmul GFLOP/s as a share of numpy's matmul peak
(the best (1024, 4096) @ (4096, 4096) product, timed between the steps so machine load affects both).

On a shared, loaded machine two-thread timings of both libraries are dominated by waiting for the second
thread to be scheduled (PyTorch's OpenMP suffers most); `--threads 1` then gives the stable comparison.
"""
import argparse, time, statistics
import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits
from backprop_nb.layers import MLP
from backprop_nb.optim import get_optimizer

CASES = [  # sizes, batch, hidden activation, output activation, loss
    ([2, 16, 16, 1], 100, "tanh", "sigmoid", "bce"),
    ([784, 128, 10], 128, "relu", "identity", "softmax_ce"),
    ([784, 512, 512, 10], 256, "relu", "identity", "softmax_ce"),
    ([1024, 4096, 4096, 10], 1024, "relu", "identity", "softmax_ce"),
]
REPEATS, MIN_REPEATS, BLOCK_SECONDS, CASE_SECONDS = 15, 3, 0.05, 20  # timing budget per case and dtype
TORCH_LOSS = {"bce": torch.nn.BCELoss, "softmax_ce": torch.nn.CrossEntropyLoss}
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}  # ours: torch.optim class (each with its defaults, lr=0.01)

def blas_threads():
    "Threads and kernel of numpy's BLAS, from threadpoolctl."
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"][0]
    return blas["num_threads"], f"{blas['internal_api']} {blas['version']} kernel={blas.get('architecture')} threads={blas['num_threads']}"

def step_flops(sizes, batch):
    "Matmul FLOPs of one step: forward xW, backward x^T dz, and dz W^T for every layer but the first."
    mn = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * batch * (2 * sum(mn) + sum(mn[1:]))

def matmul_seconds(dtype, n=1024, k=4096):
    "A closure timing one (n, k) @ (k, k) numpy matmul (the large case's biggest product), and its FLOPs."
    a, b = np.ones((n, k), dtype), np.ones((k, k), dtype)
    return (lambda: _timed(lambda: a @ b)), 2 * n * k * k

def _timed(f, steps=1):
    t = time.perf_counter()
    for _ in range(steps): f()
    return (time.perf_counter() - t) / steps

def make_steps(sizes, batch, act, out, loss, dtype, optimizer, batchnorm=False):
    "Build equal networks and data; return one-step closures (ours, torch)."
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, max(sizes[-1], 2), batch)
    net = MLP(sizes, act, out, init="he" if act == "relu" else "xavier", seed=0, dtype=dtype, batchnorm=batchnorm)
    model, opt = net.to_torch(), get_optimizer(optimizer, net, 0.01)
    topt, tloss = getattr(torch.optim, OPTIMIZERS[optimizer])(model.parameters(), lr=0.01), TORCH_LOSS[loss]()
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(dtype)[:, None]) if loss == "bce" else torch.from_numpy(y)
    def ours():
        net.forward(X); net.backward_loss(loss, y); opt.step()
    def theirs():
        topt.zero_grad(); tloss(model(Xt), yt).backward(); topt.step()
    return ours, theirs

def bench(sizes, batch, act, out, loss, dtype, optimizer, with_peak=False, batchnorm=False):
    "Alternate blocks of steps (and a peak matmul); return per-step seconds (ours, torch) and the best matmul GFLOP/s."
    ours, theirs = make_steps(sizes, batch, act, out, loss, dtype, optimizer, batchnorm)
    ours(); theirs()  # warm up
    steps = max(1, int(BLOCK_SECONDS / max(_timed(ours), _timed(theirs))))
    matmul, flops = matmul_seconds(dtype) if with_peak else (lambda: np.inf, 0)
    times, start = [], time.perf_counter()
    while len(times) < REPEATS and (len(times) < MIN_REPEATS or time.perf_counter() - start < CASE_SECONDS):
        times.append((_timed(ours, steps), _timed(theirs, steps), matmul()))
    return [t[0] for t in times], [t[1] for t in times], flops / min(t[2] for t in times) / 1e9

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: numpy's BLAS threads)")
    parser.add_argument("--batchnorm", action="store_true", help="a BatchNorm in every hidden layer of both networks")
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS), help="update rules to time")
    args = parser.parse_args()
    threads = args.threads
    if threads: threadpool_limits(threads, user_api="blas")
    threads, kernel = blas_threads()
    torch.set_num_threads(threads)
    print(f"numpy {np.__version__} BLAS: {kernel}; torch {torch.__version__} threads={torch.get_num_threads()}")
    print(f"{'case':<28}{'opt':<6}{'dtype':<9}{'ours min':>10}{'med':>10}{'torch min':>10}{'med':>10}{'ratio min':>10}{'med':>6}"
          "  GFLOP/s (share of matmul peak)  [ms per step]")
    for (sizes, batch, act, out, loss), optimizer in ((case, o) for case in CASES for o in args.optimizers):
        for dtype in (np.float32, np.float64):
            large = batch >= 1024
            t_ours, t_torch, peak = bench(sizes, batch, act, out, loss, dtype, optimizer, with_peak=large, batchnorm=args.batchnorm)
            o, t = (min(t_ours), statistics.median(t_ours)), (min(t_torch), statistics.median(t_torch))
            rate = step_flops(sizes, batch) / o[0] / 1e9
            frac = f"  {rate:.0f} of {peak:.0f} ({rate / peak:.0%})" if large else ""
            name = f"{'-'.join(map(str, sizes))} b{batch}{' bn' if args.batchnorm else ''}"
            ms = "".join(f"{v * 1e3:10.4g}" for v in (*o, *t))
            print(f"{name:<28}{optimizer:<6}{np.dtype(dtype).name:<9}{ms}{o[0] / t[0]:10.2f}{o[1] / t[1]:6.2f}{frac}")

if __name__ == "__main__": main()
