// Reference kernels of the shape family's backward ops (graph/ops/shape_ops_grad.cc):
// slice_backward, pad_backward, gather_backward and embedding_backward, in f32 and f64. Each
// walks dy in order and writes (slice) or adds, in double, each element where the forward op
// read it: the forward definition run backwards, naive on purpose (the oracle of the cpu
// kernels and of the gradient checks).
#include <vector>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

template <typename T>
void SliceBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& dy = in[0];
  Tensor& dx = out[0];
  T* x = dx.data<T>();
  for (int64_t i = 0; i < dx.numel(); ++i) x[i] = T(0);
  std::vector<ops::SliceRange> ranges = ops::ResolveSlice(attrs, dx.dims());
  std::vector<int64_t> x_strides = Strides(dx.dims());
  std::vector<int64_t> strides[1] = {std::vector<int64_t>(ranges.size())};
  int64_t base = 0;
  for (size_t d = 0; d < ranges.size(); ++d) {
    strides[0][d] = x_strides[d] * ranges[d].step;
    base += ranges[d].start * x_strides[d];
  }
  const T* y = dy.data<T>();
  ForEachIndex(dy.dims(), strides, [&](int64_t i, const int64_t* off) { x[base + off[0]] = y[i]; });
}

// dx[j] += dy[i] for every output position i of pad and the input position j it read (the
// index arithmetic of the forward reference kernel, kernels/ref/shape.cc).
template <typename T>
void PadBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const Dims& yd = in[0].dims();
  const Dims& xd = out[0].dims();
  const size_t rank = xd.size();
  auto amounts = ops::PadAmounts(attrs.at("pads").ints(), static_cast<int64_t>(rank));
  const bool reflect = attrs.at("mode").s() == "reflect";
  std::vector<int64_t> x_strides = Strides(xd);
  std::vector<Acc<T>> acc(static_cast<size_t>(out[0].numel()), Acc<T>(0));
  const T* y = in[0].data<T>();
  for (int64_t i = 0; i < in[0].numel(); ++i) {
    int64_t rest = i, offset = 0;
    bool inside = true;
    for (size_t d = rank; d-- > 0;) {
      int64_t j = rest % yd[d] - amounts[d].first;
      rest /= yd[d];
      if (reflect) {
        if (j < 0) j = -j;
        if (j >= xd[d]) j = 2 * (xd[d] - 1) - j;
      } else if (j < 0 || j >= xd[d]) {
        inside = false;
      }
      offset += j * x_strides[d];
    }
    if (inside) acc[static_cast<size_t>(offset)] += y[i];
  }
  T* x = out[0].data<T>();
  for (size_t k = 0; k < acc.size(); ++k) x[k] = static_cast<T>(acc[k]);
}

int64_t IndexAt(const Tensor& indices, int64_t pos) {
  return indices.dtype() == DType::kI32 ? indices.data<int32_t>()[pos]
                                        : indices.data<int64_t>()[pos];
}

// dx[o, k, i] += dy[o, j, i] with k = indices[j], for dx viewed as (outer, n, inner). Negative
// indices wrap once when `wrap`; index `skip` (embedding's padding_idx) adds nothing.
template <typename T>
void ScatterAdd(const Tensor& dy, const Tensor& indices, Tensor& dx, int64_t axis, bool wrap,
                int64_t skip, const std::string& range) {
  const Dims& xd = dx.dims();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xd[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < xd.size(); ++d) inner *= xd[d];
  const int64_t n = xd[static_cast<size_t>(axis)];
  const int64_t m = indices.numel();
  std::vector<int64_t> rows(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    int64_t k = IndexAt(indices, j);
    if (wrap && k < 0 && k >= -n) k += n;
    if (k < 0 || k >= n) {
      ops::ThrowIndexOutOfRange(IndexAt(indices, j), j, range, wrap ? -n : 0, n - 1);
    }
    rows[static_cast<size_t>(j)] = k;
  }
  std::vector<Acc<T>> acc(static_cast<size_t>(dx.numel()), Acc<T>(0));
  const T* y = dy.data<T>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < m; ++j) {
      const int64_t k = rows[static_cast<size_t>(j)];
      if (k == skip) continue;
      for (int64_t i = 0; i < inner; ++i) {
        acc[static_cast<size_t>((o * n + k) * inner + i)] += y[(o * m + j) * inner + i];
      }
    }
  }
  T* x = dx.data<T>();
  for (size_t k = 0; k < acc.size(); ++k) x[k] = static_cast<T>(acc[k]);
}

template <typename T>
void GatherBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  const std::string range = "axis " + std::to_string(axis) + " of size " +
                            std::to_string(out[0].dims()[static_cast<size_t>(axis)]);
  ScatterAdd<T>(in[0], in[1], out[0], axis, /*wrap=*/true, /*skip=*/-1, range);
}

template <typename T>
void EmbeddingBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const std::string range = std::to_string(out[0].dims()[0]) + " embeddings";
  ScatterAdd<T>(in[0], in[1], out[0], 0, /*wrap=*/false, attrs.at("padding_idx").i(), range);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

// Called by RegisterRefShapeKernels (kernels/ref/shape.cc).
void RegisterRefShapeGradKernels(KernelRegistry& r) {
  ref::Register(r, "slice_backward", DType::kF32, &ref::SliceBackward<float>);
  ref::Register(r, "slice_backward", DType::kF64, &ref::SliceBackward<double>);
  ref::Register(r, "pad_backward", DType::kF32, &ref::PadBackward<float>);
  ref::Register(r, "pad_backward", DType::kF64, &ref::PadBackward<double>);
  ref::Register(r, "gather_backward", DType::kF32, &ref::GatherBackward<float>);
  ref::Register(r, "gather_backward", DType::kF64, &ref::GatherBackward<double>);
  ref::Register(r, "embedding_backward", DType::kF32, &ref::EmbeddingBackward<float>);
  ref::Register(r, "embedding_backward", DType::kF64, &ref::EmbeddingBackward<double>);
}

}  // namespace bronze
