// Fast CPU kernels (f32) for reduce_sum, reduce_mean, reduce_prod, reduce_max, reduce_min,
// logsumexp, argmax and argmin, vectorized with Highway and split with ParallelFor.
//
// Any axis set is handled without copying: size-1 dims are dropped and neighbouring dims that
// are both reduced or both kept are merged, leaving alternating groups. When the innermost
// group is reduced ("rows"), each output reduces contiguous rows (one, or several at fixed
// offsets when outer groups are reduced too), with vector accumulators along the row. When the
// innermost group is kept ("columns"), each output row of `width` elements accumulates whole
// input rows, vectorized across the kept inner dim, in tiles of kTile lanes.
//
// Determinism: outputs (or output tiles) are independent and reduced sequentially, so cutting
// them across threads does not change results. When there are fewer than kReduceMinTasks of
// them and each is long, the reduction is cut into fixed chunks (kReduceChunk elements, boundaries
// from the problem size only), reduced in parallel and combined in chunk order: 1 and 2 threads
// give bitwise-identical results.
//
// Accuracy: sums, means and products accumulate in f64 lanes (f32 values promoted), and so do the
// exponentials of logsumexp; max, min, argmax and argmin are exact.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/reduce.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DD = hn::ScalableTag<double>;
using DH = hn::Rebind<float, DD>;  // as many floats as DD has doubles
using DI = hn::RebindToSigned<DF>;
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
constexpr float kInf = std::numeric_limits<float>::infinity();

// --- Rows: a contiguous run of n floats reduced to one value. ---

template <bool kProd>
HWY_INLINE double SumOrProdRow(const float* HWY_RESTRICT x, size_t n) {
  const DD dd;
  const DH dh;
  const size_t N = hn::Lanes(dd);
  const auto init = hn::Set(dd, kProd ? 1.0 : 0.0);
  auto a0 = init, a1 = init, a2 = init, a3 = init;
  auto op = [](auto a, auto b) { return kProd ? hn::Mul(a, b) : hn::Add(a, b); };
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = op(a0, hn::PromoteTo(dd, hn::LoadU(dh, x + i)));
    a1 = op(a1, hn::PromoteTo(dd, hn::LoadU(dh, x + i + N)));
    a2 = op(a2, hn::PromoteTo(dd, hn::LoadU(dh, x + i + 2 * N)));
    a3 = op(a3, hn::PromoteTo(dd, hn::LoadU(dh, x + i + 3 * N)));
  }
  for (; i + N <= n; i += N) a0 = op(a0, hn::PromoteTo(dd, hn::LoadU(dh, x + i)));
  HWY_ALIGN double lanes[kMaxLanes];
  hn::Store(op(op(a0, a1), op(a2, a3)), dd, lanes);
  double r = kProd ? 1.0 : 0.0;
  for (size_t k = 0; k < N; ++k) r = kProd ? r * lanes[k] : r + lanes[k];
  for (; i < n; ++i) r = kProd ? r * x[i] : r + x[i];
  return r;
}

double SumRowF32(const float* x, size_t n) { return SumOrProdRow<false>(x, n); }
double ProdRowF32(const float* x, size_t n) { return SumOrProdRow<true>(x, n); }

// The running max (kMax) or min, taking v where it is better or NaN (so NaN propagates).
template <bool kMax, class V>
HWY_INLINE V Better(V best, V v) {
  const auto take = kMax ? hn::Gt(v, best) : hn::Lt(v, best);
  return hn::IfThenElse(hn::Or(take, hn::IsNaN(v)), v, best);
}
template <bool kMax>
HWY_INLINE float BetterScalar(float best, float v) {
  return (kMax ? v > best : v < best) || std::isnan(v) ? v : best;
}

template <bool kMax>
HWY_INLINE float ExtremeRow(const float* HWY_RESTRICT x, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const float init = kMax ? -kInf : kInf;
  auto b0 = hn::Set(d, init), b1 = b0, b2 = b0, b3 = b0;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    b0 = Better<kMax>(b0, hn::LoadU(d, x + i));
    b1 = Better<kMax>(b1, hn::LoadU(d, x + i + N));
    b2 = Better<kMax>(b2, hn::LoadU(d, x + i + 2 * N));
    b3 = Better<kMax>(b3, hn::LoadU(d, x + i + 3 * N));
  }
  for (; i + N <= n; i += N) b0 = Better<kMax>(b0, hn::LoadU(d, x + i));
  b0 = Better<kMax>(Better<kMax>(b0, b1), Better<kMax>(b2, b3));
  float r = std::numeric_limits<float>::quiet_NaN();
  if (hn::AllFalse(d, hn::IsNaN(b0)))
    r = hn::GetLane(kMax ? hn::MaxOfLanes(d, b0) : hn::MinOfLanes(d, b0));
  for (; i < n; ++i) r = BetterScalar<kMax>(r, x[i]);
  return r;
}

