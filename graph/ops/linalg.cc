// Linear algebra ops (ids 300-399): matmul with NumPy semantics (batched, batch dims broadcast,
// 1-D operands promoted and the promoted dim dropped again, optionally transposed operands),
// linear (PyTorch's x @ W^T + b), conv2d and conv_transpose2d (NCHW, PyTorch weight layouts,
// stride / padding incl. 'same' and 'valid' / dilation / groups / output_padding), and the
// backward op conv2d_backward_weight (the weight gradient of both convolutions). Shape functions
// keep symbolic batch dims; the convolution geometry they compute is shared with the kernels
// through graph/ops/linalg.h.
#include "graph/ops/linalg.h"

#include <algorithm>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

// --- matmul ---

struct MatmulDims {
  Shape batch;  // broadcast batch dims
  Dim m, k, n;
  bool a_vector, b_vector;
};

// The last two dims of `s` swapped.
Shape SwapLastTwo(const Shape& s) {
  std::vector<Dim> dims = s.dims();
  std::swap(dims[dims.size() - 2], dims[dims.size() - 1]);
  return Shape(std::move(dims));
}

MatmulDims AnalyzeMatmul(const TensorType& a, const TensorType& b, bool ta, bool tb) {
  if (a.shape.rank() == 0 || b.shape.rank() == 0) {
    throw ShapeError("matmul needs operands of rank >= 1, got " + a.shape.ToString() + " and " +
                     b.shape.ToString());
  }
  if ((ta && a.shape.rank() < 2) || (tb && b.shape.rank() < 2)) {
    throw ShapeError(std::string(ta && a.shape.rank() < 2 ? "transpose_a" : "transpose_b") +
                     " needs an operand of rank >= 2 (it swaps the last two dims), got a " +
                     a.shape.ToString() + " and b " + b.shape.ToString());
  }
  MatmulDims d;
  d.a_vector = a.shape.rank() == 1;
  d.b_vector = b.shape.rank() == 1;
  Shape sa = ta ? SwapLastTwo(a.shape) : a.shape, sb = tb ? SwapLastTwo(b.shape) : b.shape;
  if (d.a_vector) sa = Shape({Dim(1), a.shape[0]});
  if (d.b_vector) sb = Shape({b.shape[0], Dim(1)});
  d.m = sa[sa.rank() - 2];
  d.k = sa[sa.rank() - 1];
  d.n = sb[sb.rank() - 1];
  if (!(sb[sb.rank() - 2] == d.k)) {
    throw ShapeError("contraction dims differ: a " + a.shape.ToString() +
                     (ta ? " (transposed)" : "") + " has K = " + d.k.ToString() + ", b " +
                     b.shape.ToString() + (tb ? " (transposed)" : "") + " has K = " +
                     sb[sb.rank() - 2].ToString());
  }
  Shape ba(std::vector<Dim>(sa.dims().begin(), sa.dims().end() - 2));
  Shape bb(std::vector<Dim>(sb.dims().begin(), sb.dims().end() - 2));
  std::optional<Shape> batch = BroadcastShapes(ba, bb);
  if (!batch) {
    throw ShapeError("batch dims " + ba.ToString() + " of a " + a.shape.ToString() + " and " +
                     bb.ToString() + " of b " + b.shape.ToString() + " do not broadcast");
  }
  d.batch = *batch;
  return d;
}

double StaticValue(const Dim& d) { return d.is_static() ? static_cast<double>(d.value()) : 0; }

