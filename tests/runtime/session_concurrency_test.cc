// One Session shared by many threads: concurrent Run calls with different batch sizes give the
// single-threaded results and compile each shape once. Plan liveness: every intermediate slot
// is released exactly once, after its last reader, and graph outputs and sources never are.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "graph/builder.h"
#include "runtime/session.h"

namespace bronze {
namespace {

// hidden = relu(x @ w + bias), total = per-row sum of hidden; x is (N, 3).
Graph MlpGraph() {
  Graph g("mlp");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  Value w =
      b.Parameter("w", Tensor::FromVector<float>({3, 4}, {0.5f, -1.0f, 0.25f, 1.0f, -0.5f, 2.0f,
                                                          0.75f, 0.0f, 1.5f, 0.5f, -1.0f, 0.5f}));
  Value bias = b.Parameter("bias", Tensor::FromVector<float>({4}, {0.1f, -0.2f, 0.0f, 0.3f}));
  Value h = b.Op1("relu", {b.Op1("add", {b.Op1("matmul", {x, w}), bias})}, {}, "hidden");
  b.Output("hidden", h);
  b.Output("total", b.Op1("reduce_sum", {h}, {{"axes", std::vector<int64_t>{1}}}, "total"));
  return g;
}

Tensor BatchInput(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n * 3));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(static_cast<int64_t>(i * 7 % 11) - 5 + n) * 0.37f;
  return Tensor::FromVector<float>({n, 3}, v);
}

TEST(SessionConcurrency, ConcurrentRunsMatchSingleThreadedResultsAndCompileEachShapeOnce) {
  constexpr int kThreads = 8, kRuns = 50, kBatchSizes = 5;
  std::map<int64_t, std::vector<Tensor>> expected;
  {
    Session single(MlpGraph());
    for (int64_t n = 1; n <= kBatchSizes; ++n) expected[n] = single.Run({BatchInput(n)});
  }
  Session shared(MlpGraph());
  std::atomic<int> mismatches{0}, errors{0}, runs{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kRuns; ++i) {
        const int64_t n = 1 + (t * 3 + i) % kBatchSizes;
        try {
          std::vector<Tensor> out = shared.Run({BatchInput(n)});
          const std::vector<Tensor>& want = expected.at(n);
          if (out.size() != want.size() || !BitwiseEqual(out[0], want[0]) ||
              !BitwiseEqual(out[1], want[1])) {
            ++mismatches;
          }
        } catch (...) {
          ++errors;
        }
        ++runs;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(runs.load(), kThreads * kRuns);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(shared.num_cached_plans(), static_cast<size_t>(kBatchSizes));
  EXPECT_EQ(shared.num_compiles(), kBatchSizes) << "each distinct shape compiles exactly once";
}

TEST(SessionConcurrency, ConcurrentPlanForReturnsOnePlanPerShape) {
  Session shared(MlpGraph());
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const Plan>> plans(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      plans[static_cast<size_t>(t)] = shared.PlanFor({BatchInput(4)});
    });
  }
  for (std::thread& th : threads) th.join();
  for (const auto& p : plans) EXPECT_EQ(p.get(), plans[0].get());
  EXPECT_EQ(shared.num_compiles(), 1);
}

// ---- liveness --------------------------------------------------------------------------------

int SlotOf(const Plan& plan, const std::string& node) {
  NodeId id = plan.graph().FindNode(node);
  EXPECT_NE(id, kNoNode) << node;
  return plan.slot_of({id, 0});
}

// step index per node name, and how often each slot is released (with the releasing step).
struct Liveness {
  std::map<std::string, int> step_of;
  std::map<int, std::vector<int>> released_at;  // slot -> steps that release it
};

Liveness Analyze(const Plan& plan) {
  Liveness l;
  std::set<int> dead;
  for (size_t s = 0; s < plan.steps().size(); ++s) {
    const PlanStep& step = plan.steps()[s];
    l.step_of[plan.graph().node(step.node).name] = static_cast<int>(s);
    for (int in : step.inputs)
      EXPECT_FALSE(dead.count(in)) << "step " << s << " reads released slot " << in;
    for (int r : step.release) {
      l.released_at[r].push_back(static_cast<int>(s));
      dead.insert(r);
    }
  }
  return l;
}

