// Reference kernels for the loss functions (graph/ops/loss.cc): cross_entropy, nll, mse, l1 and
// binary_cross_entropy_with_logits, for f32 and f64 inputs (i32 or i64 class targets). Naive and
// single-threaded: every per-element quantity is computed in double straight from the PyTorch
// definition and summed in index order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/class_layout.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

enum class Reduction { kMean, kSum, kNone };

Reduction GetReduction(const AttrMap& attrs) {
  const std::string& r = attrs.at("reduction").s();
  if (r == "mean") return Reduction::kMean;
  if (r == "sum") return Reduction::kSum;
  return Reduction::kNone;
}

// Writes the per-element losses `loss` (already 0 for ignored elements) reduced as asked;
// `count` is the mean's denominator.
template <typename T>
void WriteReduced(Reduction red, const std::vector<double>& loss, double count, Tensor& out) {
  T* y = out.data<T>();
  if (red == Reduction::kNone) {
    for (size_t i = 0; i < loss.size(); ++i) y[i] = static_cast<T>(loss[i]);
    return;
  }
  double sum = 0;
  for (double v : loss) sum += v;
  y[0] = static_cast<T>(red == Reduction::kSum ? sum : sum / count);  // 0 / 0 is NaN, as in torch
}

template <typename I>
int64_t TargetAt(const Tensor& t, int64_t s) {
  return static_cast<int64_t>(t.data<I>()[s]);
}

int64_t TargetAt(const Tensor& t, int64_t s) {
  return t.dtype() == DType::kI32 ? TargetAt<int32_t>(t, s) : TargetAt<int64_t>(t, s);
}

[[noreturn]] void ThrowBadTarget(int64_t target, int64_t s, int64_t classes, int64_t ignore) {
  throw InvalidArgumentError("target value " + std::to_string(target) + " at sample " +
                             std::to_string(s) + " is out of range for " + std::to_string(classes) +
                             " classes (expected 0 to " + std::to_string(classes - 1) +
                             ", or ignore_index " + std::to_string(ignore) + ")");
}

// cross_entropy (log_softmax = true) and nll (log_softmax = false).
template <typename T, bool kLogSoftmax>
void ClassTargetLoss(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& xt = in[0];
  const Tensor& tt = in[1];
  const ClassLayout l = ClassLayoutOf(xt.dims());
  const int64_t ignore = attrs.at("ignore_index").i();
  const double ls = kLogSoftmax ? attrs.at("label_smoothing").f() : 0.0;
  const T* x = xt.data<T>();
  const int64_t samples = l.n * l.d;
  std::vector<double> loss(static_cast<size_t>(samples), 0.0);
  double count = 0;
  for (int64_t s = 0; s < samples; ++s) {
    const int64_t target = TargetAt(tt, s);
    if (target == ignore) continue;
    if (target < 0 || target >= l.c) ThrowBadTarget(target, s, l.c, ignore);
    count += 1;
    const int64_t n = s / l.d, j = s % l.d;
    auto at = [&](int64_t c) { return static_cast<double>(x[(n * l.c + c) * l.d + j]); };
    if (!kLogSoftmax) {
      loss[static_cast<size_t>(s)] = -at(target);
      continue;
    }
    // lsm[c] = x[c] - logsumexp(x), with the max subtracted for stability.
    double m = at(0);
    for (int64_t c = 1; c < l.c; ++c) m = std::max(m, at(c));
    double sum_exp = 0;
    for (int64_t c = 0; c < l.c; ++c) sum_exp += std::exp(at(c) - m);
    const double lse = m + std::log(sum_exp);
    const double nll = -(at(target) - lse);
    double value = nll;
    if (ls > 0) {
      double sum_lsm = 0;
      for (int64_t c = 0; c < l.c; ++c) sum_lsm += at(c) - lse;
      const double smooth = -sum_lsm / static_cast<double>(l.c);
      value = (1 - ls) * nll + ls * smooth;
    }
    // A NaN or +inf logit makes log_softmax NaN (std::max may have skipped a NaN).
    for (int64_t c = 0; c < l.c; ++c) {
      if (std::isnan(at(c)) || at(c) == std::numeric_limits<double>::infinity()) {
        value = std::numeric_limits<double>::quiet_NaN();
      }
    }
    loss[static_cast<size_t>(s)] = value;
  }
  WriteReduced<T>(GetReduction(attrs), loss, count, out[0]);
}