void RegisterMatmul(OpRegistry& r) {
  OpSchema s = ops::MakeSchema(
      "matmul", 300, {"a", "b"}, FusionKind::kOpaque,
      "Matrix product with NumPy semantics, torch.matmul(a, b): a (..., M, K) @ b (..., K, N) -> "
      "(..., M, N), out[..., i, j] = sum_k a[..., i, k] * b[..., k, j]. The batch dims (all but "
      "the last two) broadcast as in NumPy. A 1-D a (K) is promoted to (1, K) and a 1-D b (K) to "
      "(K, 1); the promoted dim is removed from the result, so vector @ vector is a scalar. K = 0 "
      "gives zeros. transpose_a = 1 swaps the last two dims of a before the product (a is "
      "(..., K, M): torch.matmul(a.transpose(-1, -2), b)), transpose_b = 1 likewise for b "
      "(..., N, K); both need rank >= 2 operands, and the kernels read the operand in place (no "
      "transposed copy). Floats accumulate in at least the operand precision (the reference "
      "kernels in double); integer products accumulate in int64 and the result wraps to the "
      "dtype. NaN and Inf propagate as in IEEE arithmetic.");
  s.attrs = {
      {"transpose_a", AttrType::kInt, Attribute(int64_t{0}),
       "1: use a with its last two dims swapped (a^T); 0 or absent: a as it is"},
      {"transpose_b", AttrType::kInt, Attribute(int64_t{0}),
       "1: use b with its last two dims swapped (b^T); 0 or absent: b as it is"},
  };
  // Added after graphs with matmul existed: a node stores them only when set.
  s.elided_defaults = {"transpose_a", "transpose_b"};
  s.validate = [](const AttrMap& attrs) {
    for (const char* name : {"transpose_a", "transpose_b"}) {
      auto it = attrs.find(name);
      if (it != attrs.end() && it->second.i() != 0 && it->second.i() != 1) {
        throw AttributeError(std::string(name) + " must be 0 or 1, got " +
                             std::to_string(it->second.i()));
      }
    }
  };
  s.infer = [](const InferContext& ctx) {
    DType dt = ops::RequireSameDType(ctx);
    ops::RequireDType(dt, ops::kNumericDTypes, "operand");
    MatmulDims d = AnalyzeMatmul(ctx.input(0), ctx.input(1), ops::MatmulTransposed(ctx.attrs, 0),
                                 ops::MatmulTransposed(ctx.attrs, 1));
    std::vector<Dim> out = d.batch.dims();
    if (!d.a_vector) out.push_back(d.m);
    if (!d.b_vector) out.push_back(d.n);
    return std::vector<TensorType>{{dt, Shape(std::move(out))}};
  };
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = [](const AttrMap& attrs, std::span<const TensorType> in,
              std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    MatmulDims d = AnalyzeMatmul(in[0], in[1], ops::MatmulTransposed(attrs, 0),
                                 ops::MatmulTransposed(attrs, 1));
    c.flops = 2 * StaticValue(d.k) * ops::StaticNumel(out[0]);
    return c;
  };
  r.Register(std::move(s));
}

// --- linear ---

void RegisterLinear(OpRegistry& r) {
  OpSchema s = ops::MakeSchema(
      "linear", 301, {"x", "weight", "bias"}, FusionKind::kOpaque,
      "Affine map, torch.nn.functional.linear(x, weight, bias): y = x @ weight^T + bias, "
      "y[..., o] = sum_i x[..., i] * weight[o, i] + bias[o]. x is (..., in_features) with any "
      "number of leading dims (symbolic ones flow through; a 1-D x gives a 1-D y), weight is "
      "(out_features, in_features) as in PyTorch, the optional third input bias is "
      "(out_features). in_features = 0 gives y = bias (zeros without bias). Float dtypes; the "
      "reference kernels accumulate in double.");
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.infer = [](const InferContext& ctx) {
    DType dt = ops::RequireSameDType(ctx);
    ops::RequireDType(dt, ops::kFloatDTypes, "input x");
    const TensorType& x = ctx.input(0);
    const TensorType& w = ctx.input(1);
    if (x.shape.rank() < 1) {
      throw ShapeError("input x must have rank >= 1 (..., in_features), got " + x.shape.ToString());
    }
    if (w.shape.rank() != 2) {
      throw ShapeError("weight must be (out_features, in_features), got " + w.shape.ToString());
    }
    const Dim& in = x.shape[x.shape.rank() - 1];
    if (!(w.shape[1] == in)) {
      throw ShapeError("x " + x.shape.ToString() + " has in_features " + in.ToString() +
                       " but weight " + w.shape.ToString() + " has in_features " +
                       w.shape[1].ToString() + " (weight is (out_features, in_features))");
    }
    if (ctx.inputs.size() == 3) {
      const TensorType& b = ctx.input(2);
      if (b.shape.rank() != 1 || !(b.shape[0] == w.shape[0])) {
        throw ShapeError("bias " + b.shape.ToString() + " must be (" + w.shape[0].ToString() +
                         ",), one value per output feature of weight " + w.shape.ToString());
      }
    }
    std::vector<Dim> out(x.shape.dims().begin(), x.shape.dims().end() - 1);
    out.push_back(w.shape[0]);
    return std::vector<TensorType>{{dt, Shape(std::move(out))}};
  };
  s.validate = ValidateNothing;
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, in.size() == 3 ? 1 : 0);
    c.flops += 2 * StaticValue(in[1].shape[1]) * ops::StaticNumel(out[0]);
    return c;
  };
  r.Register(std::move(s));
}

