// The CUDA device interface (allocation and host copies through the CUDA runtime), registered
// when bronze is built with CUDA. Compiled only when BRONZE_WITH_CUDA; no GPU is needed to build.
#include <cuda_runtime_api.h>

#include <string>

#include "graph/error.h"
#include "graph/tensor.h"
#include "kernels/cuda/cuda_util.h"
#include "kernels/kernel.h"

namespace bronze {
namespace cuda {

void Check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw InvalidArgumentError(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(status));
  }
}

namespace {

class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    Check(cudaGetDevice(&saved_), "cudaGetDevice");
    if (saved_ != index) Check(cudaSetDevice(index), "cudaSetDevice");
  }
  ~DeviceGuard() { cudaSetDevice(saved_); }

 private:
  int saved_ = 0;
};

class CudaDevice final : public DeviceInterface {
 public:
  int DeviceCount() const override {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no device" error
      return 0;
    }
    return n;
  }
  void* Allocate(size_t bytes, int index) override {
    DeviceGuard g(index);
    void* p = nullptr;
    Check(cudaMalloc(&p, bytes == 0 ? 1 : bytes), "cudaMalloc");
    return p;
  }
  void Free(void* ptr, int index) override {
    DeviceGuard g(index);
    cudaFree(ptr);
  }
  void CopyToHost(void* dst, const void* src, size_t bytes, int index) override {
    DeviceGuard g(index);
    Check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  }
  void CopyFromHost(void* dst, const void* src, size_t bytes, int index) override {
    DeviceGuard g(index);
    Check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy from host");
  }
};

// Registered at load time too, so tensors can move to the GPU before any session exists.
struct Registrar {
  Registrar() { RegisterCudaDevice(); }
} registrar;

}  // namespace
}  // namespace cuda

void RegisterCudaDevice() {
  static cuda::CudaDevice device;
  RegisterDeviceInterface(DeviceKind::kCUDA, &device);
}

}  // namespace bronze
