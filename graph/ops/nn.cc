// Neural-network ops with state or structure of their own (ids 600-699): 2-D pooling
// (max_pool2d, avg_pool2d, adaptive_avg_pool2d), normalization (batch_norm with running
// statistics, layer_norm) and scaled_dot_product_attention, and the backward ops their
// gradients use (ids 630-699: max_pool2d_backward, avg_pool2d_backward,
// adaptive_avg_pool2d_backward, batch_norm_backward, layer_norm_backward). Semantics follow
// PyTorch; each doc string states the exact definition (it becomes docs/ops.md).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

constexpr std::initializer_list<DType> kNnDTypes = {DType::kF32, DType::kF64};

std::string IntsText(const std::vector<int64_t>& v) { return Attribute(v).ToText(); }

// An ints attribute of 1 or 2 entries (height, width; one entry: both).
std::array<int64_t, 2> Pair(const AttrMap& attrs, const std::string& name) {
  const std::vector<int64_t>& v = attrs.at(name).ints();
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1]};
  throw AttributeError(name + " must have 1 or 2 entries (height, width), got " + IntsText(v));
}

void RequireFlag(const AttrMap& attrs, const std::string& name) {
  int64_t v = attrs.at(name).i();
  if (v != 0 && v != 1) throw AttributeError(name + " must be 0 or 1, got " + std::to_string(v));
}

void RequireAtLeast(const AttrMap& attrs, const std::string& name, int64_t lo, bool allow_empty) {
  const std::vector<int64_t>& v = attrs.at(name).ints();
  if (v.empty() && allow_empty) return;
  Pair(attrs, name);
  for (int64_t x : v) {
    if (x < lo) {
      throw AttributeError(name + " entries must be >= " + std::to_string(lo) + ", got " +
                           IntsText(v));
    }
  }
}

// Pooling geometry: kernel, stride (empty attr: the kernel size), padding, dilation.
struct PoolAttrs {
  std::array<int64_t, 2> kernel, stride, padding, dilation;
  bool ceil_mode;
};

PoolAttrs ReadPoolAttrs(const AttrMap& attrs) {
  PoolAttrs p;
  p.kernel = Pair(attrs, "kernel_size");
  p.stride = attrs.at("stride").ints().empty() ? p.kernel : Pair(attrs, "stride");
  p.padding = Pair(attrs, "padding");
  p.dilation = attrs.count("dilation") ? Pair(attrs, "dilation") : std::array<int64_t, 2>{1, 1};
  p.ceil_mode = attrs.at("ceil_mode").i() == 1;
  return p;
}

void ValidatePool(const AttrMap& attrs) {
  RequireAtLeast(attrs, "kernel_size", 1, false);
  RequireAtLeast(attrs, "stride", 1, true);
  RequireAtLeast(attrs, "padding", 0, false);
  if (attrs.count("dilation")) RequireAtLeast(attrs, "dilation", 1, false);
  RequireFlag(attrs, "ceil_mode");
  if (attrs.count("count_include_pad")) RequireFlag(attrs, "count_include_pad");
  PoolAttrs p = ReadPoolAttrs(attrs);
  for (int i = 0; i < 2; ++i) {
    if (p.padding[i] > p.kernel[i] / 2) {
      throw AttributeError("padding " + IntsText(attrs.at("padding").ints()) +
                           " must be at most half of kernel_size " +
                           IntsText(attrs.at("kernel_size").ints()) + " (as PyTorch)");
    }
    // Keeps every size computation below far from int64 overflow.
    constexpr int64_t kMax = int64_t{1} << 31;
    if (p.kernel[i] > kMax || p.stride[i] > kMax || p.dilation[i] > kMax) {
      throw AttributeError("pooling attributes must be below 2^31");
    }
  }
}

// PyTorch's pooling_output_shape: floor((in + 2p - d(k-1) - 1 [+ s-1 with ceil]) / s) + 1, and
// with ceil_mode the last window must start inside the input or the left padding.
int64_t PoolOutputSize(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t q = num >= 0 ? num / s : -((-num + s - 1) / s);  // floor division
  int64_t out = q + 1;
  if (ceil_mode && out > 0 && (out - 1) * s >= in + p) --out;
  return out;
}

// The static value of spatial dim `d` of x; pooling window counts need concrete sizes.
int64_t StaticSpatial(const TensorType& x, int64_t axis, const char* what) {
  const Dim& d = x.shape[axis];
  if (!d.is_static()) {
    throw ShapeError(std::string("needs a static input ") + what + ", got " + d.ToString() +
                     " in " + x.shape.ToString());
  }
  if (d.value() > (int64_t{1} << 40)) {
    throw ShapeError(std::string("input ") + what + " " + std::to_string(d.value()) +
                     " is too large");
  }
  return d.value();
}

