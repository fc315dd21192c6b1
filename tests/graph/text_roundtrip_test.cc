// Text IR round trips of hand-written samples (sources with symbolic dims, constants, locations
// with quotes), and the registry test: every op has a shape function, a validation, a cost and a
// stable unique id. Every op's round trip over its conformance cases is in tests/ops/.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "test_util.h"

namespace bronze {
namespace {

using Sample = std::function<void(GraphBuilder&, Value x)>;

// One sample use per op, over x: f32[N, 3, 4]. Sources are built by the fixture around them.
const std::map<std::string, Sample>& Samples() {
  static const auto* samples = new std::map<std::string, Sample>{
      {"placeholder", [](GraphBuilder& b, Value) { b.Placeholder("p2", DType::kI64, {Dim::Symbol("T"), 2}); }},
      {"parameter", [](GraphBuilder& b, Value) { b.Parameter("w", Tensor::FromVector<float>({2}, {0.1f, -3.5e-8f})); }},
      {"constant", [](GraphBuilder& b, Value) { b.Constant(Tensor::FromVector<int32_t>({3}, {1, -2, 3}), "k"); }},
      {"add", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("add", {x, x})); }},
      {"sub", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("sub", {x, b.Constant(Tensor::Scalar(2.0f))})); }},
      {"mul", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("mul", {x, x})); }},
      {"div", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("div", {x, x})); }},
      {"relu", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("relu", {x})); }},
      {"exp", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("exp", {x})); }},
      {"matmul", [](GraphBuilder& b, Value x) {
         b.Output("o", b.Op1("matmul", {x, b.Parameter("m", Tensor::Zeros(DType::kF32, {4, 2}))}));
       }},
      {"reduce_sum", [](GraphBuilder& b, Value x) {
         b.Output("o", b.Op1("reduce_sum", {x}, {{"axes", std::vector<int64_t>{0, -1}}, {"keepdims", 1}}));
       }},
      {"reshape", [](GraphBuilder& b, Value x) { b.Output("o", b.Op1("reshape", {x}, {{"shape", Shape{-1, 12}}})); }},
      {"transpose", [](GraphBuilder& b, Value x) {
         b.Output("o", b.Op1("transpose", {x}, {{"perm", std::vector<int64_t>{2, 0, 1}}}));
       }},
  };
  return *samples;
}

TEST(TextForm, SamplesRoundTrip) {
  for (const auto& [name, sample] : Samples()) {
    const OpSchema* op = &OpRegistry::Global().Get(name);
    SCOPED_TRACE("op " + op->name);
    Graph g("roundtrip_" + op->name);
    GraphBuilder b(g);
    b.SetLocation("sample.py:1 \"quoted\" \\ path");
    Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3, 4});
    sample(b, x);
    Verify(g);
    std::string text = PrintGraph(g);
    Graph back = ParseGraph(text);
    std::string why;
    EXPECT_TRUE(StructurallyEqual(g, back, &why)) << why << "\n" << text;
    EXPECT_NO_THROW(Verify(back)) << text;
    EXPECT_EQ(PrintGraph(back), text);
  }
}

TEST(TextForm, MultiOpGraphRoundTripsWithOutputsAndComments) {
  const char* text = R"(// a comment
graph "mlp" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3] @"mlp.py:3"
  %w = parameter() {dtype = f32, shape = (3, 2)} : f32[3, 2] data [0.5, -1, 0.25, 1, 1e-30, inf]
  %h = matmul(%x, %w) : f32[N, 2]
  %y = relu(%h) : f32[N, 2]  // trailing comment
  return logits = %h, "probs out" = %y
}
)";
  Graph g = ParseGraph(text);
  Verify(g);
  EXPECT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.outputs()[1].name, "probs out");
  Graph back = ParseGraph(PrintGraph(g));
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, back, &why)) << why;
}

TEST(OpRegistry, EveryOpHasEveryRequiredPiece) {
  std::set<uint32_t> ids;
  for (const OpSchema* op : OpRegistry::Global().All()) {
    SCOPED_TRACE("op " + op->name);
    EXPECT_TRUE(static_cast<bool>(op->infer)) << "no shape function";
    EXPECT_TRUE(static_cast<bool>(op->validate)) << "no validation";
    EXPECT_TRUE(static_cast<bool>(op->cost)) << "no cost estimate";
    EXPECT_FALSE(op->doc.empty()) << "no doc string";
    EXPECT_TRUE(ids.insert(op->id).second) << "id " << op->id << " reused";
    EXPECT_EQ(OpRegistry::Global().FindById(op->id), op);
    EXPECT_EQ(op->is_source, op->fusion == FusionKind::kSource);
    for (const AttrSpec& a : op->attrs) EXPECT_FALSE(a.doc.empty()) << "attribute " << a.name << " lacks a doc";
  }
}

TEST(OpRegistry, StableIdsOfTheFirstOpsNeverChange) {
  // These ids are stored in model files; changing one breaks every saved model.
  const std::map<std::string, uint32_t> frozen = {
      {"placeholder", 1}, {"parameter", 2}, {"constant", 3}, {"add", 100},     {"sub", 101},
      {"mul", 102},       {"div", 103},     {"relu", 200},   {"exp", 201},     {"matmul", 300},
      {"reduce_sum", 400}, {"reshape", 500}, {"transpose", 501}};
  for (const auto& [name, id] : frozen) EXPECT_EQ(OpRegistry::Global().Get(name).id, id) << name;
}

}  // namespace
}  // namespace bronze
