// The reference kernels are the oracle for every other backend, so they are checked here against
// independent naive code (own index arithmetic, no ref helpers), run through a Session forced to
// the "ref" backend on seeded random inputs: arithmetic with broadcasting, integer division
// errors, relu, exp, matmul, reduce_sum, reshape and transpose.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel.h"
#include "naive_oracle.h"

namespace bronze {
namespace {

using namespace naive;  // NOLINT: the oracles are this file's vocabulary

template <typename T>
class RefNumericTest : public ::testing::Test {};
using NumericTypes = ::testing::Types<float, double, int32_t, int64_t>;
TYPED_TEST_SUITE(RefNumericTest, NumericTypes);

template <typename T>
class RefFloatTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(RefFloatTest, FloatTypes);

TEST(RefKernels, ABoundKernelCopiesItsAttributesAndRunsRepeatedly) {
  const KernelEntry* entry =
      KernelRegistry::Global().Find("reduce_sum", DeviceKind::kCPU, DType::kI64, "ref");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->backend, "ref");
  std::unique_ptr<Kernel> kernel;
  {
    AttrMap attrs{{"axes", std::vector<int64_t>{1}}, {"keepdims", 1}};
    std::vector<TensorType> in{{DType::kI64, Shape{2, 3}}}, out{{DType::kI64, Shape{2, 1}}};
    kernel = entry->factory(KernelSignature{"reduce_sum", attrs, in, out, Device::CPU()});
  }  // the attributes are gone; the bound kernel must hold its own copy
  ExecContext context;
  for (int64_t base : {0, 100}) {
    std::vector<Tensor> x{Tensor::FromVector<int64_t>({2, 3}, {base + 1, 2, 3, 4, 5, base + 6})};
    std::vector<Tensor> y{Tensor::Empty(DType::kI64, {2, 1})};
    kernel->Run(x, y, context);
    EXPECT_EQ(y[0].data<int64_t>()[0], base + 6);
    EXPECT_EQ(y[0].data<int64_t>()[1], base + 15);
  }
}

// ---- arithmetic -----------------------------------------------------------------------------

TYPED_TEST(RefNumericTest, ArithmeticMatchesNaiveUnderBroadcasting) {
  using T = TypeParam;
  std::mt19937 rng(1234);
  const std::vector<std::pair<Dims, Dims>> cases = {
      {{2, 3}, {3}},         {{2, 1, 4}, {3, 1}}, {{}, {2, 2}},     {{2, 2}, {}},  {{}, {}},
      {{3, 1}, {1, 4}},      {{1}, {5}},          {{4, 5}, {4, 5}}, {{0, 3}, {3}}, {{2, 0}, {1}},
      {{1, 2, 1, 3}, {4, 1}}};
  for (const char* op : {"add", "sub", "mul", "div"}) {
    for (const auto& [ad, bd] : cases) {
      const std::string what =
          std::string(op) + " " + DimsToString(ad) + " with " + DimsToString(bd);
      std::vector<T> a = Random<T>(Count(ad), rng);
      std::vector<T> b = Random<T>(Count(bd), rng, /*nonzero=*/std::string(op) == "div");
      Tensor y = RunOp(op, {Tensor::FromVector<T>(ad, a), Tensor::FromVector<T>(bd, b)});
      const Dims od = Broadcast(ad, bd);
      std::vector<T> want(static_cast<size_t>(Count(od)));
      std::vector<double> scale(want.size());
      for (int64_t i = 0; i < Count(od); ++i) {
        Dims idx = Unravel(i, od);
        T x = a[static_cast<size_t>(Ravel(idx, ad))], z = b[static_cast<size_t>(Ravel(idx, bd))];
        T v = op[0] == 'a'   ? T(x + z)
              : op[0] == 's' ? T(x - z)
              : op[0] == 'm' ? T(x * z)
                             : T(x / z);
        want[static_cast<size_t>(i)] = v;
        scale[static_cast<size_t>(i)] = std::abs(static_cast<double>(v));
      }
      ExpectMatches<T>(y, od, want, scale, Eps<T>(), what);
    }
  }
}

TEST(RefKernels, IntegerDivisionTruncatesTowardZero) {
  ExpectMatches<int32_t>(RunOp("div", {Tensor::FromVector<int32_t>({5}, {-7, 7, -7, 7, 0}),
                                       Tensor::FromVector<int32_t>({5}, {2, -2, -2, 2, 5})}),
                         {5}, {-3, -3, 3, 3, 0}, {}, 0, "i32");
  ExpectMatches<int64_t>(
      RunOp("div", {Tensor::FromVector<int64_t>({2}, {-9, 9}), Tensor::Scalar<int64_t>(4)}), {2},
      {-2, 2}, {}, 0, "i64");
}

template <typename T>
void ExpectDivError(T numerator, T divisor, const std::string& why) {
  try {
    RunOp("div",
          {Tensor::FromVector<T>({3}, {1, numerator, 2}), Tensor::FromVector<T>({}, {divisor})}, {},
          "model.py:9");
    FAIL() << "expected InvalidArgumentError for " << why;
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'div' (div)"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find(why), std::string::npos) << e.what();
    EXPECT_EQ(e.location(), "model.py:9");
  }
}

TEST(RefKernels, IntegerDivisionByZeroIsAnErrorNamingTheNode) {
  ExpectDivError<int32_t>(5, 0, "division by zero");
  ExpectDivError<int64_t>(5, 0, "division by zero");
}

TEST(RefKernels, IntMinDividedByMinusOneIsAnOverflowError) {
  ExpectDivError<int32_t>(std::numeric_limits<int32_t>::min(), -1, "overflow");
  ExpectDivError<int64_t>(std::numeric_limits<int64_t>::min(), -1, "overflow");
}

TEST(RefKernels, FloatDivisionByZeroFollowsIeee) {
  Tensor y = RunOp(
      "div", {Tensor::FromVector<float>({3}, {1, -1, 0}), Tensor::FromVector<float>({}, {0})});
  const float* p = y.data<float>();
  EXPECT_EQ(p[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(p[1], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(p[2]));
}

TEST(RefKernels, IntegerAddSubMulWrapAround) {
  const int32_t max32 = std::numeric_limits<int32_t>::max(),
                min32 = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(
      RunOp("add", {Tensor::Scalar<int32_t>(max32), Tensor::Scalar<int32_t>(1)}).data<int32_t>()[0],
      min32);
  EXPECT_EQ(
      RunOp("sub", {Tensor::Scalar<int32_t>(min32), Tensor::Scalar<int32_t>(1)}).data<int32_t>()[0],
      max32);
  EXPECT_EQ(
      RunOp("mul", {Tensor::Scalar<int32_t>(max32), Tensor::Scalar<int32_t>(2)}).data<int32_t>()[0],
      -2);
  const int64_t max64 = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(
      RunOp("add", {Tensor::Scalar<int64_t>(max64), Tensor::Scalar<int64_t>(1)}).data<int64_t>()[0],
      std::numeric_limits<int64_t>::min());
}

// ---- unary ----------------------------------------------------------------------------------

TYPED_TEST(RefNumericTest, ReluMatchesNaive) {
  using T = TypeParam;
  std::mt19937 rng(7);
  for (const Dims& d : {Dims{}, Dims{7}, Dims{3, 4, 5}, Dims{0, 2}}) {
    std::vector<T> x = Random<T>(Count(d), rng);
    for (size_t i = 0; i < x.size() && i < 3; ++i)
      x[i] = T(int(i) % 2 ? int(i) : -int(i));  // 0, 1, -2
    std::vector<T> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) want[i] = x[i] < T(0) ? T(0) : x[i];
    ExpectMatches<T>(RunOp("relu", {Tensor::FromVector<T>(d, x)}), d, want,
                     std::vector<double>(x.size(), 0.0), 0.0, "relu " + DimsToString(d));
  }
}

TYPED_TEST(RefFloatTest, ExpMatchesNaiveIncludingOverflowAndUnderflow) {
  using T = TypeParam;
  std::mt19937 rng(11);
  std::vector<T> x = Random<T>(40, rng);
  x.insert(x.end(), {T(0), T(-1000), T(1000), -std::numeric_limits<T>::infinity()});
  std::vector<T> want(x.size());
  std::vector<double> scale(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    want[i] = static_cast<T>(std::exp(static_cast<long double>(x[i])));
    scale[i] = std::abs(static_cast<double>(want[i]));
  }
  EXPECT_EQ(want[40], T(1));
  EXPECT_EQ(want[41], T(0));
  EXPECT_EQ(want[42], std::numeric_limits<T>::infinity());
  ExpectMatches<T>(RunOp("exp", {Tensor::FromVector<T>({4, 11}, x)}), {4, 11}, want, scale,
                   Eps<T>(), "exp");
}

// ---- matmul ---------------------------------------------------------------------------------

template <typename T>
void CheckMatmul(const Dims& ad0, const Dims& bd0, const Dims& expected_out, std::mt19937& rng) {
  std::vector<T> a = Random<T>(Count(ad0), rng), b = Random<T>(Count(bd0), rng);
  Tensor y = RunOp("matmul", {Tensor::FromVector<T>(ad0, a), Tensor::FromVector<T>(bd0, b)});
  Dims ad = ad0, bd = bd0;
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  const Dims abatch(ad.begin(), ad.end() - 2), bbatch(bd.begin(), bd.end() - 2);
  const Dims batch = Broadcast(abatch, bbatch);
  std::vector<T> want(static_cast<size_t>(Count(batch) * m * n));
  std::vector<double> scale(want.size());
  for (int64_t bi = 0; bi < Count(batch); ++bi) {
    const int64_t pa = Ravel(Unravel(bi, batch), abatch), pb = Ravel(Unravel(bi, batch), bbatch);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        Accum<T> s = 0;
        double mag = 0;
        for (int64_t p = 0; p < k; ++p) {
          Accum<T> term = static_cast<Accum<T>>(a[static_cast<size_t>((pa * m + i) * k + p)]) *
                          static_cast<Accum<T>>(b[static_cast<size_t>((pb * k + p) * n + j)]);
          s += term;
          mag += std::abs(static_cast<double>(term));
        }
        const size_t o = static_cast<size_t>((bi * m + i) * n + j);
        want[o] = static_cast<T>(s);
        scale[o] = mag;
      }
    }
  }
  ExpectMatches<T>(y, expected_out, want, scale, Eps<T>() + 1e-15 * static_cast<double>(k),
                   "matmul " + DimsToString(ad0) + " @ " + DimsToString(bd0));
}

