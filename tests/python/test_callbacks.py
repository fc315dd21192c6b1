"""Callbacks with Keras semantics: the hook order, EarlyStopping (patience, min_delta, mode,
restore_best_weights), ModelCheckpoint ({epoch} names, save_best_only, weights files that load
back), CSVLogger (rows, append), LearningRateScheduler (the rate the steps use: checked through
SGD updates, whose size is proportional to it)."""

import csv

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L
from bronze.callbacks import (Callback, CSVLogger, EarlyStopping, LearningRateScheduler,
                              ModelCheckpoint)


def problem(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = np.argmax(x @ rng.standard_normal((4, 3)), axis=1)
    x_in = L.Placeholder((None, 4))
    lin = L.Linear(3)
    return bz.Model(inputs=x_in, outputs=lin(x_in)), lin, x, y


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None): self.events.append("train_begin")
    def on_train_end(self, logs=None): self.events.append("train_end")
    def on_epoch_begin(self, epoch, logs=None): self.events.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_batch_end(self, batch, logs=None): self.events.append(f"batch {batch}")


def test_hooks_run_in_keras_order_with_logs():
    model, _, x, y = problem(n=20)
    model.compile(loss="cross_entropy", metrics=["accuracy"])
    rec = Recorder()
    model.fit(x, y, batch_size=10, epochs=2, callbacks=[rec], validation_data=(x, y), verbose=0)
    keys = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    assert rec.events == ["train_begin", "epoch_begin 0", "batch 0", "batch 1",
                          f"epoch_end 0 {keys}", "epoch_begin 1", "batch 0", "batch 1",
                          f"epoch_end 1 {keys}", "train_end"]
    assert rec.model is model and rec.params["steps"] == 2


