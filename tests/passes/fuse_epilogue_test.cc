// fuse's GEMM / convolution epilogues as before/after text IR pairs (linear + relu, matmul + bias
// + gelu + residual, conv2d + residual + relu) and negative cases (a second reader, silu, f64),
// with the remarks, and numerical equivalence of fused and unfused graphs through a Session.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <string_view>

#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/pass_manager.h"
#include "tests/passes/fuse_test_util.h"
#include "tests/test_util.h"

namespace bronze {
namespace {

using testing::ExpectFuse;

Tensor Random(Dims dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Tensor t = Tensor::Empty(DType::kF32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

// Fused (default pipeline) against unfused, both on the cpu backend at 2 threads.
void ExpectSameResults(const std::string& text, const std::vector<Tensor>& inputs,
                       const std::string& fused_op) {
  SessionOptions fused, plain;
  fused.threads = plain.threads = 2;
  plain.pipeline = {"shape_infer", "dce"};
  Session sf(ParseGraph(text), fused), sp(ParseGraph(text), plain);
  bool found = false;
  for (NodeId id : sf.graph().node_ids()) found |= sf.graph().node(id).op_name() == fused_op;
  EXPECT_TRUE(found) << fused_op << " expected in the compiled graph";
  const std::vector<Tensor> a = sf.Run(inputs), b = sp.Run(inputs);
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].numel(), b[k].numel());
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      const float x = a[k].data<float>()[i], y = b[k].data<float>()[i];
      EXPECT_NEAR(x, y, 1e-5 + 1e-5 * std::fabs(y)) << "output " << k << " element " << i;
    }
  }
}

constexpr const char* kLinearRelu = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %w = parameter() {dtype = f32, shape = (3, 4)} : f32[3, 4] data [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.75, -2, 0.5, 1.5, -0.25]
  %b = parameter() {dtype = f32, shape = (3,)} : f32[3] data [0.1, -0.2, 0.3]
  %y = linear(%x, %w, %b) : f32[N, 3] @"m.py:4"
  %r = relu(%y) : f32[N, 3] @"m.py:5"
  return r = %r
}
)";

TEST(FuseEpilogue, LinearAndReluBecomeLinearFused) {
  const std::string r = ExpectFuse(kLinearRelu, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %w = parameter() {dtype = f32, shape = (3, 4)} : f32[3, 4] data [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.75, -2, 0.5, 1.5, -0.25]
  %b = parameter() {dtype = f32, shape = (3,)} : f32[3] data [0.1, -0.2, 0.3]
  %r = linear_fused(%x, %w, %b) {activation = "relu", bias = 1, residual = "none"} : f32[N, 3] @"m.py:5"
  return r = %r
}
)",
                                   true);
  EXPECT_NE(r.find("fused y + r into one linear_fused node r"), std::string::npos) << r;
  ExpectSameResults(kLinearRelu, {Random({37, 4}, 1)}, "linear_fused");
}

constexpr const char* kMatmulBlock = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %w = parameter() {dtype = f32, shape = (4, 4)} : f32[4, 4] data [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.75, -2, 0.5, 1.5, -0.25, 0, 1, 2, 3]
  %b = parameter() {dtype = f32, shape = (4,)} : f32[4] data [0.1, -0.2, 0.3, 0]
  %m = matmul(%x, %w) : f32[N, 4]
  %a = add(%m, %b) : f32[N, 4]
  %g = gelu(%a) {approximate = "none"} : f32[N, 4]
  %o = add(%x, %g) : f32[N, 4]
  return o = %o
}
)";

TEST(FuseEpilogue, MatmulBiasGeluAndResidualBecomeMatmulFused) {
  ExpectFuse(kMatmulBlock, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %w = parameter() {dtype = f32, shape = (4, 4)} : f32[4, 4] data [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.75, -2, 0.5, 1.5, -0.25, 0, 1, 2, 3]
  %b = parameter() {dtype = f32, shape = (4,)} : f32[4] data [0.1, -0.2, 0.3, 0]
  %o = matmul_fused(%x, %w, %b, %x) {activation = "gelu", bias = 1, residual = "after"} : f32[N, 4]
  return o = %o
}
)",
             true);
  ExpectSameResults(kMatmulBlock, {Random({65, 4}, 2)}, "matmul_fused");
}

constexpr const char* kConvBlock = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2, 5, 5)} : f32[N, 2, 5, 5]
  %w = parameter() {dtype = f32, shape = (2, 2, 1, 1)} : f32[2, 2, 1, 1] data [0.5, -1, 0.25, 2]
  %b = parameter() {dtype = f32, shape = (2,)} : f32[2] data [0.1, -0.2]
  %c = conv2d(%x, %w, %b) {auto_pad = "explicit", dilation = [1, 1], groups = 1, padding = [0, 0], stride = [1, 1]} : f32[N, 2, 5, 5]
  %s = add(%c, %x) : f32[N, 2, 5, 5]
  %r = relu(%s) : f32[N, 2, 5, 5]
  return r = %r
}
)";

TEST(FuseEpilogue, ConvResidualReluBecomesConv2dFused) {
  Graph g = ParseGraph(kConvBlock);
  std::vector<PassRemark> list;
  EXPECT_TRUE(testing::RunFuse(g, &list));
  const std::string remarks = testing::Remarks(list);
  const std::string text = PrintGraph(g);
  EXPECT_NE(text.find("conv2d_fused(%x, %w, %b, %x) {activation = \"relu\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("residual = \"before\""), std::string::npos) << text;
  EXPECT_EQ(text.find("%s = add"), std::string::npos) << text;
  EXPECT_NO_THROW(Verify(g));
  ExpectSameResults(kConvBlock, {Random({3, 2, 5, 5}, 3)}, "conv2d_fused");
}

TEST(FuseEpilogue, SecondReaderSiluAndF64StayUnfused) {
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 4)} : f32[2, 4]
  %w = placeholder() {dtype = f32, shape = (3, 4)} : f32[3, 4]
  %y = linear(%x, %w) : f32[2, 3]
  %r = relu(%y) : f32[2, 3]
  %z = linear(%x, %w) : f32[2, 3]
  %s = silu(%z) : f32[2, 3]
  %xd = placeholder() {dtype = f64, shape = (2, 4)} : f64[2, 4]
  %wd = placeholder() {dtype = f64, shape = (3, 4)} : f64[3, 4]
  %yd = linear(%xd, %wd) : f64[2, 3]
  %rd = relu(%yd) : f64[2, 3]
  return y = %y, r = %r, s = %s, rd = %rd
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 4)} : f32[2, 4]
  %w = placeholder() {dtype = f32, shape = (3, 4)} : f32[3, 4]
  %y = linear(%x, %w) : f32[2, 3]
  %r = relu(%y) : f32[2, 3]
  %z = linear(%x, %w) : f32[2, 3]
  %s = silu(%z) : f32[2, 3]
  %xd = placeholder() {dtype = f64, shape = (2, 4)} : f64[2, 4]
  %wd = placeholder() {dtype = f64, shape = (3, 4)} : f64[3, 4]
  %yd = linear(%xd, %wd) : f64[2, 3]
  %rd = relu(%yd) : f64[2, 3]
  return y = %y, r = %r, s = %s, rd = %rd
}
)",
                                   false);
  EXPECT_NE(r.find("y: epilogue not fused: output y is a graph output"), std::string::npos) << r;
  EXPECT_NE(r.find("z: epilogue not fused: reader s (silu) is not an epilogue op"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("yd: epilogue not fused: dtype f64"), std::string::npos) << r;
}

}  // namespace
}  // namespace bronze