// --- convolutions ---

std::string IntsToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

const char* kSpatialName[2] = {"height", "width"};

int64_t CheckedAdd(int64_t a, int64_t b, const std::string& what) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw ShapeError(what + " overflows int64");
  return r;
}

int64_t CheckedMul(int64_t a, int64_t b, const std::string& what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw ShapeError(what + " overflows int64");
  return r;
}

const std::vector<int64_t>& PairAttr(const AttrMap& attrs, const char* name) {
  const std::vector<int64_t>& v = attrs.at(name).ints();
  if (v.size() != 2) {
    throw AttributeError(std::string(name) + " must have 2 values (height, width), got " +
                         IntsToString(v));
  }
  return v;
}

void ValidateConv(const AttrMap& attrs, bool transpose) {
  const std::vector<int64_t>& stride = PairAttr(attrs, "stride");
  const std::vector<int64_t>& dilation = PairAttr(attrs, "dilation");
  for (int d = 0; d < 2; ++d) {
    if (stride[d] < 1) throw AttributeError("stride must be >= 1, got " + IntsToString(stride));
    if (dilation[d] < 1) {
      throw AttributeError("dilation must be >= 1, got " + IntsToString(dilation));
    }
  }
  const std::vector<int64_t>& padding = attrs.at("padding").ints();
  if (padding.size() != 2 && padding.size() != 4) {
    throw AttributeError("padding must have 2 values (height, width) or 4 (top, left, bottom, "
                         "right), got " + IntsToString(padding));
  }
  for (int64_t p : padding) {
    if (p < 0) throw AttributeError("padding must be >= 0, got " + IntsToString(padding));
  }
  const int64_t groups = attrs.at("groups").i();
  if (groups < 1) throw AttributeError("groups must be >= 1, got " + std::to_string(groups));
  if (transpose) {
    const std::vector<int64_t>& op = PairAttr(attrs, "output_padding");
    for (int d = 0; d < 2; ++d) {
      if (op[d] < 0) {
        throw AttributeError("output_padding must be >= 0, got " + IntsToString(op));
      }
      if (op[d] >= stride[d] && op[d] >= dilation[d]) {
        throw AttributeError("output_padding " + IntsToString(op) + " must be smaller than "
                             "either stride " + IntsToString(stride) + " or dilation " +
                             IntsToString(dilation) + " (" + kSpatialName[d] + ": " +
                             std::to_string(op[d]) + ")");
      }
    }
    return;
  }
  const std::string& mode = attrs.at("auto_pad").s();
  if (mode != "explicit" && mode != "same" && mode != "valid") {
    throw AttributeError("auto_pad must be \"explicit\", \"same\" or \"valid\", got \"" + mode +
                         "\"");
  }
  if (mode != "explicit" &&
      std::any_of(padding.begin(), padding.end(), [](int64_t p) { return p != 0; })) {
    throw AttributeError("padding " + IntsToString(padding) + " given with auto_pad \"" + mode +
                         "\": leave padding at zeros or set auto_pad \"explicit\"");
  }
  if (mode == "same" && (stride[0] != 1 || stride[1] != 1)) {
    throw AttributeError("auto_pad \"same\" needs stride [1, 1] (as PyTorch's padding='same'), "
                         "got stride " + IntsToString(stride));
  }
}

