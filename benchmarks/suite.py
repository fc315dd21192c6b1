#!/usr/bin/env python3
"""The whole benchmark suite of issue 7 in one run (`make bench` -> scripts/bench.sh -> this):
bronze against ONNX Runtime and PyTorch eager, measured in the same job, written to
benchmarks/results/latest.json and latest.png, and printed as a table.

  W1  bench_fused_chain (another part's binary): 8 fused elementwise ops over 16M floats, bandwidth
      as a fraction of a plain copy's, goal >= 0.85; its binary's first rate comparison
  W2  MLP 784-1024-1024-10 inference, batch 1 and 256: bronze / ONNX Runtime, goal <= 0.9
  W3  CNN on 32x32, batch 1 and 32: bronze / ONNX Runtime, goal <= 0.9
  W4  Transformer encoder layer: bronze / the faster of ONNX Runtime and PyTorch, goal <= 0.9
  W5  MLP training step, batch 256 (bench_mlp_step): bronze / PyTorch, goal <= 0.8, and peak
      memory added by training no more than PyTorch's
  W6  bench_executor_overhead (another part's binary): its "node" counter (seconds per node) of
      each benchmark it compares against a floor, goal <= 0.1 us per node

W2-W4: the suite draws every weight and input with NumPy from a seed and saves them as .npy; the
bronze binary (bench_models), the ONNX models (built with onnx.helper, peers/onnx_models.py) and
the PyTorch modules (peers/torch_peer.py, a server under Debian's python3 with python3-torch) all
load those same arrays. Before any timing each case's outputs are compared (max abs diff within
tolerance); a case whose outputs disagree is reported "wrong output" and not timed. Then, for each
of --reps repetitions, each case runs bronze (one process, one Google Benchmark repetition), ONNX
Runtime and PyTorch back to back, in an order that rotates per repetition, so the sides share the
machine's noise. A repetition's figure is the mean time per run over at least --min-time seconds.
Ratios: min = min(bronze) / min(peer), median = median(bronze) / median(peer); a goal counts as
met when the median ratio meets it. Everything runs on 2 threads."""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))
THREADS = 2
# Processes that each measure W5's peak memory once (the ratio is the median of their ratios).
MEMORY_RUNS = 5

# case, workload, label, model, batch, goal ratio (<=), the peers that count ("faster of" when 2)
MODEL_CASES = [
    ("mlp_b1", "W2", "MLP 784-1024-1024-10 inference, batch 1", "mlp", 1, 0.9, ["onnxruntime"]),
    (
        "mlp_b256",
        "W2",
        "MLP 784-1024-1024-10 inference, batch 256",
        "mlp",
        256,
        0.9,
        ["onnxruntime"],
    ),
    ("cnn_b1", "W3", "CNN 32x32 (2 conv + linear), batch 1", "cnn", 1, 0.9, ["onnxruntime"]),
    ("cnn_b32", "W3", "CNN 32x32 (2 conv + linear), batch 32", "cnn", 32, 0.9, ["onnxruntime"]),
    (
        "transformer_b1",
        "W4",
        "Transformer encoder layer d256 h4 ffn1024 seq128, batch 1",
        "transformer",
        1,
        0.9,
        ["onnxruntime", "torch"],
    ),
]
INPUT_DIMS = {"mlp": (784,), "cnn": (3, 32, 32), "transformer": (128, 256)}


# ---- arrays --------------------------------------------------------------------------------


