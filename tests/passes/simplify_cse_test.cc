// cse as before/after text IR pairs: duplicated computations merge into the first one (also
// chains of them, and equal small constants), and what must not merge stays: different
// attributes or input order, random ops, in-place updates, parameters, state, placeholders and
// large constants.
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "passes/simplify.h"
#include "simplify_test_util.h"

namespace bronze {
namespace {

using testing::ExpectRewrite;
using testing::ExpectUnchanged;
const std::vector<std::string> kCse = {"cse", "dce"};

TEST(Cse, MergesADuplicatedChainIntoTheFirstCopy) {
  // %c2 equals %c1, so %a2 = %a1, then %e2 = %e1 and %s = %e1 + %e1.
  auto r = ExpectRewrite(kCse, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %c1 = constant() {dtype = f32, shape = (2,)} : f32[2] data [0.5, 2]
  %c2 = constant() {dtype = f32, shape = (2,)} : f32[2] data [0.5, 2]
  %a1 = mul(%x, %c1) : f32[N, 2] @"model.py:1"
  %a2 = mul(%x, %c2) : f32[N, 2] @"model.py:2"
  %e1 = exp(%a1) : f32[N, 2]
  %e2 = exp(%a2) : f32[N, 2]
  %s = add(%e1, %e2) : f32[N, 2]
  return s = %s, e2 = %e2
}
)",
                         R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %c1 = constant() {dtype = f32, shape = (2,)} : f32[2] data [0.5, 2]
  %a1 = mul(%x, %c1) : f32[N, 2] @"model.py:1"
  %e1 = exp(%a1) : f32[N, 2]
  %s = add(%e1, %e1) : f32[N, 2]
  return s = %s, e2 = %e1
}
)");
  EXPECT_TRUE(r.changed);
  EXPECT_NE(r.RemarkText().find("cse: merged node 'a2' (mul) into 'a1' (same op, inputs and "
                                "attributes)"),
            std::string::npos)
      << r.RemarkText();
  EXPECT_NE(r.RemarkText().find("merged node 'c2' (constant) into 'c1' (equal constant)"),
            std::string::npos);
}

TEST(Cse, MergesMultiOutputNodesOutputByOutput) {
  ExpectRewrite(kCse, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %s1 = split(%x) {axis = 1, sizes = [1, 3]} : f32[N, 1], f32[N, 3]
  %s2 = split(%x) {axis = 1, sizes = [1, 3]} : f32[N, 1], f32[N, 3]
  return a = %s1#1, b = %s2#1, c = %s2
}
)",
                R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %s1 = split(%x) {axis = 1, sizes = [1, 3]} : f32[N, 1], f32[N, 3]
  return a = %s1#1, b = %s1#1, c = %s1
}
)");
}

TEST(Cse, KeepsNodesThatDifferInAttributesInputOrderOrConstantValue) {
  // No commutativity: mul(x, y) and mul(y, x) stay two nodes; -0.0 and 0.0 differ bitwise.
  ExpectUnchanged(kCse, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %y = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %z1 = constant() {dtype = f32, shape = ()} : f32[] data [0]
  %z2 = constant() {dtype = f32, shape = ()} : f32[] data [-0]
  %t1 = transpose(%x) {perm = [1, 0]} : f32[3, 2]
  %t2 = transpose(%x) {perm = []} : f32[3, 2]
  %m1 = mul(%x, %y) : f32[2, 3]
  %m2 = mul(%y, %x) : f32[2, 3]
  %a1 = add(%x, %z1) : f32[2, 3]
  %a2 = add(%x, %z2) : f32[2, 3]
  return t1 = %t1, t2 = %t2, m1 = %m1, m2 = %m2, a1 = %a1, a2 = %a2
}
)");
}

TEST(Cse, KeepsRandomOpsSourcesAndInPlaceUpdates) {
  // Two dropouts draw two masks in PyTorch's model of the program; equal parameters are two
  // trainable tensors; each placeholder is an input. (Two identical in-place updates cannot be
  // built: the verifier rejects two writers of one value; the assign must simply stay.)
  ExpectUnchanged(kCse, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %x2 = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %w1 = parameter() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %w2 = parameter() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %s1 = state() {dtype = f32, shape = (2,)} : f32[2] data [0, 0]
  %u1 = assign(%s1, %w1) : f32[2]
  %d1 = dropout(%x) {p = 0.5, seed = 1, training = 1} : f32[N, 2]
  %d2 = dropout(%x) {p = 0.5, seed = 1, training = 1} : f32[N, 2]
  return d1 = %d1, d2 = %d2, x2 = %x2, w2 = %w2
}
)");
}

TEST(Cse, KeepsEqualConstantsOverTheSizeLimitApart) {
  Graph g;
  GraphBuilder b(g);
  const int64_t n = static_cast<int64_t>(kCseMaxConstantBytes / sizeof(float)) + 1;
  Tensor big = Tensor::Zeros(DType::kF32, {n});
  Value c1 = b.Constant(big, "c1");
  Value c2 = b.Constant(big, "c2");
  Value s1 = b.Constant(Tensor::Zeros(DType::kF32, {n - 1}), "s1");
  Value s2 = b.Constant(Tensor::Zeros(DType::kF32, {n - 1}), "s2");
  b.Output("a", c1);
  b.Output("b", c2);
  b.Output("c", s1);
  b.Output("d", s2);
  PassManager({"cse"}).Run(g);
  EXPECT_NE(g.FindNode("c2"), kNoNode) << "a constant over the limit is not compared";
  EXPECT_EQ(g.FindNode("s2"), kNoNode) << "one at the limit merges";
  EXPECT_EQ(g.outputs()[3].value.node, g.FindNode("s1"));
}

}  // namespace
}  // namespace bronze
