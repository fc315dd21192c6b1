"""Each optimizer update op against a NumPy float64 implementation of its torch.optim algorithm.

tools/optim_trace (built into ${BRONZE_BUILD_DIR:-build}/tools/) runs a graph with two
parameters, each updated by AppendOptimizerUpdate, for 10 steps with a learning rate fed per step
(one compile for all of them), and prints every parameter and optimizer state after each step.
The reference implementations below follow the pseudo-code of the torch.optim documentation
(SGD, Adam, AdamW, RMSprop, Adagrad), with amsgrad as torch.optim computes it (the maximum of
the raw second moments, bias-corrected afterwards). f64 parameters must match to 1e-6 relative;
f32 parameters, updated in f32 arithmetic, to a float32-appropriate tolerance. The learning rate
is an f32 input, so the references use it rounded to float32.
"""
import os
import pathlib
import subprocess
import zlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DRIVER = ROOT / os.environ.get("BRONZE_BUILD_DIR", "build") / "tools" / "optim_trace"
STEPS = 10
SIZES = (5, 3)  # p0 and p1: states are per parameter


# --- Reference implementations (float64), one step at a time. Each takes the parameter, the
# --- gradient, the learning rate, the step number t (1-based) and its state dict.

def sgd(p, g, lr, t, st, momentum=0.0, dampening=0.0, nesterov=0, weight_decay=0.0):
    if weight_decay != 0:
        g = g + weight_decay * p
    if momentum != 0:
        if t == 1:
            b = g.copy()
        else:
            b = momentum * st["momentum_buffer"] + (1 - dampening) * g
        st["momentum_buffer"] = b
        st["step"] = np.array([t])
        g = g + momentum * b if nesterov else b
    return p - lr * g


