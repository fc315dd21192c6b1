// Helpers shared by the op family files: dtype checks, broadcasting with good messages,
// static element counts for cost estimates, and schema shorthands.
#pragma once

#include <string>

#include "graph/error.h"
#include "graph/op_registry.h"

namespace bronze::ops {

// Throws TypeError unless every input has the same dtype; returns it.
DType RequireSameDType(const InferContext& ctx);
// Throws TypeError when `dtype` is not in `allowed` (message names `what` and the allowed set).
void RequireDType(DType dtype, std::initializer_list<DType> allowed, const std::string& what);
// NumPy broadcast of inputs a and b; throws ShapeError naming both shapes.
Shape BroadcastOrThrow(const Shape& a, const Shape& b);

inline constexpr std::initializer_list<DType> kNumericDTypes = {
    DType::kF32, DType::kF64, DType::kF16, DType::kBF16, DType::kI32, DType::kI64, DType::kU8};
inline constexpr std::initializer_list<DType> kFloatDTypes = {DType::kF32, DType::kF64,
                                                              DType::kF16, DType::kBF16};

// Element count of a static type as a double (0 for a symbolic one: costs are for plans).
double StaticNumel(const TensorType& t);
double Bytes(const TensorType& t);
// flops = `flops_per_element` * output elements; bytes = all inputs read, all outputs written.
Cost ElementwiseCost(std::span<const TensorType> in, std::span<const TensorType> out,
                     double flops_per_element);

// Normalized, sorted, duplicate-free axes of a reduction over rank `rank` (empty: all axes).
std::vector<int64_t> ReductionAxes(const std::vector<int64_t>& axes, int64_t rank);
// The normalized permutation of a transpose (empty `perm`: reversed axes).
std::vector<int64_t> TransposePermutation(const std::vector<int64_t>& perm, int64_t rank);

// A schema with the common fields filled in.
OpSchema MakeSchema(std::string name, uint32_t id, std::vector<std::string> inputs,
                    FusionKind fusion, std::string doc);

}  // namespace bronze::ops
