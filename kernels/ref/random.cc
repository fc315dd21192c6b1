// Reference kernels for random ops: dropout (f32, f64) with its Philox4x32-10 mask, written
// scalar and straight from the definition in graph/ops/random.cc. The fast kernel in
// kernels/cpu/random.cc is an independent vectorized implementation that must agree bitwise.
#include <cmath>
#include <cstring>

#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): 10 rounds of two 32x32->64 multiplies, the key bumped by the Weyl constants.
void Philox4x32(uint32_t ctr[4], uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint64_t p0 = uint64_t{0xD2511F53u} * ctr[0];
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * ctr[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    const uint32_t c1 = ctr[1], c3 = ctr[3];
    ctr[0] = hi1 ^ c1 ^ k0;
    ctr[1] = lo1;
    ctr[2] = hi0 ^ c3 ^ k1;
    ctr[3] = lo0;
  }
}

// The 32-bit random word of element `i` (see the op's doc for the layout).
uint32_t DropoutWord(uint64_t seed, uint64_t offset, uint64_t i) {
  const uint64_t block = i / 1024, r = i % 1024;
  const uint64_t c = 256 * block + r % 256;
  uint32_t ctr[4] = {static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32),
                     static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)};
  Philox4x32(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return ctr[r / 256];
}

template <typename T>
void Dropout(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  const int64_t n = in[0].numel();
  const double p = attrs.at("p").f();
  if (attrs.at("training").i() == 0 || p == 0.0) {
    if (n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(T));
    return;
  }
  const uint64_t seed = static_cast<uint64_t>(attrs.at("seed").i());
  const uint64_t offset = in.size() == 2 ? static_cast<uint64_t>(in[1].data<int64_t>()[0]) : 0;
  // keep iff u / 2^32 >= p, i.e. u >= ceil(p * 2^32) (exact: p * 2^32 is exact in double).
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 4294967296.0));
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = DropoutWord(seed, offset, static_cast<uint64_t>(i)) >= threshold;
    y[i] = x[i] * (keep ? scale : T(0));
  }
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefRandomKernels(KernelRegistry& r) {
  ref::Register(r, "dropout", DType::kF32, &ref::Dropout<float>);
  ref::Register(r, "dropout", DType::kF64, &ref::Dropout<double>);
}

}  // namespace bronze
