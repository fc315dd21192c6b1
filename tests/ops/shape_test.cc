// Semantics of the shape and indexing ops that random conformance cases cannot show: expected
// values written out by hand from the PyTorch / Python definitions (slicing rules, reflect
// padding, negative pads, numpy.take, one_hot, embedding), checked on the reference AND the fast
// CPU kernels; symbolic shape inference (batch dims flowing through); a symbolic graph run at two
// batch sizes; and the fast transpose against its definition y[j, i] = x[i, j] on odd sizes.
#include <gtest/gtest.h>

#include <limits>
#include <numeric>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const Dim kN = Dim::Symbol("N");

Attribute Ints64(std::vector<int64_t> a) { return Attribute(std::move(a)); }

Tensor Arange(DType dtype, Dims dims) {
  Tensor f = Tensor::Empty(DType::kF64, dims);
  for (int64_t i = 0; i < f.numel(); ++i) f.data<double>()[i] = static_cast<double>(i);
  if (dtype == DType::kF64) return f;
  Tensor t = Tensor::Empty(dtype, dims);
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (dtype) {
      case DType::kF32: t.data<float>()[i] = static_cast<float>(i); break;
      case DType::kI32: t.data<int32_t>()[i] = static_cast<int32_t>(i); break;
      case DType::kI64: t.data<int64_t>()[i] = i; break;
      default: ADD_FAILURE() << "Arange: dtype";
    }
  }
  return t;
}

std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

// Runs `op` on the kernel of `backend` at 2 threads.
std::vector<Tensor> RunOn(const std::string& backend, const std::string& op,
                          const std::vector<Tensor>& in, const AttrMap& attrs) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  DType dispatch = in.at(static_cast<size_t>(schema.dispatch_input)).dtype();
  const KernelEntry* e = KernelRegistry::Global().Find(op, DeviceKind::kCPU, dispatch, backend);
  if (!e) throw NotFoundError("no " + backend + " kernel for " + op);
  return RunKernel(*e, op, attrs, in, 2);
}

// Checks output 0 of `op` on both backends against hand-derived dims and values.
void Expect(const std::string& op, const std::vector<Tensor>& in, const AttrMap& attrs,
            const Dims& dims, const std::vector<double>& values, const std::string& what) {
  for (const char* backend : {"ref", "cpu"}) {
    SCOPED_TRACE(std::string(backend) + " " + op + ": " + what);
    std::vector<Tensor> out = RunOn(backend, op, in, attrs);
    EXPECT_EQ(out[0].dims(), dims);
    EXPECT_EQ(Values(out[0]), values);
  }
}

Shape InferredShape(const std::string& op, std::vector<TensorType> in, AttrMap attrs) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  return InferOutputTypes(schema, ResolveAttributes(schema, std::move(attrs)), in, "n", "")[0]
      .shape;
}

AttrMap SliceAttrs(int64_t start, int64_t stop, int64_t step) {
  return {{"starts", Ints64({start})}, {"stops", Ints64({stop})}, {"steps", Ints64({step})}};
}