TYPED_TEST(RefNumericTest, MatmulMatchesNaiveForVectorsMatricesAndBroadcastBatches) {
  using T = TypeParam;
  std::mt19937 rng(99);
  CheckMatmul<T>({4}, {4}, {}, rng);
  CheckMatmul<T>({4}, {4, 3}, {3}, rng);
  CheckMatmul<T>({3, 4}, {4}, {3}, rng);
  CheckMatmul<T>({3, 4}, {4, 5}, {3, 5}, rng);
  CheckMatmul<T>({2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}, rng);
  CheckMatmul<T>({4}, {2, 4, 3}, {2, 3}, rng);
  CheckMatmul<T>({2, 3, 4}, {4}, {2, 3}, rng);
  CheckMatmul<T>({3, 1, 2, 2}, {1, 4, 2, 3}, {3, 4, 2, 3}, rng);
  CheckMatmul<T>({0, 4}, {4, 2}, {0, 2}, rng);
}

TYPED_TEST(RefNumericTest, MatmulWithEmptyContractionIsZeros) {
  using T = TypeParam;
  std::mt19937 rng(5);
  Tensor y =
      RunOp("matmul", {Tensor::FromVector<T>({3, 0}, {}), Tensor::FromVector<T>({0, 2}, {})});
  ExpectMatches<T>(y, {3, 2}, std::vector<T>(6, T(0)), std::vector<double>(6, 0.0), 0, "K = 0");
  CheckMatmul<T>({2, 3, 0}, {0, 4}, {2, 3, 4}, rng);
}

