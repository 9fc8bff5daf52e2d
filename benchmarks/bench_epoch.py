"""One epoch of `fit` against a plain PyTorch loop, at n = 10k, 100k and 1M samples of 784 float32 features.

Both sides do the same work: a 90/10 train/validation split, one epoch of mini-batch SGD (784-128-10 ReLU MLP,
softmax cross-entropy, batch 128, lr 0.1) over a random permutation, and the loss and accuracy of the whole training
and validation sets before and after the epoch (what `fit(..., epochs=1, validation=0.1)` records). They run in one
process, alternated, fastest of `RUNS`. The 1M set (3 GB) is a memory-mapped `.npy` file written in chunks.

Memory, as a multiple of X's size:
- `numpy peak`: tracemalloc's peak during a separate (untimed) `fit` call: every array numpy allocated (batches,
  chunks, activations, the optimizer's scratch and the best-epoch weight snapshots; not the network itself);
- `anon RSS`: the growth of the process's anonymous resident memory (RssAnon, sampled every 2 ms) during the timed
  call, for both sides; pages of a memory-mapped file are file-backed (RssFile), the OS drops them at will, so they
  are not counted.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python benchmarks/bench_epoch.py [--quick] [--threads N]
(--quick: 10k and 100k only; --threads: BLAS threads of both sides, default 1: on a loaded 2-core machine two
threads make every matmul 10x slower for numpy and torch alike)
"""
import gc, os, sys, tempfile, threading, time, tracemalloc, warnings
from pathlib import Path
import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits
from backprop_nb.layers import MLP
from backprop_nb.training import fit

SIZES, D, K, BATCH, LR = 784, 784, 10, 128, 0.1
QUICK = "--quick" in sys.argv
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1  # both sides; 1 is stable on a busy machine
NS = [10_000, 100_000] + ([] if QUICK else [1_000_000])
RUNS = {10_000: 5, 100_000: 3, 1_000_000: 2}
MMAP_FROM = 1_000_000
EVAL_ROWS = 4096  # chunk size of the PyTorch loop's evaluation


def make_data(n, path=None, chunk=50_000):
    "n x 784 float32 samples and labels, generated in chunks (written to a memory-mapped .npy when `path` is given)."
    rng = np.random.default_rng(0)
    W = rng.standard_normal((D, K)).astype(np.float32)
    X = np.lib.format.open_memmap(path, "w+", np.float32, (n, D)) if path else np.empty((n, D), np.float32)
    y = np.empty(n, np.int64)
    for s in range(0, n, chunk):
        Xc = rng.standard_normal((min(chunk, n - s), D), dtype=np.float32)
        X[s:s + len(Xc)], y[s:s + len(Xc)] = Xc, (Xc @ W).argmax(1)
    if path:
        X.flush(); del X
        X = np.load(path, mmap_mode="r")
    return X, y


class AnonPeak:
    "Peak growth of RssAnon (kB from /proc/self/status) while the block runs, sampled every 2 ms."
    def _rss(self):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("RssAnon")) * 1024
    def __enter__(self):
        self.base, self.peak, self.stop = self._rss(), 0, False
        def watch():
            while not self.stop: self.peak = max(self.peak, self._rss() - self.base); time.sleep(0.002)
        self.t = threading.Thread(target=watch, daemon=True); self.t.start(); return self
    def __exit__(self, *a):
        self.stop = True; self.t.join(); self.peak = max(self.peak, self._rss() - self.base)


def run_fit(X, y, dtype, net=None):
    net = net or MLP([D, 128, K], "relu", "identity", seed=0, dtype=dtype)
    return fit(net, X, y, loss="softmax_ce", lr=LR, epochs=1, batch_size=BATCH, validation=0.1, seed=0, progress=False)


def torch_eval(model, Xt, yt, idx, dtype):
    "Loss and accuracy over the rows `idx`, in chunks."
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(idx), EVAL_ROWS):
            i = idx[s:s + EVAL_ROWS]
            out = model(Xt[i].to(dtype))
            loss += torch.nn.functional.cross_entropy(out, yt[i], reduction="sum").item()
            correct += (out.argmax(1) == yt[i]).sum().item()
    return loss / len(idx), correct / len(idx)


def run_torch(X, y, dtype):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a read-only memory map: torch warns that writes would be undefined
        Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)
    n = len(y)
    perm = torch.randperm(n)
    val, train = perm[:n // 10], perm[n // 10:]
    model = torch.nn.Sequential(torch.nn.Linear(D, 128), torch.nn.ReLU(), torch.nn.Linear(128, K)).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    hist = [torch_eval(model, Xt, yt, train, dtype), torch_eval(model, Xt, yt, val, dtype)]
    order = train[torch.randperm(len(train))]
    for s in range(0, len(order), BATCH):
        i = order[s:s + BATCH]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt[i].to(dtype)), yt[i]).backward()
        opt.step()
    hist += [torch_eval(model, Xt, yt, train, dtype), torch_eval(model, Xt, yt, val, dtype)]
    return hist


def timed(f, *args):
    gc.collect()
    with AnonPeak() as m:
        t = time.perf_counter(); f(*args); t = time.perf_counter() - t
    return t, m.peak


def numpy_peak(X, y, dtype):
    "Peak of numpy's allocations during `fit`, the network's own weights and gradients excluded (built before)."
    net = MLP([D, 128, K], "relu", "identity", seed=0, dtype=dtype)
    gc.collect(); tracemalloc.start()
    try: run_fit(X, y, dtype, net)
    finally: peak = tracemalloc.get_traced_memory()[1]; tracemalloc.stop()
    return peak


def blas():
    return ", ".join(f"{i['internal_api']} {i.get('version') or ''} {i.get('architecture') or ''} ({i['num_threads']} threads, {Path(i['filepath']).name})"
                     for i in threadpool_info())


def main():
    torch.set_num_threads(THREADS); threadpool_limits(THREADS)
    print(f"numpy {np.__version__}, torch {torch.__version__}; BLAS: {blas()}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}\n")
    print("| n | data | model | fit epoch (s) | torch epoch (s) | ratio | fit numpy peak / X | fit anon RSS / X | torch anon RSS / X |")
    print("|---|---|---|---|---|---|---|---|---|")
    tmp = tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP"))
    for n in NS:
        mmap = n >= MMAP_FROM
        X, y = make_data(n, Path(tmp.name) / f"X{n}.npy" if mmap else None)
        for dtype, tdtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
            run_fit(X[:2000], y[:2000], dtype); run_torch(X[:2000], y[:2000], tdtype)   # warm up
            ours, theirs = [], []
            for _ in range(RUNS[n]):
                ours.append(timed(run_fit, X, y, dtype)); theirs.append(timed(run_torch, X, y, tdtype))
            t_fit, t_torch = min(t for t, _ in ours), min(t for t, _ in theirs)
            peak = numpy_peak(X, y, dtype)
            print(f"| {n:,} | {'memmap' if mmap else 'array'} | {np.dtype(dtype).name} | {t_fit:.2f} | {t_torch:.2f} | "
                  f"{t_fit / t_torch:.2f}x | {peak / X.nbytes:.3f} | {max(m for _, m in ours) / X.nbytes:.3f} | "
                  f"{max(m for _, m in theirs) / X.nbytes:.3f} |", flush=True)
        del X
    tmp.cleanup()


if __name__ == "__main__": main()
