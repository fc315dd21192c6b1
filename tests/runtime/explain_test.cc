// Compile explanations: the pipeline, every pass remark, fused groups and the plan's schedule
// and arena appear in Explain's text; Session::Explain reports the same arena as the plan, and
// the session keeps the pipeline's remarks while still filling the caller's vector.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/builder.h"
#include "runtime/explain.h"
#include "runtime/session.h"

namespace bronze {
namespace {

bool Has(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

Graph Small() {
  Graph g("small");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 16});
  Value h = b.Op1("relu", {b.Op1("exp", {x})});
  b.Output("y", b.Op1("reduce_sum", {h}, {{"axes", std::vector<int64_t>{1}}}));
  return g;
}

TEST(Explain, ListsPipelineRemarksAndThePlansArena) {
  std::vector<std::string> pipeline{"verify", "fuse"};
  std::vector<PassRemark> remarks{{"fuse", "fused add+relu into fused_0"},
                                  {"fuse", "matmul_3 not fused: output has 2 readers"}};
  SessionOptions unfused;  // the graph keeps its unfused nodes: "fused groups (0)"
  unfused.pipeline = {"shape_infer", "dce"};
  Session session(Small(), unfused);
  std::shared_ptr<const Plan> plan = session.PlanForShapes({{8, 16}});
  ExplainInput in;
  in.pipeline = &pipeline;
  in.remarks = &remarks;
  in.graph = &session.graph();
  in.plan = plan.get();
  std::string text = Explain(in);
  EXPECT_TRUE(Has(text, "pipeline: verify, fuse")) << text;
  EXPECT_TRUE(Has(text, "remarks (2)")) << text;
  EXPECT_TRUE(Has(text, "[fuse] matmul_3 not fused: output has 2 readers")) << text;
  EXPECT_TRUE(Has(text, "fused groups (0)")) << text;
  EXPECT_TRUE(Has(text, "x: f32[8, 16]")) << text;
  EXPECT_TRUE(Has(text, "arena " + FormatBytes(plan->arena_bytes()))) << text;
  EXPECT_TRUE(Has(text, "scheduler: loop")) << text;
}

TEST(Explain, SessionExplainUsesItsPipelineAndPlans) {
  Session session(Small());
  std::string text = session.Explain({{4, 16}});
  EXPECT_TRUE(Has(text, "pipeline: " + session.options().pipeline.front())) << text;
  EXPECT_TRUE(Has(text, "arena " + FormatBytes(session.PlanForShapes({{4, 16}})->arena_bytes()))) << text;
  EXPECT_EQ(session.num_compiles(), 1) << "the explained plan is the cached one";
  std::string no_plan = session.Explain();
  EXPECT_FALSE(Has(no_plan, "plan for")) << no_plan;
  // Bad shapes fail like Run does.
  EXPECT_THROW(session.Explain({{4, 15}}), ShapeError);
}

TEST(Explain, SessionKeepsRemarksAndFillsTheCallersVector) {
  std::vector<PassRemark> mine{{"earlier", "kept"}};
  SessionOptions o;
  o.pass_options.remarks = &mine;
  Session session(Small(), o);
  ASSERT_EQ(mine.size(), 1 + session.remarks().size());
  for (size_t i = 0; i < session.remarks().size(); ++i) EXPECT_EQ(mine[i + 1].text, session.remarks()[i].text);
}

TEST(Explain, FusedOpNames) {
  EXPECT_TRUE(IsFusedOpName("fused_elementwise"));
  EXPECT_TRUE(IsFusedOpName("matmul_fused"));
  EXPECT_FALSE(IsFusedOpName("fused"));
  EXPECT_FALSE(IsFusedOpName("matmul"));
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(4096), "4.0 KiB");
}

}  // namespace
}  // namespace bronze