float MaxRowF32(const float* x, size_t n) { return ExtremeRow<true>(x, n); }
float MinRowF32(const float* x, size_t n) { return ExtremeRow<false>(x, n); }

// Sum of exp(x - m) in f64 lanes, for a finite m (so x - m is in [-inf, 0] and exp is exact
// enough and never overflows).
double SumExpRowF32(const float* HWY_RESTRICT x, size_t n, float m) {
  const DD dd;
  const DH dh;
  const size_t N = hn::Lanes(dd);
  const auto vm = hn::Set(dh, m);
  auto a0 = hn::Zero(dd), a1 = a0;
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    a0 = hn::Add(a0, hn::PromoteTo(dd, hn::Exp(dh, hn::Sub(hn::LoadU(dh, x + i), vm))));
    a1 = hn::Add(a1, hn::PromoteTo(dd, hn::Exp(dh, hn::Sub(hn::LoadU(dh, x + i + N), vm))));
  }
  for (; i + N <= n; i += N)
    a0 = hn::Add(a0, hn::PromoteTo(dd, hn::Exp(dh, hn::Sub(hn::LoadU(dh, x + i), vm))));
  double r = hn::GetLane(hn::SumOfLanes(dd, hn::Add(a0, a1)));
  for (; i < n; ++i) r += std::exp(static_cast<double>(x[i]) - m);
  return r;
}

// Index (< n <= 2^30) and value of the first largest (kMax) or smallest element; the first NaN
// wins. Lanes track their own first best; ties between lanes go to the smaller index.
template <bool kMax>
HWY_INLINE int64_t ArgRow(const float* HWY_RESTRICT x, size_t n, float* value) {
  const DF d;
  const DI di;
  const size_t N = hn::Lanes(d);
  const float init = kMax ? -kInf : kInf;
  auto best = hn::Set(d, init);
  auto at = hn::Zero(di);
  auto idx = hn::Iota(di, 0);
  const auto step = hn::Set(di, static_cast<int32_t>(N));
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(d, x + i);
    const auto take = hn::Or(kMax ? hn::Gt(v, best) : hn::Lt(v, best),
                             hn::And(hn::IsNaN(v), hn::Not(hn::IsNaN(best))));
    best = hn::IfThenElse(take, v, best);
    at = hn::IfThenElse(hn::RebindMask(di, take), idx, at);
    idx = hn::Add(idx, step);
  }
  HWY_ALIGN float lane_v[kMaxLanes];
  HWY_ALIGN int32_t lane_i[kMaxLanes];
  hn::Store(best, d, lane_v);
  hn::Store(at, di, lane_i);
  float bv = init;
  int64_t bi = 0;
  for (size_t k = 0; k < N; ++k) {
    const float v = lane_v[k];
    const int64_t j = lane_i[k];
    bool take;
    if (std::isnan(v))
      take = !std::isnan(bv) || j < bi;
    else
      take = !std::isnan(bv) && ((kMax ? v > bv : v < bv) || (v == bv && j < bi));
    if (take) bv = v, bi = j;
  }
  for (; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(bv)) break;
    if ((kMax ? v > bv : v < bv) || std::isnan(v)) bv = v, bi = static_cast<int64_t>(i);
  }
  *value = bv;
  return bi;
}

int64_t ArgMaxRowF32(const float* x, size_t n, float* value) { return ArgRow<true>(x, n, value); }
int64_t ArgMinRowF32(const float* x, size_t n, float* value) { return ArgRow<false>(x, n, value); }

// --- Columns: `rows` rows of `width` floats, `stride` apart, folded into acc[0, width). ---