def uniform(rng, shape, bound):
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def model_arrays(model, seed):
    """Every weight and input of `model` as name -> float32 array (torch-like uniform init)."""
    rng = np.random.default_rng(seed)
    a = {}

    def linear(name, n_in, n_out):
        b = 1.0 / np.sqrt(n_in)
        a[name + ".weight"], a[name + ".bias"] = uniform(rng, (n_out, n_in), b), uniform(
            rng, (n_out,), b
        )

    if model == "mlp":
        linear("fc1", 784, 1024), linear("fc2", 1024, 1024), linear("fc3", 1024, 10)
    elif model == "cnn":
        for name, cin, cout in (("conv1", 3, 32), ("conv2", 32, 64)):
            b = 1.0 / np.sqrt(cin * 9)
            a[name + ".weight"] = uniform(rng, (cout, cin, 3, 3), b)
            a[name + ".bias"] = uniform(rng, (cout,), b)
        linear("fc", 64 * 16 * 16, 10)
    else:
        linear("self_attn.in_proj", 256, 768), linear("self_attn.out_proj", 256, 256)
        linear("linear1", 256, 1024), linear("linear2", 1024, 256)
        for name in ("norm1", "norm2"):
            a[name + ".weight"] = (1 + uniform(rng, (256,), 0.5)).astype(np.float32)
            a[name + ".bias"] = uniform(rng, (256,), 0.5)
    for case in MODEL_CASES:
        if case[3] == model:
            a["x_b%d" % case[4]] = uniform(rng, (case[4],) + INPUT_DIMS[model], 1.0)
    return a


def write_arrays(data_dir, seed):
    for i, model in enumerate(("mlp", "cnn", "transformer")):
        d = os.path.join(data_dir, model)
        os.makedirs(d, exist_ok=True)
        for name, array in model_arrays(model, seed + i).items():
            np.save(os.path.join(d, name + ".npy"), array)


def loader(data_dir, model):
    return lambda name: np.load(os.path.join(data_dir, model, name + ".npy"))


# ---- the sides -----------------------------------------------------------------------------


def run(cmd, env=None, timeout=600):
    p = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout
    )
    return p.returncode, p.stdout


class Bronze:
    def __init__(self, build_dir, data_dir, min_time):
        self.bin = os.path.join(build_dir, "benchmarks", "bench_models")
        self.env = dict(os.environ, BRONZE_BENCH_DATA=data_dir)
        self.min_time = min_time
        # Removed when the object is collected or the interpreter exits.
        self._tmpdir = tempfile.TemporaryDirectory(prefix="bronze-bench-")
        self.tmp = self._tmpdir.name

    def outputs(self, out_dir):
        rc, out = run([self.bin, "--bronze_check_out=" + out_dir], self.env)
        if rc != 0:
            raise RuntimeError("bench_models --bronze_check_out failed:\n" + out)

    def time(self, case):
        path = os.path.join(self.tmp, "rep.json")
        rc, out = run(
            [
                self.bin,
                "--benchmark_filter=^BM_%s/" % case,
                "--benchmark_repetitions=1",
                "--benchmark_min_time=%g" % self.min_time,
                "--bronze_json_out=" + path,
            ],
            self.env,
        )
        if rc != 0:
            raise RuntimeError("bench_models failed:\n" + out)
        with open(path) as f:
            return json.load(f)["benchmarks"]["BM_%s/real_time" % case]["seconds"][0]


class Ort:
    name = "onnxruntime"

    def __init__(self, data_dir):
        import onnxruntime
        import onnx_models

        self.version = onnxruntime.__version__
        self.data_dir, self.onnx_models, self.sessions = data_dir, onnx_models, {}

    def _get(self, model, batch):
        if model not in self.sessions:
            proto = self.onnx_models.BUILDERS[model](loader(self.data_dir, model))
            self.sessions[model] = self.onnx_models.session(proto, THREADS)
        x = loader(self.data_dir, model)("x_b%d" % batch)
        return self.sessions[model], {"x": x}

    def output(self, model, batch):
        s, feed = self._get(model, batch)
        return s.run(None, feed)[0]

    def time(self, model, batch, min_time):
        s, feed = self._get(model, batch)
        for _ in range(3):
            s.run(None, feed)
        n, start = 0, time.perf_counter()
        while True:
            s.run(None, feed)
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time and n >= 5:
                return elapsed / n


