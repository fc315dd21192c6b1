// Shape ops, part 2 (ids 510-514): ops that join, cut or frame tensors: concat, split, slice,
// pad and stack. Symbolic dims survive where the result is still a monomial (concat of N and N
// along an axis gives 2*N; slicing or padding an axis needs its size, so a symbolic one only
// passes when untouched). Also the shared slice/pad resolution the kernels use (shape_ops.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"

namespace bronze {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

std::string IntsToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

Cost MoveCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return ops::ElementwiseCost(in, out, 0);
}

// Reads only what it writes (slice): bytes read = bytes written.
Cost OutputMoveCost(const AttrMap&, std::span<const TensorType>, std::span<const TensorType> out) {
  Cost c = ops::ElementwiseCost({}, out, 0);
  c.bytes_read = c.bytes_written;
  return c;
}

// a + b as a single monomial: static sums, 0 + x, and sums of the same symbols (N + 2*N = 3*N).
std::optional<Dim> AddDims(const Dim& a, const Dim& b) {
  if (a == Dim(0)) return b;
  if (b == Dim(0)) return a;
  if (a.symbols() != b.symbols()) return std::nullopt;
  int64_t c;
  if (__builtin_add_overflow(a.coefficient(), b.coefficient(), &c)) {
    throw ShapeError("dim sum " + a.ToString() + " + " + b.ToString() + " overflows int64");
  }
  if (a.is_static()) return Dim(c);
  return Dim(c) * *a.DividedBy(Dim(a.coefficient()));
}

// --- concat and stack ---

void RequireSameRanks(const InferContext& ctx, const char* op) {
  for (size_t k = 1; k < ctx.inputs.size(); ++k) {
    if (ctx.input(k).shape.rank() != ctx.input(0).shape.rank()) {
      throw ShapeError(std::string(op) + " needs inputs of one rank: input 0 is " +
                       ctx.input(0).shape.ToString() + " (rank " +
                       std::to_string(ctx.input(0).shape.rank()) + "), input " + std::to_string(k) +
                       " is " + ctx.input(k).shape.ToString() + " (rank " +
                       std::to_string(ctx.input(k).shape.rank()) + ")");
    }
  }
}

std::vector<TensorType> InferConcat(const InferContext& ctx) {
  DType dtype = ops::RequireSameDType(ctx);
  const Shape& first = ctx.input(0).shape;
  if (first.rank() == 0) {
    throw ShapeError("cannot concatenate scalars (input 0 has shape ()); use stack, or unsqueeze "
                     "them first");
  }
  RequireSameRanks(ctx, "concat");
  const int64_t axis = NormalizeAxis(ctx.attr("axis").i(), first.rank(), "axis");
  Dim total = first[axis];
  for (size_t k = 1; k < ctx.inputs.size(); ++k) {
    const Shape& s = ctx.input(k).shape;
    for (int64_t d = 0; d < s.rank(); ++d) {
      if (d != axis && !(s[d] == first[d])) {
        throw ShapeError("concat along axis " + std::to_string(axis) +
                         " needs equal sizes in the other dims: input 0 " + first.ToString() +
                         " and input " + std::to_string(k) + " " + s.ToString() +
                         " differ in dim " + std::to_string(d) + " (" + first[d].ToString() +
                         " vs " + s[d].ToString() + ")");
      }
    }
    std::optional<Dim> sum = AddDims(total, s[axis]);
    if (!sum) {
      throw ShapeError("concat along axis " + std::to_string(axis) + " would need the size " +
                       total.ToString() + " + " + s[axis].ToString() + " (input " +
                       std::to_string(k) + " " + s.ToString() + "), which is not a single "
                       "symbolic term: only equal symbols add (N + N = 2*N); reshape to static "
                       "sizes or concatenate along another axis");
    }
    total = *sum;
  }
  Shape out = first;
  out[axis] = total;
  return {{dtype, out}};
}

std::vector<TensorType> InferStack(const InferContext& ctx) {
  DType dtype = ops::RequireSameDType(ctx);
  const Shape& first = ctx.input(0).shape;
  for (size_t k = 1; k < ctx.inputs.size(); ++k) {
    if (!(ctx.input(k).shape == first)) {
      throw ShapeError("stack needs inputs of one shape: input 0 is " + first.ToString() +
                       ", input " + std::to_string(k) + " is " + ctx.input(k).shape.ToString());
    }
  }
  const int64_t axis = NormalizeAxis(ctx.attr("axis").i(), first.rank() + 1, "axis");
  std::vector<Dim> out = first.dims();
  out.insert(out.begin() + axis, Dim(static_cast<int64_t>(ctx.inputs.size())));
  return {{dtype, Shape(std::move(out))}};
}