template <bool kProd>
HWY_INLINE void SumOrProdCols(const float* HWY_RESTRICT x, size_t stride, size_t rows, size_t width,
                              double* HWY_RESTRICT acc) {
  const DD dd;
  const DH dh;
  const size_t N = hn::Lanes(dd);
  auto op = [](auto a, auto b) { return kProd ? hn::Mul(a, b) : hn::Add(a, b); };
  auto sop = [](double a, double b) { return kProd ? a * b : a + b; };
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {  // four rows at a time: acc op ((x0 op x1) op (x2 op x3))
    const float* p0 = x + r * stride;
    const float* p1 = p0 + stride;
    const float* p2 = p1 + stride;
    const float* p3 = p2 + stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      const auto v01 =
          op(hn::PromoteTo(dd, hn::LoadU(dh, p0 + j)), hn::PromoteTo(dd, hn::LoadU(dh, p1 + j)));
      const auto v23 =
          op(hn::PromoteTo(dd, hn::LoadU(dh, p2 + j)), hn::PromoteTo(dd, hn::LoadU(dh, p3 + j)));
      hn::StoreU(op(hn::LoadU(dd, acc + j), op(v01, v23)), dd, acc + j);
    }
    for (; j < width; ++j) {
      acc[j] = sop(acc[j], sop(sop(p0[j], p1[j]), sop(p2[j], p3[j])));
    }
  }
  for (; r < rows; ++r) {
    const float* p = x + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      hn::StoreU(op(hn::LoadU(dd, acc + j), hn::PromoteTo(dd, hn::LoadU(dh, p + j))), dd, acc + j);
    }
    for (; j < width; ++j) acc[j] = sop(acc[j], p[j]);
  }
}

void SumColsF32(const float* x, size_t stride, size_t rows, size_t width, double* acc) {
  SumOrProdCols<false>(x, stride, rows, width, acc);
}
void ProdColsF32(const float* x, size_t stride, size_t rows, size_t width, double* acc) {
  SumOrProdCols<true>(x, stride, rows, width, acc);
}

template <bool kMax>
HWY_INLINE void ExtremeCols(const float* HWY_RESTRICT x, size_t stride, size_t rows, size_t width,
                            float* HWY_RESTRICT acc) {
  const DF d;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const float* p = x + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      hn::StoreU(Better<kMax>(hn::LoadU(d, acc + j), hn::LoadU(d, p + j)), d, acc + j);
    }
    for (; j < width; ++j) acc[j] = BetterScalar<kMax>(acc[j], p[j]);
  }
}

void MaxColsF32(const float* x, size_t stride, size_t rows, size_t width, float* acc) {
  ExtremeCols<true>(x, stride, rows, width, acc);
}
void MinColsF32(const float* x, size_t stride, size_t rows, size_t width, float* acc) {
  ExtremeCols<false>(x, stride, rows, width, acc);
}

// acc[j] += sum over rows of exp(x[r][j] - m[j]). Lanes whose m is not finite compute garbage
// that the caller discards (the result there is m itself).
void SumExpColsF32(const float* HWY_RESTRICT x, size_t stride, size_t rows, size_t width,
                   const float* HWY_RESTRICT m, double* HWY_RESTRICT acc) {
  const DD dd;
  const DH dh;
  const size_t N = hn::Lanes(dd);
  for (size_t r = 0; r < rows; ++r) {
    const float* p = x + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      const auto e = hn::Exp(dh, hn::Sub(hn::LoadU(dh, p + j), hn::LoadU(dh, m + j)));
      hn::StoreU(hn::Add(hn::LoadU(dd, acc + j), hn::PromoteTo(dd, e)), dd, acc + j);
    }
    for (; j < width; ++j) acc[j] += std::exp(static_cast<double>(p[j]) - m[j]);
  }
}

// Running argmax / argmin per column: rows are numbered from `row0`; the first best wins, NaN
// counts as the best.
template <bool kMax>
HWY_INLINE void ArgCols(const float* HWY_RESTRICT x, size_t stride, size_t rows, size_t width,
                        int32_t row0, float* HWY_RESTRICT best, int32_t* HWY_RESTRICT at) {
  const DF d;
  const DI di;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const float* p = x + r * stride;
    const int32_t row = row0 + static_cast<int32_t>(r);
    const auto vr = hn::Set(di, row);
    size_t j = 0;
    for (; j + N <= width; j += N) {
      const auto b = hn::LoadU(d, best + j);
      const auto v = hn::LoadU(d, p + j);
      const auto take =
          hn::Or(kMax ? hn::Gt(v, b) : hn::Lt(v, b), hn::And(hn::IsNaN(v), hn::Not(hn::IsNaN(b))));
      hn::StoreU(hn::IfThenElse(take, v, b), d, best + j);
      hn::StoreU(hn::IfThenElse(hn::RebindMask(di, take), vr, hn::LoadU(di, at + j)), di, at + j);
    }
    for (; j < width; ++j) {
      const float v = p[j];
      if (((kMax ? v > best[j] : v < best[j]) && !std::isnan(best[j])) ||
          (std::isnan(v) && !std::isnan(best[j]))) {
        best[j] = v, at[j] = row;
      }
    }
  }
}

