// Session::Profile (runtime/profile.h): one entry per plan step in plan order with the node, op,
// fused ops, shapes and cost estimate of that step; the table (from a report with known times,
// so no test depends on how fast a kernel is) lists the slowest first, folds the rest and gives
// shares and rates; the JSON carries every step; profiling leaves the session's results
// unchanged; bad run counts are errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/builder.h"
#include "runtime/profile.h"
#include "runtime/session.h"

namespace bronze {
namespace {

bool Has(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

// x (N, 256) @ w (256, 256), then mul, add, relu (fused into one node by the default pipeline),
// then a tiny reduce_sum over 256 columns.
Graph MatmulChain() {
  Graph g("chain");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 256});
  Tensor w = Tensor::Empty(DType::kF32, {256, 256});
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = static_cast<float>(i % 7) * 0.01f;
  Value mm = b.Op1("matmul", {x, b.Parameter("w", w)}, {}, "mm");
  Value h = b.Op1("mul", {mm, mm}, {}, "sq");
  h = b.Op1("add", {h, x}, {}, "res");
  h = b.Op1("relu", {h}, {}, "act");
  b.Output("y", b.Op1("reduce_sum", {h}, {{"axes", std::vector<int64_t>{0}}}, "total"));
  return g;
}

Tensor Input(int64_t rows) {
  Tensor x = Tensor::Empty(DType::kF32, {rows, 256});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
  return x;
}

TEST(Profile, OneEntryPerPlanStepInPlanOrder) {
  SessionOptions o;
  o.threads = 1;
  Session session(MatmulChain(), o);
  std::vector<Tensor> in{Input(64)};
  ProfileReport p = session.Profile(in, 5, 1);
  std::shared_ptr<const Plan> plan = session.PlanFor(in);
  ASSERT_EQ(p.steps.size(), plan->steps().size());
  EXPECT_EQ(p.runs, 5);
  EXPECT_EQ(p.threads, 1);
  bool saw_fused = false;
  for (size_t s = 0; s < p.steps.size(); ++s) {
    const PlanStep& step = plan->steps()[s];
    const Node& node = plan->graph().node(step.node);
    const StepProfile& sp = p.steps[s];
    EXPECT_EQ(sp.node, node.name);
    EXPECT_EQ(sp.op, node.op->name);
    EXPECT_EQ(sp.flops, step.flops);
    EXPECT_EQ(sp.bytes, step.bytes);
    EXPECT_EQ(sp.shape, plan->slot_type(step.outputs.front()).shape.ToString());
    EXPECT_GT(sp.min_seconds, 0) << sp.node;
    EXPECT_LE(sp.min_seconds, sp.median_seconds) << sp.node;
    if (sp.op == "fused_elementwise") {
      saw_fused = true;
      EXPECT_EQ(sp.detail, "mul, add, relu") << sp.node;
    } else {
      EXPECT_EQ(sp.detail, "") << sp.node;
    }
  }
  EXPECT_TRUE(saw_fused) << "the default pipeline fuses mul, add and relu";
  EXPECT_GT(p.run_min_seconds, 0);
  EXPECT_LE(p.run_min_seconds, p.run_median_seconds);
}

TEST(Profile, MatmulStepCarriesItsCostEstimate) {
  SessionOptions o;
  o.threads = 1;
  Session session(MatmulChain(), o);
  ProfileReport p = session.Profile({Input(512)}, 3, 1);
  const StepProfile* mm = nullptr;
  for (const StepProfile& s : p.steps) {
    if (s.op == "matmul") mm = &s;
  }
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->flops, 2.0 * 512 * 256 * 256);
  EXPECT_EQ(mm->shape, "(512, 256)");
  EXPECT_TRUE(Has(p.ToString(), "fuses: mul, add, relu")) << p.ToString();
}