// x of rank 3 (C, H, W) or 4 (N, C, H, W) with non-zero C, H and W (N may be 0), as PyTorch.
void RequirePoolInput(const TensorType& x) {
  ops::RequireDType(x.dtype, kNnDTypes, "input x");
  if (x.shape.rank() != 3 && x.shape.rank() != 4) {
    throw ShapeError("expects x of rank 3 (C, H, W) or 4 (N, C, H, W), got rank " +
                     std::to_string(x.shape.rank()) + " shape " + x.shape.ToString());
  }
  for (int64_t a = x.shape.rank() - 3; a < x.shape.rank(); ++a) {
    if (x.shape[a] == Dim(0)) {
      throw ShapeError("expects non-zero channel and spatial dims, got " + x.shape.ToString() +
                       " (only the batch dim may be 0)");
    }
  }
}

// The type of x (already checked by RequirePoolInput) pooled with `attrs`.
TensorType PooledType(const TensorType& x, const AttrMap& attrs, bool with_dilation) {
  PoolAttrs p = ReadPoolAttrs(attrs);
  if (!with_dilation) p.dilation = {1, 1};
  const int64_t r = x.shape.rank();
  int64_t in[2] = {StaticSpatial(x, r - 2, "height"), StaticSpatial(x, r - 1, "width")};
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    out[i] =
        PoolOutputSize(in[i], p.kernel[i], p.stride[i], p.padding[i], p.dilation[i], p.ceil_mode);
  }
  if (out[0] < 1 || out[1] < 1) {
    int64_t eff[2] = {p.dilation[0] * (p.kernel[0] - 1) + 1, p.dilation[1] * (p.kernel[1] - 1) + 1};
    throw ShapeError("output size (" + std::to_string(out[0]) + ", " + std::to_string(out[1]) +
                     ") is too small: input " + std::to_string(in[0]) + "x" +
                     std::to_string(in[1]) + " padded by (" + std::to_string(p.padding[0]) + ", " +
                     std::to_string(p.padding[1]) + ") is smaller than the (dilated) kernel " +
                     std::to_string(eff[0]) + "x" + std::to_string(eff[1]));
  }
  std::vector<Dim> dims(x.shape.dims().begin(), x.shape.dims().end() - 2);
  dims.push_back(Dim(out[0]));
  dims.push_back(Dim(out[1]));
  return {x.dtype, Shape(std::move(dims))};
}

std::vector<TensorType> InferPool(const InferContext& ctx, bool with_dilation) {
  RequirePoolInput(ctx.input(0));
  return {PooledType(ctx.input(0), ctx.attrs, with_dilation)};
}

Cost PoolCost(const AttrMap& attrs, std::span<const TensorType> in,
              std::span<const TensorType> out) {
  std::array<int64_t, 2> k = Pair(attrs, "kernel_size");
  return ops::ElementwiseCost(in, out, static_cast<double>(k[0] * k[1]));
}

const char kPoolGeometryDoc[] =
    " x is (N, C, H, W) or (C, H, W); H and W must be static (N and C may be symbolic). "
    "Output size per spatial dim, as PyTorch's pooling_output_shape: "
    "out = floor((in + 2*padding - dilation*(kernel-1) - 1 + (ceil_mode ? stride-1 : 0)) / stride)"
    " + 1, and with ceil_mode the last window must start inside the input or the left padding "
    "(else out -= 1). padding must be at most kernel_size/2; an output size below 1 is a "
    "ShapeError.";

OpSchema MaxPool2d() {
  OpSchema s = ops::MakeSchema(
      "max_pool2d", 600, {"x"}, FusionKind::kOpaque,
      std::string("2-D max pooling, torch.nn.functional.max_pool2d(x, kernel_size, stride, "
                  "padding, dilation, ceil_mode) without return_indices: y[n,c,i,j] = max over "
                  "the window rows i*stride_h - padding_h + a*dilation_h (a < kernel_h) and "
                  "columns likewise, positions outside the input ignored (implicit -inf "
                  "padding). NaN in a window gives NaN (as PyTorch). f32, f64.") +
          kPoolGeometryDoc);
  s.attrs = {
      {"kernel_size", AttrType::kInts, std::nullopt, "window (height, width); one entry: square"},
      {"stride", AttrType::kInts, Attribute(std::vector<int64_t>{}),
       "step (height, width); empty (default) = kernel_size, as PyTorch"},
      {"padding", AttrType::kInts, Attribute(std::vector<int64_t>{0, 0}),
       "implicit -inf padding on both sides (height, width), at most kernel_size/2"},
      {"dilation", AttrType::kInts, Attribute(std::vector<int64_t>{1, 1}),
       "spacing between window elements (height, width)"},
      {"ceil_mode", AttrType::kInt, Attribute(int64_t{0}),
       "1: round the output size up (PyTorch rule: the last window must start inside the input "
       "or the left padding)"}};
  s.infer = [](const InferContext& ctx) { return InferPool(ctx, true); };
  s.validate = ValidatePool;
  s.cost = PoolCost;
  s.differentiability = Differentiability::kDifferentiable;
  return s;
}

