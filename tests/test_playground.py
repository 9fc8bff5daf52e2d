"Kernel-less tests of the playground: set every control's `.value` from Python, as the browser would."
import subprocess, sys
import numpy as np
import pytest
from backprop_nb.playground import ACTIVATION_NAMES, DATASETS, playground

# a value different from the starting one (`small()`) for every control
NEW_VALUES = dict(dataset="circles", noise=0.35, layers=1, units=5, activation="relu", lr=0.2,
                  batch_size=16, epochs=30, seed=3, step_mode=True)

def small(): return playground(epochs=20)  # the defaults with fewer epochs: same code paths, quicker

def snapshot(pg):
    "What `.history` holds and what the user sees."
    h = pg.history
    return (h.train_loss, h.val_loss) if h else None, pg.plot.value, pg.status.value

def test_every_control_is_covered():
    assert set(NEW_VALUES) == set(small().controls)

@pytest.mark.parametrize("name", list(NEW_VALUES))
def test_control_change_retrains_and_redraws(name):
    pg = small()
    before = snapshot(pg)
    getattr(pg, name).value = NEW_VALUES[name]
    after = snapshot(pg)
    assert after[0] != before[0]            # history changed (step mode: back to epoch 0, nothing trained yet)
    assert after[1] != before[1]            # rendered PNG changed
    assert after[1][:8] == b"\x89PNG\r\n\x1a\n"
    assert after[2] != before[2]            # shown summary changed

@pytest.mark.parametrize("name", list(NEW_VALUES))
def test_same_settings_same_picture(name):
    "Changing a control and changing it back reproduces the first run exactly: nothing stale."
    pg = small()
    before = snapshot(pg)
    default = getattr(pg, name).value
    getattr(pg, name).value = NEW_VALUES[name]
    getattr(pg, name).value = default
    assert snapshot(pg) == before

def test_max_lr_diverges_with_message():
    pg = playground()
    pg.lr.value = pg.lr.base ** pg.lr.max  # the slider's right end, 10
    assert pg.lr.value == 10
    assert pg.diverged_at is not None and 1 <= pg.diverged_at <= pg.epochs.value
    assert f"diverged at epoch {pg.diverged_at} — lower the learning rate" in pg.status.value
    assert not pg.figure.image.get_visible()
    assert all(np.isfinite(layer.W).all() for layer in pg.model.layers)
    pg.step()                               # a step after divergence neither raises nor trains
    assert "diverged" in pg.status.value

@pytest.mark.parametrize("dataset,activation", zip(DATASETS, ACTIVATION_NAMES))
def test_extremes_never_raise(dataset, activation):
    pg = playground(dataset=dataset, activation=activation, epochs=20)
    for name, value in (("units", 1), ("layers", 4), ("noise", 0.0), ("lr", 10.0), ("lr", 1e-3), ("batch_size", 150)):
        getattr(pg, name).value = value
        assert pg.plot.value[:8] == b"\x89PNG\r\n\x1a\n"
        assert ("diverged at epoch" in pg.status.value) == (pg.diverged_at is not None)

def test_step_mode_trains_in_chunks_and_matches_budget():
    pg = playground(step_mode=True, epochs=25)
    assert pg.epochs_done == 0 and pg.history is None
    pngs = {pg.plot.value}
    for done in (10, 20, 25, 25):
        pg.step_button.click()
        assert pg.epochs_done == done == len(pg.history.train_loss) - 1  # entry 0: before training
        pngs.add(pg.plot.value)
    assert len(pngs) == 4                    # epoch 0, 10, 20, 25; the last click changes nothing
    pg.lr.value = 0.2                        # any change starts over at epoch 0
    assert pg.epochs_done == 0

def test_unknown_control_is_refused():
    with pytest.raises(ValueError, match="unknown control"): playground(learning_rate=0.1)

def test_import_does_not_load_widgets_or_matplotlib():
    code = "import sys, backprop_nb; assert not {'ipywidgets', 'matplotlib'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
