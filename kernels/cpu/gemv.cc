// Small-M matrix products in Highway (see kernels/cpu/gemv.h): every weight is loaded once and
// used for all M (<= 4) rows of the input, with the M x R accumulators in registers (the loops
// over them are fully unrolled: GCC at -O2 would otherwise keep the arrays on the stack).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/gemv.cc"
#include <algorithm>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "kernels/cpu/gemv.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// c[i, j] for i < M and the R rows j0 .. j0 + R - 1 of b (n, k): full vectors along k with
// M x R accumulators, then the scalar tail of k added after the lane sum.
template <int M, int R>
HWY_INLINE void BlockBT(const float* HWY_RESTRICT a, size_t lda, const float* HWY_RESTRICT b,
                        size_t k, size_t j0, float* HWY_RESTRICT c, size_t ldc) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  using V = hn::Vec<decltype(d)>;
  V acc[M][R];
  #pragma GCC unroll 4
  for (int i = 0; i < M; ++i) {
    #pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[i][r] = hn::Zero(d);
  }
  const float* rows[R];
  #pragma GCC unroll 4
  for (int r = 0; r < R; ++r) rows[r] = b + (j0 + static_cast<size_t>(r)) * k;
  size_t p = 0;
  for (; p + lanes <= k; p += lanes) {
    V w[R];
    #pragma GCC unroll 4
    for (int r = 0; r < R; ++r) w[r] = hn::LoadU(d, rows[r] + p);
    #pragma GCC unroll 4
    for (int i = 0; i < M; ++i) {
      const V x = hn::LoadU(d, a + static_cast<size_t>(i) * lda + p);
      #pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[i][r] = hn::MulAdd(x, w[r], acc[i][r]);
    }
  }
  #pragma GCC unroll 4
  for (int i = 0; i < M; ++i) {
    const float* x = a + static_cast<size_t>(i) * lda;
    #pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      float s = hn::GetLane(hn::SumOfLanes(d, acc[i][r]));
      for (size_t q = p; q < k; ++q) s += x[q] * rows[r][q];
      c[static_cast<size_t>(i) * ldc + j0 + static_cast<size_t>(r)] = s;
    }
  }
}

template <int M>
HWY_INLINE void RowsBT(const float* a, size_t lda, const float* b, size_t k, size_t n0,
                       size_t n1, float* c, size_t ldc) {
  size_t j = n0;
  for (; j + 4 <= n1; j += 4) BlockBT<M, 4>(a, lda, b, k, j, c, ldc);
  for (; j < n1; ++j) BlockBT<M, 1>(a, lda, b, k, j, c, ldc);
}

void GemvBTImpl(const float* a, int64_t lda, const float* b, int64_t k, int64_t m, int64_t n0,
                int64_t n1, float* c, int64_t ldc) {
  const auto z = [](int64_t v) { return static_cast<size_t>(v); };
  switch (m) {
    case 1: return RowsBT<1>(a, z(lda), b, z(k), z(n0), z(n1), c, z(ldc));
    case 2: return RowsBT<2>(a, z(lda), b, z(k), z(n0), z(n1), c, z(ldc));
    case 3: return RowsBT<3>(a, z(lda), b, z(k), z(n0), z(n1), c, z(ldc));
    default: return RowsBT<4>(a, z(lda), b, z(k), z(n0), z(n1), c, z(ldc));
  }
}