OpSchema AvgPool2d() {
  OpSchema s = ops::MakeSchema(
      "avg_pool2d", 601, {"x"}, FusionKind::kOpaque,
      std::string("2-D average pooling, torch.nn.functional.avg_pool2d(x, kernel_size, stride, "
                  "padding, ceil_mode, count_include_pad) without divisor_override. For output "
                  "(i, j): hstart = i*stride_h - padding_h, hend = min(hstart + kernel_h, H + "
                  "padding_h) (widths likewise), pool_size = (hend-hstart)*(wend-wstart); the "
                  "window is then clipped to the input and y = sum / (count_include_pad ? "
                  "pool_size : clipped element count). So a window that ceil_mode pushes past "
                  "the right padding divides by its part inside input + padding only, exactly as "
                  "PyTorch. f32, f64.") +
          kPoolGeometryDoc);
  s.attrs = {
      {"kernel_size", AttrType::kInts, std::nullopt, "window (height, width); one entry: square"},
      {"stride", AttrType::kInts, Attribute(std::vector<int64_t>{}),
       "step (height, width); empty (default) = kernel_size, as PyTorch"},
      {"padding", AttrType::kInts, Attribute(std::vector<int64_t>{0, 0}),
       "implicit zero padding on both sides (height, width), at most kernel_size/2"},
      {"ceil_mode", AttrType::kInt, Attribute(int64_t{0}),
       "1: round the output size up (the last window must start inside the input or the left "
       "padding)"},
      {"count_include_pad", AttrType::kInt, Attribute(int64_t{1}),
       "1 (default, as PyTorch): padding positions count in the divisor; 0: only input "
       "positions"}};
  s.infer = [](const InferContext& ctx) { return InferPool(ctx, false); };
  s.validate = ValidatePool;
  s.cost = PoolCost;
  s.differentiability = Differentiability::kDifferentiable;
  return s;
}

OpSchema AdaptiveAvgPool2d() {
  OpSchema s = ops::MakeSchema(
      "adaptive_avg_pool2d", 602, {"x"}, FusionKind::kOpaque,
      "torch.nn.functional.adaptive_avg_pool2d(x, output_size): x (N, C, H, W) or (C, H, W) to "
      "(..., oh, ow); output (i, j) averages rows [floor(i*H/oh), ceil((i+1)*H/oh)) and columns "
      "[floor(j*W/ow), ceil((j+1)*W/ow)) (windows may overlap). H and W may be symbolic; C, H "
      "and W must be non-zero. f32, f64.");
  s.attrs = {{"output_size", AttrType::kInts, std::nullopt,
              "output (height, width), each >= 1; one entry: square"}};
  s.infer = [](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    RequirePoolInput(x);
    std::array<int64_t, 2> o = Pair(ctx.attrs, "output_size");
    std::vector<Dim> dims(x.shape.dims().begin(), x.shape.dims().end() - 2);
    dims.push_back(Dim(o[0]));
    dims.push_back(Dim(o[1]));
    return std::vector<TensorType>{{x.dtype, Shape(std::move(dims))}};
  };
  s.validate = [](const AttrMap& attrs) { RequireAtLeast(attrs, "output_size", 1, false); };
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = ops::StaticNumel(in[0]) + ops::StaticNumel(out[0]);
    return c;
  };
  s.differentiability = Differentiability::kDifferentiable;
  return s;
}

void RequireFiniteFloat(const AttrMap& attrs, const std::string& name, double lo, double hi) {
  double v = attrs.at(name).f();
  if (!(v >= lo && v <= hi)) {
    throw AttributeError(name + " must be in [" + FormatDouble(lo) + ", " + FormatDouble(hi) +
                         "], got " + FormatDouble(v));
  }
}

