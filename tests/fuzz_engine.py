"""The fuzz engine behind tests/test_fuzz.py: malformed arguments from a valid call, and the verdict on each outcome.

A `Case` is one valid call of a public callable. `mutations(case)` derives bad variants of every argument from the
type of its valid value (arrays -> wrong shapes, dtypes, NaN/inf, empty; numbers -> bools, strings, NaN, negative,
zero, huge; choices -> unknown names; objects -> None and foreign types; paths -> corrupt files) and says for each
whether the package must refuse it (`must_raise`) or may accept it (then the result must be finite).
`run(case, mutation)` makes the call and returns the outcome name and, for a failure, a one-line description.
"""
import copy, inspect, math, os, re, signal, sys, types, linecache
from dataclasses import dataclass, field
import numpy as np

PKG_DIR = os.path.dirname(__import__("backprop_nb").__file__)
ALLOWED = (TypeError, ValueError, FileNotFoundError, RuntimeError)
RAISE_LINE = re.compile(r"\braise\b")

SIZES = {"n_in", "n_out", "nin", "nout", "n", "width", "depth", "grid", "n_classes", "units", "layers", "hidden", "N"}
COUNTS = {"epochs", "steps", "iters", "sweeps", "max_epochs", "warmup", "total", "step_size", "patience"}  # huge = slow, not wrong
POSITIVE = {"lr", "eps", "tol", "clip_norm", "max_norm", "lr_min", "lr_max", "s", "stop_factor", "dpi", "dx", "dy",
            "factor", "diverge_factor", "height", "window"}  # > 0: zero and negatives must be refused
NON_NEGATIVE = {"noise", "margin", "momentum", "min_delta", "weight_decay", "alpha_decay", "min_lr", "p", "dropout",
                "val_fraction", "beta", "seed", "batch_size"} | POSITIVE | SIZES | COUNTS


@dataclass
class Mutation:
    param: str            # the argument replaced ("*" for a call-order or extra-keyword mutation)
    kind: str             # what was done, e.g. "nan", "3-d", "str"
    value: object         # the malformed value (a factory for file cases)
    must_raise: bool      # True: the only acceptable outcome is an error of ours
    same_shape: bool = False  # True: a dtype/scalar-type variant, so the result keeps the valid result's shape
    nonfinite: bool = False   # True: the value holds NaN/inf (a propagating parameter may return NaN/inf then)


@dataclass
class Case:
    name: str                              # "module.Callable" or "module.Class.method"
    target: object                         # the callable, or a function (obj) -> bound method for methods
    kw: object                             # () -> dict of valid keyword arguments (fresh objects every time)
    inst: object = None                    # () -> a ready instance, for methods (its state is compared after errors)
    fresh: object = None                   # () -> an instance in the wrong state: the call must raise (RuntimeError)
    lenient: dict = field(default_factory=dict)    # param -> reason it is not fuzzed strictly (only crash-checked)
    skip: dict = field(default_factory=dict)       # param -> reason it is not fuzzed at all
    propagate: tuple = ()                  # params whose NaN/inf may come back as NaN/inf (predictions, rule 9)
    extra_exc: tuple = ()                  # extra exception types this callable raises by design
    mutates: tuple = ()                    # params the call changes in place by design (on success only)
    files: bool = False                    # the `path` argument gets corrupt-file mutations
    var_kw: bool = False                   # the callable takes **kwargs: an unknown keyword must be refused
    none_ok: tuple = ()                    # params for which None is a documented value
    any_shape: tuple = ()                  # element-wise params: every shape (0-d, 3-d, empty) is legitimate
    free_text: tuple = ()                  # string params that are labels, not choices: any string is fine
    slow: bool = False                     # an expensive call (widgets, figures): one mutation per kind family

    def call(self, kw, obj=None):
        f = self.target(obj) if self.inst is not None or self.fresh is not None else self.target
        return f(**kw)


# ---- malformed values -------------------------------------------------------------------------------------

