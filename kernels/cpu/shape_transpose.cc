// The tile kernels of the fast transpose (kernels/cpu/shape_copy.cc): copy an na x nb tile whose
// source rows run along the destination's columns, d[ia * ds + ib] = s[ib * ss + ia]. Elements
// of 4 and 8 bytes are transposed in registers, 4x4 and 2x2 blocks at a time in 128-bit vectors
// (Highway, runtime dispatch; every x86 target has them), so each load and store moves 16
// contiguous bytes instead of one element; the ragged edges and 1- and 2-byte elements go one
// element at a time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/shape_transpose.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cstdint>

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename U>
HWY_INLINE void ScalarTile(const U* HWY_RESTRICT s, int64_t ss, U* HWY_RESTRICT d, int64_t ds,
                           int64_t ia0, int64_t ia1, int64_t ib0, int64_t ib1) {
  for (int64_t ia = ia0; ia < ia1; ++ia) {
    for (int64_t ib = ib0; ib < ib1; ++ib) d[ia * ds + ib] = s[ib * ss + ia];
  }
}

void TransposeTile32(const uint32_t* HWY_RESTRICT s, int64_t ss, uint32_t* HWY_RESTRICT d,
                     int64_t ds, int64_t na, int64_t nb) {
#if HWY_TARGET == HWY_SCALAR
  ScalarTile(s, ss, d, ds, 0, na, 0, nb);
#else
  const hn::Full128<uint32_t> d32;
  const hn::Full128<uint64_t> d64;
  const int64_t na4 = na & ~int64_t{3}, nb4 = nb & ~int64_t{3};
  for (int64_t ib = 0; ib < nb4; ib += 4) {
    for (int64_t ia = 0; ia < na4; ia += 4) {
      const uint32_t* p = s + ib * ss + ia;
      const auto r0 = hn::LoadU(d32, p), r1 = hn::LoadU(d32, p + ss);
      const auto r2 = hn::LoadU(d32, p + 2 * ss), r3 = hn::LoadU(d32, p + 3 * ss);
      // t0 = a0 b0 a1 b1, t1 = c0 d0 c1 d1, t2 = a2 b2 a3 b3, t3 = c2 d2 c3 d3
      const auto t0 = hn::BitCast(d64, hn::InterleaveLower(d32, r0, r1));
      const auto t1 = hn::BitCast(d64, hn::InterleaveLower(d32, r2, r3));
      const auto t2 = hn::BitCast(d64, hn::InterleaveUpper(d32, r0, r1));
      const auto t3 = hn::BitCast(d64, hn::InterleaveUpper(d32, r2, r3));
      uint32_t* q = d + ia * ds + ib;
      hn::StoreU(hn::BitCast(d32, hn::InterleaveLower(d64, t0, t1)), d32, q);
      hn::StoreU(hn::BitCast(d32, hn::InterleaveUpper(d64, t0, t1)), d32, q + ds);
      hn::StoreU(hn::BitCast(d32, hn::InterleaveLower(d64, t2, t3)), d32, q + 2 * ds);
      hn::StoreU(hn::BitCast(d32, hn::InterleaveUpper(d64, t2, t3)), d32, q + 3 * ds);
    }
  }
  ScalarTile(s, ss, d, ds, na4, na, 0, nb);
  ScalarTile(s, ss, d, ds, 0, na4, nb4, nb);
#endif
}

void TransposeTile64(const uint64_t* HWY_RESTRICT s, int64_t ss, uint64_t* HWY_RESTRICT d,
                     int64_t ds, int64_t na, int64_t nb) {
#if HWY_TARGET == HWY_SCALAR
  ScalarTile(s, ss, d, ds, 0, na, 0, nb);
#else
  const hn::Full128<uint64_t> d64;
  const int64_t na2 = na & ~int64_t{1}, nb2 = nb & ~int64_t{1};
  for (int64_t ib = 0; ib < nb2; ib += 2) {
    for (int64_t ia = 0; ia < na2; ia += 2) {
      const uint64_t* p = s + ib * ss + ia;
      const auto r0 = hn::LoadU(d64, p), r1 = hn::LoadU(d64, p + ss);
      uint64_t* q = d + ia * ds + ib;
      hn::StoreU(hn::InterleaveLower(d64, r0, r1), d64, q);
      hn::StoreU(hn::InterleaveUpper(d64, r0, r1), d64, q + ds);
    }
  }
  ScalarTile(s, ss, d, ds, na2, na, 0, nb);
  ScalarTile(s, ss, d, ds, 0, na2, nb2, nb);
#endif
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/shape_util.h"

namespace bronze::cpu {

HWY_EXPORT(TransposeTile32);
HWY_EXPORT(TransposeTile64);

TileFn<uint32_t> SelectTransposeTile32() { return &HWY_DYNAMIC_DISPATCH(TransposeTile32); }
TileFn<uint64_t> SelectTransposeTile64() { return &HWY_DYNAMIC_DISPATCH(TransposeTile64); }

}  // namespace bronze::cpu
#endif  // HWY_ONCE