class Torch:
    name = "torch"

    def __init__(self, python, data_dir):
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)  # PyTorch's default OpenMP setup is its fastest
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "peers", "torch_peer.py"), "--threads", str(THREADS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        info = self.ask({"op": "info"})
        self.version = info["torch"]

    def ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the PyTorch peer exited")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError("PyTorch peer: " + answer["error"])
        return answer

    def _req(self, op, model, batch, **kw):
        return dict(op=op, model=model, case="%s_b%d" % (model, batch), data=self.data_dir, **kw)

    def output(self, model, batch):
        path = os.path.join(self.data_dir, "torch_out.npy")
        self.ask(self._req("output", model, batch, out=path))
        return np.load(path)

    def time(self, model, batch, min_time):
        return self.ask(self._req("time", model, batch, min_time=min_time))["seconds"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def start_peers(args, data_dir, notes):
    peers = []
    try:
        peers.append(Ort(data_dir))
    except ImportError as e:
        notes.append("ONNX Runtime peer missing (pip install -r requirements-bench.txt): %s" % e)
    try:
        peers.append(Torch(args.torch_python, data_dir))
    except (OSError, RuntimeError, ValueError) as e:
        notes.append("PyTorch peer missing (%s with python3-torch): %s" % (args.torch_python, e))
    return peers


# ---- W2-W4 -------------------------------------------------------------------------------


def tolerance(reference):
    return 2e-4 * max(1.0, float(np.max(np.abs(reference))))


def model_workloads(args, notes):
    data_dir = os.path.join(args.work_dir, "data")
    write_arrays(data_dir, args.seed)
    bronze = Bronze(args.build_dir, data_dir, args.min_time)
    cases = [c for c in MODEL_CASES if not args.only or c[1] in args.only]
    if not os.path.exists(bronze.bin):
        return [
            dict(
                id=c[1],
                case=c[0],
                label=c[2],
                status="not built yet (%s missing)" % bronze.bin,
                met=False,
            )
            for c in cases
        ]
    out_dir = os.path.join(args.work_dir, "bronze_out")
    try:
        bronze.outputs(out_dir)
    except RuntimeError as e:
        return [
            dict(id=c[1], case=c[0], label=c[2], status=str(e)[-500:], met=False) for c in cases
        ]
    peers = start_peers(args, data_dir, notes)
    results = {}
    for case, wid, label, model, batch, goal, counted in cases:
        ours = np.load(os.path.join(out_dir, case + ".npy"))
        r = results[case] = {
            "id": wid,
            "case": case,
            "label": label,
            "goal": goal,
            "direction": "<=",
            "unit": "ratio",
            "counted_peers": counted,
            "bronze_seconds": [],
            "peers": {},
        }
        for p in peers:
            try:
                theirs = p.output(model, batch)
                diff = (
                    float(np.max(np.abs(theirs.astype(np.float64) - ours)))
                    if theirs.shape == ours.shape
                    else None
                )
            except RuntimeError as e:
                r["peers"][p.name] = {"error": str(e)}
                continue
            ok = diff is not None and diff <= tolerance(theirs)
            r["peers"][p.name] = {
                "version": p.version,
                "max_abs_diff": diff,
                "tolerance": tolerance(theirs),
                "outputs_match": ok,
                "seconds": [],
            }
            print(
                "check %-16s bronze vs %-12s max abs diff %s (tolerance %.2g): %s"
                % (
                    case,
                    p.name,
                    "shape mismatch" if diff is None else "%.3g" % diff,
                    tolerance(theirs),
                    "ok" if ok else "WRONG",
                ),
                flush=True,
            )
    for rep in range(args.reps):
        for case, wid, label, model, batch, goal, counted in cases:
            r = results[case]
            sides = [("bronze", None)] + [
                (p.name, p) for p in peers if r["peers"].get(p.name, {}).get("outputs_match")
            ]
            k = rep % len(sides)
            for name, p in sides[k:] + sides[:k]:
                if p is None:
                    try:
                        r["bronze_seconds"].append(bronze.time(case))
                    except RuntimeError as e:
                        r["status"] = str(e)[-500:]
                else:
                    r["peers"][name]["seconds"].append(p.time(model, batch, args.min_time))
        print("repetition %d/%d done" % (rep + 1, args.reps), flush=True)
    for p in peers:
        if isinstance(p, Torch):
            p.close()
    for r in results.values():
        finish_ratio(r)
    return list(results.values())


def finish_ratio(r):
    """Picks the counted peer with the lowest median and sets ratio, status and met."""
    timed = [
        (statistics.median(r["peers"][n]["seconds"]), n)
        for n in r["counted_peers"]
        if r["peers"].get(n, {}).get("seconds")
    ]
    wrong = [n for n in r["counted_peers"] if r["peers"].get(n, {}).get("outputs_match") is False]
    if wrong:
        r["status"] = "wrong output vs " + ", ".join(wrong)
    if not timed or not r["bronze_seconds"]:
        r.setdefault("status", "peer missing: " + ", ".join(r["counted_peers"]))
        r["met"] = False
        return
    _, peer = min(timed)
    ps = r["peers"][peer]["seconds"]
    r["peer"] = peer
    r["ratio"] = {
        "min": min(r["bronze_seconds"]) / min(ps),
        "median": statistics.median(r["bronze_seconds"]) / statistics.median(ps),
    }
    r.setdefault("status", "ok")
    r["met"] = r["status"] == "ok" and r["ratio"]["median"] <= r["goal"]


# ---- W1, W5, W6: other binaries ------------------------------------------------------------


def run_binary(args, name, extra=(), reps=None, env=None):
    path = os.path.join(args.build_dir, "benchmarks", name)
    if not os.path.exists(path):
        return None, "not built yet (%s missing)" % path
    out_json = os.path.join(args.work_dir, name + ".json")
    cmd = [
        path,
        "--benchmark_repetitions=%d" % (reps or args.reps),
        "--benchmark_enable_random_interleaving=true",
        "--benchmark_color=false",
        "--bronze_json_out=" + out_json,
    ] + list(extra)
    rc, out = run(cmd, env)
    print(out, flush=True)
    if rc != 0 or not os.path.exists(out_json):
        return None, "%s failed (exit %d)" % (name, rc)
    with open(out_json) as f:
        return json.load(f), None


def w1(args):
    r = {
        "id": "W1",
        "label": "8 fused elementwise ops over 16M floats: bandwidth / plain copy",
        "goal": 0.85,
        "direction": ">=",
        "unit": "ratio",
    }
    data, err = run_binary(args, "bench_fused_chain", ["--benchmark_min_time=%g" % args.min_time])
    rates = [c for c in (data or {}).get("comparisons", []) if c["metric"] != "time"]
    if err or not rates:
        r.update(status=err or "bench_fused_chain has no bandwidth comparison", met=False)
        return [r]
    r.update(
        label=rates[0]["label"],
        peer="plain copy",
        status="ok",
        ratio={"min": rates[0]["min"], "median": rates[0]["median"]},
        comparisons=data["comparisons"],
    )
    r["met"] = r["ratio"]["median"] >= r["goal"]
    return [r]


def w5_check(args):
    """Both sides train 3 steps from the same NumPy-drawn weights and batch; their losses and the
    parameters' updates must agree."""
    data = os.path.join(args.work_dir, "data")
    d = os.path.join(data, "mlp_step")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(args.seed + 10)
    for name, n_in, n_out in (("fc1", 784, 1024), ("fc2", 1024, 1024), ("fc3", 1024, 10)):
        b = 1.0 / np.sqrt(n_in)
        np.save(os.path.join(d, name + ".weight.npy"), uniform(rng, (n_out, n_in), b))
        np.save(os.path.join(d, name + ".bias.npy"), uniform(rng, (n_out,), b))
    np.save(os.path.join(d, "x.npy"), uniform(rng, (256, 784), 1.0))
    np.save(os.path.join(d, "y.npy"), rng.integers(0, 10, size=256).astype(np.int64))
    path = os.path.join(args.build_dir, "benchmarks", "bench_mlp_step")
    if not os.path.exists(path):
        return {"error": "not built yet (%s missing)" % path}
    ours, theirs = os.path.join(data, "mlp_step_bronze"), os.path.join(data, "mlp_step_torch")
    os.makedirs(ours, exist_ok=True), os.makedirs(theirs, exist_ok=True)
    env = dict(os.environ, BRONZE_BENCH_DATA=data)
    rc, out = run([path, "--bronze_check_out=" + ours], env)
    if rc != 0:
        return {"error": "bench_mlp_step --bronze_check_out failed: " + out[-2000:]}
    env.pop("OMP_WAIT_POLICY", None)
    script = os.path.join(HERE, "peers", "torch_mlp_step.py")
    rc, out = run([args.torch_python, script, "--check-out", theirs], env)
    if rc != 0:
        return {"error": "PyTorch peer missing or failed: " + out[-2000:]}
    # Losses, and each parameter's update over the 3 steps (lr * the summed gradients: a check of
    # the backward pass and the update far more sensitive than the losses).
    diffs = {}
    for name in ["losses"] + ["fc%d.%s" % (l, p) for l in (1, 2, 3) for p in ("weight", "bias")]:
        a = np.load(os.path.join(ours, name + ".npy")).astype(np.float64)
        b = np.load(os.path.join(theirs, name + ".npy")).astype(np.float64)
        if name != "losses":
            start = np.load(os.path.join(d, name + ".npy"))
            a, b = a - start, b - start
        # An update is the difference of two float32 parameters (about 4e-9 apart near 0.04),
        # three steps of rounding: 2e-8 absolute on top of 1e-3 of the largest update.
        tol = tolerance(b) if name == "losses" else 1e-3 * float(np.max(np.abs(b))) + 2e-8
        diff = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("inf")
        diffs[name] = {"max_abs_diff": diff, "tolerance": tol, "ok": diff <= tol}
    ok = all(v["ok"] for v in diffs.values())
    print(
        "check mlp_step         bronze vs torch        losses and 3-step updates of 6 parameters: "
        + ("ok" if ok else "WRONG " + str({k: v for k, v in diffs.items() if not v["ok"]})),
        flush=True,
    )
    return {"data": data, "diffs": diffs, "outputs_match": ok}


def w5(args):
    r = {
        "id": "W5",
        "label": "MLP 784-1024-1024-10 SGD training step, batch 256",
        "goal": 0.8,
        "direction": "<=",
        "unit": "ratio",
        "peer": "torch",
    }
    check = w5_check(args)
    r["check"] = check
    if not check.get("outputs_match"):
        r.update(status=check.get("error", "wrong output vs torch (losses differ)"), met=False)
        return [r]
    env = dict(os.environ, BRONZE_BENCH_DATA=check["data"])
    data, err = run_binary(args, "bench_mlp_step", env=env)
    comps = (data or {}).get("comparisons", [])
    if err or not comps:
        r.update(status=err or "the PyTorch peer did not run (python3-torch missing?)", met=False)
        return [r]
    c = comps[0]
    r.update(
        status="ok",
        ratio={"min": c["min"], "median": c["median"]},
        bronze_seconds=data["benchmarks"][c["ours"]]["seconds"],
        peers={"torch": {"seconds": data["benchmarks"][c["peer"]]["seconds"]}},
    )
    # Peak memory added by training, one sample per process and side (peak RSS only grows): the
    # run above, and MEMORY_RUNS - 1 more processes that measure memory only. PyTorch's side moves
    # by several MiB from process to process, so one sample is not enough.
    samples = [data.get("figures", {})]
    for _ in range(MEMORY_RUNS - 1):
        extra, err = run_binary(args, "bench_mlp_step", ["--benchmark_filter=NONE"], 1, env)
        if extra:
            samples.append(extra.get("figures", {}))
    mem = {"bronze": [], "torch": []}
    for figures in samples:
        side = {
            k.split("/")[1]: v["value"]
            for k, v in figures.items()
            if k.startswith("peak_added_bytes/")
        }
        if side.get("bronze") and side.get("torch"):
            mem["bronze"].append(side["bronze"])
            mem["torch"].append(side["torch"])
    r["met"] = r["ratio"]["median"] <= r["goal"]
    m = {
        "id": "W5",
        "label": "MLP training step: peak memory added, bronze / PyTorch",
        "goal": 1.0,
        "direction": "<=",
        "unit": "ratio",
        "peer": "torch",
    }
    if mem["bronze"]:
        ratios = [b / t for b, t in zip(mem["bronze"], mem["torch"])]
        median = float(np.median(ratios))
        m.update(
            status="ok",
            ratio={"min": min(ratios), "median": median},
            met=median <= 1.0,
            peak_added_bytes={
                "bronze": float(np.median(mem["bronze"])),
                "torch": float(np.median(mem["torch"])),
            },
            peak_added_bytes_samples=mem,
        )
    else:
        m.update(status="memory figures missing", met=False)
    return [r, m]


def w6(args):
    r = {
        "id": "W6",
        "label": "executor overhead, chain of 100 tiny ops",
        "goal": 0.1,
        "direction": "<=",
        "unit": "us/node",
        "peer": "(absolute)",
    }
    data, err = run_binary(
        args, "bench_executor_overhead", ["--benchmark_min_time=%g" % args.min_time]
    )
    if err:
        r.update(status=err, met=False)
        return [r]
    # Only the benchmarks compared against a floor are bronze's (the others are the floors).
    comps = {c["ours"]: c for c in data.get("comparisons", [])}
    found = []
    for bench, s in sorted(data["benchmarks"].items()):
        for counter, values in s["counters"].items():
            scale = us_per_node_scale(counter)
            if scale and values and (not comps or bench in comps):
                found.append((bench, counter, [v * scale for v in values]))
    if not found:
        r.update(status="no per-node counter in bench_executor_overhead", met=False)
        return [r]
    out = []
    for bench, counter, values in found:
        c = comps.get(bench)
        e = dict(r, label=c["label"].split(":")[0] if c else "executor overhead: " + bench)
        e.update(
            benchmark=bench,
            counter=counter,
            status="ok",
            ratio={"min": min(values), "median": statistics.median(values)},
        )
        if c:
            e["vs_floor"] = {"peer": c["peer"], "min": c["min"], "median": c["median"]}
        e["met"] = e["ratio"]["median"] <= e["goal"]
        out.append(e)
    return out


def us_per_node_scale(counter):
    """Microseconds per unit of a per-node counter: "node" (bench_executor_overhead's, a rate
    counter inverted: seconds per node), or one named like ns_per_node / us_per_node."""
    if counter == "node":
        return 1e6
    if "per_node" not in counter:
        return None
    return 1e-3 if counter.startswith("ns") else 1e6 if counter.startswith("s_") else 1.0


def kernel_suites(args):
    """Every other benchmark binary (benchmarks/kernels): its own comparisons, no goals."""
    d = os.path.join(args.build_dir, "benchmarks")
    done = {"bench_models", "bench_mlp_step", "bench_fused_chain", "bench_executor_overhead"}
    out = []
    for name in sorted(os.listdir(d)):
        if (
            not name.startswith("bench_")
            or name in done
            or not os.access(os.path.join(d, name), os.X_OK)
        ):
            continue
        # No goals here: 5 shorter repetitions keep `make bench` within about 10 minutes.
        data, err = run_binary(args, name, ["--benchmark_min_time=0.1"], reps=5)
        if err:
            out.append({"suite": name, "error": err})
        for c in (data or {}).get("comparisons", []):
            out.append(dict(c, suite=name))
    return out


# ---- report --------------------------------------------------------------------------------


def cmake_cache_value(build_dir, key):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def machine_info():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "-C", ROOT, "rev-parse", "HEAD"], stdout=subprocess.PIPE, text=True
    ).stdout.strip()
    dirty = (
        subprocess.run(
            [
                "git",
                "-C",
                ROOT,
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!benchmarks/results",
            ],
            stdout=subprocess.PIPE,
            text=True,
        ).stdout.strip()
        != ""
    )
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": dirty,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": THREADS,
        "load_average_start": os.getloadavg(),
    }


