// Reference kernels for the unary family's fused backward ops (graph/ops/unary_grad.cc):
// relu_grad, sigmoid_grad, tanh_grad, gelu_grad, silu_grad, leaky_relu_grad and clip_grad, in
// f32 and f64. Each evaluates PyTorch's backward formula in double and rounds once; gelu and
// silu use forms without cancellation (erfc, 1 / (1 + e^-z)) that equal PyTorch's formulas.
#include <cmath>
#include <numbers>
#include <type_traits>

#include "kernels/cast_value.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// dx[i] = f(dy[i], t[i]) in double, rounded once to T.
template <typename T, typename F>
void MapGrad(std::span<const Tensor> in, std::span<Tensor> out, F f) {
  const T* dy = in[0].data<T>();
  const T* t = in[1].data<T>();
  T* dx = out[0].data<T>();
  for (int64_t i = 0; i < in[0].numel(); ++i) {
    const double v = f(static_cast<double>(dy[i]), static_cast<double>(t[i]));
    if constexpr (std::is_same_v<T, float>) {
      dx[i] = NarrowToF32(v);
    } else {
      dx[i] = v;
    }
  }
}

// An attribute value rounded to T (PyTorch rounds scalars to the tensor's dtype), as a double.
template <typename T>
double InDType(double v) {
  if constexpr (std::is_same_v<T, float>) {
    return NarrowToF32(v);
  } else {
    return v;
  }
}

template <typename T>
void ReluGrad(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  MapGrad<T>(in, out, [](double dy, double y) { return y <= 0 ? 0.0 : dy; });
}

template <typename T>
void SigmoidGrad(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  MapGrad<T>(in, out, [](double dy, double y) { return dy * (1 - y) * y; });
}

template <typename T>
void TanhGrad(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  MapGrad<T>(in, out, [](double dy, double y) { return dy * (1 - y * y); });
}

template <typename T>
void GeluGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  if (attrs.at("approximate").s() == "tanh") {
    const double k = std::sqrt(2.0 / std::numbers::pi), kappa = 0.044715;
    MapGrad<T>(in, out, [k, kappa](double dy, double x) {
      const double u = k * (x + kappa * x * x * x);
      const double t = std::tanh(u);
      const double half_one_plus_t = 1.0 / (1.0 + std::exp(-2.0 * u));  // 0.5 * (1 + t)
      const double du = k * (1.0 + 3.0 * kappa * x * x);
      return dy * (half_one_plus_t + 0.5 * x * (1.0 - t * t) * du);
    });
  } else {
    MapGrad<T>(in, out, [](double dy, double x) {
      const double cdf = 0.5 * std::erfc(-x / std::numbers::sqrt2);
      const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
      return dy * (cdf + x * pdf);
    });
  }
}

template <typename T>
void SiluGrad(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  MapGrad<T>(in, out, [](double dy, double x) {
    const double s = 1.0 / (1.0 + std::exp(-x));
    return dy * s * (1.0 + x * (1.0 - s));
  });
}

template <typename T>
void LeakyReluGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double slope = InDType<T>(attrs.at("negative_slope").f());
  MapGrad<T>(in, out, [slope](double dy, double x) { return x > 0 ? dy : dy * slope; });
}

template <typename T>
void ClipGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double lo = InDType<T>(attrs.at("min").f()), hi = InDType<T>(attrs.at("max").f());
  MapGrad<T>(in, out, [lo, hi](double dy, double x) { return x >= lo && x <= hi ? dy : 0.0; });
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

// Called from RegisterRefUnaryKernels (kernels/ref/unary.cc).
void RegisterRefUnaryGradKernels(KernelRegistry& r) {
  using namespace ref;  // NOLINT
  const std::pair<const char*, KernelFn> ops[][2] = {
      {{"relu_grad", &ReluGrad<float>}, {"relu_grad", &ReluGrad<double>}},
      {{"sigmoid_grad", &SigmoidGrad<float>}, {"sigmoid_grad", &SigmoidGrad<double>}},
      {{"tanh_grad", &TanhGrad<float>}, {"tanh_grad", &TanhGrad<double>}},
      {{"gelu_grad", &GeluGrad<float>}, {"gelu_grad", &GeluGrad<double>}},
      {{"silu_grad", &SiluGrad<float>}, {"silu_grad", &SiluGrad<double>}},
      {{"leaky_relu_grad", &LeakyReluGrad<float>}, {"leaky_relu_grad", &LeakyReluGrad<double>}},
      {{"clip_grad", &ClipGrad<float>}, {"clip_grad", &ClipGrad<double>}},
  };
  for (const auto& op : ops) {
    ref::Register(r, op[0].first, DType::kF32, op[0].second);
    ref::Register(r, op[1].first, DType::kF64, op[1].second);
  }
}

}  // namespace bronze
