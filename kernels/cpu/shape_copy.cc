// StridedCopy (kernels/cpu/shape_util.h): the copy engine of the fast shape kernels. A block
// copy is first simplified (size-1 dims dropped, neighbours that are contiguous in both source
// and destination merged), then run by one of four loops chosen from the innermost strides:
//   memcpy   source and destination contiguous along the inner dim (reshape, concat, slice rows)
//   fill     source stride 0 along the inner dim (expand of a size-1 last dim, pad borders)
//   tiles    destination contiguous along the inner dim and the source contiguous along another
//            dim: a 2-D transpose in square tiles of one cache line a row, transposed in
//            registers for 4- and 8-byte elements (transpose, permute; shape_transpose.cc)
//   strided  anything else, one element at a time (negative steps, interleaving stack)
// Work is split over flat element ranges (or tiles) with ParallelFor; small copies run inline.
#include <algorithm>
#include <cstring>

#include "graph/error.h"
#include "kernels/cpu/shape_util.h"

namespace bronze::cpu {
namespace {

struct Axis {
  int64_t n;
  int64_t src;  // strides in elements
  int64_t dst;
};

// Drops size-1 dims and merges an axis into its inner neighbour when both strides line up.
// Returns the axes outermost first; empty for a single element.
std::vector<Axis> Simplify(const Dims& dims, const std::vector<int64_t>& src,
                           const std::vector<int64_t>& dst) {
  std::vector<Axis> rev;  // innermost first while building
  for (size_t k = dims.size(); k-- > 0;) {
    if (dims[k] == 1) continue;
    Axis a{dims[k], src[k], dst[k]};
    if (!rev.empty()) {
      Axis& in = rev.back();
      if (a.src == in.src * in.n && a.dst == in.dst * in.n) {
        in.n *= a.n;
        continue;
      }
    }
    rev.push_back(a);
  }
  return {rev.rbegin(), rev.rend()};
}

}  // namespace

template <typename U>
void FillRun(U* d, U value, int64_t len) {
  // A cache line one element at a time, then memcpy doubling what is filled up to 4 KiB, then
  // copies of that L1-resident block: memcpy's vector code does the bulk for every element
  // size, and memory sees only the writes.
  constexpr int64_t kLine = 64 / static_cast<int64_t>(sizeof(U));
  constexpr int64_t kBlock = 4096 / static_cast<int64_t>(sizeof(U));
  int64_t done = std::min(len, kLine);
  for (int64_t i = 0; i < done; ++i) d[i] = value;
  while (done < len) {
    const int64_t n = std::min({done, len - done, kBlock});
    std::memcpy(d + done, d, static_cast<size_t>(n) * sizeof(U));
    done += n;
  }
}
template void FillRun(uint8_t*, uint8_t, int64_t);
template void FillRun(uint16_t*, uint16_t, int64_t);
template void FillRun(uint32_t*, uint32_t, int64_t);
template void FillRun(uint64_t*, uint64_t, int64_t);

namespace {

template <typename U>
void CopyRow(const U* s, int64_t ss, U* d, int64_t ds, int64_t len) {
  if (ss == 1 && ds == 1) {
    std::memcpy(d, s, static_cast<size_t>(len) * sizeof(U));
  } else if (ss == 0 && ds == 1) {
    FillRun(d, *s, len);
  } else if (ds == 1) {
    for (int64_t i = 0; i < len; ++i) d[i] = s[i * ss];
  } else {
    for (int64_t i = 0; i < len; ++i) d[i * ds] = s[i * ss];
  }
}

// Copies flat elements [begin, end) of the (simplified, rank >= 1) block, row by row.
template <typename U>
void CopyRange(const std::vector<Axis>& axes, const U* src, U* dst, int64_t begin, int64_t end) {
  const size_t r = axes.size();
  const Axis& inner = axes[r - 1];
  std::vector<int64_t> idx(r - 1, 0);
  int64_t row = begin / inner.n, col = begin % inner.n;
  int64_t so = 0, dof = 0;  // offsets of the current row
  for (size_t k = r - 1; k-- > 0;) {
    idx[k] = row % axes[k].n;
    row /= axes[k].n;
    so += idx[k] * axes[k].src;
    dof += idx[k] * axes[k].dst;
  }
  for (int64_t pos = begin; pos < end;) {
    int64_t len = std::min(inner.n - col, end - pos);
    CopyRow(src + so + col * inner.src, inner.src, dst + dof + col * inner.dst, inner.dst, len);
    pos += len;
    col = 0;
    for (size_t k = r - 1; k-- > 0;) {  // next row: odometer over the outer axes
      so += axes[k].src;
      dof += axes[k].dst;
      if (++idx[k] < axes[k].n) break;
      so -= axes[k].src * axes[k].n;
      dof -= axes[k].dst * axes[k].n;
      idx[k] = 0;
    }
  }
}

template <typename U>
void ScalarTile(const U* s, int64_t ss, U* d, int64_t ds, int64_t na, int64_t nb) {
  for (int64_t ia = 0; ia < na; ++ia) {
    for (int64_t ib = 0; ib < nb; ++ib) d[ia * ds + ib] = s[ib * ss + ia];
  }
}

template <typename U>
TileFn<U> SelectTile() {
  if constexpr (sizeof(U) == 4) return SelectTransposeTile32();
  if constexpr (sizeof(U) == 8) return SelectTransposeTile64();
  return &ScalarTile<U>;
}

// The transpose: axis `a` is contiguous in the source, the last axis in the destination. Work
// items are (outer index, tile of a, tile of the last axis); a tile row is one cache line, so a
// tile reads and writes whole lines (and 4- and 8-byte elements move through registers in
// 4x4 / 2x2 blocks, shape_transpose.cc).
template <typename U>
void CopyTiles(const ExecContext& ctx, const std::vector<Axis>& axes, size_t a, const U* src,
               U* dst) {
  constexpr int64_t kTile = 64 / sizeof(U);
  const TileFn<U> tile = SelectTile<U>();
  const size_t last = axes.size() - 1;
  std::vector<Axis> outer;
  for (size_t k = 0; k < last; ++k) {
    if (k != a) outer.push_back(axes[k]);
  }
  int64_t outer_count = 1;
  for (const Axis& o : outer) outer_count *= o.n;
  const Axis& A = axes[a];
  const Axis& B = axes[last];
  const int64_t ta = (A.n + kTile - 1) / kTile, tb = (B.n + kTile - 1) / kTile;
  const int64_t items = outer_count * ta * tb;
  const int64_t grain =
      std::max<int64_t>(1, kCopyGrainBytes / static_cast<int64_t>(kTile * kTile * sizeof(U)));
  ParallelFor(ctx, items, grain, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      int64_t rest = item;
      const int64_t jb = rest % tb;
      rest /= tb;
      const int64_t ja = rest % ta;
      rest /= ta;
      int64_t so = 0, dof = 0;
      for (size_t k = outer.size(); k-- > 0;) {
        const int64_t i = rest % outer[k].n;
        rest /= outer[k].n;
        so += i * outer[k].src;
        dof += i * outer[k].dst;
      }
      const int64_t a0 = ja * kTile, b0 = jb * kTile;
      tile(src + so + a0 + b0 * B.src, B.src, dst + dof + a0 * A.dst + b0, A.dst,
           std::min(A.n - a0, kTile), std::min(B.n - b0, kTile));
    }
  });
}