// c[i, j0 .. j0 + Vn * lanes) for i < M, b (k, n): each row of b is read once per column block,
// each a[i, p] broadcast.
template <int M, int Vn, class D>
HWY_INLINE void BlockBN(D d, const float* HWY_RESTRICT a, size_t lda, const float* HWY_RESTRICT b,
                        size_t ldb, size_t k, size_t j0, float* HWY_RESTRICT c, size_t ldc) {
  const size_t lanes = hn::Lanes(d);
  using V = hn::Vec<D>;
  V acc[M][Vn];
  #pragma GCC unroll 4
  for (int i = 0; i < M; ++i) {
    #pragma GCC unroll 4
    for (int v = 0; v < Vn; ++v) acc[i][v] = hn::Zero(d);
  }
  for (size_t p = 0; p < k; ++p) {
    V w[Vn];
    #pragma GCC unroll 4
    for (int v = 0; v < Vn; ++v) w[v] = hn::LoadU(d, b + p * ldb + j0 + static_cast<size_t>(v) * lanes);
    #pragma GCC unroll 4
    for (int i = 0; i < M; ++i) {
      const V x = hn::Set(d, a[static_cast<size_t>(i) * lda + p]);
      #pragma GCC unroll 4
      for (int v = 0; v < Vn; ++v) acc[i][v] = hn::MulAdd(x, w[v], acc[i][v]);
    }
  }
  #pragma GCC unroll 4
  for (int i = 0; i < M; ++i) {
    #pragma GCC unroll 4
    for (int v = 0; v < Vn; ++v) {
      hn::StoreU(acc[i][v], d, c + static_cast<size_t>(i) * ldc + j0 + static_cast<size_t>(v) * lanes);
    }
  }
}

template <int M>
HWY_INLINE void RowsBN(const float* a, size_t lda, const float* b, size_t ldb, size_t k,
                       size_t n0, size_t n1, float* c, size_t ldc) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  size_t j = n0;
  for (; j + 4 * lanes <= n1; j += 4 * lanes) BlockBN<M, 4>(d, a, lda, b, ldb, k, j, c, ldc);
  for (; j + lanes <= n1; j += lanes) BlockBN<M, 1>(d, a, lda, b, ldb, k, j, c, ldc);
  const hn::CappedTag<float, 1> d1;
  for (; j < n1; ++j) BlockBN<M, 1>(d1, a, lda, b, ldb, k, j, c, ldc);
}

void GemvBNImpl(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, int64_t m,
                int64_t n0, int64_t n1, float* c, int64_t ldc) {
  const auto z = [](int64_t v) { return static_cast<size_t>(v); };
  switch (m) {
    case 1: return RowsBN<1>(a, z(lda), b, z(ldb), z(k), z(n0), z(n1), c, z(ldc));
    case 2: return RowsBN<2>(a, z(lda), b, z(ldb), z(k), z(n0), z(n1), c, z(ldc));
    case 3: return RowsBN<3>(a, z(lda), b, z(ldb), z(k), z(n0), z(n1), c, z(ldc));
    default: return RowsBN<4>(a, z(lda), b, z(ldb), z(k), z(n0), z(n1), c, z(ldc));
  }
}

template <class D>
HWY_INLINE void BiasReluSpan(D d, float* HWY_RESTRICT y, size_t j, float row_bias,
                             const float* HWY_RESTRICT col_bias, const float* HWY_RESTRICT before,
                             const float* HWY_RESTRICT after, bool relu) {
  auto v = hn::Add(hn::LoadU(d, y + j), hn::Set(d, row_bias));
  if (col_bias) v = hn::Add(v, hn::LoadU(d, col_bias + j));
  if (before) v = hn::Add(v, hn::LoadU(d, before + j));
  if (relu) v = hn::Max(v, hn::Zero(d));
  if (after) v = hn::Add(v, hn::LoadU(d, after + j));
  hn::StoreU(v, d, y + j);
}

void BiasReluRowImpl(float* y, int64_t n, float row_bias, const float* col_bias,
                     const float* before, const float* after, bool relu) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d), count = static_cast<size_t>(n);
  size_t j = 0;
  for (; j + lanes <= count; j += lanes) BiasReluSpan(d, y, j, row_bias, col_bias, before, after, relu);
  const hn::CappedTag<float, 1> d1;
  for (; j < count; ++j) BiasReluSpan(d1, y, j, row_bias, col_bias, before, after, relu);
}

