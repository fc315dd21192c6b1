// Gradients of the linalg family beyond the per-op gradient checks: the backward of linear is
// three GEMMs that read their operands transposed in place (matmul's transpose flags, no
// transpose op), with a symbolic batch; the values against hand-derived formulas; and the
// convolution backward graphs (conv_transpose2d, conv2d_backward_weight) on the fast cpu kernels
// in f32 against the reference kernels at a bound symbolic batch.
#include <gtest/gtest.h>

#include "graph/ops/linalg.h"
#include "tests/ops/op_cases.h"
#include "tests/support/gradcheck.h"

namespace bronze::testing {
namespace {

using V = std::vector<int64_t>;

// The backward nodes of `g` (ids >= first) running `op`.
std::vector<const Node*> BackwardNodes(const Graph& g, NodeId first, const std::string& op) {
  std::vector<const Node*> out;
  for (NodeId id : g.TopologicalOrder()) {
    if (id >= first && g.node(id).op_name() == op) out.push_back(&g.node(id));
  }
  return out;
}

TEST(LinearGrad, IsThreeGemmsReadingOperandsTransposedInPlace) {
  Graph g("mlp_layer");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 784});
  Value w = b.Placeholder("w", DType::kF32, {1024, 784});
  Value bias = b.Placeholder("b", DType::kF32, {1024});
  Value y = b.Op1("linear", {x, w, bias});
  Value loss = b.Op1("reduce_sum", {b.Op1("mul", {y, y})});
  const Value wrt[] = {x, w, bias};
  Gradients grads = BuildGradients(g, loss, wrt);
  EXPECT_EQ(g.type(grads.grads[0]), (TensorType{DType::kF32, Shape{Dim::Symbol("N"), 784}}));
  EXPECT_EQ(g.type(grads.grads[1]), (TensorType{DType::kF32, Shape{1024, 784}}));
  EXPECT_EQ(g.type(grads.grads[2]), (TensorType{DType::kF32, Shape{1024}}));
  EXPECT_TRUE(BackwardNodes(g, grads.first_backward_node, "transpose").empty());
  const std::vector<const Node*> gemms = BackwardNodes(g, grads.first_backward_node, "matmul");
  ASSERT_EQ(gemms.size(), 2u);
  int transposed_a = 0;
  for (const Node* n : gemms) {
    EXPECT_FALSE(ops::MatmulTransposed(n->attrs, 1)) << n->name;
    transposed_a += ops::MatmulTransposed(n->attrs, 0) ? 1 : 0;
  }
  EXPECT_EQ(transposed_a, 1);  // dW = dy^T x
  EXPECT_EQ(BackwardNodes(g, grads.first_backward_node, "reduce_sum").size(), 1u);  // db
}

// loss = sum(linear(x, w, b)): dy = 1, so dx[.., i] = sum_o w[o, i], dw[o, i] = sum over rows of
// x[.., i], db[o] = rows.
TEST(LinearGrad, MatchesTheFormulasOnTheCpuKernelsForAnyBatch) {
  Graph g("linear_sum");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 2, 3});
  b.Placeholder("w", DType::kF32, {4, 3});
  b.Placeholder("b", DType::kF32, {4});
  Value y = b.Op1("linear", {x, Value{g.FindNode("w"), 0}, Value{g.FindNode("b"), 0}});
  b.Output("loss", b.Op1("reduce_sum", {y}));
  for (int64_t n : {1, 5}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const Tensor xv = MakeInput(F32({n, 2, 3}), 1), wv = MakeInput(F32({4, 3}), 2);
    const NamedTensors in = {{"x", xv}, {"w", wv}, {"b", MakeInput(F32({4}), 3)}};
    const NamedTensors got = AnalyticGradients(g, {"x", "w", "b"}, in, "");
    Tensor dx = Tensor::Empty(DType::kF32, {n, 2, 3}), dw = Tensor::Empty(DType::kF32, {4, 3});
    Tensor db = Tensor::Empty(DType::kF32, {4});
    for (int64_t r = 0; r < n * 2; ++r) {
      for (int64_t i = 0; i < 3; ++i) {
        double s = 0;
        for (int64_t o = 0; o < 4; ++o) s += wv.GetAsDouble(o * 3 + i);
        dx.data<float>()[r * 3 + i] = static_cast<float>(s);
      }
    }
    for (int64_t o = 0; o < 4; ++o) {
      for (int64_t i = 0; i < 3; ++i) {
        double s = 0;
        for (int64_t r = 0; r < n * 2; ++r) s += xv.GetAsDouble(r * 3 + i);
        dw.data<float>()[o * 3 + i] = static_cast<float>(s);
      }
      db.data<float>()[o] = static_cast<float>(n * 2);
    }
    EXPECT_EQ(Compare(got.at("x"), dx, 1e-5, 1e-5), "");
    EXPECT_EQ(Compare(got.at("w"), dw, 1e-5, 1e-5), "");
    EXPECT_EQ(Compare(got.at("b"), db, 1e-5, 1e-5), "");
  }
}

