// W1: a chain of 8 elementwise ops over 16M floats, fused by the `fuse` pass into one
// fused_elementwise node, against a plain copy of the same 16M floats (2 threads). Effective
// bandwidth = input + output bytes / time. Three ways to run the chain: through a Session with
// fusion (the workload; each result is dropped, so the session reuses its 64 MiB output buffer
// instead of allocating and faulting in a fresh one), the fused kernel alone with a preallocated
// output (the executor's own bandwidth), and a Session with fusion switched off (8 passes over
// memory).
#include <benchmark/benchmark.h>

#include <cstring>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "graph/text.h"
#include "kernels/parallel.h"

namespace {

constexpr int64_t kFloats = 16 << 20;  // 64 MiB

constexpr const char* kChain = R"(graph "w1" {
  %x = placeholder() {dtype = f32, shape = (16777216,)} : f32[16777216]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.75]
  %a = mul(%x, %c) : f32[16777216]
  %b = add(%a, %c) : f32[16777216]
  %r = relu(%b) : f32[16777216]
  %d = sub(%r, %x) : f32[16777216]
  %e = abs(%d) : f32[16777216]
  %f = neg(%e) : f32[16777216]
  %g = maximum(%f, %x) : f32[16777216]
  %h = mul(%g, %c) : f32[16777216]
  return y = %h
}
)";

constexpr const char* kProgram =
    "t0 = mul(in0, in1); t1 = add(t0, in1); t2 = relu(t1); t3 = sub(t2, in0); t4 = abs(t3); "
    "t5 = neg(t4); t6 = maximum(t5, in0); t7 = mul(t6, in1); return t7";

// The bound: a plain 2-thread copy of as many bytes (bench_util.h).
void BM_Memcpy2Threads(benchmark::State& state) { bronze::bench::MemcpyPeer(state, kFloats); }
BENCHMARK(BM_Memcpy2Threads)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ChainSession(benchmark::State& state, bool fuse) {
  bronze::SessionOptions o;
  o.threads = 2;
  if (!fuse) o.pipeline = {"shape_infer", "dce"};
  bronze::Session s(bronze::ParseGraph(kChain), o);
  std::vector<bronze::Tensor> in = {bronze::Tensor::Zeros(bronze::DType::kF32, {kFloats})};
  for (auto _ : state) benchmark::DoNotOptimize(s.Run(in));
  state.SetBytesProcessed(state.iterations() * kFloats * 8);  // input + output
}
BENCHMARK_CAPTURE(BM_ChainSession, fused, true)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ChainSession, unfused, false)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FusedKernel(benchmark::State& state) {
  bronze::bench::KernelRunner k("fused_elementwise", {{"program", kProgram}},
                                {bronze::Tensor::Zeros(bronze::DType::kF32, {kFloats}),
                                 bronze::Tensor::Scalar<float>(0.75f)},
                                2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}
BENCHMARK(BM_FusedKernel)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Metric;
  return bronze::bench::Main(
      argc, argv,
      {
          {"W1 chain of 8 ops, 16M f32, Session with fuse: bandwidth / memcpy",
           "BM_ChainSession/fused/real_time", "BM_Memcpy2Threads/real_time",
           Metric::kBytesPerSecond},
          {"W1 fused kernel alone (output preallocated): bandwidth / memcpy",
           "BM_FusedKernel/real_time", "BM_Memcpy2Threads/real_time", Metric::kBytesPerSecond},
          {"W1 Session without fuse: bandwidth / memcpy", "BM_ChainSession/unfused/real_time",
           "BM_Memcpy2Threads/real_time", Metric::kBytesPerSecond},
      });
}
