// Reference kernels for the shape and indexing ops (graph/ops/shape_ops*.cc). Data movement
// works on raw elements of DTypeSize bytes, so one kernel serves every dtype; pad (its fill
// value) and one_hot (its 0/1 output) are typed. Naive on purpose: one element at a time, with
// the index arithmetic written out, as the oracle for the fast kernels.
#include <cstring>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"
#include "kernels/numel_kernel.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

const char* Bytes(const Tensor& t) { return static_cast<const char*>(t.raw_data()); }
char* MutableBytes(const Tensor& t) { return static_cast<char*>(t.raw_data()); }

void CopyElement(char* y, int64_t yi, const char* x, int64_t xi, size_t size) {
  std::memcpy(y + static_cast<size_t>(yi) * size, x + static_cast<size_t>(xi) * size, size);
}

// reshape, flatten, squeeze, unsqueeze (ops::kBytesViewOps): the same elements in the same
// order; nothing to do when the planner gave the output the input's buffer.
void CopyAll(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  if (in[0].nbytes() && in[0].raw_data() != out[0].raw_data()) std::memcpy(out[0].raw_data(), in[0].raw_data(), in[0].nbytes());
}

// Output element i reads input element base + offset(i) under per-output-dim `strides`.
void Gather(const Tensor& x, Tensor& y, const std::vector<int64_t>& strides, int64_t base) {
  const std::vector<int64_t> s[1] = {strides};
  const size_t size = DTypeSize(x.dtype());
  ForEachIndex(y.dims(), s, [&](int64_t i, const int64_t* off) {
    CopyElement(MutableBytes(y), i, Bytes(x), base + off[0], size);
  });
}

// Input element i goes to output element base + offset(i) under per-input-dim `strides`.
void Scatter(const Tensor& x, Tensor& y, const std::vector<int64_t>& strides, int64_t base) {
  const std::vector<int64_t> s[1] = {strides};
  const size_t size = DTypeSize(x.dtype());
  ForEachIndex(x.dims(), s, [&](int64_t i, const int64_t* off) {
    CopyElement(MutableBytes(y), base + off[0], Bytes(x), i, size);
  });
}

void Transpose(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<int64_t> perm = ops::TransposePermutation(attrs.at("perm").ints(), in[0].rank());
  std::vector<int64_t> in_strides = Strides(in[0].dims());
  std::vector<int64_t> permuted(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) permuted[d] = in_strides[static_cast<size_t>(perm[d])];
  Gather(in[0], out[0], permuted, 0);
}

void Expand(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  Gather(in[0], out[0], BroadcastStrides(in[0].dims(), out[0].dims()), 0);
}

void Slice(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<ops::SliceRange> ranges = ops::ResolveSlice(attrs, in[0].dims());
  std::vector<int64_t> in_strides = Strides(in[0].dims());
  std::vector<int64_t> strides(ranges.size());
  int64_t base = 0;
  for (size_t d = 0; d < ranges.size(); ++d) {
    strides[d] = in_strides[d] * ranges[d].step;
    base += ranges[d].start * in_strides[d];
  }
  if (out[0].numel() > 0) Gather(in[0], out[0], strides, base);
}

void Concat(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  std::vector<int64_t> out_strides = Strides(out[0].dims());
  int64_t at = 0;  // where along the axis the next input starts
  for (const Tensor& x : in) {
    Scatter(x, out[0], out_strides, at * out_strides[static_cast<size_t>(axis)]);
    at += x.dims()[static_cast<size_t>(axis)];
  }
}

void Split(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  std::vector<int64_t> in_strides = Strides(in[0].dims());
  int64_t at = 0;
  for (Tensor& y : out) {
    Gather(in[0], y, in_strides, at * in_strides[static_cast<size_t>(axis)]);
    at += y.dims()[static_cast<size_t>(axis)];
  }
}

void Stack(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  std::vector<int64_t> out_strides = Strides(out[0].dims());
  std::vector<int64_t> strides = out_strides;  // the output strides without the new axis
  strides.erase(strides.begin() + axis);
  for (size_t k = 0; k < in.size(); ++k) {
    Scatter(in[k], out[0], strides,
            static_cast<int64_t>(k) * out_strides[static_cast<size_t>(axis)]);
  }
}

template <typename T>
T CastValue(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else {
    // Integers truncate toward zero; the shape function checked the range.
    return static_cast<T>(v);
  }
}

// Each output element: its multi-index minus the leading pads, per dim; outside the input it is
// the fill value (constant) or mirrored back inside (reflect).
template <typename T>
void Pad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const Dims& xd = in[0].dims();
  const Dims& yd = out[0].dims();
  const size_t rank = xd.size();
  auto amounts = ops::PadAmounts(attrs.at("pads").ints(), static_cast<int64_t>(rank));
  const bool reflect = attrs.at("mode").s() == "reflect";
  const T value = CastValue<T>(attrs.at("value").f());
  std::vector<int64_t> x_strides = Strides(xd);
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    int64_t rest = i, offset = 0;
    bool inside = true;
    for (size_t d = rank; d-- > 0;) {
      int64_t j = rest % yd[d] - amounts[d].first;  // the input index along d
      rest /= yd[d];
      if (reflect) {
        if (j < 0) j = -j;
        if (j >= xd[d]) j = 2 * (xd[d] - 1) - j;
      } else if (j < 0 || j >= xd[d]) {
        inside = false;
      }
      offset += j * x_strides[d];
    }
    y[i] = inside ? x[offset] : value;
  }
}

