// The numel kernel (one scalar: the element count of the node's bound `shape` attribute). It is
// the same for the reference and the fast CPU backend, so both register this one definition.
#pragma once

#include <span>

#include "graph/attribute.h"
#include "graph/tensor.h"
#include "kernels/cast_value.h"

namespace bronze {

template <typename T>
void NumelKernel(const AttrMap& attrs, std::span<const Tensor>, std::span<Tensor> out) {
  const double n = static_cast<double>(NumElements(attrs.at("shape").shape().static_dims()));
  *out[0].data<T>() = CastValue<T, double>(n);
}

}  // namespace bronze
