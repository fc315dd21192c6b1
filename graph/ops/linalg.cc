// Linear algebra: matmul with NumPy semantics (batched, batch dims broadcast, 1-D operands
// promoted and the promoted dim dropped again).
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

struct MatmulDims {
  Shape batch;  // broadcast batch dims
  Dim m, k, n;
  bool a_vector, b_vector;
};

MatmulDims AnalyzeMatmul(const TensorType& a, const TensorType& b) {
  if (a.shape.rank() == 0 || b.shape.rank() == 0) {
    throw ShapeError("matmul needs operands of rank >= 1, got " + a.shape.ToString() + " and " +
                     b.shape.ToString());
  }
  MatmulDims d;
  d.a_vector = a.shape.rank() == 1;
  d.b_vector = b.shape.rank() == 1;
  Shape sa = a.shape, sb = b.shape;
  if (d.a_vector) sa = Shape({Dim(1), a.shape[0]});
  if (d.b_vector) sb = Shape({b.shape[0], Dim(1)});
  d.m = sa[sa.rank() - 2];
  d.k = sa[sa.rank() - 1];
  d.n = sb[sb.rank() - 1];
  if (!(sb[sb.rank() - 2] == d.k)) {
    throw ShapeError("contraction dims differ: a " + a.shape.ToString() + " has K = " +
                     d.k.ToString() + ", b " + b.shape.ToString() + " has K = " +
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

}  // namespace

void RegisterLinalgOps(OpRegistry& r) {
  OpSchema s = ops::MakeSchema("matmul", 300, {"a", "b"}, FusionKind::kOpaque,
                               "Matrix product with NumPy semantics: a (..., M, K) @ b (..., K, N) "
                               "-> (..., M, N), batch dims broadcast; a 1-D operand is promoted "
                               "to a matrix and the promoted dim removed from the result.");
  s.infer = [](const InferContext& ctx) {
    DType dt = ops::RequireSameDType(ctx);
    ops::RequireDType(dt, ops::kNumericDTypes, "operand");
    MatmulDims d = AnalyzeMatmul(ctx.input(0), ctx.input(1));
    std::vector<Dim> out = d.batch.dims();
    if (!d.a_vector) out.push_back(d.m);
    if (!d.b_vector) out.push_back(d.n);
    return std::vector<TensorType>{{dt, Shape(std::move(out))}};
  };
  s.validate = ValidateNothing;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    MatmulDims d = AnalyzeMatmul(in[0], in[1]);
    double k = d.k.is_static() ? static_cast<double>(d.k.value()) : 0;
    c.flops = 2 * k * ops::StaticNumel(out[0]);
    return c;
  };
  r.Register(std::move(s));
}

}  // namespace bronze
