// The scheduler: the cost model keeps chains and branches of tiny ops in the plain loop and
// sends independent branches worth more than a task to the task graph; the step DAG has the
// data, in-place and side-effect edges; task-graph runs agree bitwise with the loop, also when
// many threads run one plan at once.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "graph/builder.h"
#include "runtime/scheduler.h"
#include "runtime/session.h"

namespace bronze {
namespace {

Tensor Random(const Dims& dims, std::mt19937_64& rng) {
  std::normal_distribution<float> dist(0.0f, 0.1f);
  Tensor t = Tensor::Empty(DType::kF32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// `branches` independent chains of `depth` matmuls by [n, n] weights from one input, summed.
Graph Branches(int branches, int depth, int64_t n, std::mt19937_64& rng) {
  Graph g("branches");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{n, n});
  Value sum;
  for (int i = 0; i < branches; ++i) {
    Value h = x;
    for (int d = 0; d < depth; ++d) {
      h = b.Op1("tanh", {b.Op1("matmul", {h, b.Parameter("w" + std::to_string(i) + "_" + std::to_string(d), Random({n, n}, rng))})});
    }
    sum = i == 0 ? h : b.Op1("add", {sum, h});
  }
  b.Output("y", sum);
  return g;
}

SessionOptions Threads(int threads, SchedulerMode mode = SchedulerMode::kAuto) {
  SessionOptions o;
  o.threads = threads;
  o.scheduler = mode;
  return o;
}

TEST(Scheduler, ChainsStayInTheLoop) {
  std::mt19937_64 rng(1);
  Session s(Branches(1, 8, 64, rng), Threads(2));
  std::shared_ptr<const Plan> plan = s.PlanForShapes({{64, 64}});
  EXPECT_FALSE(plan->schedule().parallel) << plan->schedule().reason;
  EXPECT_EQ(plan->schedule().max_width, 1);
}

TEST(Scheduler, BranchesOfTinyOpsStayInTheLoop) {
  std::mt19937_64 rng(2);
  Session s(Branches(4, 3, 2, rng), Threads(2));
  std::shared_ptr<const Plan> plan = s.PlanForShapes({{2, 2}});
  EXPECT_FALSE(plan->schedule().parallel) << plan->schedule().reason;
  EXPECT_GE(plan->schedule().max_width, 4);
}

TEST(Scheduler, IndependentBranchesWorthATaskRunAsATaskGraph) {
  std::mt19937_64 rng(3);
  Graph g = Branches(2, 4, 64, rng);
  Session s(g, Threads(2));
  std::shared_ptr<const Plan> plan = s.PlanForShapes({{64, 64}});
  EXPECT_TRUE(plan->schedule().parallel) << plan->schedule().reason;
  // One thread: always the loop.
  Session one(g, Threads(1));
  EXPECT_FALSE(one.PlanForShapes({{64, 64}})->schedule().parallel);
  Session forced(g, Threads(2, SchedulerMode::kSequential));
  EXPECT_FALSE(forced.PlanForShapes({{64, 64}})->schedule().parallel);
}

TEST(Scheduler, TaskGraphResultsEqualTheLoopBitwiseUnderConcurrentRuns) {
  std::mt19937_64 rng(4);
  Graph g = Branches(3, 3, 48, rng);
  Session loop(g, Threads(1));
  Session graph(g, Threads(2, SchedulerMode::kParallel));
  std::vector<Tensor> inputs;
  for (int i = 0; i < 4; ++i) inputs.push_back(Random({48, 48}, rng));
  std::vector<Tensor> want;
  for (const Tensor& x : inputs) want.push_back(loop.Run({x})[0]);
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 5; ++r) {
        Tensor got = graph.Run({inputs[static_cast<size_t>((t + r) % 4)]})[0];
        bad[static_cast<size_t>(t)] += BitwiseEqual(got, want[static_cast<size_t>((t + r) % 4)]) ? 0 : 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[static_cast<size_t>(t)], 0) << "thread " << t;
  EXPECT_TRUE(graph.PlanForShapes({{48, 48}})->schedule().parallel);
}

TEST(Scheduler, StepDagHasDataInPlaceAndSideEffectEdges) {
  // 0: a = f(x); 1: b = g(x); 2: c = h(a, b); 3: state update reading s (slot 9), also read by
  // step 1; 4: another side effect.
  std::vector<ScheduleStep> steps(5);
  steps[0].inputs = {0};
  steps[0].outputs = {1};
  steps[1].inputs = {0, 9};
  steps[1].outputs = {2};
  steps[2].inputs = {1, 2};
  steps[2].outputs = {3};
  steps[3].inputs = {9};
  steps[3].outputs = {4};
  steps[3].aliases = {{0, 0}};
  steps[3].side_effects = true;
  steps[4].inputs = {0};
  steps[4].outputs = {5};
  steps[4].side_effects = true;
  Schedule s = MakeSchedule(steps, 2, SchedulerMode::kParallel);
  ASSERT_TRUE(s.parallel);
  EXPECT_EQ(s.roots, (std::vector<int>{0, 1}));
  EXPECT_TRUE(s.HappensBefore(0, 2));
  EXPECT_TRUE(s.HappensBefore(1, 2));
  EXPECT_FALSE(s.HappensBefore(0, 1));
  EXPECT_FALSE(s.HappensBefore(1, 0));
  EXPECT_TRUE(s.HappensBefore(1, 3)) << "the other reader of the state runs before its update";
  EXPECT_TRUE(s.HappensBefore(3, 4)) << "side effects keep their order";
  EXPECT_FALSE(s.HappensBefore(2, 3));
  Schedule loop = MakeSchedule(steps, 1, SchedulerMode::kAuto);
  EXPECT_FALSE(loop.parallel);
  EXPECT_TRUE(loop.HappensBefore(0, 1));
}

TEST(Scheduler, ParsesModes) {
  EXPECT_EQ(ParseSchedulerMode("parallel"), SchedulerMode::kParallel);
  EXPECT_EQ(std::string(SchedulerModeName(ParseSchedulerMode("sequential"))), "sequential");
  EXPECT_THROW(ParseSchedulerMode("fast"), InvalidArgumentError);
}

}  // namespace
}  // namespace bronze