void ArgMaxColsF32(const float* x, size_t stride, size_t rows, size_t width, int32_t row0,
                   float* best, int32_t* at) {
  ArgCols<true>(x, stride, rows, width, row0, best, at);
}
void ArgMinColsF32(const float* x, size_t stride, size_t rows, size_t width, int32_t row0,
                   float* best, int32_t* at) {
  ArgCols<false>(x, stride, rows, width, row0, best, at);
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <vector>

#include "graph/ops/common.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/reduce_internal.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(SumRowF32);
HWY_EXPORT(ProdRowF32);
HWY_EXPORT(MaxRowF32);
HWY_EXPORT(MinRowF32);
HWY_EXPORT(SumExpRowF32);
HWY_EXPORT(ArgMaxRowF32);
HWY_EXPORT(ArgMinRowF32);
HWY_EXPORT(SumColsF32);
HWY_EXPORT(ProdColsF32);
HWY_EXPORT(MaxColsF32);
HWY_EXPORT(MinColsF32);
HWY_EXPORT(SumExpColsF32);
HWY_EXPORT(ArgMaxColsF32);
HWY_EXPORT(ArgMinColsF32);

using AccRowFn = double (*)(const float*, size_t);
using AccColsFn = void (*)(const float*, size_t, size_t, size_t, double*);
using ExtremeRowFn = float (*)(const float*, size_t);
using ExtremeColsFn = void (*)(const float*, size_t, size_t, size_t, float*);
using ArgRowFn = int64_t (*)(const float*, size_t, float*);
using ArgColsFn = void (*)(const float*, size_t, size_t, size_t, int32_t, float*, int32_t*);

constexpr int64_t kTile = 512;  // output lanes per column task
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The reduction problem after dropping size-1 dims and merging neighbours (see the file comment).
struct Layout {
  bool rows = false;    // the innermost group is reduced
  int64_t width = 1;    // its size: the row length (rows) or the kept inner width (columns)
  int64_t outputs = 1;  // rows: output elements; columns: output rows of `width` elements
  int64_t reduced = 1;  // rows: input rows per output; columns: input rows per output row
  int64_t run = 1;      // columns: rows `width` apart (the innermost reduced group's size)
  std::vector<int64_t> out_sizes, out_strides, red_sizes, red_strides;

  static int64_t Offset(int64_t idx, const std::vector<int64_t>& sizes,
                        const std::vector<int64_t>& strides) {
    int64_t off = 0;
    for (size_t k = sizes.size(); k-- > 0;) {
      off += (idx % sizes[k]) * strides[k];
      idx /= sizes[k];
    }
    return off;
  }
  int64_t OutOffset(int64_t o) const { return Offset(o, out_sizes, out_strides); }
  int64_t RedOffset(int64_t r) const { return Offset(r, red_sizes, red_strides); }
};

Layout MakeLayout(const Dims& dims, const std::vector<int64_t>& axes) {
  std::vector<int64_t> size;
  std::vector<bool> reduced;
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] == 1) continue;
    bool red = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(k));
    if (!size.empty() && reduced.back() == red) {
      size.back() *= dims[k];
    } else {
      size.push_back(dims[k]);
      reduced.push_back(red);
    }
  }
  Layout l;
  if (size.empty()) return l;  // one element: a column of width 1
  std::vector<int64_t> stride(size.size(), 1);
  for (size_t k = size.size() - 1; k-- > 0;) stride[k] = stride[k + 1] * size[k + 1];
  l.rows = reduced.back();
  l.width = size.back();
  for (size_t k = 0; k + 1 < size.size(); ++k) {
    if (reduced[k]) {
      l.red_sizes.push_back(size[k]);
      l.red_strides.push_back(stride[k]);
      l.reduced *= size[k];
    } else {
      l.out_sizes.push_back(size[k]);
      l.out_strides.push_back(stride[k]);
      l.outputs *= size[k];
    }
  }
  if (!l.rows && !l.red_sizes.empty()) l.run = l.red_sizes.back();
  return l;
}

