// fold_constants as before/after text IR pairs: chains of constant computations become one
// constant (keeping the node's name and location), multi-output nodes fold into one constant per
// used output, and what must not fold stays: parameter, state and placeholder reads, random ops,
// in-place updates, symbolic results, results over the size limit, and everything when no
// evaluator is installed. The folded values are checked against the arithmetic done here.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/builder.h"
#include "graph/evaluator.h"
#include "passes/simplify.h"
#include "simplify_test_util.h"

namespace bronze {
namespace {

using testing::ExpectRewrite;
using testing::ExpectUnchanged;
const std::vector<std::string> kFold = {"fold_constants", "dce"};

TEST(FoldConstants, FoldsAConstantChainIntoOneConstantKeepingNameAndLocation) {
  // (a + b) * (a + b) = [4*4, 6*6]; the result keeps %t's name and location.
  auto r = ExpectRewrite(kFold, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %a = constant() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %b = constant() {dtype = f32, shape = (2,)} : f32[2] data [3, 4]
  %s = add(%a, %b) : f32[2] @"model.py:3"
  %t = mul(%s, %s) : f32[2] @"model.py:4"
  %y = add(%x, %t) : f32[N, 2] @"model.py:5"
  return y = %y
}
)",
                         R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %t = constant() {dtype = f32, shape = (2,)} : f32[2] data [16, 36] @"model.py:4"
  %y = add(%x, %t) : f32[N, 2] @"model.py:5"
  return y = %y
}
)");
  EXPECT_TRUE(r.changed);
  EXPECT_NE(r.RemarkText().find("fold_constants: folded node 't' (mul) into a constant f32[2]"),
            std::string::npos)
      << r.RemarkText();
}

TEST(FoldConstants, FoldsShapeOpsReductionsAndCastsOfConstants) {
  // transpose([[1, 2, 3], [4, 5, 6]]) = [[1, 4], [2, 5], [3, 6]]; its row sums 5, 7, 9; cast to
  // i64; numel of a static shape is a constant too.
  ExpectRewrite(kFold, R"(graph "m" {
  %c = constant() {dtype = f32, shape = (2, 3)} : f32[2, 3] data [1, 2, 3, 4, 5, 6]
  %t = transpose(%c) {perm = []} : f32[3, 2]
  %s = reduce_sum(%t) {axes = [1], keepdims = 0} : f32[3]
  %i = cast(%s) {dtype = i64} : i64[3]
  %n = numel() {dtype = f32, shape = (2, 3)} : f32[]
  return i = %i, n = %n
}
)",
                R"(graph "m" {
  %i = constant() {dtype = i64, shape = (3,)} : i64[3] data [5, 7, 9]
  %n = constant() {dtype = f32, shape = ()} : f32[] data [6]
  return i = %i, n = %n
}
)");
}

TEST(FoldConstants, FoldsEachUsedOutputOfAMultiOutputNode) {
  ExpectRewrite(kFold, R"(graph "m" {
  %x = placeholder() {dtype = f64, shape = (N, 2)} : f64[N, 2]
  %c = constant() {dtype = f64, shape = (4,)} : f64[4] data [1, 2, 3, 4]
  %s = split(%c) {axis = 0, sizes = [1, 1, 2]} : f64[1], f64[1], f64[2] @"m.py:2"
  %y = add(%x, %s#2) : f64[N, 2]
  %z = mul(%s, %s#2) : f64[2]
  return y = %y, z = %z
}
)",
                R"(graph "m" {
  %x = placeholder() {dtype = f64, shape = (N, 2)} : f64[N, 2]
  %z = constant() {dtype = f64, shape = (2,)} : f64[2] data [3, 4]
  %s_2 = constant() {dtype = f64, shape = (2,)} : f64[2] data [3, 4] @"m.py:2"
  %y = add(%x, %s_2) : f64[N, 2]
  return y = %y, z = %z
}
)");
}

TEST(FoldConstants, KeepsParameterStateAndPlaceholderReads) {
  ExpectUnchanged(kFold, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2,)} : f32[2]
  %w = parameter() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %s = state() {dtype = f32, shape = (2,)} : f32[2] data [3, 4]
  %c = constant() {dtype = f32, shape = (2,)} : f32[2] data [5, 6]
  %a = add(%w, %c) : f32[2]
  %b = mul(%s, %c) : f32[2]
  %d = sub(%x, %c) : f32[2]
  return a = %a, b = %b, d = %d
}
)");
}

