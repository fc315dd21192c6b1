// Fast CPU kernel for dropout (f32): Philox4x32-10 vectorized with Highway over 64-bit lanes (each
// lane carries one 32-bit word, so the 32x32->64 multiplies are MulEven), one 1024-element block
// at a time, and blocks split across the session's threads with ParallelFor. The mask depends
// only on (seed, offset, element index), so the result is bitwise that of the reference kernel
// (kernels/ref/random.cc, an independent scalar implementation) for any thread count.
#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/random.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Elements per block, and counters per block (each counter gives four words).
constexpr size_t kBlock = 1024;
constexpr size_t kCounters = kBlock / 4;

#if HWY_TARGET == HWY_SCALAR
// No 64-bit lanes to hold words in: the same generator, one counter at a time.
template <class D64>
HWY_INLINE void MaskMultipliers(D64, uint64_t block, size_t j0, size_t j1, uint32_t k0_init,
                                uint32_t k1_init, uint64_t offset, uint64_t threshold, float scale,
                                float* HWY_RESTRICT mult) {
  for (size_t j = j0; j < j1; ++j) {
    const uint64_t counter = kCounters * block + j;
    uint32_t c[4] = {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
                     static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)};
    uint32_t k0 = k0_init, k1 = k1_init;
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      const uint64_t p0 = uint64_t{0xD2511F53u} * c[0], p1 = uint64_t{0xCD9E8D57u} * c[2];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k1;
      c[1] = static_cast<uint32_t>(p1);
      c[3] = static_cast<uint32_t>(p0);
      c[0] = n0;
      c[2] = n2;
    }
    for (size_t k = 0; k < 4; ++k) mult[k * kCounters + j] = c[k] >= threshold ? scale : 0.0f;
  }
}
#else
// Fills mult[k * 256 + j] for counters j in [j0, j1) of block `block` (j1 - j0 a multiple of the
// lane count of d64): scale where word k of counter 256 * block + j is >= threshold, else 0.
template <class D64>
HWY_INLINE void MaskMultipliers(D64 d64, uint64_t block, size_t j0, size_t j1, uint32_t k0_init,
                                uint32_t k1_init, uint64_t offset, uint64_t threshold, float scale,
                                float* HWY_RESTRICT mult) {
  using V = hn::Vec<D64>;
  const hn::Repartition<uint32_t, D64> d32;
  const hn::Rebind<int64_t, D64> di64;
  const hn::Rebind<double, D64> df64;
  const hn::Rebind<float, D64> df32;
  const size_t lanes = hn::Lanes(d64);
  const V lo_mask = hn::Set(d64, uint64_t{0xFFFFFFFFu});
  const auto m0 = hn::BitCast(d32, hn::Set(d64, uint64_t{0xD2511F53u}));
  const auto m1 = hn::BitCast(d32, hn::Set(d64, uint64_t{0xCD9E8D57u}));
  const V c2_init = hn::Set(d64, offset & 0xFFFFFFFFu);
  const V c3_init = hn::Set(d64, offset >> 32);
  const auto thresh = hn::Set(di64, static_cast<int64_t>(threshold));
  const auto vscale = hn::Set(df64, static_cast<double>(scale));
  for (size_t j = j0; j < j1; j += lanes) {
    const V counter = hn::Iota(d64, kCounters * block + j);
    V c0 = hn::And(counter, lo_mask), c1 = hn::ShiftRight<32>(counter), c2 = c2_init, c3 = c3_init;
    uint32_t k0 = k0_init, k1 = k1_init;
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      const V p0 = hn::MulEven(m0, hn::BitCast(d32, c0));  // full 64-bit products of the words
      const V p1 = hn::MulEven(m1, hn::BitCast(d32, c2));
      const V n0 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p1), c1), hn::Set(d64, uint64_t{k0}));
      const V n2 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p0), c3), hn::Set(d64, uint64_t{k1}));
      c1 = hn::And(p1, lo_mask);
      c3 = hn::And(p0, lo_mask);
      c0 = n0;
      c2 = n2;
    }
    const V words[4] = {c0, c1, c2, c3};
    for (size_t k = 0; k < 4; ++k) {
      // Words and threshold are below 2^33, so the signed 64-bit compare is exact.
      const auto drop = hn::Lt(hn::BitCast(di64, words[k]), thresh);
      const auto m = hn::IfThenZeroElse(hn::RebindMask(df64, drop), vscale);
      hn::StoreU(hn::DemoteTo(df32, m), df32, mult + k * kCounters + j);
    }
  }
}
#endif  // HWY_TARGET == HWY_SCALAR

// y[i] = x[i] * multiplier for the elements [begin, end) of x; blocks of 1024 elements.
void DropoutF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t begin_block,
                size_t end_block, size_t n, uint64_t seed, uint64_t offset, uint64_t threshold,
                float scale) {
  const hn::ScalableTag<uint64_t> d64;
  const hn::CappedTag<uint64_t, 1> d64_1;
  const hn::ScalableTag<float> df;
  const hn::CappedTag<float, 1> df1;
  const size_t lanes64 = hn::Lanes(d64), lanes = hn::Lanes(df);
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  HWY_ALIGN float mult[kBlock];
  for (size_t b = begin_block; b < end_block; ++b) {
    const size_t full = kCounters / lanes64 * lanes64;
    MaskMultipliers(d64, b, 0, full, k0, k1, offset, threshold, scale, mult);
    MaskMultipliers(d64_1, b, full, kCounters, k0, k1, offset, threshold, scale, mult);
    const size_t base = b * kBlock, count = std::min(kBlock, n - base);
    const float* xb = x + base;
    float* yb = y + base;
    size_t i = 0;
    for (; i + lanes <= count; i += lanes) {
      hn::StoreU(hn::Mul(hn::LoadU(df, xb + i), hn::Load(df, mult + i)), df, yb + i);
    }
    for (; i < count; ++i) {
      hn::StoreU(hn::Mul(hn::LoadU(df1, xb + i), hn::LoadU(df1, mult + i)), df1, yb + i);
    }
  }
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <cstring>

#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(DropoutF32);

constexpr int64_t kBlock = 1024;

void DropoutKernel(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                   const ExecContext& ctx) {
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  const int64_t n = in[0].numel();
  const double p = attrs.at("p").f();
  if (attrs.at("training").i() == 0 || p == 0.0) {
    ParallelFor(ctx, n, 4 * kParallelGrain, [&](int64_t b, int64_t e) {
      std::memcpy(y + b, x + b, static_cast<size_t>(e - b) * sizeof(float));
    });
    return;
  }
  const uint64_t seed = static_cast<uint64_t>(attrs.at("seed").i());
  const uint64_t offset = in.size() == 2 ? static_cast<uint64_t>(in[1].data<int64_t>()[0]) : 0;
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 4294967296.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const auto fn = &HWY_DYNAMIC_DISPATCH(DropoutF32);
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  ParallelFor(ctx, blocks, kParallelGrain / kBlock, [&](int64_t b, int64_t e) {
    fn(x, y, static_cast<size_t>(b), static_cast<size_t>(e), static_cast<size_t>(n), seed, offset,
       threshold, scale);
  });
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuRandomKernels(KernelRegistry& r) {
  cpu::Register(r, "dropout", DType::kF32, &cpu::DropoutKernel);
}

}  // namespace bronze
#endif  // HWY_ONCE
