"Property tests for `backprop_nb.data`: shapes, dtypes, balance, determinism, partitions, errors."
import sys
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from backprop_nb.data import (make_moons, make_circles, make_xor, make_spiral, make_regression_1d,
                              train_val_split, batches, load_digits)

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
@pytest.mark.parametrize("n, noise, msg", [(0, 0.1, "n must be a positive integer"), (-3, 0.1, "n must be"),
                                           (True, 0.1, "n must be"), (10, -1.0, "noise must be"),
                                           (10, float("nan"), "noise must be"), (10, float("inf"), "noise must be")])
def test_generators_refuse_bad_arguments(make, n, noise, msg):
    with pytest.raises(ValueError, match=msg): make(n, noise)


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
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"): next(batches(X, y, bad))
    with pytest.raises(ValueError, match="X is empty"): next(batches(np.ones((0, 2)), np.zeros(0), 2))


def test_load_digits_offline():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.min() == 0 and X.max() == 1 and y.dtype == np.int64
    assert np.bincount(y).min() > 150


def test_load_digits_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes `import sklearn.datasets` fail
    with pytest.raises(ImportError, match=r'pip install "backprop-nb\[digits\]"'): load_digits()
