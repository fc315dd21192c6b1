// Session: a graph with a symbolic batch dim runs for several batch sizes, compiles each shape
// once and reuses the plan; inputs of the wrong name, rank, dtype or size fail with errors that
// name the placeholder and both shapes; symbols bound by several inputs must agree.
#include <gtest/gtest.h>

#include "test_util.h"

namespace bronze {
namespace {

using testing::ExpectError;

// y = x @ w + b with x: (N, 3), w: (3, 2), b: (2,).
struct Affine {
  Graph g{"affine"};
  std::vector<float> w = {1, 2, 3, 4, 5, 6}, bias = {0.5f, -0.5f};
  Affine() {
    GraphBuilder b(g);
    Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
    Value wv = b.Parameter("w", Tensor::FromVector<float>({3, 2}, w));
    Value bv = b.Parameter("b", Tensor::FromVector<float>({2}, bias));
    b.Output("y", b.Op1("add", {b.Op1("matmul", {x, wv}), bv}));
  }
  // The same computation written out in the test.
  std::vector<float> Expected(const std::vector<float>& x) const {
    size_t n = x.size() / 3;
    std::vector<float> y(n * 2);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < 2; ++j) {
        float s = bias[j];
        for (size_t k = 0; k < 3; ++k) s += x[i * 3 + k] * w[k * 2 + j];
        y[i * 2 + j] = s;
      }
    }
    return y;
  }
};

std::vector<float> Iota(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + 0.25f * static_cast<float>(i);
  return v;
}

TEST(Session, RunsForSeveralBatchSizesAndCompilesEachShapeOnce) {
  Affine a;
  Session s(a.g);
  EXPECT_EQ(s.num_compiles(), 0);
  for (int64_t n : {1, 7}) {
    std::vector<float> x = Iota(static_cast<size_t>(n) * 3, -1.0f);
    NamedTensors out = s.Run({{"x", Tensor::FromVector<float>({n, 3}, x)}});
    ASSERT_EQ(out.at("y").dims(), (Dims{n, 2}));
    std::vector<float> want = a.Expected(x);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(out.at("y").data<float>()[i], want[i]);
  }
  EXPECT_EQ(s.num_compiles(), 2);
  auto plan7 = s.PlanFor({Tensor::Zeros(DType::kF32, {7, 3})});
  s.Run({{"x", Tensor::Zeros(DType::kF32, {7, 3})}});
  EXPECT_EQ(s.num_compiles(), 2) << "the second run with N = 7 must reuse the plan";
  EXPECT_EQ(s.PlanFor({Tensor::Zeros(DType::kF32, {7, 3})}), plan7) << "same plan object";
  EXPECT_EQ(s.num_cached_plans(), 2u);
  EXPECT_EQ(plan7->bindings().at("N"), 7);
}

TEST(Session, InputOfWrongRankDTypeOrSizeNamesPlaceholderAndShapes) {
  Affine a;
  Session s(a.g);
  ExpectError<ShapeError>([&] { s.Run({{"x", Tensor::Zeros(DType::kF32, {2, 3, 1})}}); },
                          {"input 'x'", "expected shape (N, 3)", "got (2, 3, 1)", "rank"});
  ExpectError<TypeError>([&] { s.Run({{"x", Tensor::Zeros(DType::kF64, {2, 3})}}); },
                         {"input 'x'", "dtype f64", "expected f32"});
  ExpectError<ShapeError>([&] { s.Run({{"x", Tensor::Zeros(DType::kF32, {2, 4})}}); },
                          {"input 'x'", "expected shape (N, 3)", "got (2, 4)", "dim 1 is 4"});
  ExpectError<NotFoundError>([&] { s.Run(NamedTensors{}); }, {"missing input 'x'", "(N, 3)"});
  ExpectError<NotFoundError>(
      [&] { s.Run({{"x", Tensor::Zeros(DType::kF32, {1, 3})}, {"z", Tensor::Zeros(DType::kF32, {1})}}); },
      {"no input 'z'", "inputs: x"});
  EXPECT_EQ(s.num_compiles(), 0) << "rejected inputs compile nothing";
}

TEST(Session, SymbolsBoundByTwoInputsMustAgreeAndProductsAreChecked) {
  Graph g;
  GraphBuilder b(g);
  Dim n = Dim::Symbol("N"), t = Dim::Symbol("T");
  Value x = b.Placeholder("x", DType::kF32, {n, t});
  Value y = b.Placeholder("y", DType::kF32, {n * t});
  b.Output("z", b.Op1("add", {b.Op1("reshape", {x}, {{"shape", Shape{-1}}}), y}));
  Session s(g);
  NamedTensors out = s.Run({{"x", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4})},
                            {"y", Tensor::FromVector<float>({4}, {10, 20, 30, 40})}});
  EXPECT_EQ(out.at("z").dims(), Dims{4});
  EXPECT_EQ(out.at("z").data<float>()[3], 44.0f);
  ExpectError<ShapeError>([&] { s.Run({{"x", Tensor::Zeros(DType::kF32, {2, 3})}, {"y", Tensor::Zeros(DType::kF32, {5})}}); },
                          {"input 'y'", "N*T = 6", "is 5"});

  Graph g2;
  GraphBuilder b2(g2);
  Value p = b2.Placeholder("p", DType::kF32, {n, 2});
  Value q = b2.Placeholder("q", DType::kF32, {n, 2});
  b2.Output("s", b2.Op1("add", {p, q}));
  Session s2(g2);
  ExpectError<ShapeError>([&] { s2.Run({{"p", Tensor::Zeros(DType::kF32, {3, 2})}, {"q", Tensor::Zeros(DType::kF32, {4, 2})}}); },
                          {"input 'q'", "N = 4", "input 'p' set N = 3"});
}

TEST(Session, EmptyBatchRunsAndConstantsWork) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, {Dim::Symbol("N"), 2});
  Value c = b.Constant(Tensor::FromVector<double>({2}, {1.0, -1.0}));
  b.Output("y", b.Op1("relu", {b.Op1("mul", {x, c})}));
  Session s(g);
  EXPECT_EQ(s.Run({{"x", Tensor::Zeros(DType::kF64, {0, 2})}}).at("y").dims(), (Dims{0, 2}));
  NamedTensors out = s.Run({{"x", Tensor::FromVector<double>({1, 2}, {3.0, 4.0})}});
  EXPECT_EQ(out.at("y").data<double>()[0], 3.0);
  EXPECT_EQ(out.at("y").data<double>()[1], 0.0);
}

TEST(Session, KernelErrorsNameTheNodeAndLocation) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kI64, {2});
  b.SetLocation("calc.py:9");
  b.Output("q", b.Op1("div", {x, x}, {}, "ratio"));
  Session s(g);
  ExpectError<InvalidArgumentError>([&] { s.Run({{"x", Tensor::FromVector<int64_t>({2}, {4, 0})}}); },
                                    {"node 'ratio' (div)", "division by zero", "calc.py:9"});
}

TEST(Session, RejectsAnInvalidGraphUpFront) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2});
  Value r = b.Op1("relu", {x}, {}, "r");
  b.Output("r", r);
  g.node(r.node).outputs[0].shape = Shape{3};
  ExpectError<ShapeError>([&] { Session s(g); }, {"node 'r' (relu)", "annotated"});
}

}  // namespace
}  // namespace bronze
