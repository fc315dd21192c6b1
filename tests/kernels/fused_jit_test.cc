// The fused executor's code generator (kernels/cpu/fused_jit.cc) against the tile interpreter
// it replaces (kernels/cpu/fused.cc): every compiled program must give the interpreter's result
// bit for bit (a NaN only needs to be a NaN). The values tell the NaN and signed-zero rules
// apart: maximum and minimum with NaN on either side and equal operands of opposite signs, relu
// of NaN and -0, sqrt of negatives, division by zero, clip bounds equal to an input. Also
// covered: sizes around the 16-element vector (the masked last pass), activations with
// constants and their gradients, scalar inputs and scalar-only instructions, two outputs, an
// output read again, output positions based at a block buffer (fused_reduction's prologue), an
// output large enough for streaming stores, and the longest group. Plans the generator does not
// take stay interpreted. Skips where the build has no Xbyak or the CPU no AVX-512.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "graph/ops/fused.h"
#include "kernels/cpu/fused_plan.h"

namespace bronze::cpu {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// n values cycling through the special ones, then random normals (seeded per input).
std::vector<float> Values(int64_t n, uint64_t seed) {
  static const float special[] = {kNaN, -0.0f, 0.0f, 1.5f, -1.5f, kInf, -kInf, -kNaN, 2.0f};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    // Each input sees the specials at other positions (MaximumAndMinimum... pairs them all).
    const uint64_t k = (static_cast<uint64_t>(i) * (seed + 1)) % 23;
    v[static_cast<size_t>(i)] = k < std::size(special) ? special[k] : normal(rng);
  }
  return v;
}

struct Bound {
  FusedPlan plan;
  std::vector<std::vector<float>> in;
  std::vector<TensorType> out_types;
};

// Binds `program` over inputs of these dims (each filled by Values).
Bound Bind(const std::string& program, const std::vector<Dims>& inputs, int outputs = 1) {
  Bound b;
  std::vector<TensorType> types;
  for (size_t k = 0; k < inputs.size(); ++k) {
    types.push_back(TensorType{DType::kF32, Shape::FromDims(inputs[k])});
    b.in.push_back(Values(NumElements(inputs[k]), k + 1));
  }
  for (int k = 0; k < outputs; ++k) b.out_types.push_back(types[0]);
  EXPECT_TRUE(MakeFusedPlan(ParseFusedProgram(program), types, b.out_types, &b.plan)) << program;
  return b;
}

// Runs positions [begin, end) compiled and interpreted; outputs must match bit for bit (NaNs
// compared by their bits too).
void ExpectSameBits(const Bound& b, int64_t begin, int64_t end, int64_t origin = 0) {
  ASSERT_NE(b.plan.jit, nullptr) << "the program was expected to compile";
  FusedPlan interpreted = b.plan;
  interpreted.jit = nullptr;
  const int64_t numel = NumElements(b.out_types[0].shape.static_dims());
  std::vector<const void*> in;
  for (const auto& v : b.in) in.push_back(v.data());
  const size_t n = static_cast<size_t>(numel - origin);
  // Outputs 64-byte aligned (as the planner's buffers are), so streaming stores can be taken.
  std::vector<std::vector<float>> jit(b.out_types.size(), std::vector<float>(n + 16, 7.0f));
  std::vector<std::vector<float>> ref = jit;
  auto aligned = [](std::vector<float>& v) {
    const uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
    return v.data() + ((64 - p % 64) % 64) / 4;
  };
  std::vector<void*> jo, ro;
  for (size_t k = 0; k < jit.size(); ++k) {
    jo.push_back(aligned(jit[k]));
    ro.push_back(aligned(ref[k]));
  }
  RunFusedRange(b.plan, in.data(), jo.data(), begin, end, origin, true);
  RunFusedRange(interpreted, in.data(), ro.data(), begin, end, origin, true);
  for (size_t k = 0; k < jit.size(); ++k) {
    const float* x = static_cast<const float*>(jo[k]);
    const float* y = static_cast<const float*>(ro[k]);
    for (size_t i = 0; i < n; ++i) {
      uint32_t xb, yb;
      std::memcpy(&xb, x + i, 4);
      std::memcpy(&yb, y + i, 4);
      // Which NaN an operation on two NaNs returns depends on operand order, which the
      // compiler may swap for commutative ops: NaN results only need to be NaN on both sides.
      if (std::isnan(x[i]) && std::isnan(y[i])) continue;
      ASSERT_EQ(xb, yb) << "output " << k << " position " << i + static_cast<size_t>(origin)
                        << ": compiled " << x[i] << ", interpreted " << y[i];
    }
  }
}

class FusedJitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FusedJitAvailable()) GTEST_SKIP() << "no Xbyak in this build or no AVX-512F here";
  }
};

TEST_F(FusedJitTest, EveryOpcodeMatchesTheInterpreterAtSizesAroundAVector) {
  const std::string program =
      "t0 = maximum(in0, in1); t1 = minimum(in1, in0); t2 = relu(in0); t3 = sub(t0, t1); "
      "t4 = div(t3, in1); t5 = sqrt(t4); t6 = abs(t5); t7 = neg(t6); t8 = mul(t7, t2); "
      "t9 = add(t8, in0); t10 = stop_gradient(t9); t11 = maximum(t10, t2); return t11";
  for (int64_t n : {1, 15, 16, 17, 33, 1000, 4099}) {
    const Bound b = Bind(program, {{n}, {n}});
    ExpectSameBits(b, 0, n);
  }
}