// --- split ---

void ValidateSplit(const AttrMap& attrs) {
  const std::vector<int64_t>& sizes = attrs.at("sizes").ints();
  if (sizes.empty()) throw AttributeError("split needs at least one size, got sizes []");
  for (int64_t s : sizes) {
    if (s < 0) {
      throw AttributeError("split sizes " + IntsToString(sizes) + " has a negative size " +
                           std::to_string(s));
    }
  }
}

std::vector<TensorType> InferSplit(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  if (x.shape.rank() == 0) throw ShapeError("cannot split a scalar (shape ())");
  const int64_t axis = NormalizeAxis(ctx.attr("axis").i(), x.shape.rank(), "axis");
  const std::vector<int64_t>& sizes = ctx.attr("sizes").ints();
  const Dim& dim = x.shape[axis];
  if (!dim.is_static()) {
    throw ShapeError("split sizes " + IntsToString(sizes) + " along axis " + std::to_string(axis) +
                     " of symbolic size " + dim.ToString() + ": the axis needs a static size");
  }
  int64_t sum = 0;
  for (int64_t s : sizes) {
    if (__builtin_add_overflow(sum, s, &sum)) {
      throw ShapeError("split sizes " + IntsToString(sizes) + " overflow int64");
    }
  }
  if (sum != dim.value()) {
    throw ShapeError("split sizes " + IntsToString(sizes) + " sum to " + std::to_string(sum) +
                     ", but axis " + std::to_string(axis) + " of " + x.shape.ToString() +
                     " has size " + dim.ToString());
  }
  std::vector<TensorType> out;
  for (int64_t s : sizes) {
    Shape piece = x.shape;
    piece[axis] = Dim(s);
    out.push_back({x.dtype, piece});
  }
  return out;
}

// --- slice ---

void ValidateSlice(const AttrMap& attrs) {
  const auto& starts = attrs.at("starts").ints();
  const auto& stops = attrs.at("stops").ints();
  const auto& axes = attrs.at("axes").ints();
  const auto& steps = attrs.at("steps").ints();
  if (starts.empty()) throw AttributeError("slice needs at least one axis, got starts []");
  if (stops.size() != starts.size()) {
    throw AttributeError("starts " + IntsToString(starts) + " has " +
                         std::to_string(starts.size()) + " entries, stops " + IntsToString(stops) +
                         " has " + std::to_string(stops.size()));
  }
  if (!axes.empty() && axes.size() != starts.size()) {
    throw AttributeError("axes " + IntsToString(axes) + " has " + std::to_string(axes.size()) +
                         " entries, starts " + IntsToString(starts) + " has " +
                         std::to_string(starts.size()));
  }
  if (!steps.empty() && steps.size() != starts.size()) {
    throw AttributeError("steps " + IntsToString(steps) + " has " + std::to_string(steps.size()) +
                         " entries, starts " + IntsToString(starts) + " has " +
                         std::to_string(starts.size()));
  }
  for (int64_t s : steps) {
    if (s == 0) throw AttributeError("steps " + IntsToString(steps) + " has a step of 0");
  }
}

struct SliceSpec {
  int64_t axis, start, stop, step;
};

// The slice attributes as one entry per listed axis (axes normalized, defaults applied).
std::vector<SliceSpec> SliceSpecs(const AttrMap& attrs, int64_t rank) {
  const auto& starts = attrs.at("starts").ints();
  const auto& stops = attrs.at("stops").ints();
  const auto& axes = attrs.at("axes").ints();
  const auto& steps = attrs.at("steps").ints();
  if (axes.empty() && static_cast<int64_t>(starts.size()) > rank) {
    throw ShapeError("starts " + IntsToString(starts) + " slices " + std::to_string(starts.size()) +
                     " axes, but the input has rank " + std::to_string(rank));
  }
  std::vector<SliceSpec> specs;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t axis = axes.empty() ? static_cast<int64_t>(k) : NormalizeAxis(axes[k], rank, "axis");
    if (seen[static_cast<size_t>(axis)]) {
      throw AttributeError("axis " + std::to_string(axes[k]) + " appears twice in axes " +
                           IntsToString(axes));
    }
    seen[static_cast<size_t>(axis)] = true;
    specs.push_back({axis, starts[k], stops[k], steps.empty() ? 1 : steps[k]});
  }
  return specs;
}

