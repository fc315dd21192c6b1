#!/usr/bin/env python3
"""PyTorch eager peer of bronze's MLP training-step benchmark (benchmarks/training/mlp_step.cc).

One step: forward of an MLP 784-1024-1024-10 (Linear + ReLU), cross-entropy (mean), backward,
SGD update (torch.optim.SGD, no momentum), at batch 256 on `--threads` threads. Runs `--warmup`
steps, then `--steps` timed steps, and prints one JSON object: the per-step seconds and the peak
memory the training added to the process (peak RSS minus the RSS before the model was built).
Run it with the system interpreter that has Debian's python3-torch (with libopenblas0-openmp
installed, PyTorch's BLAS runs on OpenMP threads, and OPENBLAS_CORETYPE names this CPU's core
when OpenBLAS cannot detect it: PyTorch's fastest setup here). With --data (default
$BRONZE_BENCH_DATA) the weights and the batch come from <data>/mlp_step/*.npy, as bronze's side
reads them; --check-out DIR saves the losses of 3 steps and the parameters after them there and exits.
"""

import argparse
import json
import os
import resource
import time


def best_openblas_coretype():
    """OpenBLAS 0.3.21 (Debian 12) does not recognize newer Xeons ("Intel(R) Xeon(R) Processor")
    and falls back to slow generic kernels (a 3x slower step here); name the core it should use."""
    flags = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = line
                break
    if " avx512f" in flags and " avx512bw" in flags:
        return "SkylakeX"
    if " avx2" in flags:
        return "Haswell"
    return None


def peak_rss_bytes():
    """VmHWM, this process's own peak (ru_maxrss carries a parent's peak across execve)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--data", default=os.environ.get("BRONZE_BENCH_DATA"))
    p.add_argument("--check-out")
    a = p.parse_args()
    if "OPENBLAS_CORETYPE" not in os.environ and best_openblas_coretype():
        os.environ["OPENBLAS_CORETYPE"] = best_openblas_coretype()  # read when torch loads BLAS
    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    before = rss_bytes()
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024),
        torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024),
        torch.nn.ReLU(),
        torch.nn.Linear(1024, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(a.batch, 784)
    y = torch.randint(0, 10, (a.batch,))
    if a.data:
        import numpy as np

        def load(name):
            return torch.from_numpy(np.load(os.path.join(a.data, "mlp_step", name + ".npy")))

        model.load_state_dict(
            {k: load("fc%d.%s" % (int(k[0]) // 2 + 1, k.split(".")[1])) for k in model.state_dict()}
        )
        x, y = load("x"), load("y")
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if a.check_out:  # 3 steps: their losses and the parameters after them, as bronze's side
        import numpy as np

        np.save(
            os.path.join(a.check_out, "losses.npy"),
            np.array([step().item() for _ in range(3)], np.float32),
        )
        for k, v in model.state_dict().items():
            name = "fc%d.%s" % (int(k[0]) // 2 + 1, k.split(".")[1])
            np.save(os.path.join(a.check_out, name + ".npy"), v.numpy())
        return
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = peak_rss_bytes()
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
                "seconds": times,
                "peak_added_bytes": peak - before,
            }
        )
    )


if __name__ == "__main__":
    main()
