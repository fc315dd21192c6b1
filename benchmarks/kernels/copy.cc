// The physical bound the bandwidth benchmarks compare against: a plain memcpy of 64 MiB,
// single-threaded and split across 2 threads with TBB, next to bronze's relu and exp kernels over
// the same bytes (read once, written once) at 2 threads, each kernel bound once with its output
// preallocated (bench::KernelRunner).
#include <benchmark/benchmark.h>

#include <cstring>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "kernels/parallel.h"

namespace {

constexpr int64_t kFloats = 16 << 20;  // 64 MiB

// The bound: a plain 2-thread copy of as many bytes (bench_util.h).
void BM_Memcpy2Threads(benchmark::State& state) { bronze::bench::MemcpyPeer(state, kFloats); }
BENCHMARK(BM_Memcpy2Threads)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Unary(benchmark::State& state, const char* op) {
  bronze::bench::KernelRunner k(op, {}, {bronze::Tensor::Zeros(bronze::DType::kF32, {kFloats})}, 2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK_CAPTURE(BM_Unary, relu, "relu")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Unary, exp, "exp")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Comparison;
  using bronze::bench::Metric;
  return bronze::bench::Main(argc, argv, {
      {"relu 64 MiB, 2 threads: bandwidth / memcpy", "BM_Unary/relu/real_time", "BM_Memcpy2Threads/real_time", Metric::kBytesPerSecond},
      {"exp 64 MiB, 2 threads: bandwidth / memcpy", "BM_Unary/exp/real_time", "BM_Memcpy2Threads/real_time", Metric::kBytesPerSecond},
  });
}