std::string SliceText(const SliceSpec& s) {
  auto bound = [](int64_t v) {
    return v == kMax   ? std::string("INT64_MAX")
           : v == kMin ? std::string("INT64_MIN")
                       : std::to_string(v);
  };
  return bound(s.start) + ":" + bound(s.stop) + ":" + std::to_string(s.step);
}

std::vector<TensorType> InferSlice(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  Shape out = x.shape;
  for (const SliceSpec& s : SliceSpecs(ctx.attrs, x.shape.rank())) {
    const Dim& dim = x.shape[s.axis];
    if (dim.is_static()) {
      out[s.axis] = Dim(ops::ResolveSliceRange(dim.value(), s.start, s.stop, s.step).count);
      continue;
    }
    // A symbolic axis passes only when the slice provably keeps all of it, in order or reversed.
    bool whole_forward = s.step == 1 && (s.start == 0 || s.start == kMin) && s.stop == kMax;
    bool whole_backward = s.step == -1 && (s.start == -1 || s.start == kMax) && s.stop == kMin;
    if (!whole_forward && !whole_backward) {
      throw ShapeError("slice " + SliceText(s) + " of axis " + std::to_string(s.axis) +
                       " of symbolic size " + dim.ToString() + ": the result size depends on " +
                       dim.ToString() + " and is not a single symbolic term (only whole-axis "
                       "slices keep a symbolic dim)");
    }
  }
  return {{x.dtype, out}};
}

// --- pad ---

void ValidatePad(const AttrMap& attrs) {
  const auto& pads = attrs.at("pads").ints();
  const std::string& mode = attrs.at("mode").s();
  if (pads.size() % 2 != 0) {
    throw AttributeError("pads " + IntsToString(pads) + " has " + std::to_string(pads.size()) +
                         " entries; it needs (before, after) pairs, last dim first");
  }
  if (mode != "constant" && mode != "reflect") {
    throw AttributeError("mode '" + mode + "' is not one of constant, reflect");
  }
  if (mode == "reflect") {
    for (int64_t p : pads) {
      if (p < 0) {
        throw AttributeError("pads " + IntsToString(pads) +
                             " has a negative pad, which only mode 'constant' allows");
      }
    }
  }
}

// The pad value must mean the same in the tensor's dtype: integers take it truncated toward
// zero, so it must be finite and in range.
void CheckPadValue(double value, DType dtype) {
  double lo = 0, hi = 0;
  switch (dtype) {
    case DType::kI32: lo = -2147483648.0, hi = 2147483647.0; break;
    case DType::kI64: lo = -9223372036854775808.0, hi = 9223372036854774784.0; break;
    case DType::kU8: lo = 0, hi = 255; break;
    default: return;
  }
  if (!(std::trunc(value) >= lo && std::trunc(value) <= hi)) {
    throw AttributeError("pad value " + FormatDouble(value) + " does not fit dtype " +
                         std::string(DTypeName(dtype)));
  }
}

std::vector<TensorType> InferPad(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  const auto& pads = ctx.attr("pads").ints();
  const bool reflect = ctx.attr("mode").s() == "reflect";
  const int64_t rank = x.shape.rank();
  if (static_cast<int64_t>(pads.size()) > 2 * rank) {
    throw ShapeError("pads " + IntsToString(pads) + " cover " + std::to_string(pads.size() / 2) +
                     " dims, but the input " + x.shape.ToString() + " has rank " +
                     std::to_string(rank));
  }
  if (!reflect) CheckPadValue(ctx.attr("value").f(), x.dtype);
  Shape out = x.shape;
  auto amounts = ops::PadAmounts(pads, rank);
  for (int64_t d = 0; d < rank; ++d) {
    auto [before, after] = amounts[static_cast<size_t>(d)];
    if (before == 0 && after == 0) continue;
    const Dim& dim = x.shape[d];
    std::string what = "pads (" + std::to_string(before) + ", " + std::to_string(after) +
                       ") of axis " + std::to_string(d);
    if (!dim.is_static()) {
      throw ShapeError(what + " of symbolic size " + dim.ToString() +
                       ": padding needs a static size");
    }
    const int64_t n = dim.value();
    if (reflect && (before >= n || after >= n)) {
      throw ShapeError("reflect " + what + " of " + x.shape.ToString() +
                       " must be less than its size " + std::to_string(n));
    }
    int64_t size;
    if (__builtin_add_overflow(n, before, &size) || __builtin_add_overflow(size, after, &size)) {
      throw ShapeError(what + " of " + x.shape.ToString() + " overflow int64");
    }
    if (size < 0) {
      throw ShapeError(what + " of " + x.shape.ToString() + " would leave " + std::to_string(size) +
                       " elements");
    }
    out[d] = Dim(size);
  }
  return {{x.dtype, out}};
}

