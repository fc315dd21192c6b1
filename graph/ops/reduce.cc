// Reductions and softmax (ids 400-499): reduce_sum, reduce_mean, reduce_max, reduce_min,
// reduce_prod and logsumexp over any set of axes (attrs `axes`, `keepdims`); argmax and argmin
// over one axis (attrs `axis`, `keepdims`, output i64); softmax and log_softmax over one axis
// (attr `axis`, default -1). Schemas, shape and dtype inference (symbolic dims flow through),
// attribute validation, costs, and the exact (PyTorch) definitions in the doc strings.
#include <algorithm>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

void ValidateKeepdims(const AttrMap& attrs) {
  int64_t keepdims = attrs.at("keepdims").i();
  if (keepdims != 0 && keepdims != 1) {
    throw AttributeError("keepdims must be 0 or 1, got " + std::to_string(keepdims));
  }
}

// The output shape of reducing the sorted `axes` of `in`; reduced axes stay as 1 with `keep`.
Shape ReducedShape(const Shape& in, const std::vector<int64_t>& axes, bool keep) {
  std::vector<Dim> out;
  for (int64_t k = 0; k < in.rank(); ++k) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), k);
    if (!reduced)
      out.push_back(in[k]);
    else if (keep)
      out.push_back(Dim(1));
  }
  return Shape(std::move(out));
}

// Throws ShapeError when a reduced axis is statically 0 (ops without an identity: max, min,
// argmax, argmin). A symbolic dim is checked again when the plan binds it.
void RequireNonEmptyAxes(const Shape& in, const std::vector<int64_t>& axes, const char* what) {
  for (int64_t a : axes) {
    if (in[a].is_static() && in[a].value() == 0) {
      throw ShapeError(std::string(what) + " over axis " + std::to_string(a) +
                       " of size 0 (input " + in.ToString() +
                       "): an empty reduction has no identity, as in PyTorch");
    }
  }
}

enum class Identity { kNone, kAny };

struct ReduceSpec {
  const char* name;
  uint32_t id;
  std::initializer_list<DType> dtypes;
  Identity identity;
  double flops_per_element;  // per input element
  std::string doc;
};

OpSchema MakeAxesReduction(const ReduceSpec& spec) {
  OpSchema s = ops::MakeSchema(spec.name, spec.id, {"x"}, FusionKind::kReduction, spec.doc);
  s.attrs = {{"axes", AttrType::kInts, Attribute(std::vector<int64_t>{}),
              "axes to reduce, negative counts from the end, no repeats; empty = every axis"},
             {"keepdims", AttrType::kInt, Attribute(int64_t{0}),
              "1 keeps each reduced axis as size 1 (torch keepdim=True); 0 drops it"}};
  std::vector<DType> dtypes(spec.dtypes);
  std::string name = spec.name;
  Identity identity = spec.identity;
  s.infer = [dtypes, name, identity](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    if (std::find(dtypes.begin(), dtypes.end(), x.dtype) == dtypes.end()) {
      std::string allowed;
      for (DType d : dtypes) allowed += (allowed.empty() ? "" : ", ") + std::string(DTypeName(d));
      throw TypeError("input x has dtype " + std::string(DTypeName(x.dtype)) +
                      ", expected one of " + allowed);
    }
    std::vector<int64_t> axes = ops::ReductionAxes(ctx.attr("axes").ints(), x.shape.rank());
    if (identity == Identity::kNone) RequireNonEmptyAxes(x.shape, axes, name.c_str());
    return std::vector<TensorType>{
        {x.dtype, ReducedShape(x.shape, axes, ctx.attr("keepdims").i() == 1)}};
  };
  s.validate = ValidateKeepdims;
  s.differentiability = Differentiability::kDifferentiable;
  double flops = spec.flops_per_element;
  s.cost = [flops](const AttrMap&, std::span<const TensorType> in,
                   std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = flops * ops::StaticNumel(in[0]);
    return c;
  };
  return s;
}