TEST(ShapeOps, SliceFollowsPythonSlicingRules) {
  Tensor x = Arange(DType::kF32, {10});  // [0, 1, ..., 9]
  struct Case {
    int64_t start, stop, step;
    std::vector<double> want;  // list(range(10))[start:stop:step]
  };
  const std::vector<Case> cases = {
      {2, 8, 3, {2, 5}},
      {-3, kMax, 1, {7, 8, 9}},
      {-1, kMin, -1, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
      {8, 2, -2, {8, 6, 4}},
      {5, 100, 1, {5, 6, 7, 8, 9}},      // stop clamps to the end
      {-100, 3, 1, {0, 1, 2}},           // start clamps to the front
      {7, 3, 1, {}},                     // empty, not reversed
      {-1, kMin, -3, {9, 6, 3, 0}},
      {100, -100, -4, {9, 5, 1}},        // a negative step clamps start to the last element
      {0, 10, kMax, {0}},
      {9, 0, kMin, {9}},
      {-2, -1, 1, {8}},
      {3, -8, -1, {3}},                  // -8 is index 2
  };
  for (const Case& c : cases) {
    Expect("slice", {x}, SliceAttrs(c.start, c.stop, c.step), {static_cast<int64_t>(c.want.size())},
           c.want,
           std::to_string(c.start) + ":" + std::to_string(c.stop) + ":" + std::to_string(c.step));
  }
}

TEST(ShapeOps, SliceOverSeveralAxesAppliesEachAxisRange) {
  Tensor x = Arange(DType::kI32, {3, 4});  // rows [0..3], [4..7], [8..11]
  // x[::-2, 1:3] = rows 2 and 0, columns 1 and 2
  AttrMap attrs{{"starts", Ints64({-1, 1})},
                {"stops", Ints64({kMin, 3})},
                {"axes", Ints64({0, -1})},
                {"steps", Ints64({-2, 1})}};
  Expect("slice", {x}, attrs, {2, 2}, {9, 10, 1, 2}, "rows reversed by 2, middle columns");
}

TEST(ShapeOps, ReflectPadMirrorsWithoutRepeatingTheEdge) {
  Tensor x = Arange(DType::kF32, {3});  // [0, 1, 2]
  AttrMap attrs{{"pads", Ints64({2, 1})}, {"mode", "reflect"}};
  Expect("pad", {x}, attrs, {6}, {2, 1, 0, 1, 2, 1}, "1-D");
  // 2-D: rows [0 1 2], [3 4 5]; pads (1, 1) on both dims. Row order 1 0 1 0, columns 1 0 1 2 1.
  Tensor m = Arange(DType::kF32, {2, 3});
  AttrMap attrs2{{"pads", Ints64({1, 1, 1, 1})}, {"mode", "reflect"}};
  Expect("pad", {m}, attrs2, {4, 5},
         {4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4, 1, 0, 1, 2, 1}, "2-D");
}

TEST(ShapeOps, ConstantPadFillsAndNegativePadsCrop) {
  Tensor x = Arange(DType::kF32, {4});  // [0, 1, 2, 3]
  Expect("pad", {x}, {{"pads", Ints64({-1, 2})}, {"value", 9.0}}, {5}, {1, 2, 3, 9, 9},
         "crop left, pad right");
  // pads are last dim first: (1, 0) on the columns, then (0, 1) on the rows.
  Tensor m = Arange(DType::kF32, {2, 3});
  Expect("pad", {m}, {{"pads", Ints64({1, 0, 0, 1})}, {"value", -1.0}}, {3, 4},
         {-1, 0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1}, "2-D order");
  Expect("pad", {m}, {{"pads", Ints64({0, 0, 3, -1})}}, {4, 3},
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2}, "pad top 3, crop bottom 1");
}

TEST(ShapeOps, IntegerPadValueTruncatesAndBoolTakesNonZero) {
  Expect("pad", {Arange(DType::kI32, {2})}, {{"pads", Ints64({1, 1})}, {"value", -7.9}}, {4},
         {-7, 0, 1, -7}, "i32 truncates toward zero");
  Tensor b = Tensor::FromVector<bool>({1}, {false});
  Expect("pad", {b}, {{"pads", Ints64({0, 1})}, {"value", 0.5}}, {2}, {0, 1}, "bool");
}

TEST(ShapeOps, GatherIsNumpyTake) {
  Tensor data = Arange(DType::kF32, {2, 3});  // [[0 1 2], [3 4 5]]
  // numpy.take(data, [[0, -1]], axis=1): shape (2,) + (1, 2) = (2, 1, 2)
  Tensor idx = Tensor::FromVector<int64_t>({1, 2}, {0, -1});
  Expect("gather", {data, idx}, {{"axis", 1}}, {2, 1, 2}, {0, 2, 3, 5}, "axis 1, 2-D indices");
  // A scalar index removes the axis: data[1]
  Expect("gather", {data, Tensor::Scalar<int32_t>(1)}, {}, {3}, {3, 4, 5}, "scalar index");
  Expect("gather", {data, Tensor::FromVector<int32_t>({3}, {1, -2, 1})}, {}, {3, 3},
         {3, 4, 5, 0, 1, 2, 3, 4, 5}, "repeated rows, -2 wraps to 0");
}