def _arr_mutations(name, v, siblings):
    "Bad variants of a valid array `v`."
    a = np.asarray(v)
    out = [("None", None, True), ("str", "abc", True), ("dict", {"a": 1}, True), ("object", object(), True),
           ("complex", a.astype(complex), True), ("object-dtype", a.astype(object), True),
           ("str-dtype", a.astype(str), True), ("3-d", np.ones((2, 2, 2)), a.ndim != 3),
           ("empty", np.ones((0,) + a.shape[1:]), True), ("ragged", [[1.0, 2.0], [3.0]], True)]
    if a.ndim != 0: out.append(("0-d", np.float64(1.5) if a.ndim else None, True))
    if a.dtype.kind == "f" and a.size:
        for kind, bad in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)):
            b = a.copy(); b.flat[0] = bad
            out.append((kind, b, True))
        out += [("float32", a.astype(np.float32), False, True), ("float16", a.astype(np.float16), False, True),
                ("int", np.round(a).astype(np.int64), False, True), ("bool", a != 0, False, True),
                ("list", a.tolist(), False, True), ("huge", a * 1e300, False, True)]
    if a.dtype.kind in "iu" and a.size:
        out += [("negative", a - a.max() - 1, False, True), ("float-labels", a + 0.5, False, True),
                ("bool", a != 0, False, True), ("list", a.tolist(), False, True)]
    if a.ndim >= 1 and len(a) >= 2 and any(len(s) == len(a) for s in siblings):
        out.append(("one-row-short", a[:-1], True))  # lengths no longer match another argument
    if a.ndim == 2 and a.shape[1] >= 1: out.append(("extra-column", np.concatenate([a, a[:, :1]], axis=1), False))
    if a.ndim == 2: out.append(("1-d", a.ravel(), False))
    return out


def _num_mutations(name, v):
    "Bad variants of a valid number `v` (int or float)."
    out = [("None", None, True), ("str", str(v), True), ("bool", True, True), ("list", [v], True), ("complex", 1j, True),
           ("nan", math.nan, True), ("inf", math.inf, True), ("-inf", -math.inf, True)]
    if isinstance(v, (int, np.integer)):
        out += [("float", v + 0.5, True), ("numpy-int", np.int64(v), False, True),
                ("negative", -3, name in NON_NEGATIVE), ("zero", 0, name in POSITIVE or name in SIZES - {"n"}),
                ("float-int", float(v), True)]
        if name in SIZES: out.append(("huge", 10 ** 12, True))
        elif name not in COUNTS: out.append(("huge", 10 ** 12, False))
    else:
        out += [("numpy-float32", np.float32(v), False, True), ("int", int(round(v)) or 1, False),
                ("negative", -abs(v) - 1.0, name in NON_NEGATIVE), ("zero", 0.0, name in POSITIVE),
                ("huge", 1e300, False)]
    return out


SLOW_KINDS = {"None", "str", "nan", "negative", "huge", "unknown-name", "3-d", "empty", "one-row-short", "complex", "float",
              "wrong-order", "unknown-keyword"}  # one mutation per family for expensive calls


def _fingerprint(v, depth=0, seen=None):
    "A comparable snapshot of `v` (arrays by content, objects by their attributes), to detect mutation."
    seen = {} if seen is None else seen  # id -> object, kept alive: a freed temporary's id could be reused
    if isinstance(v, np.ndarray): return ("nd", v.shape, v.dtype.str, v.tobytes())
    if isinstance(v, (int, float, complex, str, bytes, bool, type(None), np.generic)): return repr(v)
    if isinstance(v, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)): return id(v)
    if id(v) in seen or depth > 5: return "..."
    seen[id(v)] = v
    if isinstance(v, np.random.Generator): return repr(v.bit_generator.state)
    if isinstance(v, (list, tuple)): return tuple(_fingerprint(x, depth + 1, seen) for x in v)
    if isinstance(v, dict): return tuple((repr(k), _fingerprint(x, depth + 1, seen)) for k, x in v.items())
    mod = type(v).__module__ or ""
    if mod.split(".")[0] in ("matplotlib", "comm", "traitlets", "IPython", "ipykernel", "PIL", "threading", "_thread", "io"):
        return type(v).__name__
    try:
        import ipywidgets
        if isinstance(v, ipywidgets.Widget):
            kids = getattr(v, "children", ())
            own = {k: x for k, x in vars(v).items() if not k.startswith("_") and k not in ("comm", "keys", "children")}
            return ("widget", type(v).__name__, repr(getattr(v, "value", None))[:200],
                    _fingerprint(own, depth + 1, seen), tuple(_fingerprint(k, depth + 1, seen) for k in kids))
    except ImportError: pass
    if hasattr(v, "__dict__"): return (type(v).__name__, _fingerprint(vars(v), depth + 1, seen))
    return type(v).__name__


