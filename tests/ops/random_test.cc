// Focused tests of dropout: the documented generator (Philox4x32-10, checked here against the
// Random123 known-answer vectors, and the documented element -> counter layout), its statistics
// over 1M elements (kept fraction, exact scale, no correlation between neighbours or between the
// words of one counter), determinism in (seed, offset), fresh masks for new offsets and seeds,
// dtype independence, and identity at inference and p = 0. Reference and fast kernels alike.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <optional>

#include "tests/ops/op_cases.h"
#include "tests/ops/target_sweep.h"

namespace bronze::testing {
namespace {

// Philox4x32-10 written from the paper, independently of the kernels.
std::array<uint32_t, 4> Philox(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  for (int r = 0; r < 10; ++r) {
    const uint64_t a = static_cast<uint64_t>(ctr[0]) * 0xD2511F53u;
    const uint64_t b = static_cast<uint64_t>(ctr[2]) * 0xCD9E8D57u;
    ctr = {static_cast<uint32_t>(b >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(b),
           static_cast<uint32_t>(a >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(a)};
    key = {key[0] + 0x9E3779B9u, key[1] + 0xBB67AE85u};
  }
  return ctr;
}

TEST(Philox, MatchesTheRandom123KnownAnswers) {
  EXPECT_EQ(Philox({0, 0, 0, 0}, {0, 0}),
            (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(Philox({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(Philox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// The documented word of element i: block b = i / 1024, r = i % 1024, counter 256 b + r % 256.
uint32_t Word(uint64_t seed, uint64_t offset, uint64_t i) {
  const uint64_t c = 256 * (i / 1024) + i % 1024 % 256;
  auto w = Philox({static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32),
                   static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)},
                  {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  return w[i % 1024 / 256];
}

Tensor RunDropout(const std::string& backend, const AttrMap& attrs, const Tensor& x,
                  std::optional<int64_t> offset = std::nullopt) {
  std::vector<Tensor> in = {x};
  if (offset) in.push_back(Tensor::Scalar<int64_t>(*offset));
  std::vector<TensorType> types;
  for (const Tensor& t : in) types.push_back({t.dtype(), Shape::FromDims(t.dims())});
  SessionOptions options;
  options.backend = backend;
  options.threads = 2;
  return Session(SingleOpGraph("dropout", attrs, types), options).Run(in)[0];
}

Tensor Ones(int64_t n) {
  return Tensor::FromVector<float>({n}, std::vector<float>(static_cast<size_t>(n), 1.0f));
}

class DropoutTest : public ::testing::TestWithParam<std::string> {};  // the backend

TEST_P(DropoutTest, MaskIsTheDocumentedPhiloxLayout) {
  const int64_t n = 5000;  // four full blocks and a partial one
  const int64_t seed = -1234567890123;
  const int64_t offset = 77;
  const double p = 0.4;
  Tensor y = RunDropout(GetParam(), {{"p", p}, {"seed", seed}}, Ones(n), offset);
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 4294967296.0));
  const float scale = static_cast<float>(1 / (1 - p));
  for (int64_t i = 0; i < n; ++i) {
    const bool keep =
        Word(static_cast<uint64_t>(seed), offset, static_cast<uint64_t>(i)) >= threshold;
    ASSERT_EQ(y.data<float>()[i], keep ? scale : 0.0f) << "element " << i;
  }
  // The known answer for key 0, counter 0: elements 0, 256, 512, 768 get the four words. With
  // p = word / 2^32 exactly the element is kept; one more and it is dropped.
  const uint32_t words[4] = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8};
  for (int k = 0; k < 4; ++k) {
    const double at = words[k] / 4294967296.0, above = (words[k] + 1.0) / 4294967296.0;
    EXPECT_NE(RunDropout(GetParam(), {{"p", at}}, Ones(1024)).data<float>()[256 * k], 0.0f) << k;
    EXPECT_EQ(RunDropout(GetParam(), {{"p", above}}, Ones(1024)).data<float>()[256 * k], 0.0f) << k;
  }
}

TEST_P(DropoutTest, KeepsAboutOneMinusPWithTheExactScaleOverAMillionElements) {
  const int64_t n = 1 << 20;
  for (double p : {0.1, 0.5, 0.8}) {
    SCOPED_TRACE("p " + std::to_string(p));
    Tensor x = MakeInput(F32({n}), 42);
    Tensor y = RunDropout(GetParam(), {{"p", p}, {"seed", 9}}, x, 3);
    const float scale = static_cast<float>(1 / (1 - p));
    int64_t kept = 0, same_as_next = 0, same_as_word_neighbour = 0;
    std::vector<char> keep(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const float xi = x.data<float>()[i], yi = y.data<float>()[i];
      keep[static_cast<size_t>(i)] = yi != 0.0f;
      if (yi != 0.0f) {
        ASSERT_EQ(yi, xi * scale) << "element " << i;  // kept values are exactly x * scale
        ++kept;
      }
    }
    for (int64_t i = 0; i + 1 < n; ++i)
      same_as_next += keep[static_cast<size_t>(i)] == keep[static_cast<size_t>(i + 1)];
    // Elements i and i + 256 of one block share a Philox counter (different output words).
    int64_t pairs = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (i % 1024 >= 768) continue;
      same_as_word_neighbour += keep[static_cast<size_t>(i)] == keep[static_cast<size_t>(i + 256)];
      ++pairs;
    }
    // Binomial: 5 standard deviations.
    const double frac = static_cast<double>(kept) / static_cast<double>(n);
    EXPECT_NEAR(frac, 1 - p, 5 * std::sqrt(p * (1 - p) / static_cast<double>(n)));
    // Independent neighbours agree with probability p^2 + (1 - p)^2.
    const double agree = p * p + (1 - p) * (1 - p);
    const double tol = 5 * std::sqrt(agree * (1 - agree) / static_cast<double>(n));
    EXPECT_NEAR(static_cast<double>(same_as_next) / static_cast<double>(n - 1), agree, tol);
    EXPECT_NEAR(static_cast<double>(same_as_word_neighbour) / static_cast<double>(pairs), agree,
                1.2 * tol);
  }
}

TEST_P(DropoutTest, SameSeedAndOffsetGiveTheSameMaskOthersDoNot) {
  const int64_t n = 100000;
  const AttrMap attrs = {{"p", 0.5}, {"seed", 5}};
  Tensor a = RunDropout(GetParam(), attrs, Ones(n), 10);
  Tensor b = RunDropout(GetParam(), attrs, Ones(n), 10);
  EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0);
  auto differing = [&](const Tensor& u, const Tensor& v) {
    int64_t d = 0;
    for (int64_t i = 0; i < n; ++i) d += u.data<float>()[i] != v.data<float>()[i];
    return static_cast<double>(d) / static_cast<double>(n);
  };
  // Independent masks with p = 0.5 differ at half the positions.
  EXPECT_NEAR(differing(a, RunDropout(GetParam(), attrs, Ones(n), 11)), 0.5, 0.01);
  EXPECT_NEAR(differing(a, RunDropout(GetParam(), {{"p", 0.5}, {"seed", 6}}, Ones(n), 10)), 0.5,
              0.01);
  // No offset input means offset 0.
  Tensor none = RunDropout(GetParam(), attrs, Ones(n));
  Tensor zero = RunDropout(GetParam(), attrs, Ones(n), 0);
  EXPECT_EQ(std::memcmp(none.raw_data(), zero.raw_data(), none.nbytes()), 0);
}

TEST_P(DropoutTest, MaskDoesNotDependOnTheDType) {
  const int64_t n = 3000;
  const AttrMap attrs = {{"p", 0.35}, {"seed", 8}};
  Tensor x = MakeInput(F32({n}), 7);
  Tensor y32 = RunDropout(GetParam(), attrs, x, 4);
  Tensor y64 = RunDropout("ref", attrs, ToF64(x), 4);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(y32.data<float>()[i] == 0.0f, y64.data<double>()[i] == 0.0) << "element " << i;
  }
}

TEST_P(DropoutTest, InferenceAndZeroPAreExactIdentities) {
  Tensor x = MakeInput(F32({4, 1001}), 3);
  for (const AttrMap& attrs : {AttrMap{{"training", 0}, {"p", 0.7}}, AttrMap{{"p", 0.0}}}) {
    Tensor y = RunDropout(GetParam(), attrs, x, 123);
    EXPECT_EQ(std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()), 0);
  }
}

// The fast kernel dispatches at run time to the best Highway target; on every target this machine
// supports (down to the scalar fallback) every dropout case must equal the reference bitwise.
TEST(DropoutTargets, EveryHighwayTargetMatchesTheReferenceBitwise) {
  RecordProperty("targets", ExpectEveryHighwayTargetMatchesTheReference({"dropout"}, true));
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& param) {
  return param.param.empty() ? std::string("fast") : param.param;
}

INSTANTIATE_TEST_SUITE_P(Backends, DropoutTest, ::testing::Values("ref", ""), BackendName);

}  // namespace
}  // namespace bronze::testing