Cost PadCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c = ops::ElementwiseCost({}, out, 0);
  c.bytes_read = std::min(ops::Bytes(in[0]), c.bytes_written);
  return c;
}

OpSchema Variadic(std::string name, uint32_t id, std::string doc) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {"x"}, FusionKind::kInjective, std::move(doc));
  s.max_inputs = kVariadic;
  return s;
}

}  // namespace

ops::SliceRange ops::ResolveSliceRange(int64_t dim, int64_t start, int64_t stop, int64_t step) {
  // Python's PySlice_AdjustIndices: negative indices count from the end, then clamp.
  auto adjust = [&](int64_t v) {
    if (v < 0) {
      v += dim;  // v >= INT64_MIN and dim >= 0: no overflow
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= dim) {
      v = step < 0 ? dim - 1 : dim;
    }
    return v;
  };
  int64_t s = adjust(start), e = adjust(stop);
  SliceRange r{0, step, 0};
  if (step > 0 && e > s) {
    r.count = (e - s - 1) / step + 1;
  } else if (step < 0 && s > e) {
    uint64_t mag = step == kMin ? uint64_t{1} << 63 : static_cast<uint64_t>(-step);
    r.count = static_cast<int64_t>(static_cast<uint64_t>(s - e - 1) / mag + 1);
  }
  if (r.count > 0) r.start = s;
  return r;
}

std::vector<ops::SliceRange> ops::ResolveSlice(const AttrMap& attrs, const Dims& dims) {
  std::vector<SliceRange> ranges;
  for (int64_t d : dims) ranges.push_back({0, 1, d});
  for (const SliceSpec& s : SliceSpecs(attrs, static_cast<int64_t>(dims.size()))) {
    ranges[static_cast<size_t>(s.axis)] =
        ResolveSliceRange(dims[static_cast<size_t>(s.axis)], s.start, s.stop, s.step);
  }
  return ranges;
}

std::vector<std::pair<int64_t, int64_t>> ops::PadAmounts(const std::vector<int64_t>& pads,
                                                         int64_t rank) {
  std::vector<std::pair<int64_t, int64_t>> out(static_cast<size_t>(rank), {0, 0});
  for (size_t k = 0; 2 * k + 1 < pads.size() && static_cast<int64_t>(k) < rank; ++k) {
    out[static_cast<size_t>(rank - 1 - static_cast<int64_t>(k))] = {pads[2 * k], pads[2 * k + 1]};
  }
  return out;
}