def _arrays_in(kw):
    "The ndarrays among the arguments (top level and inside lists/tuples/dicts), by argument name."
    out = {}
    for k, v in kw.items():
        if isinstance(v, np.ndarray): out[k] = v
        elif isinstance(v, (list, tuple)) and any(isinstance(x, np.ndarray) for x in v): out[k] = v
    return out


def mutations(case, kw):
    "Every malformed variant of the valid keyword arguments `kw` of `case`."
    out = []
    arrays = {k: np.asarray(v) for k, v in kw.items() if isinstance(v, np.ndarray)}
    for name, v in kw.items():
        if name in case.skip: continue
        siblings = [a for k, a in arrays.items() if k != name and a.ndim >= 1]
        if isinstance(v, np.ndarray): cands = _arr_mutations(name, v, siblings)
        elif isinstance(v, bool): cands = [("None", None, True), ("str", "yes", True), ("int", 1, False), ("numpy-bool", np.bool_(v), False, True)]
        elif isinstance(v, (int, float, np.integer, np.floating)): cands = _num_mutations(name, v)
        elif isinstance(v, str) and name == "path": cands = []
        elif name == "dtype":
            cands = [("None", None, True), ("str", "abc", True), ("int", int, True), ("int64", np.int64, True), ("bool", bool, True),
                     ("complex", complex, True), ("object", object, True), ("float16", np.float16, True), ("float32-name", "float32", False)]
        elif isinstance(v, str):
            cands = [("None", None, True), ("unknown-name", "no_such_" + v, True), ("int", 3, True), ("upper", v.upper(), False),
                     ("list", [v], True)]
        elif callable(v) and not hasattr(v, "parameters") and not hasattr(v, "forward"):
            cands = [("None", None, True), ("number", 3.0, True), ("str", "f", True)]
        elif isinstance(v, (list, tuple)):
            cands = [("None", None, True), ("str", "abc", True), ("empty", type(v)(), False), ("nested-None", type(v)([None] * max(1, len(v))), True),
                     ("number", 3, True)]
            if v and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v):
                cands += [("negative-entry", type(v)([-1] + list(v[1:])), True), ("float-entry", type(v)([1.5] + list(v[1:])), True),
                          ("bool-entry", type(v)([True] + list(v[1:])), True), ("zero-entry", type(v)(list(v[:-1]) + [0]), True),
                          ("huge-entry", type(v)(list(v[:-1]) + [10 ** 12]), True)]
        elif v is None: cands = [("str", "abc", True), ("number", 3.5, True), ("object", object(), True)]
        else: cands = [("None", None, True), ("str", "abc", True), ("number", 3, True), ("object", object(), True), ("dict", {}, True)]
        for c in cands:
            kind, value, must = c[:3]
            same = len(c) > 3 and c[3]
            if kind == "None" and name in case.none_ok: must = False
            if kind in ("nan", "inf", "-inf") and name in case.propagate: must = False
            if kind in ("0-d", "3-d", "empty", "1-d", "one-row-short") and name in case.any_shape: must = False
            if kind in ("unknown-name", "upper") and name in case.free_text: must = False
            if case.slow and kind not in SLOW_KINDS: continue
            if case.slow and kind == "float" and name not in SIZES | COUNTS: continue
            if name in case.lenient: must = False
            nonfinite = kind in ("nan", "inf", "-inf", "huge")
            out.append(Mutation(name, kind, value, must, same, nonfinite))
    if case.files: out += file_mutations()
    if case.var_kw: out.append(Mutation("*", "unknown-keyword", {"no_such_option": 1}, True))
    if case.fresh is not None: out.append(Mutation("*", "wrong-order", None, True))
    return out