// Rows: output o reduces rows r in [0, reduced), each `width` contiguous floats at
// OutOffset(o) + RedOffset(r). A policy P says how (see SumPolicy).
template <class P>
void RunRows(const Layout& l, const float* x, const P& p, const ExecContext& ctx) {
  const int64_t n = l.width;
  const int64_t total = l.reduced * n;  // elements per output
  // Reduces elements [b, e) of output o's sequence into s.
  auto reduce_range = [&](typename P::Row& s, int64_t o, int64_t b, int64_t e) {
    const float* base = x + l.OutOffset(o);
    while (b < e) {
      const int64_t r = b / n, off = b % n, len = std::min(n - off, e - b);
      p.RowPiece(s, base + l.RedOffset(r) + off, len, b, o);
      b += len;
    }
  };
  if (l.outputs >= kReduceMinTasks || total <= kReduceChunk) {
    ParallelFor(ctx, l.outputs, std::max<int64_t>(1, kParallelGrain / total),
                [&](int64_t b, int64_t e) {
                  for (int64_t o = b; o < e; ++o) {
                    typename P::Row s = p.RowInit();
                    reduce_range(s, o, 0, total);
                    p.RowFinish(s, o);
                  }
                });
    return;
  }
  const int64_t chunks = NumChunks(total, kReduceChunk);
  std::vector<typename P::Row> part(static_cast<size_t>(l.outputs * chunks), p.RowInit());
  ParallelFor(ctx, l.outputs * chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t c = t % chunks;
      reduce_range(part[static_cast<size_t>(t)], t / chunks, c * kReduceChunk,
                   std::min(total, (c + 1) * kReduceChunk));
    }
  });
  for (int64_t o = 0; o < l.outputs; ++o) {
    typename P::Row s = part[static_cast<size_t>(o * chunks)];
    for (int64_t c = 1; c < chunks; ++c) p.RowMerge(s, part[static_cast<size_t>(o * chunks + c)]);
    p.RowFinish(s, o);
  }
}

// Columns: output row o (y[o * width ...]) folds input rows r in [0, reduced), each at
// OutOffset(o) + RedOffset(r); rows within a run of `run` are `width` apart. Work is split into
// tiles of kTile output lanes.
template <class P>
void RunCols(const Layout& l, const float* x, const P& p, const ExecContext& ctx) {
  const int64_t w = l.width, tile = std::min(w, kTile), tiles = (w + tile - 1) / tile;
  const int64_t tasks = l.outputs * tiles;
  // Folds rows [rb, re) of output row o into acc, for lanes [j0, j0 + tw); rows count from rb.
  auto fold = [&](typename P::Col& acc, int64_t o, int64_t j0, int64_t tw, int64_t rb, int64_t re) {
    const float* base = x + l.OutOffset(o) + j0;
    for (int64_t r = rb; r < re;) {
      const int64_t len = std::min(l.run - r % l.run, re - r);
      p.ColPiece(acc, base + l.RedOffset(r), w, len, tw, r - rb, o * w + j0);
      r += len;
    }
  };
  auto lanes = [&](int64_t t, int64_t* o, int64_t* j0, int64_t* tw) {
    *o = t / tiles;
    *j0 = (t % tiles) * tile;
    *tw = std::min(tile, w - *j0);
  };
  if (tasks >= kReduceMinTasks || l.reduced * tile <= kReduceChunk) {
    ParallelFor(ctx, tasks, std::max<int64_t>(1, kParallelGrain / (l.reduced * tile)),
                [&](int64_t b, int64_t e) {
                  typename P::Col acc;
                  for (int64_t t = b; t < e; ++t) {
                    int64_t o, j0, tw;
                    lanes(t, &o, &j0, &tw);
                    p.ColInit(acc, tw);
                    fold(acc, o, j0, tw, 0, l.reduced);
                    p.ColFinish(acc, tw, o * w + j0);
                  }
                });
    return;
  }
  const int64_t rows_per_chunk = std::max<int64_t>(1, kReduceChunk / tile);
  const int64_t chunks = NumChunks(l.reduced, rows_per_chunk);
  std::vector<typename P::Col> part(static_cast<size_t>(tasks * chunks));
  ParallelFor(ctx, tasks * chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      int64_t o, j0, tw;
      lanes(u / chunks, &o, &j0, &tw);
      const int64_t c = u % chunks;
      typename P::Col& acc = part[static_cast<size_t>(u)];
      p.ColInit(acc, tw);
      fold(acc, o, j0, tw, c * rows_per_chunk, std::min(l.reduced, (c + 1) * rows_per_chunk));
    }
  });
  ParallelFor(ctx, tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o, j0, tw;
      lanes(t, &o, &j0, &tw);
      typename P::Col& acc = part[static_cast<size_t>(t * chunks)];
      for (int64_t c = 1; c < chunks; ++c) {
        p.ColMerge(acc, part[static_cast<size_t>(t * chunks + c)], tw, c * rows_per_chunk);
      }
      p.ColFinish(acc, tw, o * w + j0);
    }
  });
}