TEST(ShapeOps, OneHotMarksTheClass) {
  Tensor idx = Tensor::FromVector<int64_t>({2}, {2, 0});
  Expect("one_hot", {idx}, {{"num_classes", 3}}, {2, 3}, {0, 0, 1, 1, 0, 0}, "f32 default");
  for (const char* backend : {"ref", "cpu"}) {
    std::vector<Tensor> out =
        RunOn(backend, "one_hot", {idx}, {{"num_classes", 3}, {"dtype", DType::kBool}});
    EXPECT_EQ(out[0].dtype(), DType::kBool) << backend;
    EXPECT_EQ(OutputTypes("one_hot", {{"num_classes", 3}}, {idx})[0].dtype, DType::kF32);
  }
}

TEST(ShapeOps, EmbeddingReadsRowsAndPaddingIdxDoesNotChangeTheForward) {
  Tensor weight = Arange(DType::kF32, {3, 2});  // rows [0 1], [2 3], [4 5]
  Tensor idx = Tensor::FromVector<int32_t>({2, 2}, {2, 0, 0, 1});
  const std::vector<double> want = {4, 5, 0, 1, 0, 1, 2, 3};
  Expect("embedding", {weight, idx}, {}, {2, 2, 2}, want, "no padding_idx");
  Expect("embedding", {weight, idx}, {{"padding_idx", 0}}, {2, 2, 2}, want, "padding_idx 0");
}

TEST(ShapeOps, ExpandStackSplitAndConcatPlaceElementsAsTorch) {
  Tensor col = Arange(DType::kF32, {2, 1});  // [[0], [1]]
  Expect("expand", {col}, {{"shape", Shape{2, -1, 3}}}, {2, 2, 3},
         {0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1}, "new leading dim, -1 keeps, 1 repeats");
  Tensor a = Tensor::FromVector<float>({2}, {1, 2}), b = Tensor::FromVector<float>({2}, {3, 4});
  Expect("stack", {a, b}, {{"axis", -1}}, {2, 2}, {1, 3, 2, 4}, "torch.stack(dim=-1) interleaves");
  Expect("stack", {a, b}, {}, {2, 2}, {1, 2, 3, 4}, "torch.stack(dim=0)");
  Tensor m = Arange(DType::kF32, {2, 2});
  Expect("concat", {m, Tensor::FromVector<float>({2, 1}, {8, 9})}, {{"axis", 1}}, {2, 3},
         {0, 1, 8, 2, 3, 9}, "axis 1");
  for (const char* backend : {"ref", "cpu"}) {
    std::vector<Tensor> out =
        RunOn(backend, "split", {Arange(DType::kF32, {5})}, {{"sizes", Ints64({2, 0, 3})}});
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(Values(out[0]), (std::vector<double>{0, 1})) << backend;
    EXPECT_EQ(out[1].dims(), Dims{0}) << backend;
    EXPECT_EQ(Values(out[2]), (std::vector<double>{2, 3, 4})) << backend;
  }
}