# ---- corrupt files ------------------------------------------------------------------------------------------

def file_mutations():
    "Paths to unreadable files, written on demand into a temporary directory (value: dir -> path)."
    def write(name, data):
        def make(d):
            p = os.path.join(d, name)
            with open(p, "wb") as f: f.write(data)
            return p
        return make
    def truncated(d):
        good = os.path.join(d, "good.npz")
        np.savez(good, W0=np.ones((2, 2)))
        data = open(good, "rb").read()
        return write("truncated.npz", data[: len(data) // 2])(d)
    def other_arrays(d):
        p = os.path.join(d, "other.npz"); np.savez(p, a=np.ones(3)); return p
    return [Mutation("path", kind, make, True) for kind, make in (
        ("missing-file", lambda d: os.path.join(d, "missing.npz")),
        ("empty-file", write("empty.npz", b"")),
        ("random-bytes", write("noise.npz", bytes(range(256)) * 4)),
        ("truncated-npz", truncated),
        ("other-npz", other_arrays),
        ("directory", lambda d: d),
        ("None", lambda d: None),
        ("number", lambda d: 3),
    )]


# ---- the verdict --------------------------------------------------------------------------------------------

def finite(v, depth=0, seen=None):
    "True if every number reachable in `v` (arrays, lists, dicts, object attributes) is finite."
    seen = set() if seen is None else seen
    if isinstance(v, np.ndarray):
        return v.dtype.kind not in "fc" or bool(np.isfinite(v).all())
    if isinstance(v, (float, np.floating, complex)): return bool(np.isfinite(v))
    if isinstance(v, (str, bytes, int, bool, type(None), np.integer, np.bool_)): return True
    if id(v) in seen or depth > 3: return True
    seen.add(id(v))
    if isinstance(v, (list, tuple)): return all(finite(x, depth + 1, seen) for x in v)
    if isinstance(v, dict): return all(finite(x, depth + 1, seen) for x in v.values())
    if getattr(v, "stop_reason", None) == "diverged" or getattr(v, "worse_than_start", False): return True  # reported, not silent
    mod = (type(v).__module__ or "").split(".")[0]
    if mod in ("matplotlib", "ipywidgets", "traitlets", "PIL", "torch"): return True
    if hasattr(v, "__dict__"): return all(finite(x, depth + 1, seen) for k, x in vars(v).items() if not k.startswith("_"))
    return True


def shape_of(v):
    "A structural signature of a result: array shapes, lengths of sequences."
    if isinstance(v, np.ndarray): return ("nd", v.shape)
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)): return "number"
    if isinstance(v, (list, tuple)): return (type(v).__name__, tuple(shape_of(x) for x in v))
    return type(v).__name__


def innermost(tb):
    "The innermost traceback frame: (filename, line number, source line)."
    while tb.tb_next is not None: tb = tb.tb_next
    fn, ln = tb.tb_frame.f_code.co_filename, tb.tb_lineno
    return fn, ln, linecache.getline(fn, ln).strip()


def consume(result):
    "Materialise generators and iterators (lazy results are validated when iterated)."
    if isinstance(result, types.GeneratorType) or (hasattr(result, "__next__") and hasattr(result, "__iter__")):
        return list(result)
    return result


def judge_exception(case, m, e):
    "Outcome name and failure description (None if fine) for an exception raised by the call."
    fn, ln, line = innermost(e.__traceback__)
    where = f"{os.path.relpath(fn, os.path.dirname(PKG_DIR))}:{ln}: {line[:100]}"
    ours = os.path.abspath(fn).startswith(PKG_DIR + os.sep) and RAISE_LINE.search(line)
    if not ours: return "internal", f"{type(e).__name__} from inside {where} ({str(e)[:120]})"
    if not isinstance(e, ALLOWED + case.extra_exc):
        return "wrong-type", f"{type(e).__name__} (not TypeError/ValueError/FileNotFoundError/RuntimeError) at {where}: {str(e)[:120]}"
    return type(e).__name__, None


