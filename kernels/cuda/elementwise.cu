// CUDA kernels for the first unary elementwise ops (relu, exp; f32 and f64), registered under
// the "cuda" backend. They are tested against the reference kernels by
// tests/kernels/cuda_kernels_test.cc, which skips on machines without a GPU.
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_util.h"
#include "kernels/kernel.h"

namespace bronze::cuda {
namespace {

struct ReluOp { template <typename T> __device__ T operator()(T x) const { return x < T(0) ? T(0) : x; } };
struct ExpOp {
  __device__ float operator()(float x) const { return expf(x); }
  __device__ double operator()(double x) const { return exp(x); }
};

template <typename T, typename Op>
__global__ void UnaryKernel(const T* x, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    y[i] = Op()(x[i]);
  }
}

template <typename T, typename Op>
void Unary(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t n = in[0].numel();
  if (n == 0) return;
  constexpr int kThreads = 256;
  int blocks = static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535));
  UnaryKernel<T, Op><<<blocks, kThreads>>>(in[0].data<T>(), out[0].data<T>(), n);
  Check(cudaGetLastError(), "unary kernel launch");
  Check(cudaDeviceSynchronize(), "unary kernel");
}

template <typename T, typename Op>
KernelEntry Entry(const char* op) {
  return KernelEntry{op, DeviceKind::kCUDA, DTypeOf<T>::value, "cuda", 10, FunctionKernel(&Unary<T, Op>)};
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& r) {
  r.Register(Entry<float, ReluOp>("relu"));
  r.Register(Entry<double, ReluOp>("relu"));
  r.Register(Entry<float, ExpOp>("exp"));
  r.Register(Entry<double, ExpOp>("exp"));
}

}  // namespace bronze::cuda
