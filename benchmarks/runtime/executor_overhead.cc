// W6, executor overhead: a chain of 100 tiny ops (add of a 16- or 1-element parameter, then
// relu, 50 times) run by Session::Run, reported as time per node (the "node" counter, seconds
// per node; goal <= 0.1 us). The peer is the floor: the same plan's 100 bound kernels called
// directly in a loop on preallocated tensors, so the ratio is what the session adds (input
// checks, plan lookup, arena and bindings, output allocation, the task_arena entry).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"
#include "runtime/session.h"

namespace bronze::bench {
namespace {

constexpr int kNodes = 100;

Graph Chain(int64_t n) {
  Graph g("chain");
  GraphBuilder b(g);
  Value h = b.Placeholder("x", DType::kF32, Shape{n});
  std::vector<float> values(static_cast<size_t>(n), 0.25f);
  Value c = b.Parameter("c", Tensor::FromVector<float>({n}, values));
  for (int i = 0; i < kNodes / 2; ++i) h = b.Op1("relu", {b.Op1("add", {h, c})});
  b.Output("y", h);
  return g;
}

SessionOptions Options(int threads) {
  SessionOptions o;
  o.threads = threads;
  o.pipeline = {"shape_infer", "dce"};  // no fusion: the 100 nodes run as 100 steps
  return o;
}

void SetCounters(benchmark::State& state) {
  state.counters["node"] = benchmark::Counter(kNodes, benchmark::Counter::kIsIterationInvariantRate |
                                                           benchmark::Counter::kInvert);
}

void BM_SessionChain(benchmark::State& state) {
  const int64_t n = state.range(0);
  Session session(Chain(n), Options(static_cast<int>(state.range(1))));
  std::vector<Tensor> inputs{Tensor::Zeros(DType::kF32, {n})};
  if (session.PlanFor(inputs)->steps().size() != kNodes) state.SkipWithError("the chain was simplified");
  for (auto _ : state) benchmark::DoNotOptimize(session.Run(inputs));
  SetCounters(state);
}

// The floor: the plan's kernels, bound once, called in order on preallocated tensors.
void BM_BareKernels(benchmark::State& state) {
  const int64_t n = state.range(0);
  Session session(Chain(n), Options(static_cast<int>(state.range(1))));
  std::shared_ptr<const Plan> plan = session.PlanFor({Tensor::Zeros(DType::kF32, {n})});
  Tensor a = Tensor::Zeros(DType::kF32, {n}), b = Tensor::Zeros(DType::kF32, {n});
  Tensor c = session.parameter("c");
  std::vector<std::vector<Tensor>> args;
  for (const PlanStep& step : plan->steps()) {
    args.push_back(step.inputs.size() == 2 ? std::vector<Tensor>{a, c, b} : std::vector<Tensor>{b, a});
  }
  ExecContext ctx{static_cast<int>(state.range(1))};
  for (auto _ : state) {
    for (size_t s = 0; s < args.size(); ++s) {
      std::vector<Tensor>& t = args[s];
      const size_t ni = t.size() - 1;
      plan->steps()[s].kernel->Run(std::span<const Tensor>(t.data(), ni), std::span<Tensor>(t.data() + ni, 1), ctx);
    }
    benchmark::ClobberMemory();
  }
  SetCounters(state);
}

BENCHMARK(BM_SessionChain)->Args({16, 1})->Args({1, 1})->Args({16, 2});
BENCHMARK(BM_BareKernels)->Args({16, 1})->Args({1, 1})->Args({16, 2});

}  // namespace
}  // namespace bronze::bench

int main(int argc, char** argv) {
  using bronze::bench::Comparison;
  std::vector<Comparison> comparisons{
      {"W6 chain of 100 tiny ops, 16 elements, 1 thread: session / bare kernels",
       "BM_SessionChain/16/1", "BM_BareKernels/16/1"},
      {"W6 chain of 100 tiny ops, 1 element, 1 thread: session / bare kernels",
       "BM_SessionChain/1/1", "BM_BareKernels/1/1"},
      {"W6 chain of 100 tiny ops, 16 elements, 2 threads: session / bare kernels",
       "BM_SessionChain/16/2", "BM_BareKernels/16/2"},
  };
  return bronze::bench::Main(argc, argv, comparisons);
}
