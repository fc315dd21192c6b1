// Session::Profile (runtime/profile.h): one entry per plan step in plan order with the node, op,
// fused ops, shapes and cost estimate of that step; a big matmul outranks a tiny add; the table
// lists the slowest first and folds the rest; the JSON carries every step; profiling leaves the
// session's results unchanged; bad run counts are errors.
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

TEST(Profile, ABigMatmulOutranksATinyReduction) {
  SessionOptions o;
  o.threads = 1;
  Session session(MatmulChain(), o);
  ProfileReport p = session.Profile({Input(512)}, 7, 1);
  const StepProfile* mm = nullptr;
  const StepProfile* total = nullptr;
  for (const StepProfile& s : p.steps) {
    if (s.op == "matmul") mm = &s;
    if (s.op == "reduce_sum") total = &s;
  }
  ASSERT_TRUE(mm && total);
  EXPECT_EQ(mm->flops, 2.0 * 512 * 256 * 256);
  // 67 MFLOP against summing 128K floats: well over 4x apart on any machine.
  EXPECT_GT(mm->median_seconds, 4 * total->median_seconds);
  const std::string table = p.ToString(1);
  EXPECT_TRUE(Has(table, "matmul")) << table;
  EXPECT_FALSE(Has(table, "reduce_sum")) << "only the slowest step is listed:\n" << table;
  EXPECT_TRUE(Has(table, "... " + std::to_string(p.steps.size() - 1) + " more steps")) << table;
  const std::string all = p.ToString();
  EXPECT_LT(all.find("matmul"), all.find("reduce_sum")) << "slowest first:\n" << all;
  EXPECT_TRUE(Has(all, "fuses: mul, add, relu")) << all;
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