template <class P>
void Run(const Layout& l, const float* x, const P& p, const ExecContext& ctx) {
  if (l.rows)
    RunRows(l, x, p, ctx);
  else
    RunCols(l, x, p, ctx);
}

// --- Policies: how one output is reduced. Row is the state of a row reduction (or of one chunk
// of it), Col the state of a tile of kTile column lanes. Piece functions fold data in; Merge
// folds a later chunk's state in; Finish writes the output(s), at output index `o` / `at`. ---

// reduce_sum, reduce_mean (divide by `count`) and reduce_prod, in f64.
struct SumPolicy {
  using Row = double;
  struct Col {
    double v[kTile];
  };
  bool prod = false;
  bool mean = false;
  double count = 1;
  AccRowFn row;
  AccColsFn cols;
  float* y;

  Row RowInit() const { return prod ? 1.0 : 0.0; }
  void RowPiece(Row& s, const float* x, int64_t n, int64_t, int64_t) const {
    const double v = row(x, static_cast<size_t>(n));
    s = prod ? s * v : s + v;
  }
  void RowMerge(Row& a, const Row& b) const { a = prod ? a * b : a + b; }
  float Final(double s) const { return static_cast<float>(mean ? s / count : s); }
  void RowFinish(const Row& s, int64_t o) const { y[o] = Final(s); }
  void ColInit(Col& c, int64_t tw) const { std::fill(c.v, c.v + tw, prod ? 1.0 : 0.0); }
  void ColPiece(Col& c, const float* x, int64_t stride, int64_t rows, int64_t tw, int64_t,
                int64_t) const {
    cols(x, static_cast<size_t>(stride), static_cast<size_t>(rows), static_cast<size_t>(tw), c.v);
  }
  void ColMerge(Col& a, const Col& b, int64_t tw, int64_t) const {
    for (int64_t j = 0; j < tw; ++j) a.v[j] = prod ? a.v[j] * b.v[j] : a.v[j] + b.v[j];
  }
  void ColFinish(const Col& c, int64_t tw, int64_t at) const {
    for (int64_t j = 0; j < tw; ++j) y[at + j] = Final(c.v[j]);
  }
};

// reduce_max / reduce_min (NaN propagates).
struct ExtremePolicy {
  using Row = float;
  struct Col {
    float v[kTile];
  };
  bool max = true;
  ExtremeRowFn row;
  ExtremeColsFn cols;
  float* y;

  float Pick(float best, float v) const {
    return (max ? v > best : v < best) || std::isnan(v) ? v : best;
  }
  Row RowInit() const { return max ? -kInf : kInf; }
  void RowPiece(Row& s, const float* x, int64_t n, int64_t, int64_t) const {
    s = Pick(s, row(x, static_cast<size_t>(n)));
  }
  void RowMerge(Row& a, const Row& b) const { a = Pick(a, b); }
  void RowFinish(const Row& s, int64_t o) const { y[o] = s; }
  void ColInit(Col& c, int64_t tw) const { std::fill(c.v, c.v + tw, RowInit()); }
  void ColPiece(Col& c, const float* x, int64_t stride, int64_t rows, int64_t tw, int64_t,
                int64_t) const {
    cols(x, static_cast<size_t>(stride), static_cast<size_t>(rows), static_cast<size_t>(tw), c.v);
  }
  void ColMerge(Col& a, const Col& b, int64_t tw, int64_t) const {
    for (int64_t j = 0; j < tw; ++j) a.v[j] = Pick(a.v[j], b.v[j]);
  }
  void ColFinish(const Col& c, int64_t tw, int64_t at) const { std::copy(c.v, c.v + tw, y + at); }
};

// The second pass of logsumexp: sum of exp(x - m) in f64 with m from the first pass (max),
// then y = log(sum) + m. Where m is not finite (+-inf, NaN) the result is m itself, which is
// what torch's formula gives (all -inf: -inf; any +inf: +inf; any NaN: NaN).
struct SumExpPolicy {
  using Row = double;
  struct Col {
    double v[kTile];
  };
  double (*row)(const float*, size_t, float);
  void (*cols)(const float*, size_t, size_t, size_t, const float*, double*);
  const float* m;
  float* y;