OpSchema BatchNorm() {
  OpSchema s = ops::MakeSchema(
      "batch_norm", 610, {"x", "weight", "bias", "running_mean", "running_var"},
      FusionKind::kOpaque,
      "torch.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training, "
      "momentum, eps) returning the updated running statistics as outputs instead of writing "
      "them in place. x is (N, C, ...) of any rank >= 2 (BatchNorm1d (N, C) and (N, C, L), "
      "BatchNorm2d, BatchNorm3d); weight, bias, running_mean and running_var are (C,) (for "
      "affine=False pass ones and zeros). Outputs: y (x's shape), new_running_mean, "
      "new_running_var (C,). training=1: per channel, mean and biased variance var_b over N and "
      "every spatial position (count m); y = (x - mean) / sqrt(var_b + eps) * weight + bias; "
      "new_running_mean = (1 - momentum) * running_mean + momentum * mean; new_running_var = "
      "(1 - momentum) * running_var + momentum * var_b * m / (m - 1) (the UNBIASED variance, as "
      "PyTorch). m = 1 is an error (as PyTorch's 'Expected more than 1 value per channel'); an "
      "empty x (m = 0) gives an empty y and passes the running statistics through unchanged (as "
      "PyTorch). training=0: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, "
      "and outputs 2 and 3 are copies of running_mean and running_var. f32, f64; all inputs "
      "share one dtype.");
  s.num_outputs = 3;
  s.attrs = {{"training", AttrType::kInt, Attribute(int64_t{0}),
              "1: normalize with batch statistics and update the running ones; 0: use the "
              "running statistics"},
             {"momentum", AttrType::kFloat, Attribute(0.1),
              "running-statistics update factor in [0, 1] (PyTorch default 0.1)"},
             {"eps", AttrType::kFloat, Attribute(1e-5), "added to the variance inside the sqrt"}};
  s.infer = [](const InferContext& ctx) {
    DType dt = ops::RequireSameDType(ctx);
    ops::RequireDType(dt, kNnDTypes, "input x");
    const TensorType& x = ctx.input(0);
    if (x.shape.rank() < 2) {
      throw ShapeError("expects x of rank >= 2 (N, C, ...), got " + x.shape.ToString());
    }
    const Dim& c = x.shape[1];
    for (size_t k = 1; k < 5; ++k) {
      const TensorType& t = ctx.input(k);
      if (!(t.shape == Shape({c}))) {
        static const char* names[] = {"x", "weight", "bias", "running_mean", "running_var"};
        throw ShapeError(std::string(names[k]) + " must have shape (C,) = " +
                         Shape({c}).ToString() + " for x " + x.shape.ToString() + ", got " +
                         t.shape.ToString());
      }
    }
    if (ctx.attr("training").i() == 1) {
      Dim count = x.shape[0];
      for (int64_t a = 2; a < x.shape.rank(); ++a) count = count * x.shape[a];
      if (count == Dim(1)) {
        throw ShapeError("training needs more than 1 value per channel, got x " +
                         x.shape.ToString());
      }
    }
    TensorType stats{dt, Shape({c})};
    return std::vector<TensorType>{x, stats, stats};
  };
  s.validate = [](const AttrMap& attrs) {
    RequireFlag(attrs, "training");
    RequireFiniteFloat(attrs, "momentum", 0, 1);
    RequireFiniteFloat(attrs, "eps", 0, std::numeric_limits<double>::max());
  };
  s.cost = [](const AttrMap& attrs, std::span<const TensorType> in,
              std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 2);
    if (attrs.at("training").i() == 1) {
      c.flops += 4 * ops::StaticNumel(in[0]);
      c.bytes_read += 2 * ops::Bytes(in[0]);  // statistics passes
    }
    return c;
  };
  s.differentiability = Differentiability::kDifferentiable;
  // The new running statistics (outputs 1, 2) are the next values of the running_mean and
  // running_var inputs: a training compile writes them back when those are state nodes.
  s.state_outputs = {{1, 3}, {2, 4}};
  return s;
}