// ---- reduce_sum -----------------------------------------------------------------------------

template <typename T>
void CheckReduceSum(const Dims& xd, const std::vector<int64_t>& axes, int keepdims,
                    std::mt19937& rng) {
  const int64_t rank = static_cast<int64_t>(xd.size());
  std::vector<bool> reduced(xd.size(), axes.empty());
  for (int64_t a : axes) reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  Dims od, kept;  // kept: the output with reduced dims as size 1
  for (size_t k = 0; k < xd.size(); ++k) {
    kept.push_back(reduced[k] ? 1 : xd[k]);
    if (!reduced[k] || keepdims) od.push_back(reduced[k] ? 1 : xd[k]);
  }
  std::vector<T> x = Random<T>(Count(xd), rng);
  std::vector<Accum<T>> acc(static_cast<size_t>(Count(kept)), 0);
  std::vector<double> scale(acc.size(), 0.0);
  for (int64_t i = 0; i < Count(xd); ++i) {
    const size_t o = static_cast<size_t>(Ravel(Unravel(i, xd), kept));
    acc[o] += static_cast<Accum<T>>(x[static_cast<size_t>(i)]);
    scale[o] += std::abs(static_cast<double>(x[static_cast<size_t>(i)]));
  }
  std::vector<T> want(acc.begin(), acc.end());
  Tensor y =
      RunOp("reduce_sum", {Tensor::FromVector<T>(xd, x)}, {{"axes", axes}, {"keepdims", keepdims}});
  std::string what = "reduce_sum " + DimsToString(xd) + " axes [";
  for (int64_t a : axes) what += std::to_string(a) + " ";
  ExpectMatches<T>(y, od, want, scale, Eps<T>() + 1e-15 * static_cast<double>(Count(xd)),
                   what + "] keepdims " + std::to_string(keepdims));
}