def adam(p, g, lr, t, st, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=0,
         decoupled=False):
    if decoupled:
        p = p * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * p
    m = beta1 * st.get("exp_avg", 0.0) + (1 - beta1) * g
    v = beta2 * st.get("exp_avg_sq", 0.0) + (1 - beta2) * g * g
    st["exp_avg"], st["exp_avg_sq"], st["step"] = m, v, np.array([t])
    m_hat = m / (1 - beta1 ** t)
    if amsgrad:
        vmax = np.maximum(st.get("max_exp_avg_sq", np.zeros_like(v)), v)
        st["max_exp_avg_sq"] = vmax
        v_hat = vmax / (1 - beta2 ** t)
    else:
        v_hat = v / (1 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def adamw(p, g, lr, t, st, weight_decay=0.01, **kw):
    return adam(p, g, lr, t, st, weight_decay=weight_decay, decoupled=True, **kw)


def rmsprop(p, g, lr, t, st, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=0):
    if weight_decay != 0:
        g = g + weight_decay * p
    v = alpha * st.get("square_avg", 0.0) + (1 - alpha) * g * g
    st["square_avg"] = v
    v_tilde = v
    if centered:
        ga = alpha * st.get("grad_avg", 0.0) + (1 - alpha) * g
        st["grad_avg"] = ga
        v_tilde = v - ga * ga
    if momentum > 0:
        b = momentum * st.get("momentum_buffer", 0.0) + g / (np.sqrt(v_tilde) + eps)
        st["momentum_buffer"] = b
        return p - lr * b
    return p - lr * g / (np.sqrt(v_tilde) + eps)


def adagrad(p, g, lr, t, st, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
            eps=1e-10):
    clr = lr / (1 + (t - 1) * lr_decay)
    if weight_decay != 0:
        g = g + weight_decay * p
    s = st.get("sum", np.full_like(p, initial_accumulator_value)) + g * g
    st["sum"], st["step"] = s, np.array([t])
    return p - clr * g / (np.sqrt(s) + eps)


RULES = {"sgd": sgd, "adam": adam, "adamw": adamw, "rmsprop": rmsprop, "adagrad": adagrad}

CONFIGS = [
    ("sgd", {}),
    ("sgd", {"weight_decay": 0.01}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "dampening": 0.3}),
    ("sgd", {"momentum": 0.9, "nesterov": 1}),
    ("sgd", {"momentum": 0.5, "weight_decay": 0.1, "nesterov": 1}),
    ("adam", {}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"amsgrad": 1}),
    ("adam", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "amsgrad": 1, "weight_decay": 0.05}),
    ("adamw", {}),
    ("adamw", {"weight_decay": 0.1, "amsgrad": 1}),
    ("adamw", {"beta1": 0.8, "beta2": 0.95, "eps": 1e-6}),
    ("rmsprop", {}),
    ("rmsprop", {"alpha": 0.9}),
    ("rmsprop", {"centered": 1}),
    ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": 1, "momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.1}),
    ("adagrad", {"weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("adagrad", {"eps": 1e-6, "lr_decay": 0.01}),
]

BASE_LR = {"sgd": 0.1, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.01, "adagrad": 0.1}


def make_problem(seed, dtype):
    """Initial parameters, per-step learning rates (a schedule, rounded to f32) and gradients
    (varying scale, so amsgrad's maximum matters), all exactly representable in `dtype`."""
    rng = np.random.default_rng(seed)
    cast = (lambda a: a.astype(np.float32).astype(np.float64)) if dtype == "f32" else (lambda a: a)
    params = [cast(rng.normal(size=n)) for n in SIZES]
    grads = [[cast(rng.normal(size=n) * rng.uniform(0.1, 3.0)) for n in SIZES] for _ in range(STEPS)]
    lrs = [float(np.float32(0.95 ** t * (1 + 0.2 * (t % 3)))) for t in range(STEPS)]
    return params, lrs, grads


def run_driver(kind, hyper, dtype, params, lrs, grads):
    if not DRIVER.exists():
        pytest.fail(f"{DRIVER} is missing: build the optim_trace target first")
    base = BASE_LR[kind]
    tokens = []
    for p in params:
        tokens += [str(len(p))] + [repr(float(x)) for x in p]
    tokens.append(str(STEPS))
    for lr, gs in zip(lrs, grads):
        tokens.append(repr(lr * base))
        for g in gs:
            tokens += [repr(float(x)) for x in g]
    args = [str(DRIVER), "--optimizer", kind, "--dtype", dtype]
    for k, v in hyper.items():
        args += [f"--{k}", repr(v)]
    out = subprocess.run(args, input=" ".join(tokens), capture_output=True, text=True, check=True)
    steps, compiles = [], None
    for line in out.stdout.splitlines():
        words = line.split()
        if words[0] == "step":
            steps.append({"lr": float(words[3])})
        elif words[0] == "num_compiles":
            compiles = int(words[1])
        elif words[0] != "spec":
            steps[-1][words[0]] = np.array([float(w) for w in words[1:]])
    return steps, compiles


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("kind,hyper", CONFIGS, ids=[f"{k}-{h}" for k, h in CONFIGS])
def test_optimizer_matches_numpy(kind, hyper, dtype):
    params, lrs, grads = make_problem(zlib.crc32(f"{kind} {hyper}".encode()), dtype)
    steps, compiles = run_driver(kind, hyper, dtype, params, lrs, grads)
    assert compiles == 1, "a new learning rate per step must not recompile"
    assert len(steps) == STEPS
    rtol, atol = (1e-6, 1e-12) if dtype == "f64" else (2e-4, 2e-5)
    state = [{} for _ in params]
    ref = [p.copy() for p in params]
    for t in range(1, STEPS + 1):
        got = steps[t - 1]
        lr = float(np.float32(lrs[t - 1] * BASE_LR[kind]))
        assert got["lr"] == lr
        want = {}
        for k in range(len(params)):
            ref[k] = RULES[kind](ref[k], grads[t - 1][k], lr, t, state[k], **hyper)
            want[f"p{k}"] = ref[k]
            for slot, value in state[k].items():
                want[f"p{k}/{slot}"] = value
        got_names = set(got) - {"lr"}
        assert got_names == set(want), f"step {t}: states {sorted(got_names)} != {sorted(want)}"
        for name, value in want.items():
            np.testing.assert_allclose(got[name], np.broadcast_to(value, got[name].shape),
                                       rtol=rtol, atol=atol, err_msg=f"step {t} {name}")