// f32 gradients of a convolution with a symbolic batch on the cpu kernels (oneDNN) against the
// reference kernels, for a batch large enough to cut the weight gradient into several chunks.
void ExpectCpuConvGradsMatchRef(const std::string& op, const AttrMap& attrs, Dims x_dims,
                                Dims w_dims, int64_t c_out) {
  Graph g("conv_grad");
  GraphBuilder b(g);
  Shape xs = Shape::FromDims(x_dims);
  std::vector<Dim> sym = xs.dims();
  sym[0] = Dim::Symbol("N");
  Value x = b.Placeholder("x", DType::kF32, Shape(sym));
  Value w = b.Placeholder("w", DType::kF32, Shape::FromDims(w_dims));
  Value bias = b.Placeholder("b", DType::kF32, {c_out});
  Value y = b.Op1(op, {x, w, bias}, attrs);
  Value sq = b.Op1("mul", {y, y});
  b.Output("loss", b.Op1("reduce_sum", {sq}));
  const NamedTensors in = {{"x", MakeInput(F32(x_dims), 1)},
                           {"w", MakeInput(F32(w_dims), 2)},
                           {"b", MakeInput(F32({c_out}), 3)}};
  const NamedTensors ref = AnalyticGradients(g, {"x", "w", "b"}, in, "ref");
  const NamedTensors cpu = AnalyticGradients(g, {"x", "w", "b"}, in, "");
  for (const char* name : {"x", "w", "b"}) {
    EXPECT_EQ(Compare(cpu.at(name), ref.at(name), 1e-3, 1e-3), "") << name;
  }
}

TEST(ConvGrad, Conv2dOnTheCpuKernelsMatchesTheReference) {
  ExpectCpuConvGradsMatchRef("conv2d", {{"stride", V{2, 2}}, {"padding", V{1, 1}}},
                             {16, 4, 10, 9}, {8, 4, 3, 3}, 8);
  ExpectCpuConvGradsMatchRef("conv2d", {{"groups", 2}, {"auto_pad", "same"}}, {8, 4, 6, 6},
                             {6, 2, 3, 3}, 6);
}

TEST(ConvGrad, ConvTranspose2dOnTheCpuKernelsMatchesTheReference) {
  ExpectCpuConvGradsMatchRef(
      "conv_transpose2d",
      {{"stride", V{2, 2}}, {"padding", V{1, 1}}, {"output_padding", V{1, 0}}}, {16, 8, 5, 5},
      {8, 4, 3, 3}, 4);
  // output_padding beyond the stride (dilation 2): the backward slices dy; groups 2.
  ExpectCpuConvGradsMatchRef(
      "conv_transpose2d", {{"dilation", V{2, 2}}, {"output_padding", V{1, 1}}, {"groups", 2}},
      {16, 8, 5, 5}, {8, 2, 2, 2}, 4);
}

// Symbolic spatial dims survive a stride-1 'same' convolution; its gradient graph keeps them.
TEST(ConvGrad, KeepsSymbolicSpatialDimsOfASameConvolution) {
  Graph g("same");
  GraphBuilder b(g);
  const Shape xs{Dim::Symbol("N"), 3, Dim::Symbol("H"), Dim::Symbol("W")};
  Value x = b.Placeholder("x", DType::kF32, xs);
  Value w = b.Placeholder("w", DType::kF32, {4, 3, 4, 3});
  Value y = b.Op1("conv2d", {x, w}, {{"auto_pad", "same"}, {"dilation", V{2, 1}}});
  Value t = b.Op1("conv_transpose2d", {y, b.Placeholder("wt", DType::kF32, {4, 2, 3, 3})},
                  {{"padding", V{1, 1}}});
  Value loss = b.Op1("reduce_sum", {t});
  const Value wrt[] = {x, w};
  Gradients grads = BuildGradients(g, loss, wrt);
  EXPECT_EQ(g.type(grads.grads[0]).shape, xs);
  EXPECT_EQ(g.type(grads.grads[1]).shape, (Shape{4, 3, 4, 3}));
}

// conv_transpose2d's output_padding beyond the end padding and the stride needs dy sliced, which
// a symbolic size cannot be: the builder says so, naming the node.
TEST(ConvGrad, SymbolicOutputPaddingBeyondTheStrideIsUnimplemented) {
  Graph g("crop");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{1, 2, Dim::Symbol("H"), 4});
  Value w = b.Placeholder("w", DType::kF32, {2, 2, 2, 2});
  // Height: stride 1, dilation 2, padding 3 + 0 = dilation * (k - 1) + output_padding keeps H;
  // output_padding 1 > end padding 0.
  Value y = b.Op1("conv_transpose2d", {x, w},
                  {{"dilation", V{2, 1}}, {"padding", V{3, 0, 0, 0}}, {"output_padding", V{1, 0}}},
                  "up");
  Value loss = b.Op1("reduce_sum", {y});
  const Value wrt[] = {x};
  try {
    BuildGradients(g, loss, wrt);
    ADD_FAILURE() << "expected UnimplementedError";
  } catch (const UnimplementedError& e) {
    EXPECT_NE(std::string(e.what()).find("'up'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("static output height"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bronze::testing