// One patch-matrix row of im2col (gemv.h, Im2colRow): per segment, whole vectors of output
// columns (a load, or two and their even lanes for stride 2, then the padding masked to 0)
// while the loads stay inside [x_begin, x_end); the rest element by element.
void Im2colRowImpl(const float* x_begin, const float* x_end, const float* plane, int64_t h,
                   int64_t w, int64_t sw, int64_t dw, int64_t lo, int64_t hi,
                   const Im2colSegment* segs, size_t count, float* HWY_RESTRICT row) {
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto iota = hn::Iota(di, 0);
  const auto vlo = hn::Set(di, static_cast<int32_t>(lo));
  const auto vhi = hn::Set(di, static_cast<int32_t>(hi));
#else
  (void)x_begin;
  (void)x_end;
#endif
  for (size_t k = 0; k < count; ++k) {
    const Im2colSegment& sg = segs[k];
    float* dst = row + sg.at;
    const int64_t n = sg.ow1 - sg.ow0;
    if (sg.ih < 0 || sg.ih >= h) {
      std::fill(dst, dst + n, 0.f);
      continue;
    }
    const float* src = plane + sg.ih * w + dw;  // src[ow * sw] is input column ow * sw + dw
    int64_t ow = sg.ow0;
#if HWY_TARGET != HWY_SCALAR
    if (sw <= 2) {
      for (; ow + lanes <= sg.ow1; ow += lanes) {
        const float* first = src + ow * sw;
        if (first < x_begin || first + sw * lanes > x_end) break;
        const auto col = hn::Add(iota, hn::Set(di, static_cast<int32_t>(ow)));
        const auto inside = hn::RebindMask(d, hn::AndNot(hn::Lt(col, vlo), hn::Lt(col, vhi)));
        auto v = hn::LoadU(d, first);
        if (sw == 2) v = hn::ConcatEven(d, hn::LoadU(d, first + lanes), v);
        hn::StoreU(hn::IfThenElseZero(inside, v), d, dst + (ow - sg.ow0));
      }
    }
#endif
    for (; ow < sg.ow1; ++ow) dst[ow - sg.ow0] = ow >= lo && ow < hi ? src[ow * sw] : 0.f;
  }
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "graph/error.h"

namespace bronze::cpu {

HWY_EXPORT(GemvBTImpl);
HWY_EXPORT(GemvBNImpl);
HWY_EXPORT(BiasReluRowImpl);
HWY_EXPORT(Im2colRowImpl);

void Im2colRow(const float* x_begin, const float* x_end, const float* plane, int64_t h, int64_t w,
               int64_t sw, int64_t dw, int64_t lo, int64_t hi, const Im2colSegment* segs,
               size_t count, float* row) {
  HWY_DYNAMIC_DISPATCH(Im2colRowImpl)(x_begin, x_end, plane, h, w, sw, dw, lo, hi, segs, count,
                                      row);
}

void BiasReluRow(float* y, int64_t n, float row_bias, const float* col_bias, const float* before,
                 const float* after, bool relu) {
  HWY_DYNAMIC_DISPATCH(BiasReluRowImpl)(y, n, row_bias, col_bias, before, after, relu);
}

void GemvBT(const float* a, int64_t lda, const float* b, int64_t k, int64_t m, int64_t n0,
            int64_t n1, float* c, int64_t ldc) {
  if (m < 1 || m > kGemvMaxRows) ThrowInternal("GemvBT: m out of range");
  HWY_DYNAMIC_DISPATCH(GemvBTImpl)(a, lda, b, k, m, n0, n1, c, ldc);
}

void GemvBN(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, int64_t m,
            int64_t n0, int64_t n1, float* c, int64_t ldc) {
  if (m < 1 || m > kGemvMaxRows) ThrowInternal("GemvBN: m out of range");
  HWY_DYNAMIC_DISPATCH(GemvBNImpl)(a, lda, b, ldb, k, m, n0, n1, c, ldc);
}

}  // namespace bronze::cpu
#endif  // HWY_ONCE