OpSchema MakeArgReduction(const char* name, uint32_t id, std::string doc) {
  OpSchema s = ops::MakeSchema(name, id, {"x"}, FusionKind::kReduction, std::move(doc));
  s.attrs = {{"axis", AttrType::kInt, std::nullopt,
              "the axis to search (required), negative counts from the end; to search every "
              "element as torch.argmax(x) does, reshape x to (-1,) first"},
             {"keepdims", AttrType::kInt, Attribute(int64_t{0}),
              "1 keeps the searched axis as size 1 (torch keepdim=True); 0 drops it"}};
  std::string op = name;
  s.infer = [op](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    ops::RequireDType(x.dtype, ops::kNumericDTypes, "input x");
    int64_t axis = NormalizeAxis(ctx.attr("axis").i(), x.shape.rank(), "axis");
    RequireNonEmptyAxes(x.shape, {axis}, op.c_str());
    return std::vector<TensorType>{
        {DType::kI64, ReducedShape(x.shape, {axis}, ctx.attr("keepdims").i() == 1)}};
  };
  s.validate = ValidateKeepdims;
  s.differentiability = Differentiability::kNotDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = 2 * ops::StaticNumel(in[0]);
    return c;
  };
  return s;
}

OpSchema MakeSoftmax(const char* name, uint32_t id, std::string doc) {
  OpSchema s = ops::MakeSchema(name, id, {"x"}, FusionKind::kOpaque, std::move(doc));
  s.attrs = {{"axis", AttrType::kInt, Attribute(int64_t{-1}),
              "the axis normalized over (torch dim), negative counts from the end; default -1"}};
  s.infer = [](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    ops::RequireDType(x.dtype, {DType::kF32, DType::kF64}, "input x");
    NormalizeAxis(ctx.attr("axis").i(), x.shape.rank(), "axis");
    return std::vector<TensorType>{x};
  };
  s.validate = ValidateNothing;
  s.differentiability = Differentiability::kDifferentiable;
  // max, subtract, exp (~10 flops), sum, scale: about 14 flops per element.
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 14);
  };
  return s;
}

constexpr std::initializer_list<DType> kSumDTypes = {DType::kF32, DType::kF64, DType::kI32,
                                                     DType::kI64};
constexpr std::initializer_list<DType> kFloatOnly = {DType::kF32, DType::kF64};

}  // namespace