  Row RowInit() const { return 0.0; }
  void RowPiece(Row& s, const float* x, int64_t n, int64_t, int64_t o) const {
    if (std::isfinite(m[o])) s += row(x, static_cast<size_t>(n), m[o]);
  }
  void RowMerge(Row& a, const Row& b) const { a += b; }
  float Final(double s, float mo) const {
    return std::isfinite(mo) ? static_cast<float>(std::log(s) + mo) : mo;
  }
  void RowFinish(const Row& s, int64_t o) const { y[o] = Final(s, m[o]); }
  void ColInit(Col& c, int64_t tw) const { std::fill(c.v, c.v + tw, 0.0); }
  void ColPiece(Col& c, const float* x, int64_t stride, int64_t rows, int64_t tw, int64_t,
                int64_t at) const {
    cols(x, static_cast<size_t>(stride), static_cast<size_t>(rows), static_cast<size_t>(tw), m + at,
         c.v);
  }
  void ColMerge(Col& a, const Col& b, int64_t tw, int64_t) const {
    for (int64_t j = 0; j < tw; ++j) a.v[j] += b.v[j];
  }
  void ColFinish(const Col& c, int64_t tw, int64_t at) const {
    for (int64_t j = 0; j < tw; ++j) y[at + j] = Final(c.v[j], m[at + j]);
  }
};

// argmax / argmin: the first best index; NaN counts as the best. Row pieces report indices
// within the piece (at most 2^30 long), offset by the piece's position; column indices are
// int32 rows counted from the chunk start, so a reduced dim must stay below 2^31.
struct ArgPolicy {
  struct Row {
    float v;
    int64_t i;
  };
  struct Col {
    float v[kTile];
    int32_t i[kTile];
  };
  bool max = true;
  ArgRowFn row;
  ArgColsFn cols;
  int64_t* y;

  // Whether (v, later index) replaces the best so far (an earlier index).
  bool Later(float best, float v) const {
    if (std::isnan(best)) return false;
    return std::isnan(v) || (max ? v > best : v < best);
  }
  Row RowInit() const { return {max ? -kInf : kInf, 0}; }
  void RowPiece(Row& s, const float* x, int64_t n, int64_t first, int64_t) const {
    constexpr int64_t kMaxPiece = int64_t{1} << 30;
    for (int64_t b = 0; b < n; b += kMaxPiece) {
      float v;
      const int64_t i = row(x + b, static_cast<size_t>(std::min(kMaxPiece, n - b)), &v);
      // An all -inf (argmax) piece keeps the initial index 0, which is then the answer.
      if (Later(s.v, v)) s = {v, first + b + i};
    }
  }
  void RowMerge(Row& a, const Row& b) const {
    if (Later(a.v, b.v)) a = b;
  }
  void RowFinish(const Row& s, int64_t o) const { y[o] = s.i; }
  void ColInit(Col& c, int64_t tw) const {
    std::fill(c.v, c.v + tw, max ? -kInf : kInf);
    std::fill(c.i, c.i + tw, 0);
  }
  void ColPiece(Col& c, const float* x, int64_t stride, int64_t rows, int64_t tw, int64_t row0,
                int64_t) const {
    cols(x, static_cast<size_t>(stride), static_cast<size_t>(rows), static_cast<size_t>(tw),
         static_cast<int32_t>(row0), c.v, c.i);
  }
  void ColMerge(Col& a, const Col& b, int64_t tw, int64_t row_offset) const {
    for (int64_t j = 0; j < tw; ++j) {
      if (Later(a.v[j], b.v[j]))
        a.v[j] = b.v[j], a.i[j] = static_cast<int32_t>(row_offset + b.i[j]);
    }
  }
  void ColFinish(const Col& c, int64_t tw, int64_t at) const {
    for (int64_t j = 0; j < tw; ++j) y[at + j] = c.i[j];
  }
};

enum class Kind { kSum, kMean, kProd, kMax, kMin, kLogSumExp };

