// Per-target (Highway -inl.h) transposition of a block of floats, for kernels that turn rows into
// columns on the way out of their tiles: 16 x 16 blocks in registers on AVX-512 (unpacks and
// 128-bit shuffles: Highway's gathers cost far more on CPUs with the gather-data-sampling
// mitigation), the rest element by element. Include it after hwy/foreach_target.h.
#if defined(BRONZE_KERNELS_CPU_TRANSPOSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BRONZE_KERNELS_CPU_TRANSPOSE_INL_H_
#undef BRONZE_KERNELS_CPU_TRANSPOSE_INL_H_
#else
#define BRONZE_KERNELS_CPU_TRANSPOSE_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {

// True where TransposeFloats moves whole 16 x 16 blocks in registers.
inline constexpr bool kTransposesInRegisters = HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3;

// GCC 12 reports the intrinsics' own undefined-vector idiom as maybe-uninitialized where they
// inline.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// The 16 x 16 block src[i * ss + j] -> dst[j * ds + i], in registers.
HWY_INLINE void Transpose16(const float* src, int64_t ss, float* dst, int64_t ds) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ss);
  // Pairs of rows interleaved, then pairs of pairs: r[4b + q] holds rows 4b..4b+3 of columns
  // q, q + 4, q + 8, q + 12 (one per 128-bit block).
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
    const __m512d c = _mm512_castps_pd(t[i + 2]), e = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, e));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, e));
  }
  // Then the 128-bit blocks: two rounds of taking blocks 0, 2 and 1, 3 of two registers.
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
  }
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ds, r[i]);
}
#endif

// src[i * ss + j] -> dst[j * ds + i] for i < rows, j < cols.
HWY_INLINE void TransposeFloats(const float* src, int64_t ss, int64_t rows, int64_t cols,
                                float* dst, int64_t ds) {
  int64_t full_rows = 0, full_cols = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  full_rows = rows / 16 * 16;
  full_cols = cols / 16 * 16;
  for (int64_t i = 0; i < full_rows; i += 16) {
    for (int64_t j = 0; j < full_cols; j += 16) {
      Transpose16(src + i * ss + j, ss, dst + j * ds + i, ds);
    }
  }
#endif
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = j < full_cols ? full_rows : 0; i < rows; ++i)
      dst[j * ds + i] = src[i * ss + j];
  }
}
#pragma GCC diagnostic pop

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // BRONZE_KERNELS_CPU_TRANSPOSE_INL_H_
