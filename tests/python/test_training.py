"""Model.compile/fit/evaluate/predict: convergence on a small problem, History, evaluate and
predict against NumPy on known weights (with a partial last batch), trained weights and running
statistics copied back into the layers, weights I/O, and the errors."""

import os

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L


def blobs(n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = np.argmax(x @ rng.standard_normal((8, 3)), axis=1)
    return x, y


def mlp(hidden=32):
    x = L.Placeholder((None, 8))
    return bz.Model(inputs=x, outputs=L.Linear(3)(L.ReLU()(L.Linear(hidden)(x))))


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_fit_converges_and_history_has_every_key():
    bz.seed(0)
    x, y = blobs()
    model = mlp()
    model.compile(optimizer=bz.optim.Adam(lr=1e-2), loss="cross_entropy", metrics=["accuracy"])
    first = model.evaluate(x, y)[0]
    h = model.fit(x, y, batch_size=64, epochs=6, validation_data=(x[:100], y[:100]), verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 6 for v in h.history.values()) and h.epoch == list(range(6))
    assert h.history["loss"][-1] < 0.25 < first
    assert h.history["accuracy"][-1] > 0.9
    # The recorded training loss of the last epoch is close to a fresh evaluation.
    loss, acc = model.evaluate(x, y, batch_size=128)
    assert loss < 0.3 and acc > 0.9


def test_evaluate_and_predict_match_numpy_with_a_partial_batch():
    x_in = L.Placeholder((None, 8))
    lin = L.Linear(3)
    model = bz.Model(inputs=x_in, outputs=lin(x_in))
    x, y = blobs(n=50, seed=3)
    model.compile(optimizer="sgd", loss="cross_entropy", metrics=["accuracy"])
    logits = x.astype(np.float64) @ lin.weight.T.astype(np.float64) + lin.bias
    want_loss = -log_softmax(logits)[np.arange(50), y].mean()
    want_acc = (logits.argmax(1) == y).mean()
    loss, acc = model.evaluate(x, y, batch_size=16)  # 16, 16, 16, 2
    assert loss == pytest.approx(want_loss, rel=1e-5)
    assert acc == pytest.approx(want_acc)
    assert model.evaluate(x, y, return_dict=True)["accuracy"] == pytest.approx(want_acc)
    np.testing.assert_allclose(model.predict(x, batch_size=7), logits, rtol=1e-5, atol=1e-5)


def test_trained_weights_and_running_stats_come_back_to_the_layers():
    rng = np.random.default_rng(0)
    x_in = L.Placeholder((None, 4))
    bn, lin = L.BatchNorm1d(), L.Linear(2)
    model = bz.Model(inputs=x_in, outputs=lin(bn(x_in)))
    x = (rng.standard_normal((32, 4)) * 3 + 5).astype(np.float32)
    t = rng.standard_normal((32, 2)).astype(np.float32)
    w0 = lin.weight.copy()
    model.compile(optimizer=bz.optim.SGD(lr=0.1), loss="mse")
    model.fit(x, t, batch_size=32, epochs=1, verbose=0)  # one step on the whole batch
    assert not np.allclose(lin.weight, w0)
    # torch's running stats after one step from (0, 1) with momentum 0.1 (unbiased variance).
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-4)
    assert model.parameters()[f"{lin.name}/weight"] is lin.weight
    # model(x) runs the inference graph with the trained weights and running statistics.
    assert not np.allclose(bn.weight, 1.0)  # the affine parameters trained too
    xn = (x - bn.running_mean) / np.sqrt(bn.running_var + 1e-5) * bn.weight + bn.bias
    np.testing.assert_allclose(model(x), xn @ lin.weight.T + lin.bias, rtol=1e-4, atol=1e-4)


def test_partial_last_batch_is_a_step_and_shuffle_false_is_deterministic():
    x, y = blobs(n=10)
    runs = []
    for _ in range(2):
        bz.seed(5)
        model = mlp(hidden=4)
        model.compile(optimizer=bz.optim.SGD(lr=0.1), loss="cross_entropy")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        assert model._trainer.steps == 6  # 4 + 4 + 2 per epoch
        runs.append(list(model.get_weights().values()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_weights_set_from_outside_restart_training_from_them(tmp_path):
    x, y = blobs(n=64)
    model = mlp(hidden=8)
    model.compile(optimizer=bz.optim.SGD(lr=0.5), loss="cross_entropy")
    before = model.get_weights()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    path = tmp_path / "w.npz"
    model.save_weights(path)
    trained = model.get_weights()
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]  # no temp file left behind
    model.set_weights(before)
    model.learning_rate = 0.0
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)  # lr 0: the weights stay as set
    for k, v in model.get_weights().items():
        np.testing.assert_array_equal(v, before[k])
    model.load_weights(path)
    for k, v in model.get_weights().items():
        np.testing.assert_array_equal(v, trained[k])
    np.testing.assert_allclose(model(x), model.predict(x), rtol=1e-6)


