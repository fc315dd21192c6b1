// Fast CPU kernels for the data-movement shape ops: reshape, flatten, squeeze, unsqueeze (a
// parallel memcpy; a later planner may alias them), transpose (cache-blocked tiles), expand,
// slice, concat, split and stack, each a few StridedCopy calls (kernels/cpu/shape_util.h), and
// pad, one pass over the output rows. All work on element sizes, so every dtype is covered (pad:
// the six dtypes its fill value converts to). The indexing ops live in shape_index.cc.
#include <algorithm>
#include <cstring>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"
#include "kernels/numel_kernel.h"
#include "kernels/cpu/shape_util.h"

namespace bronze::cpu {
namespace {

size_t ElemSize(const Tensor& t) { return DTypeSize(t.dtype()); }
const char* Bytes(const Tensor& t) { return static_cast<const char*>(t.raw_data()); }
char* MutableBytes(const Tensor& t) { return static_cast<char*>(t.raw_data()); }

// reshape, flatten, squeeze, unsqueeze (ops::kBytesViewOps): one contiguous copy, cut into
// parallel ranges; nothing when the planner gave the output the input's buffer.
void CopyAll(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
             const ExecContext& ctx) {
  if (in[0].raw_data() == out[0].raw_data()) return;
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

void Expand(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
            const ExecContext& ctx) {
  const Dims& xd = in[0].dims();
  const Dims& yd = out[0].dims();
  std::vector<int64_t> in_strides = ContiguousStrides(xd);
  std::vector<int64_t> src(yd.size(), 0);  // 0 along new and expanded dims
  const size_t lead = yd.size() - xd.size();
  for (size_t d = 0; d < xd.size(); ++d) src[lead + d] = xd[d] == yd[lead + d] ? in_strides[d] : 0;
  StridedCopy(ctx, yd, src, ContiguousStrides(yd), in[0].raw_data(), out[0].raw_data(),
              ElemSize(in[0]));
}

void Slice(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
           const ExecContext& ctx) {
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

// concat, split and stack: each input (split: each output) is one block of the other side,
// starting where the previous one ends along the axis, addressed with that side's strides.
void Concat(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
            const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  std::vector<int64_t> dst = ContiguousStrides(out[0].dims());
  const size_t size = ElemSize(out[0]);
  int64_t at = 0;
  for (const Tensor& x : in) {
    char* base =
        MutableBytes(out[0]) + at * dst[static_cast<size_t>(axis)] * static_cast<int64_t>(size);
    StridedCopy(ctx, x.dims(), ContiguousStrides(x.dims()), dst, x.raw_data(), base, size);
    at += x.dims()[static_cast<size_t>(axis)];
  }
}

void Split(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
           const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  std::vector<int64_t> src = ContiguousStrides(in[0].dims());
  const size_t size = ElemSize(in[0]);
  int64_t at = 0;
  for (Tensor& y : out) {
    const char* base =
        Bytes(in[0]) + at * src[static_cast<size_t>(axis)] * static_cast<int64_t>(size);
    StridedCopy(ctx, y.dims(), src, ContiguousStrides(y.dims()), base, y.raw_data(), size);
    at += y.dims()[static_cast<size_t>(axis)];
  }
}

void Stack(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
           const ExecContext& ctx) {
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), out[0].rank(), "axis");
  std::vector<int64_t> out_strides = ContiguousStrides(out[0].dims());
  std::vector<int64_t> dst = out_strides;
  dst.erase(dst.begin() + axis);
  const size_t size = ElemSize(out[0]);
  const int64_t step = out_strides[static_cast<size_t>(axis)] * static_cast<int64_t>(size);
  for (size_t k = 0; k < in.size(); ++k) {
    char* base = MutableBytes(out[0]) + static_cast<int64_t>(k) * step;
    StridedCopy(ctx, in[k].dims(), ContiguousStrides(in[k].dims()), dst, in[k].raw_data(), base,
                size);
  }
}

// For each output index along an axis, the input index it reads, or -1 in a constant border.
std::vector<int64_t> PadMap(int64_t n, int64_t before, int64_t m, bool reflect) {
  std::vector<int64_t> map(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    int64_t j = i - before;
    if (reflect) {  // [b a | a b c | b]: mirrored without the edge
      if (j < 0) j = -j;
      if (j >= n) j = 2 * (n - 1) - j;
    } else if (j < 0 || j >= n) {
      j = -1;
    }
    map[static_cast<size_t>(i)] = j;
  }
  return map;
}

// Pads row by row (a row = the last axis), in parallel over rows, writing each output row once:
// a row in a constant border of an outer axis is all fill; otherwise its source row is found
// through the outer axes' maps, its middle is one memcpy and its borders go element by element.
template <typename U>
void PadRows(const ExecContext& ctx, const Dims& xd, const Dims& yd,
             const std::vector<int64_t>& pads, bool reflect, U value, const U* x, U* y) {
  const size_t rank = xd.size();
  if (rank == 0) {
    *y = *x;
    return;
  }
  auto amounts = ops::PadAmounts(pads, static_cast<int64_t>(rank));
  std::vector<std::vector<int64_t>> maps(rank);
  for (size_t d = 0; d < rank; ++d) maps[d] = PadMap(xd[d], amounts[d].first, yd[d], reflect);
  const std::vector<int64_t> xs = ContiguousStrides(xd);
  const size_t last = rank - 1;
  const int64_t m = yd[last];
  const std::vector<int64_t>& row_map = maps[last];
  // The middle of a row: output [lo, hi) reads input [lo - before, hi - before) in order.
  const int64_t before = amounts[last].first;
  const int64_t lo = std::clamp<int64_t>(before, 0, m);
  const int64_t hi = std::clamp<int64_t>(before + xd[last], lo, m);
  const int64_t rows = NumElements(yd) / m;
  const int64_t grain =
      std::max<int64_t>(1, kCopyGrainBytes / (m * static_cast<int64_t>(sizeof(U))));
  ParallelFor(ctx, rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(last, 0);
    for (int64_t r = begin, k = static_cast<int64_t>(last); k-- > 0;) {
      idx[static_cast<size_t>(k)] = r % yd[static_cast<size_t>(k)];
      r /= yd[static_cast<size_t>(k)];
    }
    for (int64_t r = begin; r < end; ++r) {
      U* out = y + r * m;
      int64_t src = 0;
      bool fill = false;
      for (size_t d = 0; d < last; ++d) {
        const int64_t j = maps[d][static_cast<size_t>(idx[d])];
        fill = fill || j < 0;
        src += j * xs[d];
      }
      if (fill) {
        FillRun(out, value, m);
      } else {
        const U* in = x + src;
        auto border = [&](int64_t i) {
          const int64_t j = row_map[static_cast<size_t>(i)];
          out[i] = j < 0 ? value : in[j];
        };
        for (int64_t i = 0; i < lo; ++i) border(i);
        std::memcpy(out + lo, in + (lo - before), static_cast<size_t>(hi - lo) * sizeof(U));
        for (int64_t i = hi; i < m; ++i) border(i);
      }
      for (size_t d = last; d-- > 0;) {  // next row
        if (++idx[d] < yd[d]) break;
        idx[d] = 0;
      }
    }
  });
}

template <typename T>
void Pad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
         const ExecContext& ctx) {
  if (out[0].numel() == 0) return;
  const double v = attrs.at("value").f();
  T value;
  if constexpr (std::is_same_v<T, bool>) {
    value = v != 0;
  } else {
    value = static_cast<T>(v);  // integers truncate; the shape function checked the range
  }
  using U = std::conditional_t<sizeof(T) == 1, uint8_t,
            std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
  static_assert(sizeof(U) == sizeof(T));
  U bits;
  std::memcpy(&bits, &value, sizeof(T));
  PadRows<U>(ctx, in[0].dims(), out[0].dims(), attrs.at("pads").ints(),
             attrs.at("mode").s() == "reflect", bits, static_cast<const U*>(in[0].raw_data()),
             static_cast<U*>(out[0].raw_data()));
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuShapeKernels(KernelRegistry& r) {
  for (DType d : kAllDTypes) {
    for (const char* op : ops::kBytesViewOps) {
      cpu::Register(r, op, d, &cpu::CopyAll);
    }
    cpu::Register(r, "transpose", d, &cpu::Transpose);
    cpu::Register(r, "expand", d, &cpu::Expand);
    cpu::Register(r, "slice", d, &cpu::Slice);
    cpu::Register(r, "concat", d, &cpu::Concat);
    cpu::Register(r, "split", d, &cpu::Split);
    cpu::Register(r, "stack", d, &cpu::Stack);
  }
  r.Register(KernelEntry{"numel", DeviceKind::kCPU, DType::kF32, "cpu", cpu::kCpuPriority,
                         FunctionKernel(&NumelKernel<float>)});
  cpu::Register(r, "pad", DType::kF32, &cpu::Pad<float>);
  cpu::Register(r, "pad", DType::kF64, &cpu::Pad<double>);
  cpu::Register(r, "pad", DType::kI32, &cpu::Pad<int32_t>);
  cpu::Register(r, "pad", DType::kI64, &cpu::Pad<int64_t>);
  cpu::Register(r, "pad", DType::kU8, &cpu::Pad<uint8_t>);
  cpu::Register(r, "pad", DType::kBool, &cpu::Pad<bool>);
  cpu::RegisterCpuShapeIndexKernels(r);
  cpu::RegisterCpuShapeGradKernels(r);
}

}  // namespace bronze
