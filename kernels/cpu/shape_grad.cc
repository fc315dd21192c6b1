// Fast CPU kernels of the shape family's backward ops (graph/ops/shape_ops_grad.cc), f32 and f64:
//   slice_backward      a parallel zero fill, then one StridedCopy of dy into the sliced
//                       positions (negative steps become forward walks over a reversed source)
//   pad_backward        a gather: each dx element sums the few dy elements pad copied from it
//                       (per axis at most 3: itself and one mirror on each side), in parallel
//                       over dx rows
//   gather_backward,    a stable counting sort of the index positions by target row, then, in
//   embedding_backward  parallel over dx rows, each row sums its dy rows in index order
// Every dx element is computed by one task in a fixed order, so results are bitwise identical
// at any thread count; no atomics.
#include <algorithm>
#include <cstring>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"
#include "kernels/cpu/shape_util.h"

namespace bronze::cpu {
namespace {

template <typename T>
void ZeroFill(const ExecContext& ctx, T* x, int64_t n) {
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / static_cast<int64_t>(sizeof(T)));
  ParallelFor(ctx, n, grain, [&](int64_t b, int64_t e) {
    std::memset(x + b, 0, static_cast<size_t>(e - b) * sizeof(T));
  });
}

template <typename T>
void SliceBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                   const ExecContext& ctx) {
  const Tensor& dy = in[0];
  Tensor& dx = out[0];
  if (dx.numel() == 0) return;
  T* x = dx.data<T>();
  ZeroFill(ctx, x, dx.numel());
  if (dy.numel() == 0) return;
  std::vector<ops::SliceRange> ranges = ops::ResolveSlice(attrs, dx.dims());
  const std::vector<int64_t> xs = ContiguousStrides(dx.dims());
  const std::vector<int64_t> ys = ContiguousStrides(dy.dims());
  std::vector<int64_t> src(ranges.size()), dst(ranges.size());
  int64_t x_base = 0, y_base = 0;
  for (size_t d = 0; d < ranges.size(); ++d) {
    const ops::SliceRange& r = ranges[d];
    if (r.step > 0) {
      src[d] = ys[d];
      dst[d] = xs[d] * r.step;
      x_base += r.start * xs[d];
    } else {
      // Walk x forward from the last element the slice read, and dy backwards.
      const int64_t last = r.start + (r.count - 1) * r.step;
      src[d] = -ys[d];
      dst[d] = -xs[d] * r.step;
      x_base += last * xs[d];
      y_base += (r.count - 1) * ys[d];
    }
  }
  StridedCopy(ctx, dy.dims(), src, dst, dy.data<T>() + y_base, x + x_base, sizeof(T));
}

// For one axis of pad: for each input index j, the output indices that read it, in increasing
// order, as CSR (offsets of size n + 1 into `from`).
struct Sources {
  std::vector<int64_t> offsets;
  std::vector<int64_t> from;
};

Sources AxisSources(int64_t n, int64_t before, int64_t m, bool reflect) {
  std::vector<int64_t> target(static_cast<size_t>(m));
  Sources s;
  s.offsets.assign(static_cast<size_t>(n) + 1, 0);
  for (int64_t i = 0; i < m; ++i) {
    int64_t j = i - before;
    if (reflect) {
      if (j < 0) j = -j;
      if (j >= n) j = 2 * (n - 1) - j;
    } else if (j < 0 || j >= n) {
      j = -1;
    }
    target[static_cast<size_t>(i)] = j;
    if (j >= 0) ++s.offsets[static_cast<size_t>(j) + 1];
  }
  for (size_t j = 0; j < static_cast<size_t>(n); ++j) s.offsets[j + 1] += s.offsets[j];
  s.from.resize(static_cast<size_t>(s.offsets.back()));
  std::vector<int64_t> fill(s.offsets.begin(), s.offsets.end() - 1);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t j = target[static_cast<size_t>(i)];
    if (j >= 0) s.from[static_cast<size_t>(fill[static_cast<size_t>(j)]++)] = i;
  }
  return s;
}

template <typename T>
void PadBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                 const ExecContext& ctx) {
  const Dims& yd = in[0].dims();
  const Dims& xd = out[0].dims();
  if (out[0].numel() == 0) return;
  const T* y = in[0].data<T>();
  T* x = out[0].data<T>();
  const size_t rank = xd.size();
  if (rank == 0) {
    *x = *y;
    return;
  }
  auto amounts = ops::PadAmounts(attrs.at("pads").ints(), static_cast<int64_t>(rank));
  const bool reflect = attrs.at("mode").s() == "reflect";
  std::vector<Sources> src(rank);
  for (size_t d = 0; d < rank; ++d) src[d] = AxisSources(xd[d], amounts[d].first, yd[d], reflect);
  const std::vector<int64_t> ys = ContiguousStrides(yd);
  const size_t last = rank - 1;
  const int64_t n = xd[last];
  const Sources& row_src = src[last];
  const int64_t rows = out[0].numel() / n;
  const int64_t grain =
      std::max<int64_t>(1, kCopyGrainBytes / (n * static_cast<int64_t>(sizeof(T))));
  ParallelFor(ctx, rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(last, 0), offsets, next;
    for (int64_t r = begin, k = static_cast<int64_t>(last); k-- > 0;) {
      idx[static_cast<size_t>(k)] = r % xd[static_cast<size_t>(k)];
      r /= xd[static_cast<size_t>(k)];
    }
    for (int64_t r = begin; r < end; ++r) {
      // The dy rows this dx row sums: the product of each outer axis's sources, in order.
      offsets.assign(1, 0);
      for (size_t d = 0; d < last; ++d) {
        const Sources& s = src[d];
        const size_t j = static_cast<size_t>(idx[d]);
        next.clear();
        for (int64_t o : offsets) {
          for (int64_t t = s.offsets[j]; t < s.offsets[j + 1]; ++t) {
            next.push_back(o + s.from[static_cast<size_t>(t)] * ys[d]);
          }
        }
        offsets.swap(next);
      }
      T* row = x + r * n;
      for (int64_t j = 0; j < n; ++j) {
        T acc = 0;
        const int64_t t0 = row_src.offsets[static_cast<size_t>(j)];
        const int64_t t1 = row_src.offsets[static_cast<size_t>(j) + 1];
        for (int64_t o : offsets) {
          for (int64_t t = t0; t < t1; ++t) acc += y[o + row_src.from[static_cast<size_t>(t)]];
        }
        row[j] = acc;
      }
      for (size_t d = last; d-- > 0;) {  // next row
        if (++idx[d] < xd[d]) break;
        idx[d] = 0;
      }
    }
  });
}