// One spatial output size, for static sizes; errors name the input and weight.
int64_t ConvOutputSize(const ops::ConvAttrs& a, int d, int64_t in, int64_t k, bool transpose,
                       const std::string& shapes) {
  int64_t begin, end;
  ops::ResolvePadding(a, d, k, &begin, &end);
  const std::string dim = kSpatialName[d];
  const int64_t span = CheckedAdd(CheckedMul(a.dilation[d], k - 1, "dilated kernel " + dim), 1,
                                  "dilated kernel " + dim);
  if (!transpose) {
    const int64_t padded = CheckedAdd(CheckedAdd(in, begin, "padded input " + dim), end,
                                      "padded input " + dim);
    if (padded < span) {
      throw ShapeError("dilated kernel " + dim + " " + std::to_string(span) + " (kernel " +
                       std::to_string(k) + ", dilation " + std::to_string(a.dilation[d]) +
                       ") is larger than the padded input " + dim + " " + std::to_string(padded) +
                       " (" + std::to_string(in) + " + padding " + std::to_string(begin) + " + " +
                       std::to_string(end) + ") of " + shapes);
    }
    return (padded - span) / a.stride[d] + 1;
  }
  // (in - 1) * stride - pad_begin - pad_end + dilation * (k - 1) + output_padding + 1
  int64_t out = CheckedMul(in - 1, a.stride[d], "output " + dim);
  out = CheckedAdd(out, span, "output " + dim);
  out = CheckedAdd(out, a.output_padding[d], "output " + dim);
  out -= begin + end;
  if (out < 1) {
    throw ShapeError("output " + dim + " " + std::to_string(out) + " = (" + std::to_string(in) +
                     " - 1) * stride " + std::to_string(a.stride[d]) + " - padding " +
                     std::to_string(begin) + " - " + std::to_string(end) + " + dilated kernel " +
                     std::to_string(span) + " + output_padding " +
                     std::to_string(a.output_padding[d]) + " is not positive, for " + shapes);
  }
  return out;
}

