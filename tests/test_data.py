"Property tests for `backprop_nb.data`: shapes, dtypes, balance, determinism, partitions, errors."
import sys
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from backprop_nb.data import (make_moons, make_circles, make_xor, make_spiral, make_regression_1d,
                              train_val_split, train_val_test_split, split_indices, Rows, batches,
                              batch_indices, check_seed, load_digits)

CLASSIFIERS = [make_moons, make_circles, make_xor, make_spiral]
sizes = st.integers(min_value=1, max_value=300)
noises = st.floats(min_value=0, max_value=2, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.mark.parametrize("make", CLASSIFIERS)
@settings(max_examples=30, deadline=None)
@given(n=sizes, noise=noises, seed=seeds)
def test_generators_shapes_balance_determinism(make, n, noise, seed):
    X, y = make(n, noise, seed)
    assert X.shape == (n, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=3 if make is make_spiral else 2)
    assert counts.max() - counts.min() <= 1                       # balanced as n allows
    X2, y2 = make(n, noise, seed)
    np.testing.assert_array_equal(X, X2); np.testing.assert_array_equal(y, y2)


@settings(max_examples=30, deadline=None)
@given(n=sizes, noise=noises, seed=seeds)
def test_regression_1d(n, noise, seed):
    X, y = make_regression_1d(n, noise, seed)
    assert X.shape == (n, 1) and y.shape == (n,) and y.dtype == np.float64
    assert np.abs(X).max() <= 1


@pytest.mark.parametrize("make", CLASSIFIERS + [make_regression_1d])
@pytest.mark.parametrize("n, noise, seed, exc, msg", [(0, 0.1, 0, ValueError, "n must be an integer >= 1"), (-3, 0.1, 0, ValueError, "n must be"),
                                           (True, 0.1, 0, TypeError, "n must be an integer"), (2.5, 0.1, 0, TypeError, "n must be"),
                                           (10, -1.0, 0, ValueError, "noise must be"), (10, "0.1", 0, TypeError, "noise must be a number"),
                                           (10, float("nan"), 0, ValueError, "noise must be"), (10, float("inf"), 0, ValueError, "noise must be"),
                                           (10, 0.1, -1, ValueError, "seed must be an integer >= 0"), (10, 0.1, 1.5, TypeError, "seed must be")])
def test_generators_refuse_bad_arguments(make, n, noise, seed, exc, msg):
    with pytest.raises(exc, match=msg): make(n, noise, seed)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 200), frac=st.floats(0.01, 0.99), seed=seeds, stratify=st.booleans())
def test_split_is_a_partition(n, frac, seed, stratify):
    X = np.arange(2 * n, dtype=float).reshape(n, 2); y = np.arange(n) % 3
    try: X_tr, X_val, y_tr, y_val = train_val_split(X, y, frac, seed, stratify=stratify)
    except ValueError as e:
        assert "leaves an empty part" in str(e); return
    assert len(X_tr) and len(X_val) and len(X_tr) + len(X_val) == n
    assert sorted(np.r_[X_tr[:, 0], X_val[:, 0]]) == sorted(X[:, 0])
    np.testing.assert_array_equal(y_tr, (X_tr[:, 0] // 2) % 3)  # rows stay paired with their labels


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 100), batch_size=st.integers(1, 120), seed=seeds, shuffle=st.booleans())
def test_batches_cover_every_sample_once(n, batch_size, seed, shuffle):
    X, y = np.arange(n, dtype=float)[:, None], np.arange(n)
    got = list(batches(X, y, batch_size, seed, shuffle))
    assert [len(yb) for _, yb in got][:-1] == [batch_size] * (len(got) - 1)
    ys = np.concatenate([yb for _, yb in got])
    assert sorted(ys) == list(range(n))
    for Xb, yb in got: np.testing.assert_array_equal(Xb[:, 0], yb)


def test_batches_errors():
    X, y = np.ones((4, 2)), np.zeros(4)
    for bad, exc in ((0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(exc, match="batch_size must be an integer"): next(batches(X, y, bad))
    with pytest.raises(ValueError, match="X is empty"): next(batches(np.ones((0, 2)), np.zeros(0), 2))


def test_load_digits_offline():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.min() == 0 and X.max() == 1 and y.dtype == np.int64
    assert np.bincount(y).min() > 150


def test_load_digits_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes `import sklearn.datasets` fail
    with pytest.raises(ImportError, match=r'pip install "backprop-nb\[digits\]"'): load_digits()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), val=st.floats(0, 0.6), test=st.floats(0, 0.39), seed=seeds, stratify=st.booleans())
def test_split_indices_partition(n, val, test, seed, stratify):
    labels = np.arange(n) % 3 if stratify else None
    try: tr, va, te = split_indices(n, val, test, seed, labels)
    except ValueError as e:
        assert "leaves an empty part" in str(e); return
    assert sorted(np.r_[tr, va, te]) == list(range(n)) and len(tr) > 0
    for part in (tr, va, te): assert list(part) == sorted(part)
    if not stratify:
        assert (len(va), len(te)) == (round(n * val), round(n * test))
    tr2, va2, te2 = split_indices(n, val, test, seed, labels)
    assert list(va2) == list(va) and list(te2) == list(te)


def test_zero_test_fraction_keeps_the_two_way_split():
    X, y = np.arange(100.0).reshape(50, 2), np.arange(50) % 2
    for stratify in (False, True):
        two = train_val_split(X, y, 0.3, seed=4, stratify=stratify)
        three = train_val_test_split(X, y, 0.3, 0.0, seed=4, stratify=stratify)
        for a, b in zip(two, (three[0], three[1], three[3], three[4])): np.testing.assert_array_equal(a, b)
        assert len(three[2]) == 0


def test_rows_is_a_view_that_gathers_on_demand():
    X = np.arange(20.0).reshape(10, 2)
    r = Rows(X, [7, 2, 5])
    assert (len(r), r.shape, r.dtype, r.ndim, r.size) == (3, (3, 2), X.dtype, 2, 6)
    np.testing.assert_array_equal(r[1:], X[[2, 5]]); np.testing.assert_array_equal(r[0], X[7])
    np.testing.assert_array_equal(np.asarray(r), X[[7, 2, 5]])
    assert r.X is X


@pytest.mark.parametrize("kw, exc, msg", [
    (dict(val_fraction=1.0), ValueError, "val_fraction must be a number in [0, 1)"),
    (dict(val_fraction="0.2"), TypeError, "val_fraction must be a number"),
    (dict(test_fraction=-0.1), ValueError, "test_fraction must be a number in [0, 1)"),
    (dict(val_fraction=0.6, test_fraction=0.4), ValueError, "val_fraction + test_fraction must be < 1"),
    (dict(seed=-2), ValueError, "seed must be an integer >= 0"),
    (dict(labels=np.zeros(4)), ValueError, "labels has 4 entries for n=10"),
    (dict(labels=np.zeros((10, 2))), ValueError, "labels must be 1-D"),
])
def test_split_indices_errors(kw, exc, msg):
    with pytest.raises(exc) as e: split_indices(10, **kw)
    assert msg in str(e.value)


def test_check_seed():
    g = np.random.default_rng(0)
    assert check_seed(g) is g and check_seed(np.int64(3)) == 3
    for bad, exc in ((-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError), (None, TypeError)):
        with pytest.raises(exc, match="seed must be an integer >= 0 or a numpy.random.Generator"): check_seed(bad)
