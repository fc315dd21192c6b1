#!/usr/bin/env python3
"""PyTorch eager peer of bronze's MLP training-step benchmark (benchmarks/training/mlp_step.cc).

One step: forward of an MLP 784-1024-1024-10 (Linear + ReLU), cross-entropy (mean), backward,
SGD update (torch.optim.SGD, no momentum), at batch 256 on `--threads` threads. Runs `--warmup`
steps, then `--steps` timed steps, and prints one JSON object: the per-step seconds and the peak
memory the training added to the process (peak RSS minus the RSS before the model was built).
Run it with the system interpreter that has Debian's python3-torch (with libopenblas0-openmp
installed, PyTorch's BLAS runs on OpenMP threads, and OPENBLAS_CORETYPE names this CPU's core
when OpenBLAS cannot detect it: PyTorch's fastest setup here)."""
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


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    if "OPENBLAS_CORETYPE" not in os.environ and best_openblas_coretype():
        os.environ["OPENBLAS_CORETYPE"] = best_openblas_coretype()  # read when torch loads BLAS
    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    before = rss_bytes()
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(a.batch, 784)
    y = torch.randint(0, 10, (a.batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
                      "seconds": times, "peak_added_bytes": peak - before}))


if __name__ == "__main__":
    main()
