// Binary elementwise kernels against the memory bound: a 2-thread memcpy of 64 MiB measured in
// the same run. Timed at 2 threads, each as effective bandwidth:
//   - add of two 16M-float tensors of the same shape, and of 4096 x 4096 floats and a broadcast
//     row [4096] or column [4096, 1] (bytes: all inputs and the output);
//   - the 4-op chain y = maximum(((x * a) + b) - c, 0) over x of 4096 x 4096 floats with small
//     broadcast operands (a: a row [4096], b: a column [4096, 1], c and 0: scalars), written as
//     mul, add, sub, maximum, (1) as 4 bound kernels back to back on preallocated buffers
//     (bench::KernelRunner) and (2) through a Session over a graph of those 4 nodes. Bytes are
//     the chain's own inputs plus its final output, so a perfect fused kernel would match
//     memcpy (ratio 1) and 4 unfused memory-bound passes reach about 1/4.
#include <benchmark/benchmark.h>

#include <cstring>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "kernels/parallel.h"

namespace {

using bronze::DType;
using bronze::Tensor;

constexpr int64_t kRows = 4096, kCols = 4096;
constexpr int64_t kFloats = kRows * kCols;  // 16M floats, 64 MiB
constexpr int kThreads = 2;

Tensor Filled(bronze::Dims dims, float start, float step) {
  Tensor t = Tensor::Empty(DType::kF32, std::move(dims));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = start + step * static_cast<float>(i % 1000);
  return t;
}

// The chain's operands: x and its small broadcast operands.
struct ChainInputs {
  Tensor x = Filled({kRows, kCols}, -1.0f, 0.002f);
  Tensor a = Filled({kCols}, 0.5f, 0.001f);
  Tensor b = Filled({kRows, 1}, -0.25f, 0.0005f);
  Tensor c = Tensor::Scalar<float>(0.125f);
  Tensor zero = Tensor::Scalar<float>(0.0f);

  // Bytes the chain must at least move: its inputs and its final output.
  int64_t bytes() const {
    return static_cast<int64_t>(x.nbytes() + a.nbytes() + b.nbytes() + c.nbytes() + zero.nbytes() +
                                x.nbytes());
  }
};

// The bound: a plain 2-thread copy of as many bytes (bench_util.h).
void BM_Memcpy2Threads(benchmark::State& state) { bronze::bench::MemcpyPeer(state, kFloats); }
BENCHMARK(BM_Memcpy2Threads)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_AddSameShape(benchmark::State& state) {
  bronze::bench::KernelRunner k(
      "add", {}, {Filled({kFloats}, 1, 0.5f), Filled({kFloats}, -3, 0.25f)}, kThreads);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK(BM_AddSameShape)->UseRealTime()->Unit(benchmark::kMillisecond);

// [4096, 4096] + [4096] (a row per output row) and + [4096, 1] (a scalar per output row).
void BM_AddBroadcast(benchmark::State& state, bool column) {
  Tensor small = column ? Filled({kRows, 1}, -3, 0.25f) : Filled({kCols}, -3, 0.25f);
  bronze::bench::KernelRunner k("add", {}, {Filled({kRows, kCols}, 1, 0.5f), small}, kThreads);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK_CAPTURE(BM_AddBroadcast, row, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AddBroadcast, column, true)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ChainKernels(benchmark::State& state) {
  using bronze::bench::KernelRunner;
  ChainInputs in;
  KernelRunner mul("mul", {}, {in.x, in.a}, kThreads);
  KernelRunner add("add", {}, {mul.outputs()[0], in.b}, kThreads);
  KernelRunner sub("sub", {}, {add.outputs()[0], in.c}, kThreads);
  KernelRunner relu("maximum", {}, {sub.outputs()[0], in.zero}, kThreads);
  for (auto _ : state) {
    mul.Run();
    add.Run();
    sub.Run();
    relu.Run();
    benchmark::DoNotOptimize(relu.outputs()[0].data<float>());
  }
  state.SetBytesProcessed(state.iterations() * in.bytes());
}
BENCHMARK(BM_ChainKernels)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ChainSession(benchmark::State& state) {
  ChainInputs in;
  bronze::Graph g("chain");
  bronze::GraphBuilder b(g);
  auto x = b.Placeholder("x", DType::kF32, {kRows, kCols});
  auto a = b.Placeholder("a", DType::kF32, {kCols});
  auto bias = b.Placeholder("b", DType::kF32, {kRows, 1});
  auto c = b.Placeholder("c", DType::kF32, {});
  auto zero = b.Placeholder("zero", DType::kF32, {});
  auto y = b.Op1("maximum", {b.Op1("sub", {b.Op1("add", {b.Op1("mul", {x, a}), bias}), c}), zero});
  b.Output("y", y);
  bronze::SessionOptions options;
  options.threads = kThreads;
  bronze::Session session(std::move(g), options);
  const std::vector<Tensor> feeds = {in.x, in.a, in.b, in.c, in.zero};
  for (auto _ : state) {
    std::vector<Tensor> out = session.Run(feeds);
    benchmark::DoNotOptimize(out[0].data<float>());
  }
  state.SetBytesProcessed(state.iterations() * in.bytes());
}
BENCHMARK(BM_ChainSession)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Metric;
  const char* memcpy_peer = "BM_Memcpy2Threads/real_time";
  const Metric rate = Metric::kBytesPerSecond;
  return bronze::bench::Main(argc, argv,
      {
          {"add 16M + 16M floats, 2 threads: bw / memcpy", "BM_AddSameShape/real_time",
              memcpy_peer, rate},
          {"add [4096, 4096] + [4096], 2 threads: bw / memcpy", "BM_AddBroadcast/row/real_time",
              memcpy_peer, rate},
          {"add [4096, 4096] + [4096, 1], 2 threads: bw / memcpy",
              "BM_AddBroadcast/column/real_time", memcpy_peer, rate},
          {"4-op chain, 4 bound kernels, 2 threads: bw / memcpy", "BM_ChainKernels/real_time",
              memcpy_peer, rate},
          {"4-op chain, Session, 2 threads: bw / memcpy", "BM_ChainSession/real_time",
              memcpy_peer, rate},
      });
}
