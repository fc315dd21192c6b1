// fuse's reduction step (passes/fuse_reduction.cc) as before/after text IR pairs: a softmax
// taking a masked-sum prologue and a product epilogue, layer_norm of a residual sum with a relu
// after it, a fused_elementwise group becoming a prologue, a loss with its input's activation
// and a scale after it, cross_entropy with a temperature and a weight after it; the cases left
// alone with the
// remark each leaves (a leading-axis reduction, a prologue read elsewhere, a result that is a
// graph output, an epilogue that broadcasts the result, cross_entropy over spatial positions);
// and the fused graphs' results through
// a Session (cpu at 1 and 2 threads against the unfused reference backend).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/pass_manager.h"
#include "runtime/session.h"
#include "tests/passes/fuse_test_util.h"
#include "tests/test_util.h"

namespace bronze {
namespace {

using testing::ExpectFuse;

bool Has(const std::string& remarks, std::string_view text) {
  return remarks.find(text) != std::string::npos;
}

TEST(FuseReduction, SoftmaxTakesItsPrologueAndEpilogue) {
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 8)} : f32[N, 8]
  %mask = placeholder() {dtype = f32, shape = (8,)} : f32[8]
  %w = placeholder() {dtype = f32, shape = (N, 8)} : f32[N, 8]
  %a = add(%x, %mask) : f32[N, 8]
  %s = softmax(%a) {axis = -1} : f32[N, 8] @"m.py:4"
  %y = mul(%s, %w) : f32[N, 8] @"m.py:5"
  return y = %y
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 8)} : f32[N, 8]
  %mask = placeholder() {dtype = f32, shape = (8,)} : f32[8]
  %w = placeholder() {dtype = f32, shape = (N, 8)} : f32[N, 8]
  %y = fused_reduction(%x, %mask, %w) {program = "t0 = add(in0, in1); t1 = softmax(t0) {axis = -1}; t2 = mul(t1, in2); return t2"} : f32[N, 8] @"m.py:5"
  return y = %y
}
)", true);
  EXPECT_TRUE(Has(r, "fused a + s + y into one fused_reduction node y (softmax, prologue of 1 "
                     "ops, epilogue of 1 ops, 3 inputs)"))
      << r;
  // The elementwise step's remarks about a and y, single ops it left alone, are dropped: both
  // joined the reduction.
  EXPECT_FALSE(Has(r, "a: not fused")) << r;
  EXPECT_FALSE(Has(r, "y: not fused")) << r;
}

TEST(FuseReduction, LayerNormOfAResidualSumWithAGroupAfterIt) {
  // The epilogue is a fused_elementwise group (relu then a scale) made by the step before.
  ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 16)} : f32[N, 16]
  %res = placeholder() {dtype = f32, shape = (N, 16)} : f32[N, 16]
  %g = parameter() {dtype = f32, shape = (16,)} : f32[16]
  %b = parameter() {dtype = f32, shape = (16,)} : f32[16]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %h = add(%x, %res) : f32[N, 16]
  %n = layer_norm(%h, %g, %b) {eps = 1e-05, normalized_ndim = 1} : f32[N, 16]
  %r = relu(%n) : f32[N, 16]
  %y = mul(%r, %c) : f32[N, 16]
  return y = %y
}
)",
             R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 16)} : f32[N, 16]
  %res = placeholder() {dtype = f32, shape = (N, 16)} : f32[N, 16]
  %g = parameter() {dtype = f32, shape = (16,)} : f32[16]
  %b = parameter() {dtype = f32, shape = (16,)} : f32[16]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %y = fused_reduction(%x, %res, %g, %b, %c) {program = "t0 = add(in0, in1); t1 = layer_norm(t0, in2, in3) {eps = 1e-05, normalized_ndim = 1}; t2 = relu(t1); t3 = mul(t2, in4); return t3"} : f32[N, 16]
  return y = %y
}
)", true);
}

TEST(FuseReduction, ALossTakesItsInputsActivationAndAScaleAfterIt) {
  ExpectFuse(R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %y = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %p = sigmoid(%z) : f32[N, 4]
  %l = mse(%p, %y) {reduction = "mean"} : f32[]
  %h = mul(%l, %c) : f32[]
  return loss = %h
}
)",
             R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %y = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %h = fused_reduction(%z, %y, %c) {program = "t0 = sigmoid(in0); t1 = mse(t0, in1) {reduction = 'mean'}; t2 = mul(t1, in2); return t2"} : f32[]
  return loss = %h
}
)", true);
}

