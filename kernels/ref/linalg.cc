// Reference matmul: NumPy semantics (batch dims broadcast, 1-D operands promoted), accumulating
// in double for floats and int64 for integers. f32, f64, i32, i64.
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

template <typename T>
void Matmul(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  Dims ad = in[0].dims(), bd = in[1].dims();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  Dims a_batch(ad.begin(), ad.end() - 2), b_batch(bd.begin(), bd.end() - 2);
  // The output's batch dims: everything but the (possibly dropped) matrix dims.
  Dims batch(std::max(a_batch.size(), b_batch.size()), 1);
  for (size_t i = 0; i < batch.size(); ++i) {
    size_t ia = i + a_batch.size() - batch.size(), ib = i + b_batch.size() - batch.size();
    int64_t da = i + a_batch.size() >= batch.size() ? a_batch[ia] : 1;
    int64_t db = i + b_batch.size() >= batch.size() ? b_batch[ib] : 1;
    batch[i] = da == 1 ? db : da;
  }
  const std::vector<int64_t> strides[2] = {BroadcastStrides(a_batch, batch),
                                           BroadcastStrides(b_batch, batch)};
  const T* a = in[0].data<T>();
  const T* b = in[1].data<T>();
  T* y = out[0].data<T>();
  ForEachIndex(batch, strides, [&](int64_t bi, const int64_t* off) {
    const T* pa = a + off[0] * m * k;
    const T* pb = b + off[1] * k * n;
    T* py = y + bi * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        Acc<T> s = 0;
        for (int64_t p = 0; p < k; ++p) s += static_cast<Acc<T>>(pa[i * k + p]) * pb[p * n + j];
        py[i * n + j] = static_cast<T>(s);
      }
    }
  });
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefLinalgKernels(KernelRegistry& r) {
  ref::Register(r, "matmul", DType::kF32, &ref::Matmul<float>);
  ref::Register(r, "matmul", DType::kF64, &ref::Matmul<double>);
  ref::Register(r, "matmul", DType::kI32, &ref::Matmul<int32_t>);
  ref::Register(r, "matmul", DType::kI64, &ref::Matmul<int64_t>);
}

}  // namespace bronze
