// Shared main for bronze's Google Benchmark suites: runs every registered benchmark with
// repetitions (5 unless --benchmark_repetitions is given), keeps each repetition's time and
// throughput, and after the run prints a table of comparisons, each a ratio between bronze and a
// peer (or a physical bound, like a plain memory copy) measured in the same run, as min and
// median over the repetitions. The machine is noisy: read the median, trust the min less.
// With --bronze_json_out=PATH it also writes every repetition's time and counters, the
// comparisons and the recorded figures as JSON (benchmarks/suite.py, `make bench`, reads it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bronze/bronze.h"
#include "kernels/parallel.h"

namespace benchmark {
class State;
}

namespace bronze::bench {

enum class Metric {
  kTime,            // ratio = bronze time / peer time (lower is better; goal e.g. <= 1.1)
  kBytesPerSecond,  // ratio = bronze bytes/s / peer bytes/s (higher is better)
  kItemsPerSecond,  // ratio = bronze items/s / peer items/s (higher is better)
};

struct Comparison {
  std::string label;  // what is compared: "GEMM 1024^3, 2 threads"
  std::string ours;   // benchmark name, as Google Benchmark prints it (without the aggregate suffix)
  std::string peer;
  Metric metric = Metric::kTime;
};

// One op's kernel bound once to the given inputs (and attributes), with preallocated outputs, run
// inside its own ThreadPool: measures the kernel alone, without graph compilation or allocation.
class KernelRunner {
 public:
  // `backend` "" picks the fastest kernel ("cpu"), "ref" the reference one.
  KernelRunner(const std::string& op, AttrMap attrs, std::vector<Tensor> inputs, int threads,
               const std::string& backend = "");
  void Run();
  const std::vector<Tensor>& outputs() const { return outputs_; }
  // Bytes of all inputs plus all outputs: what one run must at least move.
  int64_t bytes() const;

 private:
  AttrMap attrs_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> outputs_;
  std::unique_ptr<Kernel> kernel_;
  std::unique_ptr<ThreadPool> pool_;
};

// The physical bound for a kernel that reads and writes `floats` floats each: a plain memcpy of
// that many floats split over `threads` threads of one ThreadPool. Counts read plus written
// bytes, as KernelRunner::bytes() does, so bytes/s ratios against it compare like with like.
void MemcpyPeer(benchmark::State& state, int64_t floats, int threads = 2);

// A figure measured outside Google Benchmark's timing (peak memory, say), written to the JSON of
// --bronze_json_out under "figures" as {name: {"value": v, "unit": unit}}; the last one wins.
void RecordFigure(const std::string& name, double value, const std::string& unit);

// Runs the benchmarks, then prints the comparisons (skipping those whose benchmarks were filtered
// out). Returns the process exit code.
int Main(int argc, char** argv, const std::vector<Comparison>& comparisons);

}  // namespace bronze::bench
