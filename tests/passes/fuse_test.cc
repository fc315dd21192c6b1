// fuse as before/after text IR pairs (chains, trees, broadcasting bias, backward chains) and
// negative cases (graph outputs, outside readers, unsupported dtypes, single ops), the remarks
// each decision leaves, and numerical equivalence of fused and unfused graphs through a Session
// on random inputs (broadcasting, symbolic batch dims, 1 and 2 threads, the ref backend).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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
using testing::Remarks;
using testing::RunFuse;

TEST(Fuse, ChainWithBroadcastBiasBecomesOneNode) {
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %b = parameter() {dtype = f32, shape = (4,)} : f32[4] data [1, 2, 3, 4]
  %a = add(%x, %b) : f32[N, 4] @"m.py:3"
  %r = leaky_relu(%a) {negative_slope = 0.2} : f32[N, 4]
  %e = exp(%r) : f32[N, 4] @"m.py:5"
  return y = %e
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %b = parameter() {dtype = f32, shape = (4,)} : f32[4] data [1, 2, 3, 4]
  %e = fused_elementwise(%x, %b) {program = "t0 = add(in0, in1); t1 = leaky_relu(t0) {negative_slope = 0.2}; t2 = exp(t1); return t2"} : f32[N, 4] @"m.py:5"
  return y = %e
}
)",
                                   true);
  EXPECT_NE(r.find("fuse: fused a + r + e into one fused_elementwise node e (3 ops, 2 inputs)"),
            std::string::npos)
      << r;
}

TEST(Fuse, TreeReadingOneInputTwiceKeepsOneInput) {
  // silu written by hand: x * sigmoid(x), then scaled by a scalar constant.
  ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %s = sigmoid(%x) : f32[2, 3]
  %m = mul(%x, %s) : f32[2, 3]
  %y = mul(%m, %c) : f32[2, 3]
  return y = %y
}
)",
             R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %y = fused_elementwise(%x, %c) {program = "t0 = sigmoid(in0); t1 = mul(in0, t0); t2 = mul(t1, in1); return t2"} : f32[2, 3]
  return y = %y
}
)",
             true);
}

TEST(Fuse, IntermediateReadOutsideTheGroupStaysMaterialized) {
  // %a is read by the transpose too, so it ends its own group; %r, %e and %z fuse after it.
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (3, 3)} : f32[3, 3]
  %a = abs(%x) : f32[3, 3]
  %r = relu(%a) : f32[3, 3]
  %e = exp(%r) : f32[3, 3]
  %tr = transpose(%a) {perm = [1, 0]} : f32[3, 3]
  %z = add(%e, %tr) : f32[3, 3]
  return z = %z
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (3, 3)} : f32[3, 3]
  %a = abs(%x) : f32[3, 3]
  %tr = transpose(%a) {perm = [1, 0]} : f32[3, 3]
  %z = fused_elementwise(%a, %tr) {program = "t0 = relu(in0); t1 = exp(t0); t2 = add(t1, in1); return t2"} : f32[3, 3]
  return z = %z
}
)",
                                   true);
  EXPECT_NE(r.find("a: not fused: output read by tr (transpose), which is not fused"),
            std::string::npos)
      << r;
}

TEST(Fuse, GraphOutputsStayMaterialized) {
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (4,)} : f32[4]
  %a = neg(%x) : f32[4]
  %b = exp(%a) : f32[4]
  return a = %a, b = %b
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (4,)} : f32[4]
  %a = neg(%x) : f32[4]
  %b = exp(%a) : f32[4]
  return a = %a, b = %b
}
)",
                                   false);
  EXPECT_NE(r.find("a: not fused: is a graph output (stays materialized)"), std::string::npos) << r;
}

TEST(Fuse, UnsupportedDTypesAndSingleOpsAreLeftAlone) {
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f64, shape = (4,)} : f64[4]
  %a = neg(%x) : f64[4]
  %b = exp(%a) : f64[4]
  %y = placeholder() {dtype = f32, shape = (4,)} : f32[4]
  %c = tanh(%y) : f32[4]
  return b = %b, c = %c
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f64, shape = (4,)} : f64[4]
  %a = neg(%x) : f64[4]
  %b = exp(%a) : f64[4]
  %y = placeholder() {dtype = f32, shape = (4,)} : f32[4]
  %c = tanh(%y) : f32[4]
  return b = %b, c = %c
}
)",
                                   false);
  EXPECT_NE(r.find("a: not fused: dtype f64 not supported by the fused executor"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("c: not fused: is a graph output"), std::string::npos) << r;
}

