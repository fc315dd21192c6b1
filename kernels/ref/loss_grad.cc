// Reference kernels for the loss family's backward ops (graph/ops/loss_grad.cc):
// cross_entropy_backward and nll_backward, f32 and f64 (i32 or i64 targets). Naive and
// single-threaded, straight from the definitions: the softmax of each sample in double, the
// smoothed one-hot subtracted, times the sample's share of the loss gradient.
#include <cmath>
#include <string>
#include <vector>

#include "kernels/class_layout.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

int64_t TargetAt(const Tensor& t, int64_t s) {
  return t.dtype() == DType::kI32 ? static_cast<int64_t>(t.data<int32_t>()[s])
                                  : static_cast<int64_t>(t.data<int64_t>()[s]);
}

// in = (grad, input, target); input (C), (N, C) or (N, C, d...) viewed as [n][c][d].
template <typename T, bool kLogSoftmax>
void ClassTargetBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& xt = in[1];
  const Tensor& tt = in[2];
  const ClassLayout l = ClassLayoutOf(xt.dims());
  const int64_t n = l.n, c = l.c, d = l.d;
  const int64_t ignore = attrs.at("ignore_index").i();
  const double ls = kLogSoftmax ? attrs.at("label_smoothing").f() : 0.0;
  const std::string& reduction = attrs.at("reduction").s();
  const T* x = xt.data<T>();
  const T* g = in[0].data<T>();
  T* dx = out[0].data<T>();
  const int64_t samples = n * d;
  double count = 0;
  for (int64_t s = 0; s < samples; ++s) {
    const int64_t t = TargetAt(tt, s);
    if (t == ignore) continue;
    if (t < 0 || t >= c) {
      throw InvalidArgumentError("target value " + std::to_string(t) + " at sample " +
                                 std::to_string(s) + " is out of range for " +
                                 std::to_string(c) + " classes (expected 0 to " +
                                 std::to_string(c - 1) + ", or ignore_index " +
                                 std::to_string(ignore) + ")");
    }
    count += 1;
  }
  for (int64_t s = 0; s < samples; ++s) {
    const int64_t i = s / d, j = s % d;
    auto at = [&](int64_t k) -> T& { return dx[(i * c + k) * d + j]; };
    auto xat = [&](int64_t k) { return static_cast<double>(x[(i * c + k) * d + j]); };
    const int64_t t = TargetAt(tt, s);
    if (t == ignore) {
      for (int64_t k = 0; k < c; ++k) at(k) = T(0);
      continue;
    }
    double gs = static_cast<double>(reduction == "none" ? g[s] : g[0]);
    if (reduction == "mean") gs /= count;
    if (!kLogSoftmax) {
      for (int64_t k = 0; k < c; ++k) at(k) = static_cast<T>(k == t ? -gs : 0.0);
      continue;
    }
    double m = -INFINITY;
    bool nan = false;
    for (int64_t k = 0; k < c; ++k) {
      m = std::max(m, xat(k));
      nan = nan || std::isnan(xat(k));
    }
    double sum_exp = 0;
    for (int64_t k = 0; k < c; ++k) sum_exp += std::exp(xat(k) - m);
    const double lse = m + std::log(sum_exp);
    for (int64_t k = 0; k < c; ++k) {
      const double p = nan ? NAN : std::exp(xat(k) - lse);
      const double q = (k == t ? 1 - ls : 0.0) + ls / static_cast<double>(c);
      at(k) = static_cast<T>((p - q) * gs);
    }
  }
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefLossGradKernels(KernelRegistry& r) {
  ref::Register(r, "cross_entropy_backward", DType::kF32,
                &ref::ClassTargetBackward<float, true>);
  ref::Register(r, "cross_entropy_backward", DType::kF64,
                &ref::ClassTargetBackward<double, true>);
  ref::Register(r, "nll_backward", DType::kF32, &ref::ClassTargetBackward<float, false>);
  ref::Register(r, "nll_backward", DType::kF64, &ref::ClassTargetBackward<double, false>);
}

}  // namespace bronze