TEST(ShapeOps, SqueezeFlattenAndUnsqueezeShapesMatchTorch) {
  Tensor x = Arange(DType::kF32, {1, 3, 1, 2});
  auto dims_of = [&](const std::string& op, const Tensor& t, AttrMap attrs) {
    return RunOn("cpu", op, {t}, attrs)[0].dims();
  };
  EXPECT_EQ(dims_of("squeeze", x, {}), (Dims{3, 2}));
  EXPECT_EQ(dims_of("squeeze", x, {{"axes", Ints64({1, 2})}}),
            (Dims{1, 3, 2}));  // axis 1 is 3: kept
  EXPECT_EQ(dims_of("flatten", x, {}), (Dims{6}));
  EXPECT_EQ(dims_of("flatten", x, {{"start_dim", 1}}), (Dims{1, 6}));
  EXPECT_EQ(dims_of("flatten", Tensor::Scalar<float>(2), {}), (Dims{1}));
  EXPECT_EQ(dims_of("unsqueeze", x, {{"axes", Ints64({-1})}}), (Dims{1, 3, 1, 2, 1}));
  EXPECT_EQ(dims_of("unsqueeze", Arange(DType::kF32, {3}), {{"axes", Ints64({0, 2})}}),
            (Dims{1, 3, 1}));
}

TEST(ShapeOps, SymbolicDimsFlowThroughShapeFunctions) {
  const TensorType x{DType::kF32, Shape{kN, 3, 4, 5}};
  EXPECT_EQ(InferredShape("flatten", {x}, {{"start_dim", 1}}).ToString(), "(N, 60)");
  EXPECT_EQ(InferredShape("flatten", {x}, {}).ToString(), "(60*N,)");
  EXPECT_EQ(InferredShape("reshape", {x}, {{"shape", Shape{-1, 20}}}).ToString(), "(3*N, 20)");
  EXPECT_EQ(InferredShape("transpose", {x}, {{"perm", Ints64({1, 0, 2, 3})}}).ToString(),
            "(3, N, 4, 5)");
  EXPECT_EQ(InferredShape("squeeze", {{DType::kF32, Shape{kN, 1, 3}}}, {}).ToString(), "(N, 3)");
  EXPECT_EQ(InferredShape("unsqueeze", {x}, {{"axes", Ints64({1})}}).ToString(), "(N, 1, 3, 4, 5)");
  EXPECT_EQ(
      InferredShape("expand", {{DType::kF32, Shape{1, 3}}}, {{"shape", Shape{kN, 3}}}).ToString(),
      "(N, 3)");
  const TensorType rows{DType::kF32, Shape{kN, 2}};
  EXPECT_EQ(InferredShape("concat", {rows, rows}, {}).ToString(), "(2*N, 2)");
  EXPECT_EQ(InferredShape("concat", {{DType::kF32, Shape{0, 2}}, rows}, {}).ToString(), "(N, 2)");
  EXPECT_EQ(InferredShape("concat", {rows, rows}, {{"axis", 1}}).ToString(), "(N, 4)");
  EXPECT_EQ(InferredShape("stack", {rows, rows, rows}, {{"axis", 1}}).ToString(), "(N, 3, 2)");
  EXPECT_EQ(InferredShape("split", {rows}, {{"axis", 1}, {"sizes", Ints64({1, 1})}}).ToString(),
            "(N, 1)");
  EXPECT_EQ(
      InferredShape(
          "slice", {rows},
          {{"starts", Ints64({-1, 1})}, {"stops", Ints64({kMin, 2})}, {"steps", Ints64({-1, 1})}})
          .ToString(),
      "(N, 1)");
  EXPECT_EQ(InferredShape("pad", {rows}, {{"pads", Ints64({1, 2})}}).ToString(), "(N, 5)");
  const TensorType idx{DType::kI64, Shape{kN, Dim::Symbol("T")}};
  EXPECT_EQ(InferredShape("gather", {{DType::kF32, Shape{7, 5}}, idx}, {}).ToString(), "(N, T, 5)");
  EXPECT_EQ(InferredShape("embedding", {{DType::kF32, Shape{100, 16}}, idx}, {}).ToString(),
            "(N, T, 16)");
  EXPECT_EQ(InferredShape("one_hot", {idx}, {{"num_classes", 10}}).ToString(), "(N, T, 10)");
}

