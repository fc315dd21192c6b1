// GEMM throughput: bronze's matmul kernel (oneDNN primitives run single-threaded per chunk, the
// chunks split by bronze across a TBB arena; bench::KernelRunner, bound once) against oneDNN's own
// OpenMP-threaded dnnl_sgemm with omp_set_num_threads(threads), in the same run. Shapes: 1024^3
// and M = 1, 32, 256 with K = N = 1024, at 1 and 2 threads; then the GEMMs of an MLP training
// step with transposed operands (matmul's transpose_a / transpose_b against sgemm's 'T'). Goal:
// >= 0.9x the peer's FLOP/s.
// Run with OMP_WAIT_POLICY=passive (scripts/bench.sh sets it) so idle OpenMP threads sleep.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"

namespace {

using bronze::DType;
using bronze::Tensor;

// Deterministic values in [-1, 1) (no denormals, no zeros to skip).
Tensor Filled(bronze::Dims dims, uint32_t seed) {
  Tensor t = Tensor::Empty(DType::kF32, std::move(dims));
  float* p = t.data<float>();
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = static_cast<float>(s >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return t;
}

void SetFlops(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  state.SetItemsProcessed(state.iterations() * 2 * m * k * n);  // items/s = FLOP/s
}

// Args: M, K, N, threads.
void BM_BronzeMatmul(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  bronze::bench::KernelRunner kernel("matmul", {}, {Filled({m, k}, 1), Filled({k, n}, 2)}, threads);
  for (auto _ : state) kernel.Run();
  SetFlops(state, m, k, n);
}

void BM_OneDnnSgemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  omp_set_num_threads(static_cast<int>(state.range(3)));
  Tensor a = Filled({m, k}, 1), b = Filled({k, n}, 2), c = Tensor::Zeros(DType::kF32, {m, n});
  for (auto _ : state) {
    dnnl_sgemm('N', 'N', m, n, k, 1.f, a.data<float>(), k, b.data<float>(), n, 0.f, c.data<float>(),
               n);
    benchmark::DoNotOptimize(c.data<float>());
  }
  SetFlops(state, m, k, n);
}

// Args: M, K, N, transpose_a, transpose_b, threads. a is stored (K, M) when transposed, b (N, K).
void BM_BronzeMatmulT(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool ta = state.range(3) != 0, tb = state.range(4) != 0;
  const int threads = static_cast<int>(state.range(5));
  bronze::AttrMap attrs;
  if (ta) attrs["transpose_a"] = bronze::Attribute(int64_t{1});
  if (tb) attrs["transpose_b"] = bronze::Attribute(int64_t{1});
  bronze::bench::KernelRunner kernel(
      "matmul", attrs,
      {Filled(ta ? bronze::Dims{k, m} : bronze::Dims{m, k}, 1),
       Filled(tb ? bronze::Dims{n, k} : bronze::Dims{k, n}, 2)},
      threads);
  for (auto _ : state) kernel.Run();
  SetFlops(state, m, k, n);
}

void BM_OneDnnSgemmT(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool ta = state.range(3) != 0, tb = state.range(4) != 0;
  omp_set_num_threads(static_cast<int>(state.range(5)));
  Tensor a = Filled(ta ? bronze::Dims{k, m} : bronze::Dims{m, k}, 1);
  Tensor b = Filled(tb ? bronze::Dims{n, k} : bronze::Dims{k, n}, 2);
  Tensor c = Tensor::Zeros(DType::kF32, {m, n});
  for (auto _ : state) {
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a.data<float>(), ta ? m : k,
               b.data<float>(), tb ? k : n, 0.f, c.data<float>(), n);
    benchmark::DoNotOptimize(c.data<float>());
  }
  SetFlops(state, m, k, n);
}

// The GEMMs of one training step of the MLP 784-1024-1024-10 at batch 256 (the training
// benchmark): {M, K, N, transpose_a, transpose_b, what}. Weight gradients dW = dy^T x read dy
// transposed; input gradients dx = dy W are plain; the forward x W^T reads W transposed.
struct MlpGemm {
  int64_t m, k, n, ta, tb;
  const char* what;
};
const std::vector<MlpGemm> kMlpGemms = {
    {1024, 256, 784, 1, 0, "dW1 = dy^T x [1024,256]x[256,784]"},
    {1024, 256, 1024, 1, 0, "dW2 = dy^T h [1024,256]x[256,1024]"},
    {10, 256, 1024, 1, 0, "dW3 = dy^T h [10,256]x[256,1024]"},
    {256, 1024, 784, 0, 0, "dx2 = dy W [256,1024]x[1024,784]"},
    {256, 10, 1024, 0, 0, "dx3 = dy W [256,10]x[10,1024]"},
    {256, 784, 1024, 0, 1, "y1 = x W^T [256,784]x[784,1024]^T"},
};

void MlpShapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    for (const MlpGemm& g : kMlpGemms) b->Args({g.m, g.k, g.n, g.ta, g.tb, threads});
  }
  b->UseRealTime();
  b->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_BronzeMatmulT)->Apply(MlpShapes);
BENCHMARK(BM_OneDnnSgemmT)->Apply(MlpShapes);

const std::vector<std::vector<int64_t>> kShapes = {
    {1024, 1024, 1024}, {256, 1024, 1024}, {32, 1024, 1024}, {1, 1024, 1024}};

void Shapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    for (const std::vector<int64_t>& s : kShapes) b->Args({s[0], s[1], s[2], threads});
  }
  b->UseRealTime();
  b->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_BronzeMatmul)->Apply(Shapes);
BENCHMARK(BM_OneDnnSgemm)->Apply(Shapes);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Comparison;
  std::vector<Comparison> comparisons;
  for (int threads : {1, 2}) {
    for (const std::vector<int64_t>& s : kShapes) {
      const std::string args = std::to_string(s[0]) + "/" + std::to_string(s[1]) + "/" +
                               std::to_string(s[2]) + "/" + std::to_string(threads);
      comparisons.push_back(
          {"GEMM M=" + std::to_string(s[0]) + " K=N=1024, " + std::to_string(threads) +
               (threads == 1 ? " thread" : " threads") + ": FLOP/s / sgemm",
           "BM_BronzeMatmul/" + args + "/real_time", "BM_OneDnnSgemm/" + args + "/real_time",
           bronze::bench::Metric::kItemsPerSecond});
    }
  }
  for (int threads : {1, 2}) {
    for (const MlpGemm& g : kMlpGemms) {
      const std::string args = std::to_string(g.m) + "/" + std::to_string(g.k) + "/" +
                               std::to_string(g.n) + "/" + std::to_string(g.ta) + "/" +
                               std::to_string(g.tb) + "/" + std::to_string(threads);
      comparisons.push_back({std::string("MLP ") + g.what + ", " + std::to_string(threads) +
                                 (threads == 1 ? " thread" : " threads") + ": FLOP/s / sgemm",
                             "BM_BronzeMatmulT/" + args + "/real_time",
                             "BM_OneDnnSgemmT/" + args + "/real_time",
                             bronze::bench::Metric::kItemsPerSecond});
    }
  }
  return bronze::bench::Main(argc, argv, comparisons);
}