template <typename U>
void Run(const ExecContext& ctx, const std::vector<Axis>& axes, const U* src, U* dst) {
  if (axes.empty()) {
    *dst = *src;
    return;
  }
  const Axis& inner = axes.back();
  if (inner.dst == 1 && inner.src != 1 && inner.src != 0 && axes.size() >= 2) {
    for (size_t a = 0; a + 1 < axes.size(); ++a) {
      if (axes[a].src == 1) {
        CopyTiles(ctx, axes, a, src, dst);
        return;
      }
    }
  }
  int64_t total = 1;
  for (const Axis& x : axes) total *= x.n;
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / static_cast<int64_t>(sizeof(U)));
  ParallelFor(ctx, total, grain, [&](int64_t b, int64_t e) { CopyRange(axes, src, dst, b, e); });
}

}  // namespace

std::vector<int64_t> ContiguousStrides(const Dims& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

void StridedCopy(const ExecContext& ctx, const Dims& dims, const std::vector<int64_t>& src_strides,
                 const std::vector<int64_t>& dst_strides, const void* src, void* dst,
                 size_t elem_size) {
  for (int64_t n : dims) {
    if (n == 0) return;
  }
  std::vector<Axis> axes = Simplify(dims, src_strides, dst_strides);
  switch (elem_size) {
    case 1: Run(ctx, axes, static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst)); break;
    case 2: Run(ctx, axes, static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst)); break;
    case 4: Run(ctx, axes, static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst)); break;
    case 8: Run(ctx, axes, static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst)); break;
    default: ThrowInternal("StridedCopy: element size " + std::to_string(elem_size));
  }
}

}  // namespace bronze::cpu