std::vector<TensorType> InferConv(const InferContext& ctx, bool transpose) {
  DType dt = ops::RequireSameDType(ctx);
  ops::RequireDType(dt, ops::kFloatDTypes, "input x");
  const TensorType& x = ctx.input(0);
  const TensorType& w = ctx.input(1);
  const char* layout = transpose ? "(C_in, C_out/groups, kH, kW)" : "(C_out, C_in/groups, kH, kW)";
  if (x.shape.rank() != 4 && x.shape.rank() != 3) {
    throw ShapeError("input x must be (N, C, H, W) or unbatched (C, H, W), got " +
                     x.shape.ToString());
  }
  if (w.shape.rank() != 4) {
    throw ShapeError(std::string("weight must be ") + layout + ", got " + w.shape.ToString());
  }
  const std::string shapes = "input " + x.shape.ToString() + " and weight " + w.shape.ToString();
  for (int64_t k = 0; k < 4; ++k) {
    if (!w.shape[k].is_static() || w.shape[k].value() < 1) {
      throw ShapeError(std::string("weight ") + w.shape.ToString() + " must have static positive "
                       "dims " + layout);
    }
  }
  const int64_t off = x.shape.rank() - 3;  // 1 when batched
  for (int64_t k = off; k < x.shape.rank(); ++k) {
    if (x.shape[k].is_static() && x.shape[k].value() < 1) {
      throw ShapeError("input " + x.shape.ToString() + " has an empty non-batch dim (channels, "
                       "height and width must be positive; only the batch may be 0)");
    }
  }
  const ops::ConvAttrs a = ops::ReadConvAttrs(ctx.attrs, transpose);
  const int64_t groups = a.groups;
  const Dim& c = x.shape[off];
  Dim c_out;
  if (!transpose) {
    const Dim expect = w.shape[1] * Dim(groups);
    if (!(expect == c)) {
      throw ShapeError("input " + x.shape.ToString() + " has " + c.ToString() + " channels, "
                       "but weight " + w.shape.ToString() + " with groups " +
                       std::to_string(groups) + " expects " + w.shape[1].ToString() + " * " +
                       std::to_string(groups) + " = " + expect.ToString());
    }
    c_out = w.shape[0];
    if (c_out.value() % groups != 0) {
      throw ShapeError("weight " + w.shape.ToString() + " has " + c_out.ToString() +
                       " output channels, not divisible by groups " + std::to_string(groups));
    }
  } else {
    if (!(w.shape[0] == c)) {
      throw ShapeError("input " + x.shape.ToString() + " has " + c.ToString() + " channels, "
                       "but weight " + w.shape.ToString() + " expects " + w.shape[0].ToString() +
                       " (weight is " + layout + ")");
    }
    if (w.shape[0].value() % groups != 0) {
      throw ShapeError("input channels " + w.shape[0].ToString() + " of " + shapes +
                       " are not divisible by groups " + std::to_string(groups));
    }
    c_out = Dim(CheckedMul(w.shape[1].value(), groups, "output channels"));
  }
  if (ctx.inputs.size() == 3) {
    const TensorType& b = ctx.input(2);
    if (b.shape.rank() != 1 || !(b.shape[0] == c_out)) {
      throw ShapeError("bias " + b.shape.ToString() + " must be (" + c_out.ToString() +
                       ",), one value per output channel of " + shapes);
    }
  }
  std::vector<Dim> out;
  if (off == 1) out.push_back(x.shape[0]);
  out.push_back(c_out);
  for (int d = 0; d < 2; ++d) {
    const Dim& in = x.shape[off + 1 + d];
    const int64_t k = w.shape[2 + d].value();
    if (in.is_static()) {
      out.push_back(Dim(ConvOutputSize(a, d, in.value(), k, transpose, shapes)));
      continue;
    }
    // A symbolic size survives only where the output size equals the input size.
    int64_t begin, end;
    ops::ResolvePadding(a, d, k, &begin, &end);
    const int64_t grow = a.dilation[d] * (k - 1) + (transpose ? a.output_padding[d] : 0);
    if (a.stride[d] != 1 || begin + end != grow) {
      throw ShapeError(std::string(kSpatialName[d]) + " " + in.ToString() + " of " + shapes +
                       " is symbolic: a static size is needed unless the output keeps it (stride "
                       "1 and 'same' padding)");
    }
    out.push_back(in);
  }
  return std::vector<TensorType>{{dt, Shape(std::move(out))}};
}

Cost ConvCost(std::span<const TensorType> in, std::span<const TensorType> out, bool transpose) {
  Cost c = ops::ElementwiseCost(in, out, in.size() == 3 ? 1 : 0);
  const Shape& w = in[1].shape;
  // conv2d: each output element is a dot product of C_in/groups * kH * kW taps; the transposed
  // convolution scatters each input element to C_out/groups * kH * kW outputs.
  double taps = StaticValue(w[1]) * StaticValue(w[2]) * StaticValue(w[3]);
  c.flops += 2 * taps * ops::StaticNumel(transpose ? in[0] : out[0]);
  return c;
}

