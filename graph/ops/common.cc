// Helpers shared by the op family files.
#include "graph/ops/common.h"

#include <algorithm>

namespace bronze::ops {

DType RequireSameDType(const InferContext& ctx) {
  if (ctx.inputs.empty()) ThrowInternal("RequireSameDType with no inputs");
  DType d = ctx.inputs[0].dtype;
  for (size_t k = 1; k < ctx.inputs.size(); ++k) {
    if (ctx.inputs[k].dtype != d) {
      throw TypeError("input dtypes differ: " + ctx.inputs[0].ToString() + " and " +
                      ctx.inputs[k].ToString() + " (cast one of them explicitly)");
    }
  }
  return d;
}

void RequireDType(DType dtype, std::initializer_list<DType> allowed, const std::string& what) {
  if (std::find(allowed.begin(), allowed.end(), dtype) != allowed.end()) return;
  std::string names;
  for (DType d : allowed) names += (names.empty() ? "" : ", ") + std::string(DTypeName(d));
  throw TypeError(what + " has dtype " + std::string(DTypeName(dtype)) + ", expected one of " + names);
}

Shape BroadcastOrThrow(const Shape& a, const Shape& b) {
  std::optional<Shape> s = BroadcastShapes(a, b);
  if (!s) {
    throw ShapeError("cannot broadcast shapes " + a.ToString() + " and " + b.ToString() +
                     " (trailing dims must be equal or 1)");
  }
  return *s;
}

double StaticNumel(const TensorType& t) {
  double n = 1;
  for (const Dim& d : t.shape.dims()) {
    if (!d.is_static()) return 0;
    n *= static_cast<double>(d.value());
  }
  return n;
}

double Bytes(const TensorType& t) { return StaticNumel(t) * static_cast<double>(DTypeSize(t.dtype)); }

Cost ElementwiseCost(std::span<const TensorType> in, std::span<const TensorType> out,
                     double flops_per_element) {
  Cost c;
  for (const TensorType& t : in) c.bytes_read += Bytes(t);
  for (const TensorType& t : out) {
    c.bytes_written += Bytes(t);
    c.flops += flops_per_element * StaticNumel(t);
  }
  return c;
}

OpSchema MakeSchema(std::string name, uint32_t id, std::vector<std::string> inputs,
                    FusionKind fusion, std::string doc) {
  OpSchema s;
  s.name = std::move(name);
  s.id = id;
  s.min_inputs = s.max_inputs = static_cast<int>(inputs.size());
  s.input_names = std::move(inputs);
  s.fusion = fusion;
  s.doc = std::move(doc);
  return s;
}

}  // namespace bronze::ops
