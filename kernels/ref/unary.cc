// Reference kernels for the unary elementwise ops (graph/ops/unary.cc). Float ops evaluate the
// PyTorch formula in double (Acc<T>) and round once to the output dtype: f32 and f64 for every
// float op. neg, abs, relu and clip also take i32, i64 and u8 (integer arithmetic wraps, as in
// PyTorch, computed without signed overflow); logical_not takes bool; cast goes between f32,
// f64, i32, i64, u8 and bool in every direction with defined (saturating) float-to-int results.
#include <cmath>
#include <limits>
#include <numbers>
#include <type_traits>

#include "kernels/cast_value.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// y[i] = f(x[i]) for every element.
template <typename In, typename Out, typename F>
void Map(const Tensor& x, Tensor& y, F f) {
  const In* in = x.data<In>();
  Out* out = y.data<Out>();
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = f(in[i]);
}


// An attribute value in the input dtype (PyTorch rounds scalars to the tensor's dtype).
template <typename T>
T ToDType(double v) {
  if constexpr (std::is_same_v<T, float>) {
    return NarrowToF32(v);
  } else {
    return static_cast<T>(v);
  }
}

// A float op: y = T(f(double(x))), rounded once (f32 results overflow to +-inf).
template <typename T, typename F>
void MapFloat(const Tensor& x, Tensor& y, F f) {
  Map<T, T>(x, y, [&](T v) { return ToDType<T>(f(static_cast<Acc<T>>(v))); });
}

// -x modulo 2^bits for integers (no signed overflow: the arithmetic is unsigned).
template <typename T>
T Negate(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return -x;
  } else {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(U(0) - static_cast<U>(x)));
  }
}

#define BRONZE_REF_FLOAT_OP(Name, expr)                                              \
  template <typename T>                                                              \
  void Name(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {     \
    MapFloat<T>(in[0], out[0], [](double x) { return expr; });                       \
  }

BRONZE_REF_FLOAT_OP(Exp, std::exp(x))
BRONZE_REF_FLOAT_OP(Log, std::log(x))
BRONZE_REF_FLOAT_OP(Sqrt, std::sqrt(x))
BRONZE_REF_FLOAT_OP(Rsqrt, 1.0 / std::sqrt(x))
BRONZE_REF_FLOAT_OP(Reciprocal, 1.0 / x)
BRONZE_REF_FLOAT_OP(Sin, std::sin(x))
BRONZE_REF_FLOAT_OP(Cos, std::cos(x))
BRONZE_REF_FLOAT_OP(Tanh, std::tanh(x))
BRONZE_REF_FLOAT_OP(Sigmoid, 1.0 / (1.0 + std::exp(-x)))
BRONZE_REF_FLOAT_OP(Silu, x / (1.0 + std::exp(-x)))
BRONZE_REF_FLOAT_OP(Erf, std::erf(x))
#undef BRONZE_REF_FLOAT_OP

template <typename T>
void Relu(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  Map<T, T>(in[0], out[0], [](T x) { return x < T(0) ? T(0) : x; });  // NaN stays NaN
}

template <typename T>
void Neg(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  Map<T, T>(in[0], out[0], [](T x) { return Negate(x); });
}

template <typename T>
void Abs(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  if constexpr (std::is_floating_point_v<T>) {
    Map<T, T>(in[0], out[0], [](T x) { return std::fabs(x); });
  } else {
    Map<T, T>(in[0], out[0], [](T x) { return x < T(0) ? Negate(x) : x; });
  }
}

template <typename T>
void LeakyRelu(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  // PyTorch rounds the slope to the input dtype; the double product of two T values is exact
  // for f32, so the result is the correctly rounded T product.
  const double slope = ToDType<T>(attrs.at("negative_slope").f());
  MapFloat<T>(in[0], out[0], [slope](double x) { return x > 0 ? x : x * slope; });
}

template <typename T>
void Gelu(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  // The documented formulas, rewritten without their cancellation for negative x (even in
  // double, 1 + erf(x) and 1 + tanh(u) lose every digit below x = -6): 1 + erf(x / sqrt 2) =
  // erfc(-x / sqrt 2) and 0.5 * (1 + tanh(u)) = 1 / (1 + e^(-2u)).
  if (attrs.at("approximate").s() == "tanh") {
    const double k = std::sqrt(2.0 / std::numbers::pi);
    MapFloat<T>(in[0], out[0], [k](double x) {
      return x / (1.0 + std::exp(-2.0 * k * (x + 0.044715 * x * x * x)));
    });
  } else {
    MapFloat<T>(in[0], out[0],
                [](double x) { return 0.5 * x * std::erfc(-x / std::numbers::sqrt2); });
  }
}

template <typename T>
void Clip(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double min = attrs.at("min").f(), max = attrs.at("max").f();
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(min) || std::isnan(max)) {  // torch.clamp: a NaN bound gives NaN everywhere
      Map<T, T>(in[0], out[0], [](T) { return std::numeric_limits<T>::quiet_NaN(); });
      return;
    }
    const T lo = ToDType<T>(min), hi = ToDType<T>(max);
    Map<T, T>(in[0], out[0], [lo, hi](T x) {
      T y = x < lo ? lo : x;  // NaN stays NaN
      return y > hi ? hi : y;
    });
  } else {
    // The schema allows only in-range integers or the no-bound infinities.
    const T lo = std::isinf(min) ? std::numeric_limits<T>::lowest() : static_cast<T>(min);
    const T hi = std::isinf(max) ? std::numeric_limits<T>::max() : static_cast<T>(max);
    Map<T, T>(in[0], out[0], [lo, hi](T x) {
      T y = x < lo ? lo : x;
      return y > hi ? hi : y;
    });
  }
}

