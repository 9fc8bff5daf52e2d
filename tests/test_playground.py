"Kernel-less tests of the playground: set every control's `.value` and tick play from Python, as the browser would."
import subprocess, sys
import numpy as np
import pytest
from backprop_nb.playground import ACTIVATION_NAMES, DATASETS, frame_epochs, playground

# a value different from the starting one (`small()`) for every control, each on its control's steps
NEW_VALUES = dict(dataset="circles", noise=0.35, layers=1, units=5, activation="relu", lr=10 ** -0.7,
                  batch_size=16, epochs=30, seed=3, optimizer="adam", l2=1e-3)

def small(**values): return playground(epochs=20, **values)  # the defaults with fewer epochs: same code paths, quicker

def snapshot(pg):
    "What `.history` holds and what the user sees."
    h = pg.history
    return (h.train_loss, h.val_loss) if h else None, pg.plot.value, pg.status.value, pg.counter.value

def test_every_control_is_covered():
    assert set(NEW_VALUES) == set(small().controls)

@pytest.mark.parametrize("name", list(NEW_VALUES))
def test_control_change_retrains_and_redraws(name):
    pg = small()
    before = snapshot(pg)
    getattr(pg, name).value = NEW_VALUES[name]
    after = snapshot(pg)
    assert after[0] != before[0]            # history changed
    assert after[1] != before[1]            # rendered PNG changed
    assert after[1][:8] == b"\x89PNG\r\n\x1a\n"
    assert after[2] != before[2]            # shown summary changed
    assert pg.epochs_done == pg.play.value == pg.epochs.value  # paused: the whole run, and the counter shows it

@pytest.mark.parametrize("name", list(NEW_VALUES))
def test_same_settings_same_picture(name):
    "Changing a control and changing it back reproduces the first run exactly: nothing stale."
    pg = small()
    before = snapshot(pg)
    default = getattr(pg, name).value
    getattr(pg, name).value = NEW_VALUES[name]
    getattr(pg, name).value = default
    assert snapshot(pg) == before

@pytest.mark.parametrize("jump", [1, 3])
def test_play_ticks_end_where_one_run_ends(jump):
    "Ticking through a run frame by frame (or with frames skipped, as a busy browser does) equals training it at once."
    full = playground(dataset="xor", activation="relu", units=16, lr=10 ** -0.5, epochs=60)
    pg = playground(dataset="xor", activation="relu", units=16, lr=10 ** -0.5, epochs=60)
    pg.reset()
    assert (pg.epochs_done, pg.play.value, pg.history) == (0, 0, None) and "press ▶" in pg.status.value
    step = pg.play.step
    assert step == frame_epochs(60) == 2
    pngs = {pg.plot.value}
    for epoch in range(jump * step, 61, jump * step):
        pg.play.value = epoch
        assert pg.epochs_done == epoch and f"epoch <b>{epoch}</b> / 60" in pg.counter.value
        pngs.add(pg.plot.value)
    if pg.epochs_done < 60: pg.play.value = 60
    assert len(pngs) >= 60 // (jump * step)            # every frame is a new picture
    assert pg.history.train_loss == full.history.train_loss
    assert pg.plot.value == full.plot.value

def test_play_back_to_zero_rebuilds_from_the_seed():
    pg = small()
    final = snapshot(pg)
    pg.play.value = 0                                   # the ■ button: back to epoch 0
    assert pg.epochs_done == 0 and pg.history is None
    pg.play.value = 20
    assert snapshot(pg) == final

def test_change_while_playing_restarts_at_zero_and_keeps_playing():
    pg = small()
    pg.play.playing = True
    pg.play.value = 10
    pg.units.value = 12
    assert (pg.epochs_done, pg.play.value, pg.play.playing) == (0, 0, True)
    assert pg.model.sizes == [2, 12, 12, 1]
    pg.play.value = 4
    assert pg.epochs_done == 4 and "epoch 4/20" in pg.status.value

def test_reset_pauses_at_epoch_zero():
    pg = small()
    pg.play.playing = True
    pg.reset()
    assert (pg.play.playing, pg.play.value, pg.epochs_done) == (False, 0, 0)

def test_epochs_change_moves_the_play_range():
    pg = small()
    pg.epochs.value = 250
    assert (pg.play.max, pg.play.step, pg.play.value, pg.epochs_done) == (250, 5, 250, 250)

