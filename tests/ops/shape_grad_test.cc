// Gradients of the shape family beyond the random gradient checks: hand-derived backward-op
// values (reflect folding, repeated and negative gather indices, negative-step slices) on the
// reference AND fast CPU kernels; embedding's padding_idx rule (the row gets no gradient, as in
// torch, although the forward reads it: central differences would disagree); and gradient
// graphs over symbolic batch dims, built once and checked at two batch sizes.
#include <gtest/gtest.h>

#include <limits>

#include "tests/ops/op_cases.h"
#include "tests/support/gradcheck.h"

namespace bronze::testing {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const Dim kN = Dim::Symbol("N");

Attribute Ints64(std::vector<int64_t> a) { return Attribute(std::move(a)); }

std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

// Runs `op` on the ref and cpu kernels (2 threads) and checks output 0.
void Expect(const std::string& op, const std::vector<Tensor>& in, const AttrMap& attrs,
            const Dims& dims, const std::vector<double>& values) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  const AttrMap resolved = ResolveAttributes(schema, attrs);
  for (const char* backend : {"ref", "cpu"}) {
    SCOPED_TRACE(std::string(backend) + " " + op);
    const KernelEntry* e =
        KernelRegistry::Global().Find(op, DeviceKind::kCPU, in[0].dtype(), backend);
    ASSERT_NE(e, nullptr);
    std::vector<Tensor> out = RunKernel(*e, op, resolved, in, 2);
    EXPECT_EQ(out[0].dims(), dims);
    EXPECT_EQ(Values(out[0]), values);
  }
}

Tensor F32s(Dims dims, std::vector<float> v) {
  return Tensor::FromVector<float>(std::move(dims), v);
}
Tensor I64s(Dims dims, std::vector<int64_t> v) {
  return Tensor::FromVector<int64_t>(std::move(dims), v);
}

TEST(ShapeGrad, ReflectPadBackwardFoldsTheMirroredBorders) {
  // x = [a, b, c] padded (2, 1) reflects to [c, b, a, b, c, b]: dy lands on c, b, a, b, c, b.
  Tensor dy = F32s({6}, {1, 10, 100, 1000, 10000, 100000});
  Expect("pad_backward", {dy}, {{"pads", Ints64({2, 1})}, {"mode", "reflect"}}, {3},
         {100, 10 + 1000 + 100000, 1 + 10000});
  // 2-D, pads (1, 1) on both dims of a (2, 3) input: rows read 1 0 1 0, columns 1 0 1 2 1.
  // With dy = 1 everywhere, dx counts how often each element is read: row counts (2, 2),
  // column counts (1, 3, 1), so dx = 2 * (1, 3, 1) per row.
  Tensor ones = F32s({4, 5}, std::vector<float>(20, 1.0f));
  Expect("pad_backward", {ones}, {{"pads", Ints64({1, 1, 1, 1})}, {"mode", "reflect"}}, {2, 3},
         {2, 6, 2, 2, 6, 2});
  // Constant mode crops; a negative pad (crop) leaves zeros: pad (-1, 2) of [x0..x3] is
  // [x1, x2, x3, v, v], so dx = [0, dy0, dy1, dy2].
  Expect("pad_backward", {F32s({5}, {1, 2, 3, 4, 5})},
         {{"pads", Ints64({-1, 2})}, {"mode", "constant"}}, {4}, {0, 1, 2, 3});
}

TEST(ShapeGrad, GatherBackwardAddsRepeatedAndNegativeIndices) {
  // data of 3 elements, indices [2, -1, 0, -3]: positions 0 and 1 read element 2, 2 and 3 read
  // element 0, nothing reads element 1.
  Expect("gather_backward", {F32s({4}, {1, 10, 100, 1000}), I64s({4}, {2, -1, 0, -3})},
         {{"shape", Shape{3}}, {"axis", int64_t{0}}}, {3}, {1100, 0, 11});
  // Along axis 1 of a (2, 3) input with indices [1, 1]: dx[:, 1] = dy[:, 0] + dy[:, 1].
  Expect("gather_backward", {F32s({2, 2}, {1, 2, 3, 4}), I64s({2}, {1, 1})},
         {{"shape", Shape{2, 3}}, {"axis", int64_t{1}}}, {2, 3}, {0, 3, 0, 0, 7, 0});
}

TEST(ShapeGrad, SliceBackwardScattersNegativeSteps) {
  // x[::-2] of 5 elements reads x4, x2, x0.
  Expect("slice_backward", {F32s({3}, {1, 2, 3})},
         {{"shape", Shape{5}},
          {"starts", Ints64({-1})},
          {"stops", Ints64({kMin})},
          {"steps", Ints64({-2})}},
         {5}, {3, 0, 2, 0, 1});
}

