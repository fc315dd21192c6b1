"""bz.optim through model.fit: two training steps of a Linear model under an MSE loss with each
optimizer, against a float64 NumPy replay (analytic gradients of the linear MSE, the torch.optim
update formulas of test_optimizers_numpy.py, written independently of the C++ code). Also the
argument checks and defaults, which are torch.optim's."""

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L
from test_optimizers_numpy import adagrad, adam, adamw, rmsprop, sgd

REFS = {"sgd": sgd, "adam": adam, "adamw": adamw, "rmsprop": rmsprop, "adagrad": adagrad}

CASES = [
    bz.optim.SGD(lr=0.1),
    bz.optim.SGD(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    bz.optim.SGD(lr=0.1, momentum=0.9, nesterov=True),
    bz.optim.Adam(lr=0.01),
    bz.optim.Adam(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
    bz.optim.AdamW(lr=0.01),
    bz.optim.RMSprop(lr=0.01),
    bz.optim.RMSprop(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    bz.optim.Adagrad(lr=0.1),
    bz.optim.Adagrad(lr=0.1, lr_decay=0.5, initial_accumulator_value=0.1, weight_decay=0.01),
]


def ref_kwargs(opt):
    kw = dict(opt.hyper)
    if "betas" in kw:
        kw["beta1"], kw["beta2"] = kw.pop("betas")
    for flag in ("nesterov", "amsgrad", "centered"):
        if flag in kw:
            kw[flag] = int(kw[flag])
    return kw


@pytest.mark.parametrize("opt", CASES, ids=repr)
def test_two_fit_steps_match_numpy(opt):
    rng = np.random.default_rng(1)
    x_in = L.Placeholder((None, 4))
    lin = L.Linear(3, in_features=4)
    model = bz.Model(inputs=x_in, outputs=lin(x_in))
    w0, b0 = lin.weight.astype(np.float64), lin.bias.astype(np.float64)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    t = rng.standard_normal((16, 3)).astype(np.float32)
    model.compile(optimizer=opt, loss="mse")
    model.fit(x, t, batch_size=8, epochs=1, shuffle=False, verbose=0)

    lr = float(np.float32(opt.lr))
    ref, kw = REFS[opt.kind], ref_kwargs(opt)
    w, b, sw, sb = w0, b0, {}, {}
    for step, (lo, hi) in enumerate([(0, 8), (8, 16)], start=1):
        xb, tb = x[lo:hi].astype(np.float64), t[lo:hi].astype(np.float64)
        dy = 2.0 * (xb @ w.T + b - tb) / ((hi - lo) * 3)  # mse "mean" over (n, 3) elements
        gw, gb = dy.T @ xb, dy.sum(0)
        w, b = ref(w, gw, lr, step, sw, **kw), ref(b, gb, lr, step, sb, **kw)
    np.testing.assert_allclose(lin.weight, w, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(lin.bias, b, rtol=2e-4, atol=2e-5)


def test_defaults_are_torch_optims():
    assert bz.optim.SGD().lr == 1e-3
    assert bz.optim.Adam().to_dict() == {"kind": "adam", "lr": 1e-3, "betas": (0.9, 0.999),
                                         "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
    assert bz.optim.AdamW().hyper["weight_decay"] == 1e-2
    assert bz.optim.RMSprop().lr == 1e-2 and bz.optim.RMSprop().hyper["alpha"] == 0.99
    assert bz.optim.Adagrad().hyper["eps"] == 1e-10
    assert isinstance(bz.optim.get("adam"), bz.optim.Adam)


@pytest.mark.parametrize("make", [lambda: bz.optim.SGD(lr=-1),
                                  lambda: bz.optim.Adam(betas=(1.0, 0.9)),
                                  lambda: bz.optim.SGD(nesterov=True),
                                  lambda: bz.optim.RMSprop(alpha=-0.1),
                                  lambda: bz.optim.get("lbfgs")])
def test_bad_arguments_raise_value_error(make):
    with pytest.raises(ValueError):
        make()