def test_max_lr_diverges_with_message_and_pauses():
    pg = playground()
    pg.play.playing = True
    pg.reset(); pg.play.playing = True
    pg.lr.value = pg.lr.base ** pg.lr.max  # the slider's right end, 10: playing, so the run starts at epoch 0
    assert pg.lr.value == 10 and pg.epochs_done == 0
    for epoch in range(2, 61, 2):
        pg.play.value = epoch
        if pg.diverged_at is not None: break
    assert pg.diverged_at is not None and 1 <= pg.diverged_at <= epoch
    assert not pg.play.playing                                           # play paused itself
    assert f"diverged at epoch {pg.diverged_at} — lower the learning rate" in pg.status.value
    assert not pg.figure.image.get_visible()
    assert all(np.isfinite(layer.W).all() for layer in pg.model.layers)
    done = pg.epochs_done
    pg.play.value = 60                                                   # a late tick neither raises nor trains
    assert pg.epochs_done == done and "diverged" in pg.status.value

def test_run_that_ends_worse_than_it_started_says_so():
    pg = playground(activation="relu", lr=10.0)                          # the hidden units die; the loss stays above its start
    assert pg.diverged_at is None and pg.history.train_loss[-1] > pg.history.train_loss[0]
    assert "ended worse than it started" in pg.status.value and "lower the learning rate" in pg.status.value

@pytest.mark.parametrize("dataset,activation", zip(DATASETS, ACTIVATION_NAMES))
def test_extremes_never_raise(dataset, activation):
    pg = playground(dataset=dataset, activation=activation, epochs=20)
    for name, value in (("units", 1), ("layers", 4), ("noise", 0.0), ("lr", 10.0), ("lr", 1e-3), ("batch_size", 150)):
        getattr(pg, name).value = value
        assert pg.plot.value[:8] == b"\x89PNG\r\n\x1a\n"
        assert ("diverged at epoch" in pg.status.value) == (pg.diverged_at is not None)

@pytest.mark.parametrize("values,error,message", [
    (dict(lr=100), ValueError, "lr must be a number in [0.001, 10.0], got 100.0"),
    (dict(lr=0.3), ValueError, "lr must be one of the slider's steps; got 0.3, the nearest step is 0.316"),
    (dict(epochs=57), ValueError, "epochs must be one of the slider's steps; got 57, the nearest step is 60"),
    (dict(epochs=5000), ValueError, "epochs must be an integer in [10, 500], got 5000"),
    (dict(units=2.5), TypeError, "units must be an integer, got 2.5"),
    (dict(noise=-0.1), ValueError, "noise must be a number in [0.0, 0.5], got -0.1"),
    (dict(dataset="swirl"), ValueError, "dataset must be one of 'moons', 'circles', 'xor', 'spiral'; got 'swirl'"),
    (dict(activation="swish"), ValueError, "activation must be one of 'sigmoid', 'tanh', 'relu', 'leaky_relu'; got 'swish'"),
    (dict(batch_size=20), ValueError, "batch_size must be one of 8, 16, 32, 64, 150; got 20"),
    (dict(seed=-1), ValueError, "seed must be an integer in [0, 9999], got -1"),
    (dict(optimizer="rmsprop"), ValueError, "optimizer must be one of 'sgd', 'momentum', 'adam'; got 'rmsprop'"),
    (dict(l2=0.5), ValueError, "l2 must be one of 0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1; got 0.5"),
    (dict(learning_rate=0.1), ValueError, "unknown control(s) ['learning_rate']")])
def test_values_a_control_cannot_show_are_refused(values, error, message):
    with pytest.raises(error) as e: playground(**values)
    assert message in str(e.value)

@pytest.mark.parametrize("name,kw", [("sgd", {}), ("momentum", {"momentum": 0.9}), ("adam", {"betas": (0.9, 0.999)})])
def test_optimizer_and_l2_reach_the_update_rule(name, kw):
    pg = small(optimizer=name, l2=3e-3)
    assert pg.opt.weight_decay == 3e-3 and pg.opt.lr == pg.lr.value
    for k, v in kw.items(): assert getattr(pg.opt, k) == v
    assert type(pg.opt).__name__ == {"sgd": "SGD", "momentum": "SGD", "adam": "Adam"}[name]

def test_momentum_state_carries_across_frames():
    "Momentum and Adam keep their running averages from one frame to the next: ticking equals one run."
    full = small(optimizer="momentum")
    pg = small(optimizer="momentum")
    pg.reset()
    for epoch in range(1, 21): pg.play.value = epoch
    assert pg.history.train_loss == full.history.train_loss

def test_saved_output_is_a_picture_with_how_to_run_it():
    pg = small()
    bundle = pg._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle               # live: the widget
    html = bundle["text/html"]                                                # saved: a picture and how to run it
    assert html.startswith('<img src="data:image/png;base64,') and "voila nbs/13a_app.ipynb" in html
    assert "run the cells" in bundle["text/plain"] and "Playground(" not in bundle["text/plain"]

def test_import_does_not_load_widgets_or_matplotlib():
    code = "import sys, backprop_nb; assert not {'ipywidgets', 'matplotlib'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