TEST(Fuse, ComparisonsAndWhereFuseThroughBool) {
  ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 5)} : f32[N, 5]
  %z = constant() {dtype = f32, shape = ()} : f32[] data [0]
  %p = greater(%x, %z) : bool[N, 5]
  %n = neg(%x) : f32[N, 5]
  %w = where(%p, %x, %n) : f32[N, 5]
  return w = %w
}
)",
             R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 5)} : f32[N, 5]
  %z = constant() {dtype = f32, shape = ()} : f32[] data [0]
  %w = fused_elementwise(%x, %z) {program = "t0 = greater(in0, in1); t1 = neg(in0); t2 = where(t0, in0, t1); return t2"} : f32[N, 5]
  return w = %w
}
)",
             true);
}

// --- Numerical equivalence through a Session. ---

Tensor Random(DType d, Dims dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Tensor t = Tensor::Empty(d, dims);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (d == DType::kF32) t.data<float>()[i] = static_cast<float>(normal(rng));
    else t.data<double>()[i] = normal(rng);
  }
  return t;
}

// Runs `text` with and without fuse (cpu backend at `threads`), and unfused on the ref backend;
// fused and unfused cpu results must agree bit for bit (the executor calls the same vector
// primitives) and both must match the reference within tolerance.
void ExpectSameResults(const std::string& text, const std::vector<Tensor>& inputs, int threads,
                       int expect_fused_nodes) {
  SessionOptions fused, plain, ref;
  fused.threads = plain.threads = threads;
  plain.pipeline = {"shape_infer", "dce"};
  ref.pipeline = plain.pipeline;
  ref.backend = "ref";
  Session sf(ParseGraph(text), fused), sp(ParseGraph(text), plain), sr(ParseGraph(text), ref);
  int fused_nodes = 0;
  for (NodeId id : sf.graph().node_ids()) {
    fused_nodes += sf.graph().node(id).op_name() == "fused_elementwise";
  }
  EXPECT_EQ(fused_nodes, expect_fused_nodes);
  const std::vector<Tensor> a = sf.Run(inputs), b = sp.Run(inputs), c = sr.Run(inputs);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].nbytes(), b[k].nbytes());
    EXPECT_EQ(std::memcmp(a[k].raw_data(), b[k].raw_data(), a[k].nbytes()), 0)
        << "output " << k << " differs from the unfused cpu result";
    if (a[k].dtype() != DType::kF32) continue;
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      const float x = a[k].data<float>()[i], y = c[k].data<float>()[i];
      if (std::isnan(y)) {
        EXPECT_TRUE(std::isnan(x));
        continue;
      }
      EXPECT_NEAR(x, y, 1e-5 + 1e-5 * std::fabs(y)) << "output " << k << " element " << i;
    }
  }
}

constexpr const char* kMixed = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 37)} : f32[N, 37]
  %row = placeholder() {dtype = f32, shape = (37,)} : f32[37]
  %col = placeholder() {dtype = f32, shape = (N, 1)} : f32[N, 1]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [1.5]
  %c2 = constant() {dtype = f32, shape = ()} : f32[] data [-0.25]
  %s = mul(%c, %c2) : f32[]
  %a = add(%x, %row) : f32[N, 37]
  %g = gelu(%a) {approximate = "tanh"} : f32[N, 37]
  %m = mul(%g, %col) : f32[N, 37]
  %t = tanh(%m) : f32[N, 37]
  %q = sub(%t, %s) : f32[N, 37]
  %l = less(%q, %c) : bool[N, 37]
  %cl = clip(%q) {max = 0.75, min = -0.5} : f32[N, 37]
  %w = where(%l, %cl, %x) : f32[N, 37]
  %sg = sigmoid(%w) : f32[N, 37]
  %mx = maximum(%sg, %row) : f32[N, 37]
  return y = %mx
}
)";