// Index `k` at flat position `pos` into a dim of size `n`; negative indices wrap once when
// `wrap`. Throws the op's run-time error otherwise.
int64_t CheckIndex(int64_t k, int64_t pos, int64_t n, bool wrap, const std::string& range) {
  if (wrap && k < 0 && k >= -n) return k + n;
  if (k < 0 || k >= n) ops::ThrowIndexOutOfRange(k, pos, range, wrap ? -n : 0, n - 1);
  return k;
}

int64_t IndexAt(const Tensor& indices, int64_t pos) {
  return indices.dtype() == DType::kI32 ? indices.data<int32_t>()[pos]
                                        : indices.data<int64_t>()[pos];
}

// out[o, j, i] = data[o, indices[j], i] for data viewed as (outer, n, inner).
void Take(const Tensor& data, const Tensor& indices, Tensor& y, int64_t axis, bool wrap,
          const std::string& range) {
  const Dims& dd = data.dims();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= dd[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < dd.size(); ++d) inner *= dd[d];
  const int64_t n = dd[static_cast<size_t>(axis)];
  const int64_t m = indices.numel();
  const size_t size = DTypeSize(data.dtype());
  for (int64_t j = 0; j < m; ++j) CheckIndex(IndexAt(indices, j), j, n, wrap, range);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < m; ++j) {
      int64_t k = CheckIndex(IndexAt(indices, j), j, n, wrap, range);
      for (int64_t i = 0; i < inner; ++i) {
        CopyElement(MutableBytes(y), (o * m + j) * inner + i, Bytes(data), (o * n + k) * inner + i,
                    size);
      }
    }
  }
}

void GatherOp(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  const std::string range = "axis " + std::to_string(axis) + " of size " +
                            std::to_string(in[0].dims()[static_cast<size_t>(axis)]);
  Take(in[0], in[1], out[0], axis, /*wrap=*/true, range);
}

void Embedding(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const std::string range = std::to_string(in[0].dims()[0]) + " embeddings (weight " +
                            DimsToString(in[0].dims()) + ")";
  Take(in[0], in[1], out[0], 0, /*wrap=*/false, range);
}

template <typename T>
void OneHotTyped(const Tensor& indices, Tensor& y, int64_t classes) {
  const std::string range = "num_classes " + std::to_string(classes);
  T* p = y.data<T>();
  for (int64_t j = 0; j < indices.numel(); ++j) {
    int64_t k = CheckIndex(IndexAt(indices, j), j, classes, /*wrap=*/false, range);
    for (int64_t c = 0; c < classes; ++c) p[j * classes + c] = c == k ? T(1) : T(0);
  }
}

void OneHot(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t classes = attrs.at("num_classes").i();
  switch (out[0].dtype()) {
    case DType::kF32: OneHotTyped<float>(in[0], out[0], classes); break;
    case DType::kF64: OneHotTyped<double>(in[0], out[0], classes); break;
    case DType::kI32: OneHotTyped<int32_t>(in[0], out[0], classes); break;
    case DType::kI64: OneHotTyped<int64_t>(in[0], out[0], classes); break;
    case DType::kU8: OneHotTyped<uint8_t>(in[0], out[0], classes); break;
    case DType::kBool: OneHotTyped<bool>(in[0], out[0], classes); break;
    default:
      ThrowInternal("one_hot: unexpected output dtype " + std::string(DTypeName(out[0].dtype())));
  }
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefShapeGradKernels(KernelRegistry& r);  // kernels/ref/shape_grad.cc

void RegisterRefShapeKernels(KernelRegistry& r) {
  for (DType d : kAllDTypes) {
    for (const char* op : ops::kBytesViewOps) {
      ref::Register(r, op, d, &ref::CopyAll);
    }
    ref::Register(r, "transpose", d, &ref::Transpose);
    ref::Register(r, "expand", d, &ref::Expand);
    ref::Register(r, "concat", d, &ref::Concat);
    ref::Register(r, "split", d, &ref::Split);
    ref::Register(r, "slice", d, &ref::Slice);
    ref::Register(r, "stack", d, &ref::Stack);
    ref::Register(r, "gather", d, &ref::GatherOp);
    ref::Register(r, "embedding", d, &ref::Embedding);
  }
  ref::Register(r, "numel", DType::kF32, &NumelKernel<float>);
  ref::Register(r, "numel", DType::kF64, &NumelKernel<double>);
  ref::Register(r, "numel", DType::kI32, &NumelKernel<int32_t>);
  ref::Register(r, "numel", DType::kI64, &NumelKernel<int64_t>);
  ref::Register(r, "pad", DType::kF32, &ref::Pad<float>);
  ref::Register(r, "pad", DType::kF64, &ref::Pad<double>);
  ref::Register(r, "pad", DType::kI32, &ref::Pad<int32_t>);
  ref::Register(r, "pad", DType::kI64, &ref::Pad<int64_t>);
  ref::Register(r, "pad", DType::kU8, &ref::Pad<uint8_t>);
  ref::Register(r, "pad", DType::kBool, &ref::Pad<bool>);
  ref::Register(r, "one_hot", DType::kI32, &ref::OneHot);
  ref::Register(r, "one_hot", DType::kI64, &ref::OneHot);
  RegisterRefShapeGradKernels(r);
}

}  // namespace bronze