TEST_F(FusedJitTest, ActivationsWithConstantsAndTheirGradients) {
  const std::string program =
      "t0 = leaky_relu(in0) {negative_slope = 0.2}; t1 = clip(in1) {max = 1.25, min = -0.5}; "
      "t2 = relu_grad(in0, in1); t3 = leaky_relu_grad(t2, in1) {negative_slope = 0.3}; "
      "t4 = clip_grad(t3, in0) {max = 1.5, min = -1.5}; t5 = reciprocal(t4); t6 = rsqrt(in1); "
      "t7 = add(t0, t1); t8 = sub(t7, t5); t9 = mul(t8, t6); return t9";
  for (int64_t n : {7, 16, 1000}) {
    const Bound b = Bind(program, {{n}, {n}});
    ExpectSameBits(b, 0, n);
  }
  // A bound that is exactly an input value, and bounds in the wrong order (clip gives max).
  const Bound c = Bind("t0 = clip(in0) {max = -1.5, min = 1.5}; t1 = clip(in1) {max = 2.0, min = "
                       "-0.0}; t2 = add(t0, t1); return t2",
                       {{100}, {100}});
  ExpectSameBits(c, 0, 100);
}

TEST_F(FusedJitTest, MaximumAndMinimumFollowTheNaNAndEqualityRules) {
  // Every ordered pair of these values, in both argument orders: equal operands of opposite
  // sign (0 and -0) give b, NaN in a gives a, NaN in b gives b.
  const float v[] = {0.0f, -0.0f, 1.0f, -1.0f, kNaN, -kNaN, kInf, -kInf, 1.0f};
  const size_t k = std::size(v);
  for (const char* op : {"maximum", "minimum"}) {
    Bound b = Bind(std::string("t0 = ") + op + "(in0, in1); t1 = mul(t0, in0); return t0, t1",
                   {{static_cast<int64_t>(k * k)}, {static_cast<int64_t>(k * k)}}, 2);
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < k; ++j) {
        b.in[0][i * k + j] = v[i];
        b.in[1][i * k + j] = v[j];
      }
    }
    ExpectSameBits(b, 0, static_cast<int64_t>(k * k));
  }
}

TEST_F(FusedJitTest, ScalarsScalarInstructionsTwoOutputsAndAnOutputReadAgain) {
  const Bound b = Bind(
      "t0 = mul(in1, in2); t1 = add(in0, t0); t2 = maximum(t1, in1); t3 = mul(t2, t1); "
      "return t1, t3",
      {{3, 700}, {}, {}}, 2);
  EXPECT_EQ(b.plan.scalar_steps.size(), 1u);
  ExpectSameBits(b, 0, 2100);
  ExpectSameBits(b, 160, 1010);  // a range not starting at 0, ending mid-vector
}

TEST_F(FusedJitTest, OutputsBasedAtABlockBuffer) {
  // fused_reduction's prologue writes positions [origin, end) into a buffer of its own.
  const Bound b = Bind("t0 = sub(in0, in1); t1 = mul(t0, t0); return t1", {{40, 51}, {40, 51}});
  ExpectSameBits(b, 51 * 7, 51 * 19, 51 * 7);
}

TEST_F(FusedJitTest, LargeOutputsUseStreamingStores) {
  const int64_t n = (int64_t{16} << 20) / 4 + 21;  // past kStreamingStoreBytes, a partial tail
  const Bound b = Bind("t0 = mul(in0, in0); t1 = add(t0, in0); t2 = neg(t1); return t2", {{n}});
  EXPECT_TRUE(b.plan.nontemporal);
  ExpectSameBits(b, 0, n);
  ExpectSameBits(b, 16 * 1024, n);  // a chunk start: 64-byte aligned when the base is
}

TEST_F(FusedJitTest, TheLongestGroupFitsItsCodeBuffer) {
  // 64 instructions (the fuse pass's group limit), each reading two streams: the largest code.
  std::string program = "t0 = maximum(in0, in1); ";
  for (int i = 1; i < 64; ++i) {
    program += "t" + std::to_string(i) + " = " + (i % 2 ? "minimum" : "maximum") + "(t" +
               std::to_string(i - 1) + ", in" + std::to_string(i % 3) + "); ";
  }
  program += "return t63";
  const Bound b = Bind(program, {{100}, {100}, {100}});
  ExpectSameBits(b, 0, 100);
}

TEST_F(FusedJitTest, OtherPlansStayInterpreted) {
  auto jit_of = [](const std::string& program, std::vector<Dims> in) {
    std::vector<TensorType> types;
    for (const Dims& d : in) types.push_back(TensorType{DType::kF32, Shape::FromDims(d)});
    std::vector<TensorType> out = {types[0]};
    FusedPlan plan;
    EXPECT_TRUE(MakeFusedPlan(ParseFusedProgram(program), types, out, &plan));
    return plan.jit != nullptr;
  };
  EXPECT_TRUE(jit_of("t0 = add(in0, in1); return t0", {{64}, {64}}));
  EXPECT_FALSE(jit_of("t0 = exp(in0); return t0", {{64}}));                   // not arithmetic
  EXPECT_FALSE(jit_of("t0 = add(in0, in1); return t0", {{4, 16}, {16}}));     // gathered row
  EXPECT_FALSE(jit_of("t0 = greater(in0, in1); t1 = where(t0, in0, in1); return t1",
                      {{64}, {64}}));                                           // bool values
}

}  // namespace
}  // namespace bronze::cpu
