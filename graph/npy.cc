// .npy reading and writing (graph/npy.h).
#include "graph/npy.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "graph/error.h"

namespace bronze {
namespace {

struct NpyType {
  DType dtype;
  const char* descr;
};
constexpr NpyType kNpyTypes[] = {
    {DType::kF32, "<f4"}, {DType::kF64, "<f8"}, {DType::kF16, "<f2"}, {DType::kI32, "<i4"},
    {DType::kI64, "<i8"}, {DType::kU8, "|u1"},  {DType::kBool, "|b1"},
};

[[noreturn]] void Bad(const std::string& path, const std::string& what) {
  throw FormatError(path + ": not a supported .npy file: " + what);
}

// The value of `key` in the header dict, as raw text up to the next top-level ',' or '}'.
std::string Field(const std::string& header, const std::string& key, const std::string& path) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) Bad(path, "header has no '" + key + "'");
  at = header.find(':', at);
  if (at == std::string::npos) Bad(path, "header field '" + key + "' has no value");
  ++at;
  int depth = 0;
  size_t end = at;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  std::string v = header.substr(at, end - at);
  size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
}

}  // namespace

Tensor ReadNpy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError("cannot open " + path);
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) Bad(path, "bad magic");
  int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) Bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) Bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    Bad(path, "version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) Bad(path, "header too long");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) Bad(path, "truncated header");

  std::string descr = Field(header, "descr", path);
  if (descr.size() < 2) Bad(path, "bad descr " + descr);
  descr = descr.substr(1, descr.size() - 2);  // strip quotes
  const NpyType* type = nullptr;
  for (const NpyType& t : kNpyTypes) {
    if (descr == t.descr) type = &t;
  }
  if (!type) Bad(path, "dtype '" + descr + "' (supported: f4 f8 f2 i4 i8 u1 b1, little-endian)");
  if (Field(header, "fortran_order", path) != "False") Bad(path, "Fortran order");

  std::string shape_text = Field(header, "shape", path);
  if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')') {
    Bad(path, "bad shape " + shape_text);
  }
  Dims dims;
  std::stringstream ss(shape_text.substr(1, shape_text.size() - 2));
  std::string item;
  int64_t numel = 1;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    int64_t d = 0;
    try {
      size_t used = 0;
      d = std::stoll(item.substr(b), &used);
      if (item.find_first_not_of(' ', b + used) != std::string::npos) throw std::invalid_argument("");
    } catch (const std::exception&) {
      Bad(path, "bad shape " + shape_text);
    }
    if (d < 0) Bad(path, "negative dim in shape " + shape_text);
    if (d != 0 && numel > std::numeric_limits<int64_t>::max() / d) Bad(path, "shape overflows");
    numel *= d;
    dims.push_back(d);
  }
  size_t bytes = static_cast<size_t>(numel) * DTypeSize(type->dtype);
  std::streampos data_at = f.tellg();
  f.seekg(0, std::ios::end);
  auto available = static_cast<uint64_t>(f.tellg() - data_at);
  if (available < bytes) {
    Bad(path, "holds " + std::to_string(available) + " data bytes, shape " + shape_text +
                  " needs " + std::to_string(bytes));
  }
  f.seekg(data_at);
  Tensor t = Tensor::Empty(type->dtype, dims);
  if (bytes > 0 && !f.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(bytes))) {
    Bad(path, "truncated data");
  }
  return t;
}

void WriteNpy(const std::string& path, const Tensor& tensor) {
  if (!tensor.defined()) throw InvalidArgumentError("WriteNpy: undefined tensor");
  if (tensor.device().kind != DeviceKind::kCPU) {
    throw InvalidArgumentError("WriteNpy: tensor is not on the CPU");
  }
  const NpyType* type = nullptr;
  for (const NpyType& t : kNpyTypes) {
    if (t.dtype == tensor.dtype()) type = &t;
  }
  if (!type) {
    throw InvalidArgumentError("WriteNpy: " + std::string(DTypeName(tensor.dtype())) +
                               " has no NumPy dtype");
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.dims().size(); ++i) {
    shape += (i ? ", " : "") + std::to_string(tensor.dims()[i]);
  }
  shape += tensor.rank() == 1 ? ",)" : ")";  // NumPy's tuple syntax: (4,) and (2, 3) and ()
  std::string header = "{'descr': '" + std::string(type->descr) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so magic (6) + version (2) + length (2) + header is a multiple of 64, ending in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw IoError("cannot write " + path);
  f.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  f.write(len, 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(static_cast<const char*>(tensor.raw_data()), static_cast<std::streamsize>(tensor.nbytes()));
  if (!f.flush()) throw IoError("cannot write " + path);
}

}  // namespace bronze