TEST(FuseReduction, CrossEntropyTakesATemperatureAndAWeightAfterIt) {
  ExpectFuse(R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (N, 10)} : f32[N, 10]
  %y = placeholder() {dtype = i64, shape = (N,)} : i64[N]
  %t = constant() {dtype = f32, shape = ()} : f32[] data [2]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %s = div(%z, %t) : f32[N, 10]
  %l = cross_entropy(%s, %y) {ignore_index = -1, label_smoothing = 0.0, reduction = "mean"} : f32[]
  %h = mul(%l, %c) : f32[]
  return loss = %h
}
)",
             R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (N, 10)} : f32[N, 10]
  %y = placeholder() {dtype = i64, shape = (N,)} : i64[N]
  %t = constant() {dtype = f32, shape = ()} : f32[] data [2]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %h = fused_reduction(%z, %t, %y, %c) {program = "t0 = div(in0, in1); t1 = cross_entropy(t0, in2) {ignore_index = -1, label_smoothing = 0.0, reduction = 'mean'}; t2 = mul(t1, in3); return t2"} : f32[]
  return loss = %h
}
)", true);
}

TEST(FuseReduction, CrossEntropyOverSpatialPositionsStaysAndSaysWhy) {
  constexpr const char* kSpatial = R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (2, 3, 5)} : f32[2, 3, 5]
  %y = placeholder() {dtype = i64, shape = (2, 5)} : i64[2, 5]
  %e = exp(%z) : f32[2, 3, 5]
  %l = cross_entropy(%e, %y) {ignore_index = -100, label_smoothing = 0.0, reduction = "mean"} : f32[]
  return loss = %l
}
)";
  const std::string r = ExpectFuse(kSpatial, kSpatial, false);
  EXPECT_TRUE(Has(r, "l (cross_entropy): not fused with its elementwise neighbours: it does not "
                     "reduce trailing axes"))
      << r;
}

// reduce_sum over the leading axis; log_softmax whose prologue is read elsewhere and whose
// result is a graph output; reduce_max (kept dims) whose reader broadcasts it back: fuse leaves
// the graph as it is.
constexpr const char* kNothingToTake = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (4, 8)} : f32[4, 8]
  %e = exp(%x) : f32[4, 8]
  %s = reduce_sum(%e) {axes = [0], keepdims = 0} : f32[8]
  %t = tanh(%x) : f32[4, 8]
  %l = log_softmax(%t) {axis = -1} : f32[4, 8]
  %m = reduce_max(%x) {axes = [-1], keepdims = 1} : f32[4, 1]
  %d = sub(%x, %m) : f32[4, 8]
  return s = %s, l = %l, t = %t, d = %d
}
)";

TEST(FuseReduction, ReductionsThatCannotTakeTheirNeighboursSaySo) {
  const std::string r = ExpectFuse(kNothingToTake, kNothingToTake, false);
  EXPECT_TRUE(Has(r, "s (reduce_sum): not fused with its elementwise neighbours: it does not "
                     "reduce trailing axes"))
      << r;
  EXPECT_TRUE(Has(r, "l (log_softmax): prologue t not fused: its output is a graph output")) << r;
  EXPECT_TRUE(Has(r, "m (reduce_max): epilogue d not fused: it broadcasts the result from (4, "
                     "1) to (4, 8)"))
      << r;
}

TEST(FuseReduction, PrologueReadElsewhereStaysAndTheEpilogueStillJoins) {
  const std::string r = ExpectFuse(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (3, 5)} : f32[3, 5]
  %a = sigmoid(%x) : f32[3, 5]
  %s = softmax(%a) {axis = 1} : f32[3, 5]
  %y = add(%s, %a) : f32[3, 5]
  return y = %y
}
)",
                                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (3, 5)} : f32[3, 5]
  %a = sigmoid(%x) : f32[3, 5]
  %y = fused_reduction(%a) {program = "t0 = softmax(in0) {axis = 1}; t1 = add(t0, in0); return t1"} : f32[3, 5]
  return y = %y
}
)", true);
  EXPECT_TRUE(Has(r, "s (softmax): prologue a not fused: its output is read elsewhere too")) << r;
}

// --- Results through a Session. ---

Tensor Random(Dims dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  return testing::RandomF32(std::move(dims), rng, 1.0);
}

// Runs `text` fused on the cpu backend at 1 and 2 threads and unfused on the ref backend:
// `expect` fused_reduction nodes, the two thread counts bit for bit equal, both within
// tolerance of the reference.
void ExpectMatchesUnfused(const std::string& text, const std::vector<Tensor>& inputs,
                          int expect) {
  SessionOptions one, two, ref;
  two.threads = 2;
  ref.pipeline = {"shape_infer", "dce"};
  ref.backend = "ref";
  Session s1(ParseGraph(text), one), s2(ParseGraph(text), two), sr(ParseGraph(text), ref);
  int fused = 0;
  for (NodeId id : s1.graph().node_ids()) fused += s1.graph().node(id).op_name() == "fused_reduction";
  EXPECT_EQ(fused, expect);
  const std::vector<Tensor> a = s1.Run(inputs), b = s2.Run(inputs), c = sr.Run(inputs);
  ASSERT_EQ(a.size(), c.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].nbytes(), c[k].nbytes());
    EXPECT_EQ(std::memcmp(a[k].raw_data(), b[k].raw_data(), a[k].nbytes()), 0)
        << "output " << k << " differs between 1 and 2 threads";
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      const float x = a[k].data<float>()[i], y = c[k].data<float>()[i];
      ASSERT_NEAR(x, y, 1e-5 + 1e-5 * std::fabs(y)) << "output " << k << " element " << i;
    }
  }
}