// x -> a = x + p -> b = relu(a) [output] -> c = exp(b) -> d = c * a -> t = transpose(d)
//   -> s = reduce_sum(t, axes=[1]) [output]
Graph ChainGraph() {
  Graph g("chain");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 4});
  Value p = b.Parameter("p", Tensor::FromVector<float>({4}, {1, 2, 3, 4}));
  Value a = b.Op1("add", {x, p}, {}, "a");
  Value bb = b.Op1("relu", {a}, {}, "b");
  Value c = b.Op1("exp", {bb}, {}, "c");
  Value d = b.Op1("mul", {c, a}, {}, "d");
  Value t = b.Op1("transpose", {d}, {}, "t");
  Value s = b.Op1("reduce_sum", {t}, {{"axes", std::vector<int64_t>{1}}}, "s");
  b.Output("b", bb);
  b.Output("s", s);
  return g;
}

TEST(PlanLiveness, IntermediatesAreReleasedOnceAfterTheirLastReader) {
  SessionOptions options;
  options.pipeline = {"shape_infer", "dce"};  // without fuse, which would merge c into d
  Session session(ChainGraph(), options);
  for (int64_t n : {3, 5}) {
    std::shared_ptr<const Plan> plan = session.PlanFor({Tensor::Zeros(DType::kF32, {n, 4})});
    ASSERT_EQ(plan->steps().size(), 6u);
    Liveness l = Analyze(*plan);
    // Intermediates: released exactly once, at the step of their last reader.
    const std::map<std::string, std::string> last_reader = {
        {"a", "d"}, {"c", "d"}, {"d", "t"}, {"t", "s"}};
    for (const auto& [value, reader] : last_reader) {
      const int slot = SlotOf(*plan, value);
      ASSERT_EQ(l.released_at[slot].size(), 1u)
          << value << " released " << l.released_at[slot].size() << " times";
      EXPECT_EQ(l.released_at[slot][0], l.step_of.at(reader))
          << value << " must die after " << reader;
    }
    // Graph outputs and source values are never released.
    for (const char* keep : {"b", "s", "x", "p"}) {
      EXPECT_EQ(l.released_at.count(SlotOf(*plan, keep)), 0u) << keep << " was released";
    }
    size_t total_releases = 0;
    for (const auto& [slot, steps] : l.released_at) total_releases += steps.size();
    EXPECT_EQ(total_releases, last_reader.size());
    // a, c, d and t are each N x 4 floats; b and s are outputs, x and p are not the plan's.
    EXPECT_EQ(plan->intermediate_bytes(), static_cast<size_t>(4 * n * 4) * sizeof(float))
        << "N = " << n;
  }
}

TEST(PlanLiveness, AnOutputNobodyReadsDiesAtTheStepThatMadeIt) {
  Graph g("dead_end");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, {2, 3});
  b.Op1("exp", {x}, {}, "unread");  // neither read nor a graph output
  b.Output("y", b.Op1("reduce_sum", {x}, {{"axes", std::vector<int64_t>{0}}}, "y"));
  SessionOptions options;
  options.pipeline = {"shape_infer"};  // no dce, so "unread" reaches the plan
  Session session(std::move(g), options);
  std::shared_ptr<const Plan> plan = session.PlanFor({Tensor::Zeros(DType::kF64, {2, 3})});
  Liveness l = Analyze(*plan);
  const int slot = SlotOf(*plan, "unread");
  ASSERT_EQ(l.released_at[slot].size(), 1u);
  EXPECT_EQ(l.released_at[slot][0], l.step_of.at("unread"));
  EXPECT_EQ(l.released_at.count(SlotOf(*plan, "y")), 0u);
  EXPECT_EQ(plan->intermediate_bytes(), 6 * sizeof(double));
  // Running it still works and yields only the output.
  std::vector<Tensor> out = session.Run({Tensor::FromVector<double>({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(BitwiseEqual(out[0], Tensor::FromVector<double>({3}, {5, 7, 9})));
}

}  // namespace
}  // namespace bronze