def test_custom_loss_callable_and_float_targets():
    rng = np.random.default_rng(0)
    x_in = L.Placeholder((None, 3))
    model = bz.Model(inputs=x_in, outputs=L.Linear(1)(x_in))
    x = rng.standard_normal((256, 3)).astype(np.float32)
    t = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float64)  # cast to f32
    model.compile(optimizer=bz.optim.Adam(lr=0.05),
                  loss=lambda p, q: bz.ops.reduce_mean((p - q) * (p - q), axes=[0, 1]),
                  metrics=["mae"])
    h = model.fit(x, t, batch_size=32, epochs=15, verbose=0)
    assert h.history["loss"][-1] < 1e-2 and h.history["mae"][-1] < 0.1


def test_verbose_shows_a_progress_bar_with_throughput(capsys):
    x, y = blobs(n=40)
    model = mlp(hidden=4)
    model.compile(loss="cross_entropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/1" in err and "samples/s" in err and "accuracy=" in err
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert capsys.readouterr().err == ""


def test_errors_are_clear():
    x, y = blobs(n=20)
    model = mlp(hidden=4)
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="unknown loss"):
        model.compile(loss="hinge_squared")
    with pytest.raises(ValueError, match="unknown metric"):
        model.compile(loss="cross_entropy", metrics=["f7"])
    model.compile(loss="cross_entropy")
    with pytest.raises(ValueError, match="integer class indices"):
        model.fit(x, y.astype(np.float32), verbose=0)
    with pytest.raises(ValueError, match="samples"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(bz.ShapeError):
        model.fit(x, y.reshape(20, 1), verbose=0)
    assert not os.path.exists("checkpoint")


def test_multi_output_losses_weights_and_metrics_match_numpy():
    bz.seed(2)
    x, y = blobs(n=90)
    reg_target = (x[:, :2] * 2.0).astype(np.float32)
    x_in = L.Placeholder((None, 8))
    h = L.ReLU()(L.Linear(16)(x_in))
    model = bz.Model(inputs=x_in, outputs={"cls": L.Linear(3)(h), "reg": L.Linear(2)(h)})
    model.compile(optimizer=bz.optim.Adam(lr=1e-2), loss={"cls": "cross_entropy", "reg": "mse"},
                  loss_weights={"reg": 0.5}, metrics={"cls": ["accuracy"]})
    targets = {"cls": y, "reg": reg_target}
    result = model.evaluate(x, targets, batch_size=40, return_dict=True)
    out = model.predict(x)
    ce = -log_softmax(out["cls"].astype(np.float64))[np.arange(90), y].mean()
    mse = ((out["reg"].astype(np.float64) - reg_target) ** 2).mean()
    assert result["cls_loss"] == pytest.approx(ce, rel=1e-5)
    assert result["reg_loss"] == pytest.approx(mse, rel=1e-5)
    assert result["loss"] == pytest.approx(ce + 0.5 * mse, rel=1e-5)
    assert result["cls_accuracy"] == pytest.approx((out["cls"].argmax(1) == y).mean())
    h = model.fit(x, [y, reg_target], batch_size=30, epochs=30, verbose=0)
    assert set(h.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy"}
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    with pytest.raises(ValueError, match="unknown outputs"):
        model.compile(loss={"nope": "mse"})
    with pytest.raises(ValueError, match="no targets"):
        model.fit(x, {"cls": y}, verbose=0)


def test_validation_split_holds_out_the_last_samples():
    x, y = blobs(n=100)
    model = mlp(hidden=8)
    model.compile(optimizer=bz.optim.SGD(lr=0.0), loss="cross_entropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=16, epochs=1, validation_split=0.25, verbose=0)
    assert model._trainer.steps == 5  # 75 training samples
    want = model.evaluate(x[75:], y[75:], return_dict=True)
    assert h.history["val_loss"][0] == pytest.approx(want["loss"])
    assert h.history["val_accuracy"][0] == pytest.approx(want["accuracy"])
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_a_zero_loss_weight_leaves_that_output_untrained_and_metric_strings_work():
    x, y = blobs(n=40)
    x_in = L.Placeholder((None, 8))
    a, b = L.Linear(3), L.Linear(3)
    model = bz.Model(inputs=x_in, outputs=[a(x_in), b(x_in)])
    model.compile(optimizer=bz.optim.SGD(lr=0.5), loss="cross_entropy", loss_weights=[1.0, 0.0],
                  metrics="accuracy")
    b0 = b.weight.copy()
    h = model.fit(x, [y, y], batch_size=20, epochs=1, verbose=0)
    np.testing.assert_array_equal(b.weight, b0)
    assert {"output_0_accuracy", "output_1_accuracy"} <= set(h.history)


def test_a_checkpoint_resumes_adam_training_bitwise(tmp_path):
    # Adam (moments and step count in the checkpoint) and batch norm (running statistics).
    x, y = blobs(n=48)

    def build():
        bz.seed(11)
        x_in = L.Placeholder((None, 8))
        h = L.ReLU()(L.BatchNorm1d()(L.Linear(16)(x_in)))
        model = bz.Model(inputs=x_in, outputs=L.Linear(3)(h))
        model.compile(optimizer=bz.optim.Adam(lr=0.01), loss="cross_entropy")
        return model

    straight = build()
    straight.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)

    first = build()
    first.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    path = tmp_path / "fit.ckpt"
    first.save_checkpoint(path)
    assert [p.name for p in tmp_path.iterdir()] == ["fit.ckpt"]  # no temp file left behind

    def values(model):  # rebuilt layers get new names ("linear_3"): compare in order
        return list(model.get_weights().values())

    resumed = build()  # fresh weights and optimizer state, other layer names
    assert list(resumed.get_weights()) != list(first.get_weights())
    assert resumed.load_checkpoint(path) == 6  # 3 steps per epoch
    for a, b in zip(values(resumed), values(first)):  # weights are set at once
        np.testing.assert_array_equal(a, b)
    resumed.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert resumed._trainer.steps == straight._trainer.steps == 12
    for a, b in zip(values(resumed), values(straight)):
        np.testing.assert_array_equal(a, b)

    # Without the optimizer state (weights only), Adam restarts and the run differs.
    weights_only = build()
    weights_only.set_weights(dict(zip(weights_only.get_weights(), values(first))))
    weights_only.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(values(weights_only), values(straight)))


def test_checkpoint_errors_name_the_problem(tmp_path):
    x, y = blobs(n=16)
    small = mlp(hidden=4)
    small.compile(optimizer="sgd", loss="cross_entropy")
    small.fit(x, y, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "small.ckpt"
    small.save_checkpoint(path)
    other = bz.Model(inputs=(p := L.Placeholder((None, 8))), outputs=L.Linear(3)(p))
    other.compile(optimizer="sgd", loss="cross_entropy")
    with pytest.raises(ValueError, match="lacks the weights"):
        other.load_checkpoint(path)
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(bz.errors.FormatError):
        small.load_checkpoint(tmp_path / "junk.ckpt")


def test_explain_train_step_names_fused_updates_and_runs_nothing():
    x, y = blobs(n=64)
    bz.seed(1)
    m = mlp()
    m.compile(optimizer=bz.optim.SGD(lr=0.1, momentum=0.9), loss="cross_entropy")
    before = {k: v.copy() for k, v in m.get_weights().items()}
    text = m.explain_train_step(x, y)
    assert "into one matmul_sgd_update node" in text, text
    assert "update not fused with its gradient" in text, text  # the biases: reductions
    assert "memory: " in text, text
    for k, v in m.get_weights().items():
        np.testing.assert_array_equal(v, before[k])
    m.compile(optimizer=bz.optim.SGD(lr=0.1, momentum=0.9, nesterov=True), loss="cross_entropy")
    assert "matmul_sgd_update" not in m.explain_train_step(x, y)
    with pytest.raises(RuntimeError, match="explain_train_step"):
        mlp().explain_train_step(x, y)


def test_profile_train_step_trains_like_fit_on_one_batch():
    x, y = blobs(n=64)
    models = []
    for _ in range(2):
        bz.seed(1)
        m = mlp()
        m.compile(optimizer=bz.optim.SGD(lr=0.1), loss="cross_entropy")
        models.append(m)
    report = models[0].profile_train_step(x, y, runs=2, warmup=1)
    models[1].fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
    assert report.runs == 2
    ops = [s.op for s in report.steps]
    assert any("_grad" in op for op in ops) and any("sgd" in op for op in ops), ops
    assert "profile: 2 runs" in str(report)
    # The same weights in the same order (the layers' names differ: a, b are two models).
    for a, b in zip(models[0].get_weights().values(), models[1].get_weights().values()):
        np.testing.assert_array_equal(a, b)
    assert len(models[0].get_weights()) == 4
    with pytest.raises(bz.errors.InvalidArgumentError, match="runs must be >= 1"):
        models[0].profile_train_step(x, y, runs=0)
