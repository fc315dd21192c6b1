// softmax and log_softmax over [4096, 4096] and [65536, 256] f32 (64 MiB each way) and
// reduce_sum of 16M f32 at 2 threads, as effective bandwidth (input + output bytes per second)
// against a plain 2-thread memcpy of 64 MiB (the same bytes: read once, written once) measured
// in the same run. Each kernel is bound once with its output preallocated (bench::KernelRunner).
// reduce_sum only reads, so its ratio to memcpy can exceed 1. Then a scaled, masked softmax
// times a factor over [65536, 256], and a scaled softmax of one row of 4M, through a Session
// with and without fuse: fused, each is one fused_reduction node (passes/fuse_reduction.cc).
#include <benchmark/benchmark.h>

#include <cstring>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "graph/text.h"
#include "kernels/parallel.h"

namespace {

constexpr int64_t kFloats = 16 << 20;  // 64 MiB

// Values in [-4, 4): a cheap deterministic pseudo-random fill (no special values).
bronze::Tensor Input(bronze::Dims dims) {
  bronze::Tensor t = bronze::Tensor::Empty(bronze::DType::kF32, std::move(dims));
  float* p = t.data<float>();
  uint32_t s = 12345;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = static_cast<float>(s >> 8) * (8.0f / 16777216.0f) - 4.0f;
  }
  return t;
}

// The bound: a plain 2-thread copy of as many bytes (bench_util.h).
void BM_Memcpy2Threads(benchmark::State& state) { bronze::bench::MemcpyPeer(state, kFloats); }
BENCHMARK(BM_Memcpy2Threads)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Op(benchmark::State& state, const char* op, int64_t rows, int64_t cols) {
  bronze::AttrMap attrs;
  bronze::bench::KernelRunner k(op, attrs, {Input({rows, cols})}, 2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK_CAPTURE(BM_Op, softmax_4096x4096, "softmax", 4096, 4096)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Op, log_softmax_4096x4096, "log_softmax", 4096, 4096)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Op, softmax_65536x256, "softmax", 65536, 256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Op, log_softmax_65536x256, "log_softmax", 65536, 256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_ReduceSum16M(benchmark::State& state) {
  bronze::bench::KernelRunner k("reduce_sum", {}, {Input({kFloats})}, 2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK(BM_ReduceSum16M)->UseRealTime()->Unit(benchmark::kMillisecond);

// softmax(x * 0.125 + mask) * w: 3 elementwise ops and a softmax; fused, one node.
constexpr const char* kMaskedSoftmax = R"(graph "masked_softmax" {
  %x = placeholder() {dtype = f32, shape = (65536, 256)} : f32[65536, 256]
  %mask = placeholder() {dtype = f32, shape = (256,)} : f32[256]
  %w = placeholder() {dtype = f32, shape = (65536, 256)} : f32[65536, 256]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.125]
  %s = mul(%x, %c) : f32[65536, 256]
  %a = add(%s, %mask) : f32[65536, 256]
  %p = softmax(%a) {axis = -1} : f32[65536, 256]
  %y = mul(%p, %w) : f32[65536, 256]
  return y = %y
}
)";

// The same with one row of 4M: fused, the row goes step by step over both threads.
constexpr const char* kLongRow = R"(graph "long_row" {
  %x = placeholder() {dtype = f32, shape = (1, 4194304)} : f32[1, 4194304]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.125]
  %s = mul(%x, %c) : f32[1, 4194304]
  %p = softmax(%s) {axis = -1} : f32[1, 4194304]
  %y = mul(%p, %x) : f32[1, 4194304]
  return y = %y
}
)";

void BM_Graph(benchmark::State& state, const char* text, bool fuse,
              std::vector<bronze::Dims> inputs, int64_t bytes) {
  bronze::SessionOptions o;
  o.threads = 2;
  if (!fuse) o.pipeline = {"shape_infer", "dce"};
  bronze::Session s(bronze::ParseGraph(text), o);
  std::vector<bronze::Tensor> in;
  for (bronze::Dims& d : inputs) in.push_back(Input(d));
  for (auto _ : state) benchmark::DoNotOptimize(s.Run(in));
  state.SetBytesProcessed(state.iterations() * bytes);
}
const std::vector<bronze::Dims> kMaskedInputs = {{65536, 256}, {256}, {65536, 256}};
BENCHMARK_CAPTURE(BM_Graph, masked_fused, kMaskedSoftmax, true, kMaskedInputs, kFloats * 12)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);  // bytes: x, w, y
BENCHMARK_CAPTURE(BM_Graph, masked_unfused, kMaskedSoftmax, false, kMaskedInputs, kFloats * 12)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Graph, long_row_fused, kLongRow, true, {{1, 4194304}}, 4194304 * 8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Graph, long_row_unfused, kLongRow, false, {{1, 4194304}}, 4194304 * 8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Comparison;
  using bronze::bench::Metric;
  const std::string memcpy_name = "BM_Memcpy2Threads/real_time";
  return bronze::bench::Main(
      argc, argv,
      {
          {"softmax [4096, 4096], 2 threads: bandwidth / memcpy",
           "BM_Op/softmax_4096x4096/real_time", memcpy_name, Metric::kBytesPerSecond},
          {"log_softmax [4096, 4096], 2 threads: bandwidth / memcpy",
           "BM_Op/log_softmax_4096x4096/real_time", memcpy_name, Metric::kBytesPerSecond},
          {"softmax [65536, 256], 2 threads: bandwidth / memcpy",
           "BM_Op/softmax_65536x256/real_time", memcpy_name, Metric::kBytesPerSecond},
          {"log_softmax [65536, 256], 2 threads: bandwidth / memcpy",
           "BM_Op/log_softmax_65536x256/real_time", memcpy_name, Metric::kBytesPerSecond},
          {"reduce_sum 16M (read only), 2 threads: bandwidth / memcpy", "BM_ReduceSum16M/real_time",
           memcpy_name, Metric::kBytesPerSecond},
          {"softmax(x * c + mask) * w [65536, 256], 2 threads, Session: fused / unfused time",
           "BM_Graph/masked_fused/real_time", "BM_Graph/masked_unfused/real_time",
           Metric::kTime},
          {"the same, fused: bandwidth (x, w, y) / memcpy", "BM_Graph/masked_fused/real_time",
           memcpy_name, Metric::kBytesPerSecond},
          {"softmax(x * c) * x [1, 4M], 2 threads, Session: fused / unfused time",
           "BM_Graph/long_row_fused/real_time", "BM_Graph/long_row_unfused/real_time",
           Metric::kTime},
      });
}
