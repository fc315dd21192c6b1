// Reference kernels for unary elementwise ops: relu (f32, f64, i32, i64; NaN propagates, as in
// PyTorch) and exp (f32, f64).
#include <cmath>

#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

template <typename T>
void Relu(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  for (int64_t i = 0; i < in[0].numel(); ++i) y[i] = x[i] < T(0) ? T(0) : x[i];  // NaN stays NaN
}

template <typename T>
void Exp(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  for (int64_t i = 0; i < in[0].numel(); ++i) y[i] = std::exp(x[i]);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefUnaryKernels(KernelRegistry& r) {
  ref::Register(r, "relu", DType::kF32, &ref::Relu<float>);
  ref::Register(r, "relu", DType::kF64, &ref::Relu<double>);
  ref::Register(r, "relu", DType::kI32, &ref::Relu<int32_t>);
  ref::Register(r, "relu", DType::kI64, &ref::Relu<int64_t>);
  ref::Register(r, "exp", DType::kF32, &ref::Exp<float>);
  ref::Register(r, "exp", DType::kF64, &ref::Exp<double>);
}

}  // namespace bronze