OpSchema LayerNorm() {
  OpSchema s = ops::MakeSchema(
      "layer_norm", 611, {"x", "weight", "bias"}, FusionKind::kOpaque,
      "torch.nn.functional.layer_norm(x, normalized_shape = x.shape[-k:], weight, bias, eps) "
      "with k = normalized_ndim: over each group of the last k dims (M elements), mean = sum/M, "
      "var = sum((x - mean)^2)/M (biased), y = (x - mean) / sqrt(var + eps) * weight + bias "
      "(eps inside the sqrt, as PyTorch). weight and bias are optional and positional: 1 input "
      "(no affine), 2 (weight only) or 3 (weight and bias); each has shape x.shape[-k:] (for a "
      "bias without a weight pass ones). Leading dims, symbolic ones included, pass through. "
      "f32, f64.");
  s.min_inputs = 1;
  s.attrs = {{"normalized_ndim", AttrType::kInt, Attribute(int64_t{1}),
              "k >= 1: normalize over the last k dims (torch's normalized_shape = x.shape[-k:])"},
             {"eps", AttrType::kFloat, Attribute(1e-5), "added to the variance inside the sqrt"}};
  s.infer = [](const InferContext& ctx) {
    DType dt = ops::RequireSameDType(ctx);
    const TensorType& x = ctx.input(0);
    ops::RequireDType(dt, kNnDTypes, "input x");
    const int64_t k = ctx.attr("normalized_ndim").i();
    if (k > x.shape.rank()) {
      throw ShapeError("normalized_ndim " + std::to_string(k) + " exceeds the rank " +
                       std::to_string(x.shape.rank()) + " of x " + x.shape.ToString());
    }
    Shape norm(std::vector<Dim>(x.shape.dims().end() - k, x.shape.dims().end()));
    for (size_t i = 1; i < ctx.inputs.size(); ++i) {
      if (!(ctx.input(i).shape == norm)) {
        throw ShapeError(std::string(i == 1 ? "weight" : "bias") + " must have the normalized "
                         "shape " + norm.ToString() + " (the last " + std::to_string(k) +
                         " dims of x " + x.shape.ToString() + "), got " +
                         ctx.input(i).shape.ToString());
      }
    }
    return std::vector<TensorType>{x};
  };
  s.validate = [](const AttrMap& attrs) {
    int64_t k = attrs.at("normalized_ndim").i();
    if (k < 1) throw AttributeError("normalized_ndim must be >= 1, got " + std::to_string(k));
    RequireFiniteFloat(attrs, "eps", 0, std::numeric_limits<double>::max());
  };
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 8);
  };
  s.differentiability = Differentiability::kDifferentiable;
  return s;
}

// The broadcast batch dims of q, k and v and the (L, S, E, Ev) of an attention.
struct AttentionDims {
  Shape batch;
  Dim l, s, e, ev;
};

Shape BatchOf(const Shape& s) {
  return Shape(std::vector<Dim>(s.dims().begin(), s.dims().end() - 2));
}

AttentionDims AnalyzeAttention(const InferContext& ctx) {
  const TensorType &q = ctx.input(0), &k = ctx.input(1), &v = ctx.input(2);
  const char* names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    if (ctx.input(i).shape.rank() < 2) {
      throw ShapeError(std::string(names[i]) + " must have rank >= 2 (..., rows, features), got " +
                       ctx.input(i).shape.ToString());
    }
  }
  AttentionDims d;
  const int64_t rq = q.shape.rank(), rk = k.shape.rank(), rv = v.shape.rank();
  d.l = q.shape[rq - 2];
  d.e = q.shape[rq - 1];
  d.s = k.shape[rk - 2];
  d.ev = v.shape[rv - 1];
  if (!(k.shape[rk - 1] == d.e)) {
    throw ShapeError("q " + q.shape.ToString() + " and k " + k.shape.ToString() +
                     " must share the last dim E (" + d.e.ToString() + " vs " +
                     k.shape[rk - 1].ToString() + ")");
  }
  if (!(v.shape[rv - 2] == d.s)) {
    throw ShapeError("k " + k.shape.ToString() + " and v " + v.shape.ToString() +
                     " must share the source length S (" + d.s.ToString() + " vs " +
                     v.shape[rv - 2].ToString() + ")");
  }
  std::optional<Shape> b = BroadcastShapes(BatchOf(q.shape), BatchOf(k.shape));
  if (b) b = BroadcastShapes(*b, BatchOf(v.shape));
  if (!b) {
    throw ShapeError("batch dims of q " + q.shape.ToString() + ", k " + k.shape.ToString() +
                     " and v " + v.shape.ToString() + " do not broadcast");
  }
  d.batch = *b;
  return d;
}