TEST(FuseSession, BroadcastRowColumnAndScalarMatchUnfused) {
  for (int64_t n : {1, 3, 300}) {  // 300 x 37: many tiles, a partial last one
    std::vector<Tensor> in = {Random(DType::kF32, {n, 37}, 1), Random(DType::kF32, {37}, 2),
                              Random(DType::kF32, {n, 1}, 3)};
    ExpectSameResults(kMixed, in, 1, 1);
    ExpectSameResults(kMixed, in, 2, 1);
  }
}

TEST(FuseSession, LargeChainIsBitwiseEqualAtOneAndTwoThreads) {
  const std::string text = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N,)} : f32[N]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %a = mul(%x, %c) : f32[N]
  %b = add(%a, %c) : f32[N]
  %d = sin(%b) : f32[N]
  %e = exp(%d) : f32[N]
  %f = sqrt(%e) : f32[N]
  %g = silu(%f) : f32[N]
  %h = div(%g, %x) : f32[N]
  %i = erf(%h) : f32[N]
  return y = %i
}
)";
  const std::vector<Tensor> in = {Random(DType::kF32, {100003}, 4)};
  ExpectSameResults(text, in, 1, 1);
  ExpectSameResults(text, in, 2, 1);
}

TEST(FuseSession, ScalarOutputAndEmptyBatch) {
  const std::string text = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %a = abs(%x) : f32[N, 2]
  %b = log(%a) : f32[N, 2]
  %c = neg(%b) : f32[N, 2]
  return y = %c
}
)";
  ExpectSameResults(text, {Random(DType::kF32, {0, 2}, 5)}, 2, 1);
  ExpectSameResults(text, {Random(DType::kF32, {1, 2}, 6)}, 2, 1);
}

TEST(FuseSession, BackwardChainOfATrainingGraphFuses) {
  // relu_grad(dy, y) * sigmoid_grad(...) style backward chain with a forward chain beside it.
  const std::string text = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 8)} : f32[N, 8]
  %dy = placeholder() {dtype = f32, shape = (N, 8)} : f32[N, 8]
  %y = relu(%x) : f32[N, 8]
  %s = sigmoid(%y) : f32[N, 8]
  %g1 = sigmoid_grad(%dy, %s) : f32[N, 8]
  %g2 = relu_grad(%g1, %y) : f32[N, 8]
  %g3 = tanh_grad(%g2, %s) : f32[N, 8]
  return g = %g3, s = %s
}
)";
  std::vector<PassRemark> remarks;
  Graph g = ParseGraph(text);
  RunFuse(g, &remarks);
  EXPECT_NE(Remarks(remarks).find("fused g1 + g2 + g3 into one fused_elementwise node g3"),
            std::string::npos)
      << Remarks(remarks);
  ExpectSameResults(text, {Random(DType::kF32, {50, 8}, 7), Random(DType::kF32, {50, 8}, 8)}, 2,
                    1);
}

// --- The fused op's own checks. ---

TEST(FusedOp, MalformedProgramIsAnAttributeErrorNamingTheNode) {
  auto build = [](const std::string& program) {
    Graph g("m");
    GraphBuilder b(g);
    Value x = b.Placeholder("x", DType::kF32, Shape{4});
    b.Op1("fused_elementwise", {x}, {{"program", program}}, "bad");
  };
  using testing::ExpectError;
  ExpectError<AttributeError>([&] { build("t0 = frobnicate(in0); return t0"); },
                              {"bad", "unknown op 'frobnicate'"});
  ExpectError<AttributeError>([&] { build("t0 = add(in0); return t0"); },
                              {"bad", "'add' takes 2 operands, got 1"});
  ExpectError<AttributeError>([&] { build("t0 = relu(t1); return t0"); },
                              {"bad", "'t1' is read before it is computed"});
  ExpectError<AttributeError>([&] { build("t0 = relu(in1); return t0"); },
                              {"bad", "reads 2 inputs", "node has 1"});
  ExpectError<AttributeError>([&] { build("t0 = matmul(in0, in0); return t0"); },
                              {"bad", "cannot be fused"});
  ExpectError<AttributeError>([&] { build("t0 = gelu(in0) {approximate = 'fast'}; return t0"); },
                              {"bad", "approximate", "fast"});
  ExpectError<AttributeError>([&] { build("t0 = relu(in0)"); }, {"bad", "expected ';'"});
}

}  // namespace
}  // namespace bronze