class Scripted(Callback):
    """Replaces the monitored value with a scripted sequence (EarlyStopping runs after it)."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


@pytest.mark.parametrize("values,patience,min_delta,stopped", [
    ([5, 4, 4.5, 4.2, 4.1, 3], 2, 0.0, 3),   # no new best at epochs 2, 3
    ([5, 4, 3.95, 3.9, 3.85, 3], 2, 0.1, 3),  # improvements below min_delta do not count
    ([5, 4, 3, 2, 1, 0], 1, 0.0, 0),          # always improving: runs every epoch
])
def test_early_stopping_patience_and_min_delta(values, patience, min_delta, stopped):
    model, _, x, y = problem()
    model.compile(loss="cross_entropy")
    es = EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta)
    h = model.fit(x, y, epochs=6, callbacks=[Scripted(values), es], verbose=0)
    assert es.stopped_epoch == stopped
    assert len(h.epoch) == (stopped + 1 if stopped else 6)


def test_early_stopping_max_mode_and_restore_best_weights():
    model, lin, x, y = problem()
    model.compile(optimizer=bz.optim.SGD(lr=0.5), loss="cross_entropy")
    snapshots = []

    class Snap(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(lin.weight.copy())
            logs["val_acc"] = [0.5, 0.9, 0.7, 0.6][epoch]

    es = EarlyStopping(monitor="val_acc", patience=2, restore_best_weights=True)
    assert es.mode == "max"
    model.fit(x, y, batch_size=16, epochs=4, callbacks=[Snap(), es], verbose=0)
    assert es.stopped_epoch == 3 and es.best_epoch == 1
    np.testing.assert_array_equal(lin.weight, snapshots[1])
    assert not np.array_equal(snapshots[1], snapshots[3])


def test_model_checkpoint_writes_weights_that_load_back(tmp_path):
    model, lin, x, y = problem()
    model.compile(optimizer=bz.optim.SGD(lr=0.5), loss="cross_entropy")
    weights = []

    class Snap(Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights.append(lin.weight.copy())

    ck = ModelCheckpoint(str(tmp_path / "w-{epoch:02d}-{loss:.2f}.npz"), monitor="loss",
                         save_weights_only=True)
    h = model.fit(x, y, batch_size=16, epochs=3, callbacks=[Snap(), ck], verbose=0)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"w-{e + 1:02d}-{h.history['loss'][e]:.2f}.npz" for e in range(3)]
    model.load_weights(tmp_path / names[0])
    np.testing.assert_array_equal(lin.weight, weights[0])


def test_model_checkpoint_save_best_only(tmp_path):
    model, _, x, y = problem()
    model.compile(loss="cross_entropy")
    ck = ModelCheckpoint(str(tmp_path / "best-{epoch}.npz"), monitor="val_loss",
                         save_best_only=True, save_weights_only=True)
    model.fit(x, y, epochs=4, callbacks=[Scripted([3, 2, 2.5, 1]), ck], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.npz", "best-2.npz",
                                                          "best-4.npz"]
    bad = ModelCheckpoint(str(tmp_path / "{val_acc}.npz"), save_weights_only=True)
    with pytest.raises(KeyError, match="val_acc"):
        model.fit(x, y, epochs=1, callbacks=[bad], verbose=0)


def test_csv_logger_rows_and_append(tmp_path):
    model, _, x, y = problem()
    model.compile(loss="cross_entropy", metrics=["accuracy"])
    path = tmp_path / "log.csv"
    h = model.fit(x, y, epochs=2, callbacks=[CSVLogger(str(path))], verbose=0)
    model.fit(x, y, epochs=1, callbacks=[CSVLogger(str(path), append=True)], verbose=0)
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "0"]
    assert list(rows[0]) == ["epoch", "accuracy", "loss"]
    assert float(rows[1]["loss"]) == pytest.approx(h.history["loss"][1])


def test_learning_rate_scheduler_sets_the_rate_of_the_steps():
    # One SGD step per epoch on a fixed batch from fixed weights: the update is -lr * grad.
    model, lin, x, y = problem(n=16)
    model.compile(optimizer=bz.optim.SGD(lr=1.0), loss="cross_entropy")
    start = model.get_weights()
    deltas = []

    class Reset(Callback):
        def on_epoch_end(self, epoch, logs=None):
            deltas.append(lin.weight - start[f"{lin.name}/weight"])

    sched = LearningRateScheduler(lambda epoch, lr: [0.1, 0.3, 0.05][epoch])
    h = model.fit(x, y, batch_size=16, epochs=1, callbacks=[sched, Reset()], verbose=0)
    assert h.history["lr"] == [pytest.approx(0.1)]
    grad = -deltas[0] / 0.1
    for epoch, lr in [(1, 0.3), (2, 0.05)]:
        model.set_weights(start)
        sched = LearningRateScheduler(lambda e, cur, lr=lr: lr)
        model.fit(x, y, batch_size=16, epochs=1, callbacks=[sched, Reset()], verbose=0)
        np.testing.assert_allclose(deltas[-1], -lr * grad, rtol=1e-4, atol=1e-6)
    assert model.learning_rate == pytest.approx(0.05)
    with pytest.raises(ValueError, match="schedule"):
        model.fit(x, y, callbacks=[LearningRateScheduler(lambda e, lr: -1.0)], verbose=0)


def test_weights_set_by_a_callback_are_trained_from_and_kept():
    model, lin, x, y = problem()
    model.compile(optimizer=bz.optim.SGD(lr=0.0), loss="cross_entropy")
    zeros = {k: np.zeros_like(v) for k, v in model.get_weights().items()}

    class Zero(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model.set_weights(zeros)
            else:  # after the last epoch: fit must not overwrite it with the Trainer's
                self.model.set_weights({k: v + 1 for k, v in zeros.items()})

    h = model.fit(x, y, batch_size=16, epochs=2, callbacks=[Zero()], verbose=0)
    # Epoch 1 trains (at lr 0) from the zero weights: the loss of uniform logits, log(3).
    assert h.history["loss"][1] == pytest.approx(np.log(3), rel=1e-6)
    np.testing.assert_array_equal(lin.weight, 1.0)


def test_model_checkpoint_full_save_uses_model_save_when_present(tmp_path):
    model, _, x, y = problem()
    model.compile(loss="cross_entropy")
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "a-{epoch}.npz"), monitor="loss")])
    assert (tmp_path / "a-1.npz").exists()  # falls back to the weights
    saved = []
    model.save = saved.append  # what the .bronze format's Model.save will be called as
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "m-{epoch}.bronze"), monitor="loss")])
    assert saved == [str(tmp_path / "m-1.bronze"), str(tmp_path / "m-2.bronze")]
