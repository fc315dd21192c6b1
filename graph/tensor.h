// Tensors: a dtype, a concrete shape (dense, row-major) and a reference to storage on a device.
// A tensor either owns its storage (shared between copies of the Tensor handle) or is a
// non-owning view of memory someone else keeps alive (a NumPy array, a mmap'ed weight section).
// Devices other than the CPU plug in a DeviceInterface (allocation and host copies), so this
// layer never depends on CUDA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "graph/error.h"
#include "graph/shape.h"

namespace bronze {

enum class DeviceKind : uint8_t { kCPU = 0, kCUDA = 1 };

struct Device {
  DeviceKind kind = DeviceKind::kCPU;
  int index = 0;

  static Device CPU() { return {DeviceKind::kCPU, 0}; }
  static Device CUDA(int index = 0) { return {DeviceKind::kCUDA, index}; }
  // "cpu", "cuda", "cuda:1"; throws InvalidArgumentError otherwise.
  static Device Parse(std::string_view text);
  bool operator==(const Device&) const = default;
  std::string ToString() const;  // "cpu", "cuda:0"
};

// What a non-CPU device provides. Implementations register once (the CUDA one lives in
// kernels/cuda/) and are looked up by DeviceKind.
class DeviceInterface {
 public:
  virtual ~DeviceInterface() = default;
  virtual int DeviceCount() const = 0;
  virtual void* Allocate(size_t bytes, int index) = 0;
  virtual void Free(void* ptr, int index) = 0;
  virtual void CopyToHost(void* dst, const void* src, size_t bytes, int index) = 0;
  virtual void CopyFromHost(void* dst, const void* src, size_t bytes, int index) = 0;
};
void RegisterDeviceInterface(DeviceKind kind, DeviceInterface* device);
// Throws UnimplementedError when this build has no such device, InvalidArgumentError for a bad
// index.
DeviceInterface& GetDeviceInterface(Device device);

// A block of memory on one device. Host blocks are 64-byte aligned.
class Storage {
 public:
  using Deleter = std::function<void(void*)>;
  Storage(void* data, size_t bytes, Device device, Deleter deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  static std::shared_ptr<Storage> Allocate(size_t bytes, Device device);
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  bool owning() const { return static_cast<bool>(deleter_); }

 private:
  void* data_;
  size_t bytes_;
  Device device_;
  Deleter deleter_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: no dtype, shape or storage

  // Uninitialized memory, 64-byte aligned on the host.
  static Tensor Empty(DType dtype, Dims dims, Device device = Device::CPU());
  static Tensor Zeros(DType dtype, Dims dims);
  // Copies `values` (which must hold exactly NumElements(dims) elements).
  template <typename T>
  static Tensor FromVector(Dims dims, const std::vector<T>& values);
  template <typename T>
  static Tensor Scalar(T value) { return FromVector<T>({}, {value}); }
  // A non-owning view: the caller keeps `data` alive and unchanged-in-size while it is used.
  static Tensor View(void* data, DType dtype, Dims dims, Device device = Device::CPU());
  // A tensor over a range of shared storage (bytes from `offset`).
  static Tensor OnStorage(std::shared_ptr<Storage> storage, size_t offset, DType dtype, Dims dims);

  bool defined() const { return storage_ != nullptr || dtype_set_; }
  DType dtype() const { return dtype_; }
  const Dims& dims() const { return dims_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * DTypeSize(dtype_); }
  Device device() const { return storage_ ? storage_->device() : Device::CPU(); }
  bool is_view() const { return storage_ && !storage_->owning(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  void* raw_data() const;
  // Typed pointer; throws TypeError when T does not match the dtype.
  template <typename T> T* data() const;
  // Element `i` (flat index) converted to double, for printing and tests; host tensors only.
  double GetAsDouble(int64_t i) const;

  // A deep copy on `device` (same device: a fresh owning copy).
  Tensor To(Device device) const;
  Tensor Clone() const { return To(device()); }
  // The same storage with another shape of the same element count.
  Tensor Reshaped(Dims dims) const;

  // "f32(2, 3) [[1, 2, 3], [4, 5, 6]]", eliding the middle past `max_elements`.
  std::string ToString(int64_t max_elements = 64) const;

 private:
  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;
  DType dtype_ = DType::kF32;
  bool dtype_set_ = false;
  Dims dims_;
  int64_t numel_ = 0;
};

// Exact equality of dtype, dims and bytes (host tensors).
bool BitwiseEqual(const Tensor& a, const Tensor& b);

template <typename T>
T* Tensor::data() const {
  if (DTypeOf<T>::value != dtype_) {
    throw TypeError("tensor of dtype " + std::string(DTypeName(dtype_)) + " accessed as " +
                    std::string(DTypeName(DTypeOf<T>::value)));
  }
  return static_cast<T*>(raw_data());
}

template <typename T>
Tensor Tensor::FromVector(Dims dims, const std::vector<T>& values) {
  Tensor t = Empty(DTypeOf<T>::value, std::move(dims));
  if (static_cast<int64_t>(values.size()) != t.numel()) {
    throw ShapeError("FromVector: " + std::to_string(values.size()) + " values for shape " +
                     DimsToString(t.dims()) + " of " + std::to_string(t.numel()) + " elements");
  }
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

}  // namespace bronze
