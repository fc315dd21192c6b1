// Normalization kernels against the physical bound: layer_norm over [8192, 1024] and
// [65536, 256] f32 and batch_norm (inference and training) over [32, 64, 56, 56] f32, each at 2
// threads, as effective bandwidth (input + output bytes per second) next to a 2-thread memcpy
// of the same bytes (read once, written once) measured in the same run. Each kernel is bound
// once with its outputs preallocated (bench::KernelRunner).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "kernels/parallel.h"

namespace {

using bronze::DType;
using bronze::Tensor;

Tensor Random(bronze::Dims dims, float lo, float hi, uint64_t seed) {
  Tensor t = Tensor::Empty(DType::kF32, std::move(dims));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
  return t;
}

// The bound: a plain 2-thread copy of as many bytes (bench_util.h).
void BM_Memcpy2Threads(benchmark::State& state) { bronze::bench::MemcpyPeer(state, state.range(0)); }
BENCHMARK(BM_Memcpy2Threads)->Arg(8192 * 1024)->Arg(65536 * 256)->Arg(32 * 64 * 56 * 56)
    ->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_LayerNorm(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  bronze::bench::KernelRunner k("layer_norm", {},
                                {Random({rows, cols}, -2, 2, 1), Random({cols}, 0.5, 1.5, 2),
                                 Random({cols}, -1, 1, 3)},
                                2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK(BM_LayerNorm)->Args({8192, 1024})->Args({65536, 256})->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_BatchNorm(benchmark::State& state) {
  const int64_t training = state.range(0);
  const int64_t c = 64;
  bronze::bench::KernelRunner k("batch_norm", {{"training", training}},
                                {Random({32, c, 56, 56}, -2, 2, 4), Random({c}, 0.5, 1.5, 5),
                                 Random({c}, -1, 1, 6), Random({c}, -0.1f, 0.1f, 7),
                                 Random({c}, 0.5, 2, 8)},
                                2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK(BM_BatchNorm)->ArgName("training")->Arg(0)->Arg(1)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Metric;
  const Metric bw = Metric::kBytesPerSecond;
  return bronze::bench::Main(argc, argv, {
      {"layer_norm [8192, 1024], 2 threads: bandwidth / memcpy",
       "BM_LayerNorm/8192/1024/real_time", "BM_Memcpy2Threads/8388608/real_time", bw},
      {"layer_norm [65536, 256], 2 threads: bandwidth / memcpy",
       "BM_LayerNorm/65536/256/real_time", "BM_Memcpy2Threads/16777216/real_time", bw},
      {"batch_norm inference [32, 64, 56, 56], 2 thr / memcpy",
       "BM_BatchNorm/training:0/real_time", "BM_Memcpy2Threads/6422528/real_time", bw},
      {"batch_norm training [32, 64, 56, 56], 2 thr / memcpy",
       "BM_BatchNorm/training:1/real_time", "BM_Memcpy2Threads/6422528/real_time", bw},
  });
}