std::vector<AttrSpec> ConvAttrSpecs(bool transpose) {
  using V = std::vector<int64_t>;
  std::vector<AttrSpec> specs = {
      {"stride", AttrType::kInts, Attribute(V{1, 1}), "step of the kernel, (height, width), >= 1"},
      {"padding", AttrType::kInts, Attribute(V{0, 0}),
       transpose ? "implicit zero padding removed from the output: (height, width) on both sides "
                   "as PyTorch, or (top, left, bottom, right)"
                 : "implicit zero padding: (height, width) on both sides as PyTorch, or (top, "
                   "left, bottom, right)"},
      {"dilation", AttrType::kInts, Attribute(V{1, 1}),
       "spacing between kernel taps, (height, width), >= 1"},
      {"groups", AttrType::kInt, Attribute(int64_t{1}),
       "channel groups: input and output channels are split into `groups` blocks convolved "
       "separately; must divide both channel counts"},
  };
  if (transpose) {
    specs.push_back({"output_padding", AttrType::kInts, Attribute(V{0, 0}),
                     "extra size added to one side (bottom / right) of the output, (height, "
                     "width); each must be smaller than the stride or the dilation"});
  } else {
    specs.push_back({"auto_pad", AttrType::kString, Attribute("explicit"),
                     "\"explicit\": use `padding`; \"valid\": no padding (PyTorch "
                     "padding='valid'); \"same\": output size = input size (PyTorch "
                     "padding='same', stride must be 1): total padding dilation*(k-1), the "
                     "smaller half at the top / left"});
  }
  return specs;
}

void RegisterConv2d(OpRegistry& r) {
  OpSchema s = ops::MakeSchema(
      "conv2d", 310, {"x", "weight", "bias"}, FusionKind::kOpaque,
      "2-D cross-correlation, torch.nn.functional.conv2d(x, weight, bias, stride, padding, "
      "dilation, groups). x is (N, C_in, H, W) (or unbatched (C_in, H, W)), weight is (C_out, "
      "C_in/groups, kH, kW), the optional bias is (C_out). With g = co / (C_out/groups): "
      "y[n, co, oh, ow] = bias[co] + sum_{ci < C_in/groups, kh, kw} x[n, g*C_in/groups + ci, "
      "oh*sH - pad_top + kh*dH, ow*sW - pad_left + kw*dW] * weight[co, ci, kh, kw], where x reads "
      "0 outside the input (zero padding). OH = floor((H + pad_top + pad_bottom - dH*(kH-1) - 1) "
      "/ sH) + 1, likewise OW. padding (pH, pW) pads both sides like PyTorch; (top, left, bottom, "
      "right) pads each side. auto_pad \"same\"/\"valid\" are PyTorch's padding='same'/'valid'. "
      "The batch may be 0 (empty output) and symbolic; channels, H and W must be positive and "
      "the padded input at least as large as the dilated kernel. Float dtypes; the reference "
      "kernels accumulate in double.");
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.attrs = ConvAttrSpecs(false);
  s.infer = [](const InferContext& ctx) { return InferConv(ctx, false); };
  s.validate = [](const AttrMap& attrs) { ValidateConv(attrs, false); };
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ConvCost(in, out, false);
  };
  r.Register(std::move(s));
}

void RegisterConvTranspose2d(OpRegistry& r) {
  OpSchema s = ops::MakeSchema(
      "conv_transpose2d", 311, {"x", "weight", "bias"}, FusionKind::kOpaque,
      "2-D transposed convolution (the gradient of conv2d with respect to its input), "
      "torch.nn.functional.conv_transpose2d(x, weight, bias, stride, padding, output_padding, "
      "groups, dilation). x is (N, C_in, H, W) (or unbatched (C_in, H, W)), weight is (C_in, "
      "C_out/groups, kH, kW) as in PyTorch, the optional bias is (C_out). Each input element "
      "scatters: y[n, g*C_out/groups + co, ih*sH - pad_top + kh*dH, iw*sW - pad_left + kw*dW] += "
      "x[n, ci, ih, iw] * weight[ci, co, kh, kw] for ci in group g, then + bias; positions "
      "outside the output are dropped. OH = (H - 1)*sH - pad_top - pad_bottom + dH*(kH - 1) + "
      "output_padding_h + 1, likewise OW, and must be positive. padding (pH, pW) crops both "
      "sides like PyTorch, or (top, left, bottom, right) each side; output_padding adds rows / "
      "columns at the bottom / right and must be smaller than the stride or the dilation. The "
      "batch may be 0 and symbolic. Float dtypes; the reference kernels accumulate in double.");
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.attrs = ConvAttrSpecs(true);
  s.infer = [](const InferContext& ctx) { return InferConv(ctx, true); };
  s.validate = [](const AttrMap& attrs) { ValidateConv(attrs, true); };
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ConvCost(in, out, true);
  };
  r.Register(std::move(s));
}

