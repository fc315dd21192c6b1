#!/usr/bin/env python3
"""PyTorch eager peer of bronze's model benchmarks (benchmarks/models/models.cc), driven by
benchmarks/suite.py: a small server that reads one JSON request per line on stdin and answers one
JSON line on stdout. It builds each model with torch.nn from the very arrays bronze loads
(<data>/<model>/<name>.npy, written by the suite), so both compute the same function.

Requests:
  {"op": "info"}                                    -> {"torch": version, "threads": n, ...}
  {"op": "output", "case": c, "model": m, "data": d, "out": path}
                                                    -> writes the output for input x_<batch>
  {"op": "time", "case": c, "model": m, "data": d, "min_time": s}
                                                    -> {"seconds": seconds per run}
Every answer may instead be {"error": text}. Runs under Debian's /usr/bin/python3 (python3-torch),
eval mode under torch.inference_mode() (TransformerEncoderLayer takes its fused fast path there),
torch.set_num_threads(--threads)."""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mlp_step import best_openblas_coretype  # noqa: E402

BATCH = {"b1": 1, "b32": 32, "b256": 256}


def build(torch, model, load):
    nn = torch.nn
    if model == "mlp":
        m = nn.Sequential()
        m.add_module("fc1", nn.Linear(784, 1024))
        m.add_module("relu1", nn.ReLU())
        m.add_module("fc2", nn.Linear(1024, 1024))
        m.add_module("relu2", nn.ReLU())
        m.add_module("fc3", nn.Linear(1024, 10))
        names = {k: k for k in m.state_dict()}
    elif model == "cnn":
        m = nn.Sequential()
        m.add_module("conv1", nn.Conv2d(3, 32, 3, padding=1))
        m.add_module("relu1", nn.ReLU())
        m.add_module("conv2", nn.Conv2d(32, 64, 3, stride=2, padding=1))
        m.add_module("relu2", nn.ReLU())
        m.add_module("flatten", nn.Flatten())
        m.add_module("fc", nn.Linear(64 * 16 * 16, 10))
        names = {k: k for k in m.state_dict()}
    elif model == "transformer":
        m = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True)
        names = {
            k: k.replace("in_proj_weight", "in_proj.weight").replace("in_proj_bias", "in_proj.bias")
            for k in m.state_dict()
        }
    else:
        raise ValueError("unknown model " + model)
    state = {k: torch.from_numpy(load(names[k])) for k in m.state_dict()}
    m.load_state_dict(state)
    return m.eval()


class Peer:
    def __init__(self, torch, np):
        self.torch, self.np = torch, np
        self.models = {}

    def get(self, req):
        key = (req["data"], req["model"], req["case"])
        if key not in self.models:
            d = os.path.join(req["data"], req["model"])

            def load(name):
                return self.np.load(os.path.join(d, name + ".npy"))

            m = build(self.torch, req["model"], load)
            x = self.torch.from_numpy(load("x_" + req["case"].rsplit("_", 1)[1]))
            self.models[key] = (m, x)
        return self.models[key]

    def handle(self, req):
        torch = self.torch
        if req["op"] == "info":
            return {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
            }
        m, x = self.get(req)
        with torch.inference_mode():
            if req["op"] == "output":
                self.np.save(req["out"], m(x).numpy())
                return {"ok": True}
            if req["op"] == "time":
                for _ in range(3):
                    m(x)
                n, start = 0, time.perf_counter()
                while True:
                    m(x)
                    n += 1
                    elapsed = time.perf_counter() - start
                    if elapsed >= req["min_time"] and n >= 5:
                        return {"seconds": elapsed / n, "iterations": n}
        raise ValueError("unknown request " + json.dumps(req))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if "OPENBLAS_CORETYPE" not in os.environ and best_openblas_coretype():
        os.environ["OPENBLAS_CORETYPE"] = best_openblas_coretype()  # read when torch loads BLAS
    import numpy as np
    import torch

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    peer = Peer(torch, np)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = peer.handle(json.loads(line))
        except Exception as e:  # reported to the suite, which marks the workload
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