TYPED_TEST(RefNumericTest, ReduceSumMatchesNaiveOnRanksZeroToThree) {
  using T = TypeParam;
  std::mt19937 rng(42);
  const std::vector<Dims> shapes = {{}, {5}, {3, 4}, {2, 3, 4}};
  const std::vector<std::vector<int64_t>> axes_sets = {{}, {0}, {-1}, {0, 2}, {2, 0}};
  for (const Dims& xd : shapes) {
    for (const auto& axes : axes_sets) {
      bool valid = true;
      for (int64_t a : axes)
        valid = valid && (a < 0 ? -a : a + 1) <= static_cast<int64_t>(xd.size());
      if (!valid) continue;
      for (int keepdims : {0, 1}) CheckReduceSum<T>(xd, axes, keepdims, rng);
    }
  }
}

TYPED_TEST(RefNumericTest, ReduceSumOverEmptyAxisGivesZeros) {
  using T = TypeParam;
  std::mt19937 rng(3);
  CheckReduceSum<T>({0, 3}, {0}, 0, rng);  // (3,) of zeros
  CheckReduceSum<T>({0, 3}, {1}, 1, rng);  // (0, 1): nothing to write
  CheckReduceSum<T>({2, 0}, {}, 0, rng);   // () = 0
}

// ---- reshape and transpose on every dtype ---------------------------------------------------

Tensor RandomBytes(DType dtype, const Dims& d, std::mt19937& rng) {
  Tensor t = Tensor::Empty(dtype, d);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (size_t i = 0; i < t.nbytes(); ++i) {
    p[i] = static_cast<unsigned char>(dtype == DType::kBool ? rng() % 2 : rng() % 256);
  }
  return t;
}