std::vector<int64_t> ops::ReductionAxes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  if (axes.empty()) {
    for (int64_t k = 0; k < rank; ++k) out.push_back(k);
    return out;
  }
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, rank, "axis");
    if (std::find(out.begin(), out.end(), n) != out.end()) {
      throw AttributeError("axis " + std::to_string(a) + " appears twice in axes");
    }
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RegisterReduceOps(OpRegistry& r) {
  const std::string common =
      " Attributes: `axes` (empty = every axis; negative axes count from the end; a repeated "
      "axis is an error) and `keepdims` (0 or 1). A scalar input with empty axes is returned "
      "unchanged.";
  const std::string float_acc =
      " Floating inputs accumulate in double and round once to the input dtype (the fast f32 "
      "kernel accumulates in f64 lanes, in fixed blocks combined in a fixed order, so results "
      "do not depend on the thread count).";
  r.Register(MakeAxesReduction(
      {"reduce_sum", 400, kSumDTypes, Identity::kAny, 1,
       "y = sum of x over `axes`; torch.sum(x, dim=axes, keepdim=keepdims). An empty reduction "
       "gives 0. f32, f64, i32, i64; integers accumulate in int64 (wrapping on overflow) and are "
       "cast back to the input dtype (torch promotes integer sums to int64; cast first for "
       "that)." +
           float_acc + common}));
  r.Register(MakeAxesReduction(
      {"reduce_mean", 401, kFloatOnly, Identity::kAny, 1,
       "y = sum of x over `axes` / number of reduced elements; torch.mean(x, dim=axes, "
       "keepdim=keepdims). An empty reduction gives NaN (0/0), as in PyTorch. f32 and f64 only "
       "(torch.mean rejects integers too)." +
           float_acc + common}));
  r.Register(MakeAxesReduction(
      {"reduce_max", 402, kSumDTypes, Identity::kNone, 1,
       "y = max of x over `axes`; torch.amax(x, dim=axes, keepdim=keepdims). NaN propagates: a "
       "reduction containing NaN gives NaN. Reducing an axis of size 0 is an error (at build "
       "time for a static 0, when the plan binds a symbolic dim to 0), as in PyTorch. f32, f64, "
       "i32, i64." +
           common}));
  r.Register(MakeAxesReduction(
      {"reduce_min", 403, kSumDTypes, Identity::kNone, 1,
       "y = min of x over `axes`; torch.amin(x, dim=axes, keepdim=keepdims). NaN propagates: a "
       "reduction containing NaN gives NaN. Reducing an axis of size 0 is an error (at build "
       "time for a static 0, when the plan binds a symbolic dim to 0), as in PyTorch. f32, f64, "
       "i32, i64." +
           common}));
  r.Register(MakeAxesReduction(
      {"reduce_prod", 404, kSumDTypes, Identity::kAny, 1,
       "y = product of x over `axes`; torch.prod(x, dim) generalized to a set of axes (torch.prod "
       "takes one dim). An empty reduction gives 1. f32, f64, i32, i64; integers multiply in "
       "int64 (wrapping on overflow) and are cast back to the input dtype." +
           float_acc + common}));
  r.Register(MakeAxesReduction(
      {"logsumexp", 407, kFloatOnly, Identity::kAny, 4,
       "y = log(sum(exp(x - m))) + m over `axes`, where m is the max over `axes`, replaced by 0 "
       "when it is +-inf; torch.logsumexp(x, dim=axes, keepdim=keepdims). Numerically stable: "
       "no overflow for large x. A reduction whose elements are all -inf gives -inf; one holding "
       "+inf (and no NaN) gives +inf; NaN propagates; an empty reduction gives -inf (log 0), as "
       "in PyTorch. f32 and f64; sums of exponentials accumulate in double (f64 lanes)." +
           common}));

  const std::string arg_common =
      " Output i64 indices along `axis` (0-based). The FIRST occurrence wins among equal values; "
      "NaN counts as the extreme value, so the first NaN's index is returned when there is one "
      "(as in PyTorch). `axis` is required (bronze has no flattening default: reshape to (-1,) "
      "first); searching an axis of size 0 is an error, as in PyTorch. f32, f64, i32, i64 "
      "inputs; not differentiable.";
  r.Register(
      MakeArgReduction("argmax", 405,
                       "Index of the largest element along `axis`; torch.argmax(x, dim=axis, "
                       "keepdim=keepdims)." +
                           arg_common));
  r.Register(
      MakeArgReduction("argmin", 406,
                       "Index of the smallest element along `axis`; torch.argmin(x, dim=axis, "
                       "keepdim=keepdims)." +
                           arg_common));

  const std::string sm_common =
      " Computed stably by subtracting m = max(x) along `axis` first; NaN propagates to the whole "
      "slice; a slice that contains +inf, or whose elements are all -inf, becomes all NaN (as "
      "PyTorch's x - max gives inf - inf). The output has x's shape; empty inputs give empty "
      "outputs. f32 and f64. Fusion kind opaque: a reduction and a broadcast in one kernel.";
  r.Register(MakeSoftmax(
      "softmax", 410,
      "y = exp(x - m) / sum(exp(x - m)) along `axis`; torch.softmax(x, dim=axis)." + sm_common));
  r.Register(MakeSoftmax("log_softmax", 411,
                         "y = x - m - log(sum(exp(x - m))) along `axis`; torch.log_softmax(x, "
                         "dim=axis)." +
                             sm_common));
}

}  // namespace bronze