template <Kind K>
void ReduceF32(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  const Tensor& xt = in[0];
  std::vector<int64_t> axes = ops::ReductionAxes(attrs.at("axes").ints(), xt.rank());
  int64_t count = 1;
  for (int64_t a : axes) count *= xt.dims()[static_cast<size_t>(a)];
  float* y = out[0].data<float>();
  const int64_t outputs = out[0].numel();
  if (outputs == 0) return;
  if (count == 0) {  // an empty reduction: the identity, or an error where there is none
    if (K == Kind::kMax || K == Kind::kMin) {
      throw InvalidArgumentError("reduction over an empty axis has no identity");
    }
    const float identity = K == Kind::kSum    ? 0.0f
                           : K == Kind::kProd ? 1.0f
                           : K == Kind::kMean ? kNaN
                                              : -kInf;
    std::fill(y, y + outputs, identity);
    return;
  }
  const Layout l = MakeLayout(xt.dims(), axes);
  const float* x = xt.data<float>();
  if constexpr (K == Kind::kSum || K == Kind::kMean || K == Kind::kProd) {
    SumPolicy p;
    p.prod = K == Kind::kProd;
    p.mean = K == Kind::kMean;
    p.count = static_cast<double>(count);
    p.row = p.prod ? &HWY_DYNAMIC_DISPATCH(ProdRowF32) : &HWY_DYNAMIC_DISPATCH(SumRowF32);
    p.cols = p.prod ? &HWY_DYNAMIC_DISPATCH(ProdColsF32) : &HWY_DYNAMIC_DISPATCH(SumColsF32);
    p.y = y;
    Run(l, x, p, ctx);
  } else {
    std::vector<float> m;
    ExtremePolicy e;
    e.max = K != Kind::kMin;
    e.row = e.max ? &HWY_DYNAMIC_DISPATCH(MaxRowF32) : &HWY_DYNAMIC_DISPATCH(MinRowF32);
    e.cols = e.max ? &HWY_DYNAMIC_DISPATCH(MaxColsF32) : &HWY_DYNAMIC_DISPATCH(MinColsF32);
    if (K == Kind::kLogSumExp) m.resize(static_cast<size_t>(outputs));
    e.y = K == Kind::kLogSumExp ? m.data() : y;
    Run(l, x, e, ctx);
    if constexpr (K == Kind::kLogSumExp) {
      SumExpPolicy s;
      s.row = &HWY_DYNAMIC_DISPATCH(SumExpRowF32);
      s.cols = &HWY_DYNAMIC_DISPATCH(SumExpColsF32);
      s.m = m.data();
      s.y = y;
      Run(l, x, s, ctx);
    }
  }
}

template <bool kMax>
void ArgF32(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
            const ExecContext& ctx) {
  const Tensor& xt = in[0];
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), xt.rank(), "axis");
  if (out[0].numel() == 0) return;
  const int64_t n = xt.dims()[static_cast<size_t>(axis)];
  if (n == 0) throw InvalidArgumentError("argmax/argmin over an axis of size 0");
  if (n > std::numeric_limits<int32_t>::max()) {
    throw UnimplementedError("argmax/argmin over an axis of " + std::to_string(n) +
                             " elements (the cpu kernel counts rows in int32)");
  }
  ArgPolicy p;
  p.max = kMax;
  p.row = kMax ? &HWY_DYNAMIC_DISPATCH(ArgMaxRowF32) : &HWY_DYNAMIC_DISPATCH(ArgMinRowF32);
  p.cols = kMax ? &HWY_DYNAMIC_DISPATCH(ArgMaxColsF32) : &HWY_DYNAMIC_DISPATCH(ArgMinColsF32);
  p.y = out[0].data<int64_t>();
  Run(MakeLayout(xt.dims(), {axis}), xt.data<float>(), p, ctx);
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuReduceKernels(KernelRegistry& r) {
  using namespace cpu;  // NOLINT
  Register(r, "reduce_sum", DType::kF32, &ReduceF32<Kind::kSum>);
  Register(r, "reduce_mean", DType::kF32, &ReduceF32<Kind::kMean>);
  Register(r, "reduce_prod", DType::kF32, &ReduceF32<Kind::kProd>);
  Register(r, "reduce_max", DType::kF32, &ReduceF32<Kind::kMax>);
  Register(r, "reduce_min", DType::kF32, &ReduceF32<Kind::kMin>);
  Register(r, "logsumexp", DType::kF32, &ReduceF32<Kind::kLogSumExp>);
  Register(r, "argmax", DType::kF32, &ArgF32<true>);
  Register(r, "argmin", DType::kF32, &ArgF32<false>);
  RegisterCpuSoftmaxKernels(r);
  RegisterCpuSoftmaxGradKernels(r);
}

}  // namespace bronze
#endif  // HWY_ONCE