TEST(ShapeOps, ASymbolicGraphRunsAtSeveralBatchSizes) {
  Graph g("flatten_then_take");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{kN, 3, 4});
  Value flat = b.Op1("flatten", {x}, {{"start_dim", 1}});
  Value cols = b.Op1("slice", {flat},
                     {{"starts", Ints64({2})},
                      {"stops", Ints64({kMax})},
                      {"axes", Ints64({1})},
                      {"steps", Ints64({5})}});
  b.Output("y", cols);
  SessionOptions options;
  options.threads = 2;
  Session session(g, options);
  for (int64_t n : {2, 5}) {
    Tensor in = Arange(DType::kF32, {n, 3, 4});
    std::vector<Tensor> out = session.Run({in});
    ASSERT_EQ(out[0].dims(), (Dims{n, 2}));  // columns 2 and 7 of each row of 12
    for (int64_t r = 0; r < n; ++r) {
      EXPECT_EQ(out[0].GetAsDouble(2 * r), static_cast<double>(12 * r + 2));
      EXPECT_EQ(out[0].GetAsDouble(2 * r + 1), static_cast<double>(12 * r + 7));
    }
  }
}

TEST(ShapeOps, FastTransposeMatchesItsDefinitionOnOddSizes) {
  for (Dims dims : {Dims{67, 131}, Dims{1, 40}, Dims{33, 1}, Dims{300, 257}}) {
    Tensor x = Arange(DType::kF32, dims);
    Tensor y = RunOn("cpu", "transpose", {x}, {})[0];
    ASSERT_EQ(y.dims(), (Dims{dims[1], dims[0]}));
    bool ok = true;
    for (int64_t i = 0; i < dims[0] && ok; ++i) {
      for (int64_t j = 0; j < dims[1] && ok; ++j) {
        ok = y.data<float>()[j * dims[0] + i] == x.data<float>()[i * dims[1] + j];
      }
    }
    EXPECT_TRUE(ok) << DimsToString(dims);
  }
  // A 4-D permutation whose contiguous input axis lands in the middle of the output.
  Tensor x = Arange(DType::kI64, {3, 5, 7, 9});
  Tensor y = RunOn("cpu", "transpose", {x}, {{"perm", Ints64({3, 1, 0, 2})}})[0];
  ASSERT_EQ(y.dims(), (Dims{9, 5, 3, 7}));
  int64_t bad = 0;
  for (int64_t a = 0; a < 3; ++a) {
    for (int64_t b = 0; b < 5; ++b)
      for (int64_t c = 0; c < 7; ++c)
        for (int64_t d = 0; d < 9; ++d) {
          bad += y.data<int64_t>()[((d * 5 + b) * 3 + a) * 7 + c] !=
                 x.data<int64_t>()[((a * 5 + b) * 7 + c) * 9 + d];
  }
        }
  EXPECT_EQ(bad, 0);
}

TEST(ShapeOps, OutOfRangeIndexErrorNamesTheFirstBadIndexWhateverTheThreads) {
  // 200k indices with two bad ones: both backends, at 1 and 2 threads, report the first.
  std::vector<int64_t> v(200000, 1);
  v[123456] = 9;
  v[150000] = -20;
  Tensor idx = Tensor::FromVector<int64_t>({200000}, v);
  Tensor data = Arange(DType::kF32, {4, 2});
  for (const char* backend : {"ref", "cpu"}) {
    for (int threads : {1, 2}) {
      const KernelEntry* e =
          KernelRegistry::Global().Find("embedding", DeviceKind::kCPU, DType::kF32, backend);
      try {
        RunKernel(*e, "embedding", {}, {data, idx}, threads);
        ADD_FAILURE() << backend << " did not throw";
      } catch (const InvalidArgumentError& err) {
        EXPECT_NE(std::string(err.what()).find("index 9 at position 123456"), std::string::npos)
            << err.what();
      }
    }
  }
}

}  // namespace
}  // namespace bronze::testing