class Hang(BaseException):
    "Raised by the timer when one call runs longer than `TIME_LIMIT` (a BaseException: no `except Exception` eats it)."

SPARE = {}  # case name -> an instance left unchanged by a failed call, reused (building widgets is slow)
TIME_LIMIT = 3.0  # seconds per call: a valid call here takes < 0.4 s, so only a real hang (a huge size accepted) hits it
TIMER = hasattr(signal, "setitimer")  # POSIX only; elsewhere a hang simply hangs


def _alarm(signum, frame): raise Hang()


def run(case, m, tmpdir):
    "Make the call with mutation `m`; return (outcome, failure description or None)."
    obj = None
    if m.kind == "wrong-order": obj = case.fresh()
    elif case.inst is not None:
        obj = SPARE.pop(case.name, None)
        if obj is None: obj = case.inst()
    kw = case.kw()
    baseline_shape = None
    if m.param == "*" and m.kind == "unknown-keyword": kw = {**kw, **m.value}
    elif m.param != "*":
        value = m.value(tmpdir) if callable(m.value) and m.param == "path" and case.files else m.value
        kw = {**kw, m.param: value}
    before_obj = _fingerprint(obj) if obj is not None else None
    before_kw = {k: _fingerprint(v) for k, v in kw.items()}
    arrays_before = {k: _fingerprint(v) for k, v in _arrays_in(kw).items()}
    if TIMER:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        with np.errstate(all="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = consume(case.call(kw, obj))
    except Hang:
        return "hang", f"still running after {TIME_LIMIT} s with {m.kind} for {m.param} (a huge size or count accepted?)"
    except MemoryError as e:
        fn, ln, line = innermost(e.__traceback__)
        return "memory", f"MemoryError at {os.path.basename(fn)}:{ln}: {line[:80]} (a huge size accepted)"
    except Exception as e:  # noqa: BLE001 -- judged below
        outcome, failure = judge_exception(case, m, e)
        if failure is None:
            changed = [k for k, v in kw.items() if _fingerprint(v) != before_kw[k]]
            if obj is not None and _fingerprint(obj) != before_obj: changed.append("the object's state")
            if changed: return "mutated", f"raised {type(e).__name__} but changed {', '.join(changed)} first"
            if obj is not None and m.kind != "wrong-order": SPARE[case.name] = obj  # unchanged: reuse it for the next call
            if m.kind == "wrong-order" and not isinstance(e, RuntimeError):
                return outcome, None  # a clear error of ours is acceptable for a call made in the wrong order
        return outcome, failure
    finally:
        if TIMER: signal.setitimer(signal.ITIMER_REAL, 0); signal.signal(signal.SIGALRM, old)
    changed = [k for k, fp in arrays_before.items() if _fingerprint(kw[k]) != fp and k not in case.mutates]
    if changed: return "mutated", f"returned but changed the argument(s) {', '.join(changed)} in place"
    if m.must_raise: return "silent", f"accepted {m.kind} for {m.param} and returned {_short(result)}"
    if not finite(result) and not (m.nonfinite and m.param in case.propagate or m.kind == "huge" or m.param in case.lenient):
        return "nonfinite", f"accepted {m.kind} for {m.param} and returned a non-finite result {_short(result)}"
    if m.same_shape and getattr(case, "result_shape", None) is not None and shape_of(result) != case.result_shape:
        return "misshapen", f"accepted {m.kind} for {m.param} but returned {shape_of(result)} instead of {case.result_shape}"
    return "ok", None


def _short(v):
    r = f"array of shape {v.shape}: {np.array2string(v.ravel()[:4], precision=3)}" if isinstance(v, np.ndarray) else repr(v)
    return r if len(r) <= 90 else r[:87] + "..."