// --- conv2d's weight gradient ---

// weight_shape after validation: (C_out, C_in/groups, kH, kW), all positive.
void ValidateConvBackwardWeight(const AttrMap& attrs) {
  ValidateConv(attrs, false);
  const std::vector<int64_t>& w = attrs.at("weight_shape").ints();
  if (w.size() != 4 || std::any_of(w.begin(), w.end(), [](int64_t d) { return d < 1; })) {
    throw AttributeError("weight_shape must be 4 positive sizes (C_out, C_in/groups, kH, kW), "
                         "got " + IntsToString(w));
  }
}

std::vector<TensorType> InferConvBackwardWeight(const InferContext& ctx) {
  DType dt = ops::RequireSameDType(ctx);
  ops::RequireDType(dt, ops::kFloatDTypes, "input x");
  const TensorType& x = ctx.input(0);
  const TensorType& dy = ctx.input(1);
  const std::vector<int64_t>& ws = ctx.attrs.at("weight_shape").ints();
  const TensorType w{dt, Shape(std::vector<Dim>(ws.begin(), ws.end()))};
  // The forward convolution's output type must be dy's.
  const TensorType fwd[2] = {x, w};
  const TensorType y = InferConv(InferContext{ctx.attrs, fwd}, false)[0];
  if (!(y.shape == dy.shape)) {
    throw ShapeError("dy " + dy.shape.ToString() + " must have the shape " + y.shape.ToString() +
                     " of conv2d's output for input " + x.shape.ToString() + " and weight " +
                     w.shape.ToString());
  }
  return {w};
}

void RegisterConv2dBackwardWeight(OpRegistry& r) {
  OpSchema s = ops::MakeSchema(
      "conv2d_backward_weight", 312, {"x", "dy"}, FusionKind::kOpaque,
      "The gradient of conv2d with respect to its weight, torch.nn.grad.conv2d_weight(x, "
      "weight_shape, dy, stride, padding, dilation, groups) (torch.ops.aten.convolution_backward "
      "with output_mask [False, True, False]): dw[co, ci, kh, kw] = sum_{n, oh, ow} dy[n, co, "
      "oh, ow] * x[n, g*C_in/groups + ci, oh*sH - pad_top + kh*dH, ow*sW - pad_left + kw*dW] "
      "with g = co / (C_out/groups) and x reading 0 outside the input. x is conv2d's input "
      "(N, C_in, H, W) (or unbatched (C_in, H, W)), dy the gradient of its output, whose shape "
      "must be conv2d's output shape for x and a weight of weight_shape; the result has "
      "weight_shape (C_out, C_in/groups, kH, kW). The attributes mean what they mean for conv2d; "
      "conv_transpose2d's weight gradient is this op with x and dy swapped. An empty batch gives "
      "zeros. Float dtypes; the reference kernels accumulate in double. Not differentiable "
      "(second derivatives are out of scope).");
  s.attrs = ConvAttrSpecs(false);
  s.attrs.push_back({"weight_shape", AttrType::kInts, std::nullopt,
                     "shape of the weight (and of the result): (C_out, C_in/groups, kH, kW)"});
  s.infer = InferConvBackwardWeight;
  s.validate = ValidateConvBackwardWeight;
  s.differentiability = Differentiability::kNotDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    // Each dy element meets C_in/groups * kH * kW taps.
    const Shape& w = out[0].shape;
    c.flops = 2 * StaticValue(w[1]) * StaticValue(w[2]) * StaticValue(w[3]) *
              ops::StaticNumel(in[1]);
    return c;
  };
  r.Register(std::move(s));
}

}  // namespace

// --- shared matmul flags and convolution geometry (graph/ops/linalg.h) ---