template <typename T>
void Mse(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const T* x = in[0].data<T>();
  const T* t = in[1].data<T>();
  std::vector<double> loss(static_cast<size_t>(in[0].numel()));
  for (size_t i = 0; i < loss.size(); ++i) {
    const double d = static_cast<double>(x[i]) - static_cast<double>(t[i]);
    loss[i] = d * d;
  }
  WriteReduced<T>(GetReduction(attrs), loss, static_cast<double>(loss.size()), out[0]);
}

template <typename T>
void L1(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const T* x = in[0].data<T>();
  const T* t = in[1].data<T>();
  std::vector<double> loss(static_cast<size_t>(in[0].numel()));
  for (size_t i = 0; i < loss.size(); ++i) {
    loss[i] = std::abs(static_cast<double>(x[i]) - static_cast<double>(t[i]));
  }
  WriteReduced<T>(GetReduction(attrs), loss, static_cast<double>(loss.size()), out[0]);
}

template <typename T>
void BceWithLogits(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const T* x = in[0].data<T>();
  const T* t = in[1].data<T>();
  const T* pw = in.size() == 3 ? in[2].data<T>() : nullptr;
  const int64_t pw_len = in.size() == 3 ? in[2].numel() : 0;
  const int64_t last = in[0].rank() > 0 ? in[0].dims().back() : 1;
  if (pw && pw_len != 1 && pw_len != last) {
    throw ShapeError("pos_weight has " + std::to_string(pw_len) + " elements, expected " +
                     std::to_string(last) + " (the input's last dim) or 1");
  }
  std::vector<double> loss(static_cast<size_t>(in[0].numel()));
  for (size_t i = 0; i < loss.size(); ++i) {
    const double xi = static_cast<double>(x[i]), ti = static_cast<double>(t[i]);
    double w = 1;  // pos_weight broadcast over the last dim
    if (pw) w = static_cast<double>(pw[pw_len == 1 ? 0 : static_cast<int64_t>(i) % last]);
    const double log_sigmoid = std::min(xi, 0.0) - std::log1p(std::exp(-std::abs(xi)));
    loss[i] = (1 - ti) * xi - (1 + (w - 1) * ti) * log_sigmoid;
  }
  WriteReduced<T>(GetReduction(attrs), loss, static_cast<double>(loss.size()), out[0]);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefLossGradKernels(KernelRegistry& r);  // kernels/ref/loss_grad.cc

void RegisterRefLossKernels(KernelRegistry& r) {
  RegisterRefLossGradKernels(r);
  ref::Register(r, "cross_entropy", DType::kF32, &ref::ClassTargetLoss<float, true>);
  ref::Register(r, "cross_entropy", DType::kF64, &ref::ClassTargetLoss<double, true>);
  ref::Register(r, "nll", DType::kF32, &ref::ClassTargetLoss<float, false>);
  ref::Register(r, "nll", DType::kF64, &ref::ClassTargetLoss<double, false>);
  ref::Register(r, "mse", DType::kF32, &ref::Mse<float>);
  ref::Register(r, "mse", DType::kF64, &ref::Mse<double>);
  ref::Register(r, "l1", DType::kF32, &ref::L1<float>);
  ref::Register(r, "l1", DType::kF64, &ref::L1<double>);
  ref::Register(r, "binary_cross_entropy_with_logits", DType::kF32, &ref::BceWithLogits<float>);
  ref::Register(r, "binary_cross_entropy_with_logits", DType::kF64, &ref::BceWithLogits<double>);
}

}  // namespace bronze