OpSchema Attention() {
  OpSchema s = ops::MakeSchema(
      "scaled_dot_product_attention", 620, {"q", "k", "v", "mask"}, FusionKind::kOpaque,
      "torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p=0, "
      "is_causal, scale) without dropout: q (..., L, E), k (..., S, E), v (..., S, Ev) -> "
      "(..., L, Ev); batch dims broadcast (NumPy rules). scores = scale * q @ k^T (an empty E "
      "gives scores 0), scale = 1/sqrt(E) when the attribute is 0. The optional mask "
      "broadcasts to (..., L, S): bool (true = may attend, false sets the score to -inf, as "
      "torch) or of q's dtype (added to the scores). causal=1 keeps only keys j <= i (top-left "
      "aligned, torch's is_causal); unlike torch, causal and a mask may be combined (both "
      "apply). y = softmax(scores, -1) @ v with a max-subtracted softmax. A query row whose "
      "scores are all -inf (fully masked, or S = 0) gives 0, as torch's _safe_softmax in the "
      "math backend (torch >= 2.5; older torch gave NaN). NaN scores propagate. f32, f64.");
  s.min_inputs = 3;
  s.attrs = {{"causal", AttrType::kInt, Attribute(int64_t{0}),
              "1: query i attends only to keys j <= i (top-left aligned, as torch is_causal)"},
             {"scale", AttrType::kFloat, Attribute(0.0),
              "multiplies q @ k^T; 0 (default) means 1/sqrt(E)"}};
  s.infer = [](const InferContext& ctx) {
    const TensorType& q = ctx.input(0);
    ops::RequireDType(q.dtype, kNnDTypes, "query q");
    for (size_t i = 1; i < 3; ++i) {
      if (ctx.input(i).dtype != q.dtype) {
        throw TypeError("q, k and v must share one dtype, got q " + q.ToString() + ", " +
                        (i == 1 ? "k " : "v ") + ctx.input(i).ToString());
      }
    }
    AttentionDims d = AnalyzeAttention(ctx);
    std::vector<Dim> out = d.batch.dims();
    out.push_back(d.l);
    out.push_back(d.ev);
    if (ctx.inputs.size() == 4) {
      const TensorType& m = ctx.input(3);
      if (m.dtype != DType::kBool && m.dtype != q.dtype) {
        throw TypeError("mask " + m.ToString() + " must be bool or have q's dtype " +
                        std::string(DTypeName(q.dtype)));
      }
      std::vector<Dim> target = d.batch.dims();
      target.push_back(d.l);
      target.push_back(d.s);
      Shape t(std::move(target));
      std::optional<Shape> b = BroadcastShapes(m.shape, t);
      if (!b || !(*b == t)) {
        throw ShapeError("mask " + m.shape.ToString() + " does not broadcast to the scores " +
                         t.ToString() + " (batch..., L, S)");
      }
    }
    return std::vector<TensorType>{{q.dtype, Shape(std::move(out))}};
  };
  s.validate = [](const AttrMap& attrs) {
    RequireFlag(attrs, "causal");
    double sc = attrs.at("scale").f();
    if (!(std::abs(sc) <= std::numeric_limits<double>::max())) {
      throw AttributeError("scale must be finite, got " + FormatDouble(sc));
    }
  };
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    const Shape& q = in[0].shape;
    const Shape& k = in[1].shape;
    if (!q.is_static() || !k.is_static() || !out[0].shape.is_static()) return c;
    double s_len = static_cast<double>(k[k.rank() - 2].value());
    double e = static_cast<double>(q[q.rank() - 1].value());
    double rows = ops::StaticNumel(out[0]) / std::max<double>(1, static_cast<double>(
                      out[0].shape[out[0].shape.rank() - 1].value()));
    double ev = static_cast<double>(out[0].shape[out[0].shape.rank() - 1].value());
    c.flops = rows * s_len * (2 * e + 2 * ev + 5);
    return c;
  };
  s.differentiability = Differentiability::kDifferentiable;
  return s;
}

// --- Backward ops (ids 630-699): the gradient builders in nn_grad.cc use them. ---

void RequireSameType(const TensorType& dy, const TensorType& x, const char* what) {
  if (dy.dtype != x.dtype) {
    throw TypeError(std::string("dy ") + dy.ToString() + " must have the dtype of " + what + " " +
                    x.ToString());
  }
}

AttrSpec InputShapeAttr() {
  return {"input_shape", AttrType::kShape, std::nullopt,
          "shape of the forward input x (symbolic dims allowed; bound when a plan is compiled)"};
}

