// Fast CPU kernels for the indexing shape ops: gather, embedding (row copies addressed by an
// index tensor) and one_hot. Indices are checked in one serial pass before any thread starts,
// so an out-of-range index raises the same error as the reference kernel (the first bad
// position) whatever the thread count; the copies then run in parallel over output rows.
#include <cstring>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"
#include "kernels/cpu/shape_util.h"

namespace bronze::cpu {
namespace {

// Checks every index against [-n, n) (wrap) or [0, n); throws naming the first bad one.
template <typename I>
void CheckIndices(const I* idx, int64_t m, int64_t n, bool wrap, const std::string& range) {
  const int64_t lo = wrap ? -n : 0;
  for (int64_t j = 0; j < m; ++j) {
    const int64_t k = idx[j];
    if (k < lo || k >= n) ops::ThrowIndexOutOfRange(k, j, range, lo, n - 1);
  }
}

// out[o, j, :] = data[o, idx[j], :] with data viewed as (outer, n, inner) and elements of type U
// (an unsigned integer of the element size). Indices are already checked.
template <typename U, typename I>
void TakeRows(const ExecContext& ctx, const U* data, const I* idx, U* out, int64_t outer,
              int64_t n, int64_t m, int64_t inner) {
  const int64_t rows = outer * m;
  const int64_t row_bytes = inner * static_cast<int64_t>(sizeof(U));
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / std::max<int64_t>(row_bytes, 1));
  ParallelFor(ctx, rows, grain, [&](int64_t begin, int64_t end) {
    int64_t o = begin / m, j = begin % m;
    for (int64_t r = begin; r < end; ++r) {
      int64_t k = idx[j];
      if (k < 0) k += n;
      const U* src = data + (o * n + k) * inner;
      U* dst = out + r * inner;
      if (inner == 1) {
        *dst = *src;
      } else {
        std::memcpy(dst, src, static_cast<size_t>(row_bytes));
      }
      if (++j == m) j = 0, ++o;
    }
  });
}

template <typename I>
void Take(const ExecContext& ctx, const Tensor& data, const Tensor& indices, Tensor& y,
          int64_t axis, bool wrap, const std::string& range) {
  const Dims& dd = data.dims();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= dd[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < dd.size(); ++d) inner *= dd[d];
  const int64_t n = dd[static_cast<size_t>(axis)];
  const I* idx = indices.data<I>();
  const int64_t m = indices.numel();
  CheckIndices(idx, m, n, wrap, range);
  if (y.numel() == 0) return;
  const void* src = data.raw_data();
  void* dst = y.raw_data();
  switch (DTypeSize(data.dtype())) {
    case 1:
      TakeRows(ctx, static_cast<const uint8_t*>(src), idx, static_cast<uint8_t*>(dst), outer, n, m,
               inner);
      break;
    case 2:
      TakeRows(ctx, static_cast<const uint16_t*>(src), idx, static_cast<uint16_t*>(dst), outer, n,
               m, inner);
      break;
    case 4:
      TakeRows(ctx, static_cast<const uint32_t*>(src), idx, static_cast<uint32_t*>(dst), outer, n,
               m, inner);
      break;
    case 8:
      TakeRows(ctx, static_cast<const uint64_t*>(src), idx, static_cast<uint64_t*>(dst), outer, n,
               m, inner);
      break;
    default: ThrowInternal("gather: element size " + std::to_string(DTypeSize(data.dtype())));
  }
}

void TakeAny(const ExecContext& ctx, const Tensor& data, const Tensor& indices, Tensor& y,
             int64_t axis, bool wrap, const std::string& range) {
  if (indices.dtype() == DType::kI32) {
    Take<int32_t>(ctx, data, indices, y, axis, wrap, range);
  } else {
    Take<int64_t>(ctx, data, indices, y, axis, wrap, range);
  }
}

void Gather(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
            const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  const std::string range = "axis " + std::to_string(axis) + " of size " +
                            std::to_string(in[0].dims()[static_cast<size_t>(axis)]);
  TakeAny(ctx, in[0], in[1], out[0], axis, /*wrap=*/true, range);
}

void Embedding(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  const std::string range = std::to_string(in[0].dims()[0]) + " embeddings (weight " +
                            DimsToString(in[0].dims()) + ")";
  TakeAny(ctx, in[0], in[1], out[0], 0, /*wrap=*/false, range);
}

// Rows of `classes` zeros with a one at the index, in parallel over rows.
template <typename T, typename I>
void OneHotRows(const ExecContext& ctx, const I* idx, int64_t m, int64_t classes, T* y) {
  const int64_t row_bytes = classes * static_cast<int64_t>(sizeof(T));
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / row_bytes);
  ParallelFor(ctx, m, grain, [&](int64_t begin, int64_t end) {
    std::memset(y + begin * classes, 0, static_cast<size_t>((end - begin) * row_bytes));
    for (int64_t j = begin; j < end; ++j) y[j * classes + idx[j]] = T(1);
  });
}

template <typename I>
void OneHotIndexed(const ExecContext& ctx, const Tensor& indices, Tensor& y, int64_t classes) {
  const I* idx = indices.data<I>();
  const int64_t m = indices.numel();
  CheckIndices(idx, m, classes, /*wrap=*/false, "num_classes " + std::to_string(classes));
  switch (y.dtype()) {
    case DType::kF32: OneHotRows(ctx, idx, m, classes, y.data<float>()); break;
    case DType::kF64: OneHotRows(ctx, idx, m, classes, y.data<double>()); break;
    case DType::kI32: OneHotRows(ctx, idx, m, classes, y.data<int32_t>()); break;
    case DType::kI64: OneHotRows(ctx, idx, m, classes, y.data<int64_t>()); break;
    case DType::kU8: OneHotRows(ctx, idx, m, classes, y.data<uint8_t>()); break;
    case DType::kBool: OneHotRows(ctx, idx, m, classes, y.data<bool>()); break;
    default: ThrowInternal("one_hot: unexpected output dtype " + std::string(DTypeName(y.dtype())));
  }
}

void OneHot(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
            const ExecContext& ctx) {
  const int64_t classes = attrs.at("num_classes").i();
  if (in[0].dtype() == DType::kI32) {
    OneHotIndexed<int32_t>(ctx, in[0], out[0], classes);
  } else {
    OneHotIndexed<int64_t>(ctx, in[0], out[0], classes);
  }
}

}  // namespace

void RegisterCpuShapeIndexKernels(KernelRegistry& r) {
  for (DType d : kAllDTypes) {
    Register(r, "gather", d, &Gather);
    Register(r, "embedding", d, &Embedding);
  }
  Register(r, "one_hot", DType::kI32, &OneHot);
  Register(r, "one_hot", DType::kI64, &OneHot);
}

}  // namespace bronze::cpu
