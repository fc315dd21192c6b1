// Tensors, storage and the device-interface registry.
#include "graph/tensor.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace bronze {

std::string Device::ToString() const {
  return kind == DeviceKind::kCPU ? "cpu" : "cuda:" + std::to_string(index);
}

Device Device::Parse(std::string_view text) {
  if (text == "cpu") return CPU();
  if (text == "cuda" || text == "gpu") return CUDA(0);
  for (std::string_view prefix : {"cuda:", "gpu:"}) {
    if (text.substr(0, prefix.size()) == prefix) {
      std::string_view rest = text.substr(prefix.size());
      int index = 0;
      bool ok = !rest.empty() && rest.size() < 6;
      for (char c : rest) {
        ok = ok && c >= '0' && c <= '9';
        index = index * 10 + (c - '0');
      }
      if (ok) return CUDA(index);
    }
  }
  throw InvalidArgumentError("unknown device '" + std::string(text) +
                             "' (expected cpu, cuda or cuda:N)");
}

namespace {
std::array<DeviceInterface*, 2> g_devices{};
std::mutex g_devices_mutex;
}  // namespace

void RegisterDeviceInterface(DeviceKind kind, DeviceInterface* device) {
  std::lock_guard<std::mutex> lock(g_devices_mutex);
  g_devices[static_cast<size_t>(kind)] = device;
}

DeviceInterface& GetDeviceInterface(Device device) {
  DeviceInterface* d;
  {
    std::lock_guard<std::mutex> lock(g_devices_mutex);
    d = g_devices[static_cast<size_t>(device.kind)];
  }
  if (!d) {
    throw UnimplementedError("device " + device.ToString() + " is not available in this build");
  }
  int count = d->DeviceCount();
  if (device.index < 0 || device.index >= count) {
    throw InvalidArgumentError("device " + device.ToString() + " does not exist (" +
                               std::to_string(count) + " present)");
  }
  return *d;
}

Storage::Storage(void* data, size_t bytes, Device device, Deleter deleter)
    : data_(data), bytes_(bytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_) deleter_(data_);
}

std::shared_ptr<Storage> Storage::Allocate(size_t bytes, Device device) {
  if (device.kind == DeviceKind::kCPU) {
    constexpr size_t kAlign = 64;
    size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
    if (!p) throw InvalidArgumentError("out of host memory allocating " + std::to_string(bytes) + " bytes");
    return std::make_shared<Storage>(p, bytes, device, [](void* q) { std::free(q); });
  }
  DeviceInterface& dev = GetDeviceInterface(device);
  void* p = dev.Allocate(bytes, device.index);
  int index = device.index;
  return std::make_shared<Storage>(p, bytes, device,
                                   [&dev, index](void* q) { dev.Free(q, index); });
}

Tensor Tensor::Empty(DType dtype, Dims dims, Device device) {
  Tensor t;
  t.numel_ = NumElements(dims);
  size_t bytes;
  if (__builtin_mul_overflow(static_cast<size_t>(t.numel_), DTypeSize(dtype), &bytes)) {
    throw ShapeError("tensor of shape " + DimsToString(dims) + " is too large");
  }
  t.storage_ = Storage::Allocate(bytes, device);
  t.dtype_ = dtype;
  t.dtype_set_ = true;
  t.dims_ = std::move(dims);
  return t;
}