OpSchema MaxPool2dBackward() {
  OpSchema s = ops::MakeSchema(
      "max_pool2d_backward", 630, {"dy", "x"}, FusionKind::kOpaque,
      "Gradient of max_pool2d with respect to x (torch.ops.aten.max_pool2d_with_indices_backward "
      "with the indices max_pool2d_with_indices would return): dx = 0, then for every output "
      "(n, c, i, j) in row-major order dx[n, c, argmax] += dy[n, c, i, j]. argmax is the window "
      "position max_pool2d picks, scanning the window in row-major order from -inf: the FIRST "
      "maximal element, except that a NaN is taken whenever it is seen (so the last NaN of a "
      "window wins), and a window of all -inf routes to its first element inside the input "
      "(exactly PyTorch's CPU kernel). Overlapping windows accumulate. Attributes as "
      "max_pool2d; dy must have max_pool2d(x)'s shape. Not differentiable. f32, f64.");
  s.attrs = MaxPool2d().attrs;
  s.infer = [](const InferContext& ctx) {
    const TensorType &dy = ctx.input(0), &x = ctx.input(1);
    RequirePoolInput(x);
    RequireSameType(dy, x, "x");
    TensorType want = PooledType(x, ctx.attrs, true);
    if (!(dy.shape == want.shape)) {
      throw ShapeError("dy " + dy.shape.ToString() + " must have the pooled shape " +
                       want.shape.ToString() + " of x " + x.shape.ToString());
    }
    return std::vector<TensorType>{x};
  };
  s.validate = ValidatePool;
  s.cost = [](const AttrMap& attrs, std::span<const TensorType> in,
              std::span<const TensorType> out) { return PoolCost(attrs, in.subspan(1), out); };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

OpSchema AvgPool2dBackward() {
  OpSchema s = ops::MakeSchema(
      "avg_pool2d_backward", 631, {"dy"}, FusionKind::kOpaque,
      "Gradient of avg_pool2d with respect to x (torch.ops.aten.avg_pool2d_backward without "
      "divisor_override): dx = 0, then every output (i, j) adds dy[i, j] / divisor to each "
      "input element of its window clipped to the input, with avg_pool2d's window and divisor "
      "rules (count_include_pad, the ceil_mode clipping). dx has the shape `input_shape` and "
      "dy's dtype; dy must have avg_pool2d's output shape for it. Not differentiable. f32, f64.");
  s.attrs = AvgPool2d().attrs;
  s.attrs.push_back(InputShapeAttr());
  s.infer = [](const InferContext& ctx) {
    const TensorType& dy = ctx.input(0);
    TensorType x{dy.dtype, ctx.attr("input_shape").shape()};
    RequirePoolInput(x);
    TensorType want = PooledType(x, ctx.attrs, false);
    if (!(dy.shape == want.shape)) {
      throw ShapeError("dy " + dy.shape.ToString() + " must have the pooled shape " +
                       want.shape.ToString() + " of input_shape " + x.shape.ToString());
    }
    return std::vector<TensorType>{x};
  };
  s.validate = ValidatePool;
  s.cost = [](const AttrMap& attrs, std::span<const TensorType> in,
              std::span<const TensorType> out) { return PoolCost(attrs, out, in); };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

OpSchema AdaptiveAvgPool2dBackward() {
  OpSchema s = ops::MakeSchema(
      "adaptive_avg_pool2d_backward", 632, {"dy"}, FusionKind::kOpaque,
      "Gradient of adaptive_avg_pool2d with respect to x "
      "(torch.ops.aten._adaptive_avg_pool2d_backward): dx = 0, then every output (i, j) adds "
      "dy[i, j] / window size to each element of its window (adaptive_avg_pool2d's ranges; "
      "overlapping windows accumulate). The output size is dy's last two dims; dx has the shape "
      "`input_shape` (H and W may be symbolic) and dy's dtype; dy's leading dims must be x's. "
      "Not differentiable. f32, f64.");
  s.attrs = {InputShapeAttr()};
  s.infer = [](const InferContext& ctx) {
    const TensorType& dy = ctx.input(0);
    TensorType x{dy.dtype, ctx.attr("input_shape").shape()};
    RequirePoolInput(x);
    const int64_t r = x.shape.rank();
    bool ok = dy.shape.rank() == r;
    for (int64_t a = 0; ok && a < r - 2; ++a) ok = dy.shape[a] == x.shape[a];
    for (int64_t a = r - 2; ok && a < r; ++a) {
      ok = dy.shape[a].is_static() && dy.shape[a].value() >= 1;
    }
    if (!ok) {
      throw ShapeError("dy " + dy.shape.ToString() + " must be input_shape " +
                       x.shape.ToString() + " with static, non-zero last two dims");
    }
    return std::vector<TensorType>{x};
  };
  s.validate = ValidateNothing;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 1);
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

// Checks a normalization backward's dy against x (same type).
void RequireDyLikeX(const InferContext& ctx) {
  DType dt = ops::RequireSameDType(ctx);
  ops::RequireDType(dt, kNnDTypes, "input x");
  if (!(ctx.input(0).shape == ctx.input(1).shape)) {
    throw ShapeError("dy " + ctx.input(0).shape.ToString() + " must have the shape of x " +
                     ctx.input(1).shape.ToString());
  }
}

OpSchema BatchNormBackward() {
  OpSchema s = ops::MakeSchema(
      "batch_norm_backward", 633, {"dy", "x", "weight", "running_mean", "running_var"},
      FusionKind::kOpaque,
      "Gradients of batch_norm's y with respect to x, weight and bias "
      "(torch.ops.aten.native_batch_norm_backward with output_mask all true). Per channel, over "
      "N and the spatial dims (count M): training=1 takes (dy, x, weight) and recomputes the "
      "batch mean and biased variance from x, invstd = 1/sqrt(var + eps), xhat = (x - mean) * "
      "invstd; dx = weight * invstd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)). "
      "training=0 takes (dy, x, weight, running_mean, running_var): mean and var are the running "
      "statistics and dx = dy * weight * invstd. Both: dweight = sum(dy * xhat), dbias = "
      "sum(dy). An empty x gives an empty dx and zero dweight, dbias. Outputs (dx, dweight, "
      "dbias). Not differentiable. f32, f64.");
  s.min_inputs = 3;
  s.num_outputs = 3;
  s.attrs = {{"training", AttrType::kInt, Attribute(int64_t{1}),
              "1: batch statistics recomputed from x (3 inputs); 0: running statistics (5 "
              "inputs)"},
             {"eps", AttrType::kFloat, Attribute(1e-5), "added to the variance inside the sqrt"}};
  s.infer = [](const InferContext& ctx) {
    RequireDyLikeX(ctx);
    const TensorType& x = ctx.input(1);
    if (x.shape.rank() < 2) {
      throw ShapeError("expects x of rank >= 2 (N, C, ...), got " + x.shape.ToString());
    }
    const bool training = ctx.attr("training").i() == 1;
    const size_t want = training ? 3 : 5;
    if (ctx.inputs.size() != want) {
      throw GraphError(std::string("training=") + (training ? "1" : "0") + " takes " +
                       std::to_string(want) + " inputs (dy, x, weight" +
                       (training ? "" : ", running_mean, running_var") + "), got " +
                       std::to_string(ctx.inputs.size()));
    }
    const Shape c({x.shape[1]});
    static const char* names[] = {"dy", "x", "weight", "running_mean", "running_var"};
    for (size_t k = 2; k < ctx.inputs.size(); ++k) {
      if (!(ctx.input(k).shape == c)) {
        throw ShapeError(std::string(names[k]) + " must have shape (C,) = " + c.ToString() +
                         " for x " + x.shape.ToString() + ", got " +
                         ctx.input(k).shape.ToString());
      }
    }
    TensorType stats{x.dtype, c};
    return std::vector<TensorType>{x, stats, stats};
  };
  s.validate = [](const AttrMap& attrs) {
    RequireFlag(attrs, "training");
    RequireFiniteFloat(attrs, "eps", 0, std::numeric_limits<double>::max());
  };
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 8);
    c.bytes_read += 2 * ops::Bytes(in[1]);  // statistics passes over x
    return c;
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

OpSchema LayerNormBackward() {
  OpSchema s = ops::MakeSchema(
      "layer_norm_backward", 634, {"dy", "x", "weight"}, FusionKind::kOpaque,
      "Gradients of layer_norm's y with respect to x, weight and bias "
      "(torch.ops.aten.native_layer_norm_backward). Per group of the last k = normalized_ndim "
      "dims (M elements), mean and biased var are recomputed from x, invstd = 1/sqrt(var + eps), "
      "xhat = (x - mean) * invstd, g = dy * weight (dy without a weight): dx = invstd * (g - "
      "mean(g) - xhat * mean(g * xhat)). With a weight (inputs dy, x, weight) the outputs are "
      "(dx, dweight = sum over the leading dims of dy * xhat, dbias = sum over the leading dims "
      "of dy); without one (inputs dy, x) only dx. Not differentiable. f32, f64.");
  s.min_inputs = 2;
  s.num_outputs = kVariadic;
  s.attrs = LayerNorm().attrs;
  s.infer = [](const InferContext& ctx) {
    RequireDyLikeX(ctx);
    const TensorType& x = ctx.input(1);
    const int64_t k = ctx.attr("normalized_ndim").i();
    if (k > x.shape.rank()) {
      throw ShapeError("normalized_ndim " + std::to_string(k) + " exceeds the rank " +
                       std::to_string(x.shape.rank()) + " of x " + x.shape.ToString());
    }
    Shape norm(std::vector<Dim>(x.shape.dims().end() - k, x.shape.dims().end()));
    if (ctx.inputs.size() == 2) return std::vector<TensorType>{x};
    if (!(ctx.input(2).shape == norm)) {
      throw ShapeError("weight must have the normalized shape " + norm.ToString() + " of x " +
                       x.shape.ToString() + ", got " + ctx.input(2).shape.ToString());
    }
    TensorType t{x.dtype, norm};
    return std::vector<TensorType>{x, t, t};
  };
  s.validate = LayerNorm().validate;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 12);
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

}  // namespace

void RegisterNnOps(OpRegistry& r) {
  r.Register(MaxPool2d());
  r.Register(AvgPool2d());
  r.Register(AdaptiveAvgPool2d());
  r.Register(BatchNorm());
  r.Register(LayerNorm());
  r.Register(Attention());
  r.Register(MaxPool2dBackward());
  r.Register(AvgPool2dBackward());
  r.Register(AdaptiveAvgPool2dBackward());
  r.Register(BatchNormBackward());
  r.Register(LayerNormBackward());
}

}  // namespace bronze
