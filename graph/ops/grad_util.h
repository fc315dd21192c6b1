// Building blocks for gradient builders (OpSchema::grad): undoing broadcasting, broadcasting
// back over reduced axes, scalars and element counts that work with symbolic shapes. Gradient
// builders live next to their ops in graph/ops/<family>_grad.cc; autodiff (passes/autodiff.h)
// calls them.
#pragma once

#include <span>
#include <vector>

#include "graph/builder.h"

namespace bronze::grad {

// Sums `g`, whose shape is `target` broadcast (NumPy rules) to a bigger shape, back to
// `target`: extra leading axes are summed away and axes where `target` has size 1 are summed
// with keepdims. Returns `g` itself when the shapes already match.
Value SumToShape(GraphBuilder& b, Value g, const Shape& target);
// Broadcasts `g` to `target` (expand); returns `g` itself when the shapes already match.
Value BroadcastTo(GraphBuilder& b, Value g, const Shape& target);
// `g` reduced over `axes` of a rank-`rank` input without keepdims, reshaped with size-1 dims
// put back at `axes` (unsqueeze), ready to broadcast against the input. Axes may be negative;
// empty axes means every axis (the reduction ops' convention). When the reduced axes are the
// leading ones, `g` is returned as is (it already broadcasts against the input).
Value RestoreReducedAxes(GraphBuilder& b, Value g, std::vector<int64_t> axes, int64_t rank);
// A scalar constant (f32 or f64), named `name` under the builder's scope.
Value Scalar(GraphBuilder& b, double value, DType dtype, const std::string& name = "grad_const");
// The number of elements of `shape` as a scalar of `dtype`: a constant when static, a numel
// node (bound when a plan is compiled) when symbolic.
Value Count(GraphBuilder& b, const Shape& shape, DType dtype);
// Zeros of type `t` (a scalar zero broadcast to the shape).
Value Zeros(GraphBuilder& b, const TensorType& t);
// The gradient of output `k`, or zeros of that output's type when it has none (for ops with
// several outputs whose builder needs all of them).
Value GradOrZeros(GraphBuilder& b, const Node& node, std::span<const Value> output_grads, size_t k);

// One-line op helpers for readable builders.
Value Add(GraphBuilder& b, Value x, Value y);
Value Sub(GraphBuilder& b, Value x, Value y);
Value Mul(GraphBuilder& b, Value x, Value y);
Value Div(GraphBuilder& b, Value x, Value y);
Value Neg(GraphBuilder& b, Value x);

// For elementwise binary ops with broadcasting: `dx` summed back to input `i`'s shape.
Value ReduceToInput(GraphBuilder& b, const Node& node, size_t i, Value dx);

}  // namespace bronze::grad
