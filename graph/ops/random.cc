// Random ops (ids 900-999): dropout, drawing from a counter-based generator so results depend only
// on the seed, the step offset and the element index (never on threads or backends).
#include <cmath>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

void ValidateDropout(const AttrMap& attrs) {
  double p = attrs.at("p").f();
  if (!(p >= 0.0 && p < 1.0)) {
    throw AttributeError("p must be in [0, 1), got " + FormatDouble(p));
  }
  int64_t training = attrs.at("training").i();
  if (training != 0 && training != 1) {
    throw AttributeError("training must be 0 or 1, got " + std::to_string(training));
  }
}

OpSchema Dropout() {
  OpSchema s = ops::MakeSchema(
      "dropout", 900, {"x", "offset"}, FusionKind::kOpaque,
      "Inverted dropout, torch.nn.functional.dropout(x, p, training) semantics: with training = 1 "
      "each element is kept with probability 1 - p and y = x * mask * 1/(1 - p) (mask 0 or 1; "
      "the scale 1/(1 - p) is rounded to x's dtype once and multiplied in, so kept values are "
      "exactly x * scale and dropped ones are x * 0: +-0, or NaN for a NaN or infinite x, as in "
      "PyTorch); with training = 0, or p = 0, y = x exactly. x: f32 or f64, any shape. The "
      "optional second input offset (i64 scalar, shape ()) selects a fresh mask per training "
      "step without recompiling; absent, it is 0. The mask comes from a counter-based generator, "
      "Philox4x32-10 (Salmon et al. 2011) keyed by seed: element i of the flat row-major x lies in "
      "block b = i / 1024 at r = i % 1024; counter (c, offset) with c = 256 * b + r % 256 (64 bits "
      "each, split into 32-bit words low first) gives four 32-bit words, and word r / 256 is u; "
      "the "
      "element is kept when u >= ceil(p * 2^32), so P(keep) = 1 - p to within 2^-32. The mask "
      "depends only on (seed, offset, element index): it is the same on every backend, thread "
      "count and dtype, but differs from PyTorch's generator (same statistics, other draws). "
      "The fused tile executor does not supply element indices, hence fusion kind opaque.");
  s.max_inputs = 2;
  s.min_inputs = 1;
  s.attrs = {{"p", AttrType::kFloat, Attribute(0.5), "drop probability, in [0, 1)"},
             {"seed", AttrType::kInt, Attribute(int64_t{0}),
              "generator key (any int64); together with offset it fixes the mask"},
             {"training", AttrType::kInt, Attribute(int64_t{1}),
              "1: drop and scale; 0: identity (inference)"}};
  s.infer = [](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    ops::RequireDType(x.dtype, {DType::kF32, DType::kF64}, "input x");
    if (ctx.inputs.size() == 2) {
      const TensorType& off = ctx.input(1);
      ops::RequireDType(off.dtype, {DType::kI64}, "offset");
      if (off.shape.rank() != 0) {
        throw ShapeError("offset must be an i64 scalar of shape (), got shape " +
                         off.shape.ToString());
      }
    }
    return std::vector<TensorType>{x};
  };
  s.validate = ValidateDropout;
  s.differentiability = Differentiability::kDifferentiable;  // with respect to x
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c;
    c.flops = 30 * ops::StaticNumel(in[0]);  // Philox rounds (amortized over 4 elements) + scale
    c.bytes_read = ops::Bytes(in[0]);
    c.bytes_written = ops::Bytes(out[0]);
    return c;
  };
  return s;
}

}  // namespace

void RegisterRandomOps(OpRegistry& r) { r.Register(Dropout()); }

}  // namespace bronze