bool ops::MatmulTransposed(const AttrMap& attrs, int operand) {
  auto it = attrs.find(operand == 0 ? "transpose_a" : "transpose_b");
  return it != attrs.end() && it->second.i() == 1;
}

ops::ConvAttrs ops::ReadConvAttrs(const AttrMap& attrs, bool transpose) {
  ConvAttrs a;
  const std::vector<int64_t>& stride = attrs.at("stride").ints();
  const std::vector<int64_t>& dilation = attrs.at("dilation").ints();
  const std::vector<int64_t>& padding = attrs.at("padding").ints();
  for (int d = 0; d < 2; ++d) {
    a.stride[d] = stride.at(d);
    a.dilation[d] = dilation.at(d);
    a.pad_begin[d] = padding.at(d);
    a.pad_end[d] = padding.size() == 4 ? padding.at(2 + d) : padding.at(d);
  }
  a.groups = attrs.at("groups").i();
  if (transpose) {
    const std::vector<int64_t>& op = attrs.at("output_padding").ints();
    for (int d = 0; d < 2; ++d) a.output_padding[d] = op.at(d);
  } else {
    const std::string& mode = attrs.at("auto_pad").s();
    a.auto_pad = mode == "same"    ? ConvAttrs::AutoPad::kSame
                 : mode == "valid" ? ConvAttrs::AutoPad::kValid
                                   : ConvAttrs::AutoPad::kExplicit;
  }
  return a;
}

void ops::ResolvePadding(const ConvAttrs& a, int d, int64_t kernel, int64_t* begin, int64_t* end) {
  switch (a.auto_pad) {
    case ConvAttrs::AutoPad::kExplicit:
      *begin = a.pad_begin[d];
      *end = a.pad_end[d];
      return;
    case ConvAttrs::AutoPad::kValid:
      *begin = *end = 0;
      return;
    case ConvAttrs::AutoPad::kSame: {
      const int64_t total = CheckedMul(a.dilation[d], kernel - 1, "'same' padding");
      *begin = total / 2;
      *end = total - *begin;
      return;
    }
  }
}

namespace {

ops::ConvGeometry Geometry(const AttrMap& attrs, const Dims& x, const Dims& w, bool transpose) {
  const ops::ConvAttrs a = ops::ReadConvAttrs(attrs, transpose);
  ops::ConvGeometry g;
  g.batched = x.size() == 4;
  const size_t off = g.batched ? 1 : 0;
  g.n = g.batched ? x[0] : 1;
  g.c_in = x[off];
  g.groups = a.groups;
  g.c_out = transpose ? w[1] * a.groups : w[0];
  const std::string shapes = "input " + DimsToString(x) + " and weight " + DimsToString(w);
  for (int d = 0; d < 2; ++d) {
    g.in[d] = x[off + 1 + static_cast<size_t>(d)];
    g.kernel[d] = w[2 + static_cast<size_t>(d)];
    g.stride[d] = a.stride[d];
    g.dilation[d] = a.dilation[d];
    g.output_padding[d] = a.output_padding[d];
    ops::ResolvePadding(a, d, g.kernel[d], &g.pad_begin[d], &g.pad_end[d]);
    g.out[d] = ConvOutputSize(a, d, g.in[d], g.kernel[d], transpose, shapes);
  }
  return g;
}

}  // namespace

ops::ConvGeometry ops::Conv2dGeometry(const AttrMap& attrs, const Dims& x, const Dims& w) {
  return Geometry(attrs, x, w, false);
}

ops::ConvGeometry ops::ConvTranspose2dGeometry(const AttrMap& attrs, const Dims& x,
                                               const Dims& w) {
  return Geometry(attrs, x, w, true);
}

void RegisterLinalgOps(OpRegistry& r) {
  RegisterMatmul(r);
  RegisterLinear(r);
  RegisterConv2d(r);
  RegisterConvTranspose2d(r);
  RegisterConv2dBackwardWeight(r);
}

}  // namespace bronze