TEST(FoldConstants, KeepsRandomOpsAndInPlaceUpdates) {
  // dropout of a constant in training mode is random; assign writes state in place.
  ExpectUnchanged(kFold, R"(graph "m" {
  %c = constant() {dtype = f32, shape = (4,)} : f32[4] data [1, 2, 3, 4]
  %s = state() {dtype = f32, shape = (4,)} : f32[4] data [0, 0, 0, 0]
  %u = assign(%s, %c) : f32[4]
  %d = dropout(%c) {p = 0.5, seed = 7, training = 1} : f32[4]
  return d = %d
}
)");
}

TEST(FoldConstants, KeepsResultsThatDependOnASymbolicDim) {
  ExpectUnchanged(kFold, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %n = numel() {dtype = f32, shape = (N, 3)} : f32[]
  %y = div(%x, %n) : f32[N, 3]
  return y = %y
}
)");
}

TEST(FoldConstants, DoesNotMaterializeAResultOverTheLimit) {
  // A scalar expanded to 512 x 1024 f32 (2 MiB) stays an expand; a small one folds.
  auto r = ExpectRewrite(kFold, R"(graph "m" {
  %c = constant() {dtype = f32, shape = ()} : f32[] data [2]
  %big = expand(%c) {shape = (512, 1024)} : f32[512, 1024]
  %small = expand(%c) {shape = (3,)} : f32[3]
  return big = %big, small = %small
}
)",
                         R"(graph "m" {
  %c = constant() {dtype = f32, shape = ()} : f32[] data [2]
  %big = expand(%c) {shape = (512, 1024)} : f32[512, 1024]
  %small = constant() {dtype = f32, shape = (3,)} : f32[3] data [2, 2, 2]
  return big = %big, small = %small
}
)");
  EXPECT_NE(r.RemarkText().find("node 'big' (expand) not folded: its result (2 MiB) exceeds the "
                                "folding limit of 1 MiB"),
            std::string::npos)
      << r.RemarkText();
}

TEST(FoldConstants, WithoutAnEvaluatorChangesNothingAndSaysSo) {
  constexpr const char* kText = R"(graph "m" {
  %a = constant() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %b = exp(%a) : f32[2]
  return b = %b
}
)";
  InstallKernelEvaluator();
  std::shared_ptr<const NodeEvaluator> saved = GetNodeEvaluator();
  SetNodeEvaluator({});
  Graph g = ParseGraph(kText);
  std::vector<PassRemark> remarks;
  PipelineOptions o;
  o.remarks = &remarks;
  std::vector<PassRun> runs = PassManager({"fold_constants"}, o).Run(g);
  SetNodeEvaluator(*saved);
  EXPECT_FALSE(runs.at(0).changed);
  EXPECT_EQ(PrintGraph(g), kText);
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_EQ(remarks[0].text, "constants not folded: no evaluator installed (runtime/evaluator.h)");
  ASSERT_NE(GetNodeEvaluator(), nullptr);
}

TEST(FoldConstants, FoldedValuesMatchTheArithmeticDoneHere) {
  // exp and a broadcast multiply of a constant, checked against std::exp in double.
  Graph g;
  GraphBuilder b(g);
  Value c = b.Constant(Tensor::FromVector<double>({3}, {-1.5, 0.25, 2}));
  Value k = b.Constant(Tensor::FromVector<double>({2, 1}, {2, -3}));
  b.Output("y", b.Op1("mul", {b.Op1("exp", {c}), k}));
  InstallKernelEvaluator();
  PipelineOptions o;
  o.verify_each = true;
  PassManager({"fold_constants", "dce"}, o).Run(g);
  ASSERT_EQ(g.num_nodes(), 1u);
  const Node& y = g.node(g.outputs()[0].value.node);
  ASSERT_EQ(y.op_name(), "constant");
  ASSERT_EQ(y.data.dims(), (Dims{2, 3}));
  const double in[3] = {-1.5, 0.25, 2}, scale[2] = {2, -3};
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      EXPECT_NEAR(y.data.GetAsDouble(i * 3 + j), std::exp(in[j]) * scale[i], 1e-12);
    }
  }
}

}  // namespace
}  // namespace bronze
