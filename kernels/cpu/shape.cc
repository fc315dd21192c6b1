// Fast CPU kernels for the data-movement shape ops: reshape, flatten, squeeze, unsqueeze (a
// parallel memcpy; a later planner may alias them), transpose (cache-blocked tiles), expand,
// slice, concat, split, stack and pad. Each is a few StridedCopy calls (kernels/cpu/shape_util.h)
// on element sizes, so every dtype is covered (pad: the six dtypes its fill value converts to).
// The indexing ops live in shape_index.cc.
#include <cstring>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"
#include "kernels/cpu/shape_util.h"

namespace bronze::cpu {
namespace {

size_t ElemSize(const Tensor& t) { return DTypeSize(t.dtype()); }
const char* Bytes(const Tensor& t) { return static_cast<const char*>(t.raw_data()); }
char* MutableBytes(const Tensor& t) { return static_cast<char*>(t.raw_data()); }

// reshape, flatten, squeeze, unsqueeze: one contiguous copy, cut into parallel ranges.
void CopyAll(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  StridedCopy(ctx, {in[0].numel()}, {1}, {1}, in[0].raw_data(), out[0].raw_data(), ElemSize(in[0]));
}

void Transpose(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  std::vector<int64_t> perm = ops::TransposePermutation(attrs.at("perm").ints(), in[0].rank());
  std::vector<int64_t> in_strides = ContiguousStrides(in[0].dims());
  std::vector<int64_t> src(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) src[d] = in_strides[static_cast<size_t>(perm[d])];
  StridedCopy(ctx, out[0].dims(), src, ContiguousStrides(out[0].dims()), in[0].raw_data(),
              out[0].raw_data(), ElemSize(in[0]));
}

void Expand(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  const Dims& xd = in[0].dims();
  const Dims& yd = out[0].dims();
  std::vector<int64_t> in_strides = ContiguousStrides(xd);
  std::vector<int64_t> src(yd.size(), 0);  // 0 along new and expanded dims
  const size_t lead = yd.size() - xd.size();
  for (size_t d = 0; d < xd.size(); ++d) src[lead + d] = xd[d] == yd[lead + d] ? in_strides[d] : 0;
  StridedCopy(ctx, yd, src, ContiguousStrides(yd), in[0].raw_data(), out[0].raw_data(), ElemSize(in[0]));
}

void Slice(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  if (out[0].numel() == 0) return;
  std::vector<ops::SliceRange> ranges = ops::ResolveSlice(attrs, in[0].dims());
  std::vector<int64_t> in_strides = ContiguousStrides(in[0].dims());
  std::vector<int64_t> src(ranges.size());
  int64_t base = 0;
  for (size_t d = 0; d < ranges.size(); ++d) {
    src[d] = in_strides[d] * ranges[d].step;
    base += ranges[d].start * in_strides[d];
  }
  const size_t size = ElemSize(in[0]);
  StridedCopy(ctx, out[0].dims(), src, ContiguousStrides(out[0].dims()),
              Bytes(in[0]) + base * static_cast<int64_t>(size), out[0].raw_data(), size);
}

// concat and stack: input k goes to the output block starting at `offsets[k]` (elements),
// addressed with `dst` strides.
void Concat(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  std::vector<int64_t> dst = ContiguousStrides(out[0].dims());
  const size_t size = ElemSize(out[0]);
  int64_t at = 0;
  for (const Tensor& x : in) {
    char* base = MutableBytes(out[0]) + at * dst[static_cast<size_t>(axis)] * static_cast<int64_t>(size);
    StridedCopy(ctx, x.dims(), ContiguousStrides(x.dims()), dst, x.raw_data(), base, size);
    at += x.dims()[static_cast<size_t>(axis)];
  }
}

void Split(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  std::vector<int64_t> src = ContiguousStrides(in[0].dims());
  const size_t size = ElemSize(in[0]);
  int64_t at = 0;
  for (Tensor& y : out) {
    const char* base = Bytes(in[0]) + at * src[static_cast<size_t>(axis)] * static_cast<int64_t>(size);
    StridedCopy(ctx, y.dims(), src, ContiguousStrides(y.dims()), base, y.raw_data(), size);
    at += y.dims()[static_cast<size_t>(axis)];
  }
}

void Stack(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  std::vector<int64_t> out_strides = ContiguousStrides(out[0].dims());
  std::vector<int64_t> dst = out_strides;
  dst.erase(dst.begin() + axis);
  const size_t size = ElemSize(out[0]);
  for (size_t k = 0; k < in.size(); ++k) {
    char* base = MutableBytes(out[0]) +
                 static_cast<int64_t>(k) * out_strides[static_cast<size_t>(axis)] * static_cast<int64_t>(size);
    StridedCopy(ctx, in[k].dims(), ContiguousStrides(in[k].dims()), dst, in[k].raw_data(), base, size);
  }
}

// One piece of a padded axis: output positions [out_start, out_start + n) read the input from
// in_start with step `step` (+1 or -1), or the fill value when `fill`.
struct Segment {
  int64_t out_start, n, in_start, step;
  bool fill;
};

std::vector<Segment> PadSegments(int64_t n, int64_t before, int64_t after, bool reflect) {
  const int64_t m = n + before + after;
  std::vector<Segment> s;
  if (reflect) {  // [b a | a b c | b]: mirrored without the edge
    s = {{0, before, before, -1, false}, {before, n, 0, 1, false}, {before + n, after, n - 2, -1, false}};
  } else {
    // Positions i with 0 <= i - before < n copy; the rest is fill (negative pads crop).
    const int64_t lo = std::clamp<int64_t>(before, 0, m);
    const int64_t hi = std::clamp<int64_t>(before + n, lo, m);
    s = {{0, lo, 0, 1, true}, {lo, hi - lo, lo - before, 1, false}, {hi, m - hi, 0, 1, true}};
  }
  std::erase_if(s, [](const Segment& g) { return g.n == 0; });
  return s;
}

template <typename T>
void Pad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx) {
  const Dims& xd = in[0].dims();
  const Dims& yd = out[0].dims();
  const size_t rank = xd.size();
  if (out[0].numel() == 0) return;
  auto amounts = ops::PadAmounts(attrs.at("pads").ints(), static_cast<int64_t>(rank));
  const bool reflect = attrs.at("mode").s() == "reflect";
  T value;
  if constexpr (std::is_same_v<T, bool>) {
    value = attrs.at("value").f() != 0;
  } else {
    value = static_cast<T>(attrs.at("value").f());  // range checked by the shape function
  }
  std::vector<std::vector<Segment>> segments(rank);
  for (size_t d = 0; d < rank; ++d) {
    segments[d] = PadSegments(xd[d], amounts[d].first, amounts[d].second, reflect);
  }
  const std::vector<int64_t> xs = ContiguousStrides(xd), ys = ContiguousStrides(yd);
  const std::vector<int64_t> zeros(rank, 0);
  // Every combination of one segment per axis is a block: a copy, or a fill when any axis
  // of it lies in a constant border.
  std::vector<size_t> pick(rank, 0);
  while (true) {
    Dims dims(rank);
    std::vector<int64_t> src(rank);
    int64_t src_off = 0, dst_off = 0;
    bool fill = false;
    for (size_t d = 0; d < rank; ++d) {
      const Segment& g = segments[d][pick[d]];
      dims[d] = g.n;
      src[d] = g.step * xs[d];
      src_off += g.in_start * xs[d];
      dst_off += g.out_start * ys[d];
      fill = fill || g.fill;
    }
    T* dst = out[0].data<T>() + dst_off;
    if (fill) {
      StridedCopy(ctx, dims, zeros, ys, &value, dst, sizeof(T));
    } else {
      StridedCopy(ctx, dims, src, ys, in[0].data<T>() + src_off, dst, sizeof(T));
    }
    size_t d = rank;
    while (d-- > 0) {
      if (++pick[d] < segments[d].size()) break;
      pick[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) break;
  }
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuShapeKernels(KernelRegistry& r) {
  for (DType d : kAllDTypes) {
    for (const char* op : {"reshape", "flatten", "squeeze", "unsqueeze"}) cpu::Register(r, op, d, &cpu::CopyAll);
    cpu::Register(r, "transpose", d, &cpu::Transpose);
    cpu::Register(r, "expand", d, &cpu::Expand);
    cpu::Register(r, "slice", d, &cpu::Slice);
    cpu::Register(r, "concat", d, &cpu::Concat);
    cpu::Register(r, "split", d, &cpu::Split);
    cpu::Register(r, "stack", d, &cpu::Stack);
  }
  cpu::Register(r, "pad", DType::kF32, &cpu::Pad<float>);
  cpu::Register(r, "pad", DType::kF64, &cpu::Pad<double>);
  cpu::Register(r, "pad", DType::kI32, &cpu::Pad<int32_t>);
  cpu::Register(r, "pad", DType::kI64, &cpu::Pad<int64_t>);
  cpu::Register(r, "pad", DType::kU8, &cpu::Pad<uint8_t>);
  cpu::Register(r, "pad", DType::kBool, &cpu::Pad<bool>);
  cpu::RegisterCpuShapeIndexKernels(r);
}

}  // namespace bronze