void LogicalNot(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  Map<bool, bool>(in[0], out[0], [](bool x) { return !x; });
}

template <typename From>
void Cast(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  switch (attrs.at("dtype").dtype()) {
    case DType::kF32: return Map<From, float>(in[0], out[0], &CastValue<float, From>);
    case DType::kF64: return Map<From, double>(in[0], out[0], &CastValue<double, From>);
    case DType::kI32: return Map<From, int32_t>(in[0], out[0], &CastValue<int32_t, From>);
    case DType::kI64: return Map<From, int64_t>(in[0], out[0], &CastValue<int64_t, From>);
    case DType::kU8: return Map<From, uint8_t>(in[0], out[0], &CastValue<uint8_t, From>);
    case DType::kBool: return Map<From, bool>(in[0], out[0], &CastValue<bool, From>);
    default: ThrowInternal("cast: unsupported output dtype");
  }
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefUnaryGradKernels(KernelRegistry& r);  // kernels/ref/unary_grad.cc

void RegisterRefUnaryKernels(KernelRegistry& r) {
  using namespace ref;  // NOLINT
  const std::pair<const char*, KernelFn> float_ops[][2] = {
      {{"exp", &Exp<float>}, {"exp", &Exp<double>}},
      {{"log", &Log<float>}, {"log", &Log<double>}},
      {{"sqrt", &Sqrt<float>}, {"sqrt", &Sqrt<double>}},
      {{"rsqrt", &Rsqrt<float>}, {"rsqrt", &Rsqrt<double>}},
      {{"reciprocal", &Reciprocal<float>}, {"reciprocal", &Reciprocal<double>}},
      {{"sin", &Sin<float>}, {"sin", &Sin<double>}},
      {{"cos", &Cos<float>}, {"cos", &Cos<double>}},
      {{"tanh", &Tanh<float>}, {"tanh", &Tanh<double>}},
      {{"sigmoid", &Sigmoid<float>}, {"sigmoid", &Sigmoid<double>}},
      {{"silu", &Silu<float>}, {"silu", &Silu<double>}},
      {{"erf", &Erf<float>}, {"erf", &Erf<double>}},
      {{"leaky_relu", &LeakyRelu<float>}, {"leaky_relu", &LeakyRelu<double>}},
      {{"gelu", &Gelu<float>}, {"gelu", &Gelu<double>}},
  };
  for (const auto& op : float_ops) {
    ref::Register(r, op[0].first, DType::kF32, op[0].second);
    ref::Register(r, op[1].first, DType::kF64, op[1].second);
  }
  ref::Register(r, "relu", DType::kF32, &Relu<float>);
  ref::Register(r, "relu", DType::kF64, &Relu<double>);
  ref::Register(r, "relu", DType::kI32, &Relu<int32_t>);
  ref::Register(r, "relu", DType::kI64, &Relu<int64_t>);
  ref::Register(r, "relu", DType::kU8, &Relu<uint8_t>);
  ref::Register(r, "neg", DType::kF32, &Neg<float>);
  ref::Register(r, "neg", DType::kF64, &Neg<double>);
  ref::Register(r, "neg", DType::kI32, &Neg<int32_t>);
  ref::Register(r, "neg", DType::kI64, &Neg<int64_t>);
  ref::Register(r, "neg", DType::kU8, &Neg<uint8_t>);
  ref::Register(r, "abs", DType::kF32, &Abs<float>);
  ref::Register(r, "abs", DType::kF64, &Abs<double>);
  ref::Register(r, "abs", DType::kI32, &Abs<int32_t>);
  ref::Register(r, "abs", DType::kI64, &Abs<int64_t>);
  ref::Register(r, "abs", DType::kU8, &Abs<uint8_t>);
  ref::Register(r, "clip", DType::kF32, &Clip<float>);
  ref::Register(r, "clip", DType::kF64, &Clip<double>);
  ref::Register(r, "clip", DType::kI32, &Clip<int32_t>);
  ref::Register(r, "clip", DType::kI64, &Clip<int64_t>);
  ref::Register(r, "clip", DType::kU8, &Clip<uint8_t>);
  ref::Register(r, "logical_not", DType::kBool, &LogicalNot);
  ref::Register(r, "cast", DType::kF32, &Cast<float>);
  ref::Register(r, "cast", DType::kF64, &Cast<double>);
  ref::Register(r, "cast", DType::kI32, &Cast<int32_t>);
  ref::Register(r, "cast", DType::kI64, &Cast<int64_t>);
  ref::Register(r, "cast", DType::kU8, &Cast<uint8_t>);
  ref::Register(r, "cast", DType::kBool, &Cast<bool>);
  RegisterRefUnaryGradKernels(r);
}

}  // namespace bronze