Tensor Tensor::Zeros(DType dtype, Dims dims) {
  Tensor t = Empty(dtype, std::move(dims));
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::View(void* data, DType dtype, Dims dims, Device device) {
  Tensor t;
  t.numel_ = NumElements(dims);
  t.storage_ = std::make_shared<Storage>(data, t.numel_ * DTypeSize(dtype), device, nullptr);
  t.dtype_ = dtype;
  t.dtype_set_ = true;
  t.dims_ = std::move(dims);
  return t;
}

Tensor Tensor::OnStorage(std::shared_ptr<Storage> storage, size_t offset, DType dtype, Dims dims) {
  Tensor t;
  t.numel_ = NumElements(dims);
  size_t end = offset + static_cast<size_t>(t.numel_) * DTypeSize(dtype);
  if (!storage || end > storage->bytes() || end < offset) {
    throw InvalidArgumentError("tensor of shape " + DimsToString(dims) + " at offset " +
                               std::to_string(offset) + " does not fit its storage");
  }
  t.storage_ = std::move(storage);
  t.offset_ = offset;
  t.dtype_ = dtype;
  t.dtype_set_ = true;
  t.dims_ = std::move(dims);
  return t;
}

void* Tensor::raw_data() const {
  if (!storage_) return nullptr;
  return static_cast<char*>(storage_->data()) + offset_;
}

double Tensor::GetAsDouble(int64_t i) const {
  if (device().kind != DeviceKind::kCPU) throw InvalidArgumentError("GetAsDouble needs a host tensor");
  if (i < 0 || i >= numel_) throw InvalidArgumentError("element index out of range");
  const void* p = raw_data();
  switch (dtype_) {
    case DType::kF32: return static_cast<const float*>(p)[i];
    case DType::kF64: return static_cast<const double*>(p)[i];
    case DType::kI32: return static_cast<const int32_t*>(p)[i];
    case DType::kI64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DType::kU8: return static_cast<const uint8_t*>(p)[i];
    case DType::kBool: return static_cast<const bool*>(p)[i] ? 1.0 : 0.0;
    case DType::kF16:
    case DType::kBF16: break;
  }
  throw UnimplementedError("GetAsDouble: dtype " + std::string(DTypeName(dtype_)));
}

Tensor Tensor::To(Device device) const {
  Tensor out = Empty(dtype_, dims_, device);
  Device from = this->device();
  if (nbytes() == 0) return out;
  if (from.kind == DeviceKind::kCPU && device.kind == DeviceKind::kCPU) {
    std::memcpy(out.raw_data(), raw_data(), nbytes());
  } else if (from.kind == DeviceKind::kCPU) {
    GetDeviceInterface(device).CopyFromHost(out.raw_data(), raw_data(), nbytes(), device.index);
  } else if (device.kind == DeviceKind::kCPU) {
    GetDeviceInterface(from).CopyToHost(out.raw_data(), raw_data(), nbytes(), from.index);
  } else {
    return To(Device::CPU()).To(device);
  }
  return out;
}

Tensor Tensor::Reshaped(Dims dims) const {
  if (NumElements(dims) != numel_) {
    throw ShapeError("cannot reshape a tensor of shape " + DimsToString(dims_) + " to " +
                     DimsToString(dims));
  }
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

std::string Tensor::ToString(int64_t max_elements) const {
  if (!defined()) return "Tensor(undefined)";
  std::string s = std::string(DTypeName(dtype_)) + DimsToString(dims_) + " ";
  if (device().kind != DeviceKind::kCPU) return s + "<on " + device().ToString() + ">";
  // Nested brackets by dim; elide the middle of a long flat sequence.
  std::string body;
  int64_t shown = 0;
  std::vector<int64_t> idx(dims_.size(), 0);
  auto fmt = [&](int64_t flat) {
    double v = GetAsDouble(flat);
    if (IsFloating(dtype_)) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.6g", v);
      return std::string(buf);
    }
    return std::to_string(static_cast<int64_t>(v));
  };
  if (dims_.empty()) return s + fmt(0);
  body += std::string(dims_.size(), '[');
  for (int64_t flat = 0; flat < numel_; ++flat) {
    if (shown == max_elements) {
      body += "...";
      break;
    }
    body += fmt(flat);
    ++shown;
    // Advance the multi-index and close/open brackets.
    int64_t k = static_cast<int64_t>(dims_.size()) - 1;
    int closes = 0;
    while (k >= 0 && ++idx[static_cast<size_t>(k)] == dims_[static_cast<size_t>(k)]) {
      idx[static_cast<size_t>(k)] = 0;
      ++closes;
      --k;
    }
    if (k < 0) break;
    body += std::string(static_cast<size_t>(closes), ']') + ", " +
            std::string(static_cast<size_t>(closes), '[');
  }
  body += std::string(dims_.size(), ']');
  return s + body;
}

bool BitwiseEqual(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.dims() == b.dims() &&
         (a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0);
}

}  // namespace bronze