TEST(FuseReductionSession, AttentionStyleSoftmaxAndLayerNormMatchTheReference) {
  const std::string text = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 300)} : f32[N, 300]
  %mask = placeholder() {dtype = f32, shape = (300,)} : f32[300]
  %res = placeholder() {dtype = f32, shape = (N, 300)} : f32[N, 300]
  %g = placeholder() {dtype = f32, shape = (300,)} : f32[300]
  %c = constant() {dtype = f32, shape = ()} : f32[] data [0.125]
  %sc = mul(%x, %c) : f32[N, 300]
  %a = add(%sc, %mask) : f32[N, 300]
  %p = softmax(%a) {axis = -1} : f32[N, 300]
  %h = add(%p, %res) : f32[N, 300]
  %n = layer_norm(%h, %g) {eps = 1e-05, normalized_ndim = 1} : f32[N, 300]
  %y = gelu(%n) {approximate = "tanh"} : f32[N, 300]
  %q = mul(%y, %y) : f32[N, 300]
  %m = reduce_mean(%q) {axes = [-1], keepdims = 0} : f32[N]
  %r = sqrt(%m) : f32[N]
  return y = %y, r = %r
}
)";
  for (int64_t n : {1, 7, 200}) {  // 200 rows of 300: several blocks, a partial last one
    const std::vector<Tensor> in = {Random({n, 300}, 1), Random({300}, 2), Random({n, 300}, 3),
                                    Random({300}, 4)};
    // softmax takes the scale and mask, and the residual add as its epilogue; layer_norm then
    // has no prologue left but takes gelu; the mean of squares takes its square and the sqrt
    // (y, a graph output, stays materialized, so the square reads it).
    ExpectMatchesUnfused(text, in, 3);
  }
}

TEST(FuseReductionSession, LossSumsAreTheSameBitsAtOneAndTwoThreads) {
  // Per-block sums added in block order: the thread count does not change the result.
  const std::string text = R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (N, 64)} : f32[N, 64]
  %y = placeholder() {dtype = f32, shape = (N, 64)} : f32[N, 64]
  %p = tanh(%z) : f32[N, 64]
  %l = l1(%p, %y) {reduction = "mean"} : f32[]
  %s = sqrt(%l) : f32[]
  return loss = %s
}
)";
  for (int64_t n : {1, 5, 3000}) {
    ExpectMatchesUnfused(text, {Random({n, 64}, 7), Random({n, 64}, 8)}, 1);
  }
}

TEST(FuseReductionSession, CrossEntropyMeanOverNonIgnoredRowsMatchesTheReference) {
  const std::string text = R"(graph "m" {
  %z = placeholder() {dtype = f32, shape = (N, 10)} : f32[N, 10]
  %y = placeholder() {dtype = i64, shape = (N,)} : i64[N]
  %b = placeholder() {dtype = f32, shape = (10,)} : f32[10]
  %s = add(%z, %b) : f32[N, 10]
  %l = cross_entropy(%s, %y) {ignore_index = -1, label_smoothing = 0.05, reduction = "mean"} : f32[]
  return loss = %l
}
)";
  for (int64_t n : {1, 9, 2500}) {  // 2500 rows of 10: 819 a block, a partial last one
    Tensor y = Tensor::Empty(DType::kI64, {n});
    for (int64_t i = 0; i < n; ++i) y.data<int64_t>()[i] = i % 4 == 3 ? -1 : (i * 7) % 10;
    ExpectMatchesUnfused(text, {Random({n, 10}, 9), y, Random({10}, 10)}, 1);
  }
  // A class index out of range is the loss kernel's error, through the fused node.
  Session s(ParseGraph(text));
  Tensor bad = Tensor::Empty(DType::kI64, {3});
  for (int64_t i = 0; i < 3; ++i) bad.data<int64_t>()[i] = i == 1 ? 10 : 0;
  try {
    s.Run({Random({3, 10}, 1), bad, Random({10}, 2)});
    ADD_FAILURE() << "a target of 10 with 10 classes ran";
  } catch (const InvalidArgumentError& e) {
    EXPECT_TRUE(Has(e.what(), "10")) << e.what();
  }
}

TEST(FuseReductionSession, FewLongRowsGiveTheSameBitsAtOneAndTwoThreads) {
  // 3 rows of 30000: at 2 threads row by row over both threads, at 1 thread a block per row.
  const std::string text = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 30000)} : f32[N, 30000]
  %w = placeholder() {dtype = f32, shape = (30000,)} : f32[30000]
  %a = mul(%x, %w) : f32[N, 30000]
  %p = log_softmax(%a) {axis = -1} : f32[N, 30000]
  %y = sub(%p, %x) : f32[N, 30000]
  return y = %y
}
)";
  for (int64_t n : {1, 3, 9}) {
    ExpectMatchesUnfused(text, {Random({n, 30000}, 5), Random({30000}, 6)}, 1);
  }
}

}  // namespace
}  // namespace bronze