def fmt(r):
    if "ratio" not in r:
        return "%-4s %-62s %s" % (r["id"], r["label"][:62], r["status"])
    unit = "" if r["unit"] == "ratio" else " " + r["unit"]
    return "%-4s %-62s %-12s %8.3f %8.3f   %s %g%s  %s%s" % (
        r["id"],
        r["label"][:62],
        r.get("peer", ""),
        r["ratio"]["min"],
        r["ratio"]["median"],
        r["direction"],
        r["goal"],
        unit,
        "met" if r["met"] else "NOT met",
        "" if r["status"] == "ok" else " (" + r["status"] + ")",
    )


def markdown(path):
    """The README's results table from a latest.json."""
    with open(path) as f:
        report = json.load(f)
    m = report["machine"]
    print(
        "Measured %s at commit %s%s on %s (%d cores), %s build, %d threads, %d repetitions; load "
        "average %.1f at the start."
        % (
            m["date"][:10],
            m["git_commit"][:10],
            " (dirty)" if m["git_dirty"] else "",
            m["cpu"],
            m["cores"],
            m.get("build_type") or "unknown",
            m["threads"],
            m["repetitions"],
            m["load_average_start"][0],
        )
    )
    print("\n| id | workload | peer | min | median | goal | met |\n|---|---|---|---|---|---|---|")
    for r in report["workloads"]:
        if "ratio" not in r:
            print("| %s | %s | | | | | %s |" % (r["id"], r["label"], r["status"]))
            continue
        unit = "x" if r["unit"] == "ratio" else " " + r["unit"]
        print(
            "| %s | %s | %s | %.3g%s | %.3g%s | %s %g%s | %s |"
            % (
                r["id"],
                r["label"],
                r.get("peer", ""),
                r["ratio"]["min"],
                unit,
                r["ratio"]["median"],
                unit,
                r["direction"],
                r["goal"],
                unit,
                "yes" if r["met"] else "**no**",
            )
        )


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.6))

    def norm(r, v):  # 1.0 = exactly the goal, below = met
        return v / r["goal"] if r["direction"] == "<=" else r["goal"] / v

    labelled = False
    for y, r in enumerate(rows):
        if "ratio" not in r:
            ax.text(
                0.02, y, " %s not measured: %s" % (r["id"], r["status"]), va="center", fontsize=8
            )
            continue
        med, best = norm(r, r["ratio"]["median"]), norm(r, r["ratio"]["min"])
        ax.barh(y, med, color="tab:green" if r["met"] else "tab:red")
        ax.plot(best, y, "k|", markersize=12, label=None if labelled else "best repetition")
        labelled = True
        unit = "x" if r["unit"] == "ratio" else " " + r["unit"]
        text = " %s %.3g%s (goal %s %g)" % (
            r["id"],
            r["ratio"]["median"],
            unit,
            r["direction"],
            r["goal"],
        )
        ax.text(max(med, best), y, text, va="center", fontsize=8)
    ax.axvline(1.0, color="k", linestyle="--", linewidth=1, label="goal")
    ys = range(len(rows))
    ax.set_yticks(
        list(ys),
        [
            (r["label"] + ("" if r.get("peer", "(").startswith("(") else " vs " + r["peer"]))[:70]
            for r in rows
        ],
        fontsize=8,
    )
    ax.set_ylim(len(rows) - 0.5, -0.5)
    right = max(
        [1.0]
        + [
            max(norm(r, r["ratio"]["median"]), norm(r, r["ratio"]["min"]))
            for r in rows
            if "ratio" in r
        ]
    )
    ax.set_xlim(0, right * 1.4)
    ax.set_xlabel("median result / goal (below 1 = goal met; for a rate goal, goal / result)")
    ax.set_title("bronze vs peers, %d threads" % THREADS, loc="left")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    ap.add_argument(
        "--work-dir", default=None, help="arrays and intermediate files (default: a temp dir)"
    )
    ap.add_argument("--reps", type=int, default=7, help="repetitions per workload (>= 5)")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per repetition and side")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-kernels", action="store_true", help="skip the kernel suites (no goals)")
    ap.add_argument("--only", nargs="*", help="workload ids to run, e.g. W2 W5")
    ap.add_argument(
        "--torch-python", default=os.environ.get("BRONZE_TORCH_PYTHON", "/usr/bin/python3")
    )
    ap.add_argument(
        "--markdown", metavar="JSON", help="print a latest.json as a Markdown table, run nothing"
    )
    args = ap.parse_args()
    if args.markdown:
        markdown(args.markdown)
        return 0
    args.work_dir = args.work_dir or tempfile.mkdtemp(prefix="bronze-suite-")
    os.makedirs(args.out_dir, exist_ok=True)
    info = machine_info()
    info["build_type"] = cmake_cache_value(args.build_dir, "CMAKE_BUILD_TYPE")
    notes, results = [], []
    want = lambda w: not args.only or w in args.only  # noqa: E731
    start = time.time()
    parts = info["part_seconds"] = {}

    def part(name, fn, *a):
        t = time.time()
        r = fn(*a)
        parts[name] = round(time.time() - t, 1)
        return r

    if want("W1"):
        results += part("W1", w1, args)
    if any(want(w) for w in ("W2", "W3", "W4")):
        results += part("W2-W4", model_workloads, args, notes)
    if want("W5"):
        results += part("W5", w5, args)
    if want("W6"):
        results += part("W6", w6, args)
    kernels = [] if args.no_kernels or args.only else part("kernels", kernel_suites, args)
    info["load_average_end"] = os.getloadavg()
    info["seconds"] = round(time.time() - start, 1)
    info["repetitions"], info["min_time_per_repetition_s"] = args.reps, args.min_time
    report = {"machine": info, "notes": notes, "workloads": results, "kernel_comparisons": kernels}
    # A run of some workloads (--only) does not replace the full run's latest.json and chart.
    stem = "partial" if args.only else "latest"
    json_path = os.path.join(args.out_dir, stem + ".json")
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1)
    chart(results, os.path.join(args.out_dir, stem + ".png"))
    print(
        "\n%-4s %-62s %-12s %8s %8s   goal"
        % ("id", "workload (bronze / peer)", "peer", "min", "median")
    )
    for r in results:
        print(fmt(r))
    if kernels:
        print(
            "\n%-22s %-60s %-16s %8s %8s"
            % ("suite", "kernel comparison (no goal)", "metric", "min", "median")
        )
    for c in kernels:
        if "error" in c:
            print("%-22s %s" % (c["suite"], c["error"]))
        else:
            print(
                "%-22s %-60s %-16s %8.3f %8.3f"
                % (c["suite"], c["label"][:60], c["metric"], c["min"], c["median"])
            )
    for n in notes:
        print("note: " + n)
    print("seconds per part: %s" % info["part_seconds"])
    print(
        "load average %s at the start, %s at the end; wrote %s and its .png (%.0f s)"
        % (
            "/".join("%.1f" % v for v in info["load_average_start"]),
            "/".join("%.1f" % v for v in info["load_average_end"]),
            json_path,
            info["seconds"],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