TEST(RefKernels, ReshapeKeepsRowMajorBytesOnEveryDType) {
  std::mt19937 rng(17);
  const std::vector<std::pair<Dims, Shape>> cases = {
      {{2, 3, 4}, Shape{4, -1}}, {{6}, Shape{-1, 2}}, {{1, 1}, Shape{}}, {{0, 3}, Shape{3, -1}}};
  const std::vector<Dims> want_dims = {{4, 6}, {3, 2}, {}, {3, 0}};
  for (DType dtype : kAllDTypes) {
    for (size_t c = 0; c < cases.size(); ++c) {
      Tensor x = RandomBytes(dtype, cases[c].first, rng);
      Tensor y = RunOp("reshape", {x}, {{"shape", cases[c].second}});
      ASSERT_EQ(y.dtype(), dtype);
      ASSERT_EQ(y.dims(), want_dims[c]) << DTypeName(dtype) << " case " << c;
      EXPECT_EQ(std::memcmp(y.raw_data(), x.raw_data(), x.nbytes()), 0) << DTypeName(dtype);
    }
  }
}

TEST(RefKernels, TransposeMatchesNaiveOnEveryDType) {
  std::mt19937 rng(23);
  const std::vector<std::pair<Dims, std::vector<int64_t>>> cases = {{{2, 3, 4}, {}},
                                                                    {{2, 3, 4}, {1, 0, 2}},
                                                                    {{2, 3, 4}, {-1, 0, 1}},
                                                                    {{2, 3, 4}, {2, 0, 1}},
                                                                    {{3, 5}, {}},
                                                                    {{4}, {}},
                                                                    {{}, {}},
                                                                    {{2, 0, 3}, {2, 0, 1}},
                                                                    {{2, 1, 3, 2}, {3, 1, -4, 2}}};
  for (DType dtype : kAllDTypes) {
    const size_t size = DTypeSize(dtype);
    for (const auto& [xd, perm_in] : cases) {
      const int64_t rank = static_cast<int64_t>(xd.size());
      std::vector<int64_t> perm;
      for (int64_t k = 0; k < rank; ++k) {
        perm.push_back(perm_in.empty() ? rank - 1 - k
                                       : (perm_in[static_cast<size_t>(k)] + rank) % rank);
      }
      Dims od;
      for (int64_t p : perm) od.push_back(xd[static_cast<size_t>(p)]);
      Tensor x = RandomBytes(dtype, xd, rng);
      Tensor y = RunOp("transpose", {x}, {{"perm", perm_in}});
      ASSERT_EQ(y.dtype(), dtype);
      ASSERT_EQ(y.dims(), od) << DTypeName(dtype) << " " << DimsToString(xd);
      const auto* px = static_cast<const unsigned char*>(x.raw_data());
      const auto* py = static_cast<const unsigned char*>(y.raw_data());
      for (int64_t o = 0; o < Count(od); ++o) {
        Dims oi = Unravel(o, od), ii(xd.size());
        for (size_t k = 0; k < perm.size(); ++k) ii[static_cast<size_t>(perm[k])] = oi[k];
        const int64_t i = Ravel(ii, xd);
        ASSERT_EQ(std::memcmp(py + static_cast<size_t>(o) * size,
                              px + static_cast<size_t>(i) * size, size),
                  0)
            << DTypeName(dtype) << " " << DimsToString(xd) << " output element " << o;
      }
    }
  }
}

TEST(RefRelu, PropagatesNaNAsPyTorchDoes) {
  for (DType d : {DType::kF32, DType::kF64}) {
    Tensor x = d == DType::kF32 ? Tensor::FromVector<float>({3}, {std::nanf(""), -1.0f, 2.0f})
                                : Tensor::FromVector<double>({3}, {std::nan(""), -1.0, 2.0});
    Tensor y = RunOp("relu", {x});
    EXPECT_TRUE(std::isnan(y.GetAsDouble(0))) << DTypeName(d);
    EXPECT_EQ(y.GetAsDouble(1), 0.0);
    EXPECT_EQ(y.GetAsDouble(2), 2.0);
  }
}

}  // namespace
}  // namespace bronze