// dx[o, k, :] = sum over j with indices[j] == k (in increasing j) of dy[o, j, :], for dx viewed
// as (outer, n, inner). Indices are checked serially first (the first bad position is reported,
// as by the reference kernel); index `skip` gets nothing.
template <typename T, typename I>
void ScatterAddRows(const ExecContext& ctx, const Tensor& dy, const I* idx, int64_t m, Tensor& dx,
                    int64_t axis, bool wrap, int64_t skip, const std::string& range) {
  const Dims& xd = dx.dims();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xd[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < xd.size(); ++d) inner *= xd[d];
  const int64_t n = xd[static_cast<size_t>(axis)];
  const int64_t lo = wrap ? -n : 0;
  std::vector<int64_t> offsets(static_cast<size_t>(n) + 1, 0);
  for (int64_t j = 0; j < m; ++j) {
    int64_t k = idx[j];
    if (k < lo || k >= n) ops::ThrowIndexOutOfRange(k, j, range, lo, n - 1);
    if (k < 0) k += n;
    if (k != skip) ++offsets[static_cast<size_t>(k) + 1];
  }
  if (dx.numel() == 0) return;
  for (size_t k = 0; k < static_cast<size_t>(n); ++k) offsets[k + 1] += offsets[k];
  std::vector<int64_t> from(static_cast<size_t>(offsets.back()));
  {
    std::vector<int64_t> fill(offsets.begin(), offsets.end() - 1);
    for (int64_t j = 0; j < m; ++j) {
      int64_t k = idx[j];
      if (k < 0) k += n;
      if (k != skip) from[static_cast<size_t>(fill[static_cast<size_t>(k)]++)] = j;
    }
  }
  const T* y = dy.data<T>();
  T* x = dx.data<T>();
  const int64_t rows = outer * n;
  // A row costs its zeroing plus its share of dy; split by rows of dx.
  const int64_t per_row = inner * (1 + m / std::max<int64_t>(n, 1));
  const int64_t grain = std::max<int64_t>(
      1, kCopyGrainBytes / std::max<int64_t>(per_row * static_cast<int64_t>(sizeof(T)), 1));
  ParallelFor(ctx, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r / n, k = r % n;
      T* dst = x + r * inner;
      std::fill(dst, dst + inner, T(0));
      const int64_t t0 = offsets[static_cast<size_t>(k)];
      const int64_t t1 = offsets[static_cast<size_t>(k) + 1];
      for (int64_t t = t0; t < t1; ++t) {
        const T* s = y + (o * m + from[static_cast<size_t>(t)]) * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] += s[i];
      }
    }
  });
}

template <typename T>
void ScatterAdd(const ExecContext& ctx, const Tensor& dy, const Tensor& indices, Tensor& dx,
                int64_t axis, bool wrap, int64_t skip, const std::string& range) {
  if (indices.dtype() == DType::kI32) {
    ScatterAddRows<T>(ctx, dy, indices.data<int32_t>(), indices.numel(), dx, axis, wrap, skip,
                      range);
  } else {
    ScatterAddRows<T>(ctx, dy, indices.data<int64_t>(), indices.numel(), dx, axis, wrap, skip,
                      range);
  }
}

template <typename T>
void GatherBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                    const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  const std::string range = "axis " + std::to_string(axis) + " of size " +
                            std::to_string(out[0].dims()[static_cast<size_t>(axis)]);
  ScatterAdd<T>(ctx, in[0], in[1], out[0], axis, /*wrap=*/true, /*skip=*/-1, range);
}

template <typename T>
void EmbeddingBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                       const ExecContext& ctx) {
  const std::string range = std::to_string(out[0].dims()[0]) + " embeddings";
  ScatterAdd<T>(ctx, in[0], in[1], out[0], 0, /*wrap=*/false, attrs.at("padding_idx").i(), range);
}

}  // namespace

void RegisterCpuShapeGradKernels(KernelRegistry& r) {
  Register(r, "slice_backward", DType::kF32, &SliceBackward<float>);
  Register(r, "slice_backward", DType::kF64, &SliceBackward<double>);
  Register(r, "pad_backward", DType::kF32, &PadBackward<float>);
  Register(r, "pad_backward", DType::kF64, &PadBackward<double>);
  Register(r, "gather_backward", DType::kF32, &GatherBackward<float>);
  Register(r, "gather_backward", DType::kF64, &GatherBackward<double>);
  Register(r, "embedding_backward", DType::kF32, &EmbeddingBackward<float>);
  Register(r, "embedding_backward", DType::kF64, &EmbeddingBackward<double>);
}

}  // namespace bronze::cpu