// The table from a report with known times (no clock involved): slowest first, the rest
// folded, shares and rates from the cost estimates, "-" for a step under a microsecond.
TEST(Profile, TableListsTheSlowestFirstAndFoldsTheRest) {
  ProfileReport p;
  p.runs = 4;
  p.threads = 2;
  p.run_min_seconds = 3.5e-3;
  p.run_median_seconds = 4e-3;
  auto step = [](std::string node, std::string op, double median, double flops, double bytes) {
    StepProfile s;
    s.node = std::move(node);
    s.op = std::move(op);
    s.shape = "(8, 8)";
    s.flops = flops;
    s.bytes = bytes;
    s.median_seconds = median;
    s.min_seconds = median / 2;
    return s;
  };
  p.steps = {step("small", "add", 0.5e-3, 0, 4e6), step("big", "matmul", 3e-3, 6e9, 3e6),
             step("view", "flatten", 1e-7, 0, 1e6)};
  p.steps[0].detail = "mul, add";
  EXPECT_DOUBLE_EQ(p.step_seconds(), 3.5001e-3);
  const std::string all = p.ToString();
  EXPECT_LT(all.find("big"), all.find("small")) << all;
  EXPECT_LT(all.find("small"), all.find("view")) << all;
  EXPECT_TRUE(Has(all, "profile: 4 runs, 2 threads")) << all;
  EXPECT_TRUE(Has(all, "2000.0")) << "6 GFLOP in 3 ms:\n" << all;
  EXPECT_TRUE(Has(all, "85.7%")) << "3 of 3.5 ms:\n" << all;
  EXPECT_TRUE(Has(all, "fuses: mul, add")) << all;
  EXPECT_TRUE(Has(all, "whole runs: min 3.500 ms, median 4.000 ms")) << all;
  const std::string top = p.ToString(1);
  EXPECT_TRUE(Has(top, "big")) << top;
  EXPECT_FALSE(Has(top, "small")) << top;
  EXPECT_TRUE(Has(top, "... 2 more steps: 500.1 us (14.3%)")) << top;
  // flatten's 1 MB in 100 ns would be 10000 GB/s: under a microsecond there is no rate.
  const size_t view = all.find("view");
  EXPECT_EQ(all.find("10000", view), std::string::npos) << all;
}

TEST(Profile, JsonCarriesEveryStep) {
  Session session(MatmulChain());
  ProfileReport p = session.Profile(NamedTensors{{"x", Input(8)}}, 2, 0);
  const std::string json = p.ToJson();
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_TRUE(Has(json, "\"runs\": 2")) << json;
  for (const StepProfile& s : p.steps) {
    EXPECT_TRUE(Has(json, "\"node\": " + JsonQuote(s.node))) << json;
  }
  EXPECT_EQ(JsonQuote("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
}

TEST(Profile, LeavesResultsUnchangedAndRejectsBadCounts) {
  Session session(MatmulChain());
  std::vector<Tensor> in{Input(16)};
  const Tensor before = session.Run(in).front().Clone();
  session.Profile(in, 3, 2);
  const Tensor after = session.Run(in).front();
  ASSERT_EQ(before.numel(), after.numel());
  for (int64_t i = 0; i < before.numel(); ++i) {
    EXPECT_EQ(before.data<float>()[i], after.data<float>()[i]) << i;
  }
  EXPECT_THROW(session.Profile(in, 0, 0), InvalidArgumentError);
  EXPECT_THROW(session.Profile(in, 1, -1), InvalidArgumentError);
  EXPECT_THROW(session.Profile(NamedTensors{}, 1, 0), NotFoundError);
}

TEST(Profile, MedianOfOddAndEvenCounts) {
  std::vector<double> odd{3, 1, 2}, even{4, 1, 3, 2}, none;
  EXPECT_EQ(Median(odd), 2);
  EXPECT_EQ(Median(even), 2.5);
  EXPECT_EQ(Median(none), 0);
}

}  // namespace
}  // namespace bronze
