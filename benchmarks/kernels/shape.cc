// Bandwidth of the fast CPU shape kernels (kernels/cpu/shape*.cc) against a plain 2-thread memcpy
// of 64 MiB measured in the same run: each kernel moves about 64 MiB in and 64 MiB out (f32, 2
// threads, bound once with preallocated outputs through bench::KernelRunner), so a ratio near 1
// means the kernel runs at copy speed. reshape is the contiguous path, transpose the blocked
// tiles, slice with step -1 the strided loop, expand the broadcast fill.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "kernels/parallel.h"

namespace {

using bronze::AttrMap;
using bronze::DType;
using bronze::Tensor;

constexpr int64_t kFloats = 16 << 20;  // 64 MiB

// The bound: a plain 2-thread copy of as many bytes (bench_util.h).
void BM_Memcpy2Threads(benchmark::State& state) { bronze::bench::MemcpyPeer(state, kFloats); }
BENCHMARK(BM_Memcpy2Threads)->UseRealTime()->Unit(benchmark::kMillisecond);

void Run(benchmark::State& state, const char* op, AttrMap attrs, std::vector<Tensor> inputs) {
  bronze::bench::KernelRunner k(op, std::move(attrs), std::move(inputs), 2);
  for (auto _ : state) k.Run();
  state.SetBytesProcessed(state.iterations() * k.bytes());
}

Tensor F32(bronze::Dims dims) { return Tensor::Zeros(DType::kF32, std::move(dims)); }
bronze::Attribute Ints(std::vector<int64_t> v) { return bronze::Attribute(std::move(v)); }

void BM_Reshape(benchmark::State& s) {
  Run(s, "reshape", {{"shape", bronze::Shape{-1}}}, {F32({4096, 4096})});
}
void BM_Transpose2D(benchmark::State& s) { Run(s, "transpose", {}, {F32({4096, 4096})}); }
void BM_TransposeNchwToNhwc(benchmark::State& s) {
  Run(s, "transpose", {{"perm", Ints({0, 2, 3, 1})}}, {F32({16, 64, 128, 128})});
}
void BM_Concat(benchmark::State& s) {
  Run(s, "concat", {{"axis", 1}}, {F32({4096, 2048}), F32({4096, 2048})});
}
void BM_SliceReversed(benchmark::State& s) {
  Run(s, "slice", {{"starts", Ints({-1})}, {"stops", Ints({std::numeric_limits<int64_t>::min()})},
                   {"axes", Ints({1})}, {"steps", Ints({-1})}},
      {F32({4096, 4096})});
}
void BM_Expand(benchmark::State& s) {
  Run(s, "expand", {{"shape", bronze::Shape{4096, 4096}}}, {F32({4096, 1})});
}
void BM_PadReflect(benchmark::State& s) {
  Run(s, "pad", {{"pads", Ints({1, 1, 1, 1})}, {"mode", "reflect"}}, {F32({16, 64, 126, 126})});
}
// Every row of the weight read once, in a shuffled order: the bytes counted are all moved.
void BM_Embedding(benchmark::State& s) {
  std::vector<int64_t> order(65536);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  Run(s, "embedding", {}, {F32({65536, 256}), Tensor::FromVector<int64_t>({65536}, order)});
}
BENCHMARK(BM_Reshape)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Transpose2D)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TransposeNchwToNhwc)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Concat)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SliceReversed)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Expand)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PadReflect)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Embedding)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Metric;
  const char* peer = "BM_Memcpy2Threads/real_time";
  return bronze::bench::Main(
      argc, argv,
      {
          {"reshape 64 MiB: bandwidth / memcpy", "BM_Reshape/real_time", peer,
           Metric::kBytesPerSecond},
          {"transpose 4096^2: bandwidth / memcpy", "BM_Transpose2D/real_time", peer,
           Metric::kBytesPerSecond},
          {"transpose NCHW->NHWC: bandwidth / memcpy", "BM_TransposeNchwToNhwc/real_time", peer,
           Metric::kBytesPerSecond},
          {"concat axis 1: bandwidth / memcpy", "BM_Concat/real_time", peer,
           Metric::kBytesPerSecond},
          {"slice step -1: bandwidth / memcpy", "BM_SliceReversed/real_time", peer,
           Metric::kBytesPerSecond},
          {"expand (4096,1): bandwidth / memcpy", "BM_Expand/real_time", peer,
           Metric::kBytesPerSecond},
          {"pad reflect: bandwidth / memcpy", "BM_PadReflect/real_time", peer,
           Metric::kBytesPerSecond},
          {"embedding, shuffled 1 KiB rows: bandwidth / memcpy", "BM_Embedding/real_time", peer,
           Metric::kBytesPerSecond},
      });
}