void RegisterShapeJoinOps(OpRegistry& r) {
  OpSchema concat = Variadic(
      "concat", 510,
      "torch.cat(xs, dim=axis): joins one or more tensors of one dtype and rank along `axis` "
      "(negative counts from the end); the other dims must be equal. The result size along axis "
      "is the sum of the inputs' sizes, kept symbolic when it is still one term: N and N give "
      "2*N, 0 and N give N; a sum such as 3 + N is an error. Scalars cannot be concatenated; "
      "torch's special case of skipping 1-D empty tensors of another rank is not supported. "
      "Any dtype.");
  concat.attrs = {{"axis", AttrType::kInt, Attribute(int64_t{0}),
                   "axis to join along; negative counts from the end"}};
  concat.infer = InferConcat;
  concat.validate = ValidateNothing;
  concat.cost = MoveCost;
  concat.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(concat));

  OpSchema split = ops::MakeSchema(
      "split", 511, {"x"}, FusionKind::kInjective,
      "torch.split(x, sizes, dim=axis) with a list of sizes: one output per entry of `sizes`, "
      "consecutive pieces of x along `axis`. The sizes must be non-negative and sum to the "
      "axis's size, which must be static (a size-0 piece is an empty tensor). Any dtype.");
  split.attrs = {
      {"axis", AttrType::kInt, Attribute(int64_t{0}),
       "axis to cut along; negative counts from the end"},
      {"sizes", AttrType::kInts, std::nullopt,
       "size of each output along axis (non-empty, non-negative, summing to the axis size)"}};
  split.num_outputs = kVariadic;
  split.infer = InferSplit;
  split.validate = ValidateSplit;
  split.cost = MoveCost;
  split.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(split));

  OpSchema slice = ops::MakeSchema(
      "slice", 512, {"x"}, FusionKind::kInjective,
      "Python/NumPy basic slicing, as ONNX Slice: for each listed axis, x[start:stop:step]. "
      "Negative start/stop count from the end; out-of-range values clamp (so INT64_MAX means "
      "'to the end' and, with a negative step, INT64_MIN means 'through the first element'); a "
      "negative step walks backwards (start defaults are not implied: pass start=-1, "
      "stop=INT64_MIN, step=-1 to reverse an axis); an empty range gives size 0. Axes not listed "
      "are kept whole. A symbolic axis may only be sliced whole (0:INT64_MAX:1 or "
      "-1:INT64_MIN:-1). Equivalent to torch's x[..., start:stop:step, ...] for positive steps "
      "(torch has no negative steps; torch.flip covers -1). Any dtype.");
  slice.attrs = {
      {"starts", AttrType::kInts, std::nullopt,
       "first index per listed axis (negative counts from the end)"},
      {"stops", AttrType::kInts, std::nullopt, "exclusive end index per listed axis (clamped)"},
      {"axes", AttrType::kInts, Attribute(std::vector<int64_t>{}),
       "the axes starts/stops/steps refer to; empty = 0, 1, ..., len(starts)-1"},
      {"steps", AttrType::kInts, Attribute(std::vector<int64_t>{}),
       "step per listed axis (non-zero, may be negative); empty = all 1"}};
  slice.infer = InferSlice;
  slice.validate = ValidateSlice;
  slice.cost = OutputMoveCost;
  slice.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(slice));

  OpSchema pad = ops::MakeSchema(
      "pad", 513, {"x"}, FusionKind::kInjective,
      "torch.nn.functional.pad(x, pads, mode, value). `pads` lists (before, after) pairs starting "
      "from the LAST dim: [left, right] pads the last dim, [left, right, top, bottom] the last "
      "two, and so on (at most 2 * rank entries). mode 'constant' fills with `value` and allows "
      "negative pads, which crop (the result size must stay >= 0); mode 'reflect' mirrors "
      "without repeating the edge (x = [1, 2, 3] padded (2, 1) gives [3, 2, 1, 2, 3, 2]) and "
      "needs every pad < the dim's size and >= 0; unlike torch it works on any number of "
      "trailing dims. Integer tensors take `value` truncated toward zero (it must fit the "
      "dtype); bool takes value != 0. A padded axis needs a static size. Kernels: f32, f64, "
      "i32, i64, u8, bool (not f16/bf16).");
  pad.attrs = {{"pads", AttrType::kInts, std::nullopt,
                "(before, after) pairs, last dim first, as torch.nn.functional.pad"},
               {"mode", AttrType::kString, Attribute("constant"), "'constant' or 'reflect'"},
               {"value", AttrType::kFloat, Attribute(0.0), "fill value of mode 'constant'"}};
  pad.infer = InferPad;
  pad.validate = ValidatePad;
  pad.cost = PadCost;
  pad.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(pad));

  OpSchema stack = Variadic(
      "stack", 514,
      "torch.stack(xs, dim=axis): one or more tensors of one dtype and shape joined along a new "
      "size-len(xs) axis; axis ranges over the OUTPUT's rank (rank(x) + 1), negative counts from "
      "its end. Any dtype.");
  stack.attrs = {{"axis", AttrType::kInt, Attribute(int64_t{0}),
                  "position of the new axis in the output; negative counts from its end"}};
  stack.infer = InferStack;
  stack.validate = ValidateNothing;
  stack.cost = MoveCost;
  stack.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(stack));
}

}  // namespace bronze