TEST(ShapeGrad, EmbeddingPaddingIdxRowGetsNoGradient) {
  // torch.nn.functional.embedding(indices, weight, padding_idx=0): the forward reads row 0 like
  // any other, the backward gives it nothing.
  Graph g("embedding_padding");
  GraphBuilder b(g);
  Value w = b.Placeholder("w", DType::kF64, Shape{3, 2});
  Value idx = b.Constant(I64s({4}, {0, 2, 0, 1}), "idx");
  Value out = b.Op1("embedding", {w, idx}, {{"padding_idx", int64_t{0}}});
  Tensor scale = Tensor::FromVector<double>({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {out, b.Constant(scale, "scale")})}));
  NamedTensors grads = AnalyticGradients(g, {"w"}, {{"w", Tensor::Zeros(DType::kF64, {3, 2})}});
  // Row 1 is read at position 3, row 2 at position 1; row 0 (padding) gets zeros.
  EXPECT_EQ(Values(grads.at("w")), (std::vector<double>{0, 0, 7, 8, 3, 4}));
  // The backward op directly, both backends.
  Expect("embedding_backward", {F32s({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), I64s({4}, {0, 2, 0, 1})},
         {{"num_embeddings", int64_t{3}}, {"padding_idx", int64_t{0}}}, {3, 2}, {0, 0, 7, 8, 3, 4});
}

// The loss sum(y * y) of a graph whose placeholders have a symbolic batch dim, checked against
// central differences at batch sizes 2 and 3 (one graph; each run binds N).
void CheckSymbolic(Graph& g, GraphBuilder& b, Value y, const std::vector<std::string>& wrt,
                   const std::function<NamedTensors(int64_t)>& feed) {
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {y, y})}));
  for (int64_t n : {2, 3}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    EXPECT_EQ(CheckGradients(g, wrt, feed(n)), "");
  }
}

Tensor Random(Dims dims, uint64_t seed) {
  return ToF64(MakeInput(F32(std::move(dims)), seed));
}

TEST(ShapeGrad, ViewOpsWorkWithASymbolicBatch) {
  Graph g("symbolic_views");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{kN, 3, 2});
  Value p = b.Placeholder("p", DType::kF64, Shape{1, 2});
  Value r = b.Op1("reshape", {x}, {{"shape", Shape{-1, 2}}});                    // (3N, 2)
  Value e = b.Op1("expand", {p}, {{"shape", Shape{Dim(3) * kN, 2}}});           // (3N, 2)
  Value t = b.Op1("transpose", {b.Op1("mul", {r, e})});                        // (2, 3N)
  Value u = b.Op1("unsqueeze", {t}, {{"axes", Ints64({0})}});                  // (1, 2, 3N)
  Value f = b.Op1("flatten", {b.Op1("squeeze", {u})}, {{"start_dim", 0}});     // (6N,)
  CheckSymbolic(g, b, f, {"x", "p"}, [](int64_t n) {
    return NamedTensors{{"x", Random({n, 3, 2}, 1)}, {"p", Random({1, 2}, 2)}};
  });
}

TEST(ShapeGrad, JoinAndIndexOpsWorkWithASymbolicBatch) {
  Graph g("symbolic_joins");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{kN, 2});
  Value z = b.Placeholder("z", DType::kF64, Shape{Dim(2) * kN, 2});
  // concat of N and 2N rows: the gradient splits a (3, N, 2) view of dy.
  Value c = b.Op1("concat", {x, z});                                              // (3N, 2)
  Value s = b.Op1("stack", {c, c}, {{"axis", -1}});                              // (3N, 2, 2)
  std::vector<Value> parts = b.Op("split", {s}, {{"axis", 1}, {"sizes", Ints64({1, 1})}});
  Value whole = b.Op1("slice", {parts[1]}, {{"starts", Ints64({-1})}, {"stops", Ints64({kMin})},
                                            {"axes", Ints64({0})}, {"steps", Ints64({-1})}});
  Value idx = b.Constant(I64s({3}, {1, 0, -1}), "idx");
  Value gathered = b.Op1("gather", {whole, idx}, {{"axis", -1}});                // (3N, 1, 3)
  Value padded = b.Op1("pad", {gathered}, {{"pads", Ints64({2, 1})}, {"mode", "reflect"}});
  CheckSymbolic(g, b, padded, {"x", "z"}, [](int64_t n) {
    return NamedTensors{{"x", Random({n, 2}, 3)}, {"z", Random({2 * n, 2}, 4)}};
  });
}

}  // namespace
}  // namespace bronze::testing
