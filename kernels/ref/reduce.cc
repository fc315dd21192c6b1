// Reference kernels of the reduce family: reduce_sum, reduce_mean, reduce_max, reduce_min,
// reduce_prod and logsumexp over any set of axes; argmax and argmin over one axis; softmax and
// log_softmax, and their backward ops softmax_grad and log_softmax_grad. Naive, single-threaded,
// written straight from the PyTorch definitions in graph/ops/reduce.cc and reduce_grad.cc;
// floats accumulate in double, integers in int64 (wrapping on overflow).
// dtypes: f32, f64 for all; i32, i64 for sum, prod, max, min, argmax, argmin.
#include <cmath>
#include <limits>

#include "graph/ops/common.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// Integer accumulation wraps (two's complement) instead of overflowing (undefined behaviour).
template <typename A>
A AddAcc(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  } else {
    return a + b;
  }
}
template <typename A>
A MulAcc(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    return static_cast<A>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return a * b;
  }
}

// The axes reduced by a reduce_* node and the dims of its output with keepdims=1.
struct Reduction {
  Dims kept;
  int64_t count = 1;  // elements reduced into each output
};

Reduction Describe(const AttrMap& attrs, const Tensor& x) {
  Reduction r;
  r.kept = x.dims();
  for (int64_t a : ops::ReductionAxes(attrs.at("axes").ints(), x.rank())) {
    r.count *= r.kept[static_cast<size_t>(a)];
    r.kept[static_cast<size_t>(a)] = 1;
  }
  return r;
}

// Calls f(output_offset, x[i]) for every input element i in row-major order, so the elements of
// one output arrive in increasing order of their reduced indices.
template <typename T, typename F>
void ForEachReduced(const Tensor& x, const Dims& kept, F&& f) {
  const std::vector<int64_t> strides[1] = {BroadcastStrides(kept, x.dims())};
  const T* p = x.data<T>();
  ForEachIndex(x.dims(), strides, [&](int64_t i, const int64_t* off) { f(off[0], p[i]); });
}

template <typename T>
void ReduceSum(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  Reduction r = Describe(attrs, in[0]);
  std::vector<Acc<T>> acc(static_cast<size_t>(NumElements(r.kept)), Acc<T>(0));
  ForEachReduced<T>(in[0], r.kept, [&](int64_t o, T v) {
    acc[static_cast<size_t>(o)] = AddAcc(acc[static_cast<size_t>(o)], static_cast<Acc<T>>(v));
  });
  T* y = out[0].data<T>();
  for (size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<T>(acc[i]);
}

template <typename T>
void ReduceMean(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  Reduction r = Describe(attrs, in[0]);
  std::vector<double> acc(static_cast<size_t>(NumElements(r.kept)), 0.0);
  ForEachReduced<T>(in[0], r.kept, [&](int64_t o, T v) { acc[static_cast<size_t>(o)] += v; });
  T* y = out[0].data<T>();
  // An empty reduction is 0 / 0 = NaN, as torch.mean.
  for (size_t i = 0; i < acc.size(); ++i)
    y[i] = static_cast<T>(acc[i] / static_cast<double>(r.count));
}

template <typename T>
void ReduceProd(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  Reduction r = Describe(attrs, in[0]);
  std::vector<Acc<T>> acc(static_cast<size_t>(NumElements(r.kept)), Acc<T>(1));
  ForEachReduced<T>(in[0], r.kept, [&](int64_t o, T v) {
    acc[static_cast<size_t>(o)] = MulAcc(acc[static_cast<size_t>(o)], static_cast<Acc<T>>(v));
  });
  T* y = out[0].data<T>();
  for (size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<T>(acc[i]);
}

template <typename T>
bool IsNaN(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

// Max (kMax) or min over the reduced axes, NaN propagating (torch.amax / torch.amin).
template <typename T, bool kMax>
std::vector<T> Extreme(const Tensor& x, const Dims& kept) {
  std::vector<T> best(static_cast<size_t>(NumElements(kept)));
  std::vector<char> seen(best.size(), 0);
  ForEachReduced<T>(x, kept, [&](int64_t o, T v) {
    size_t k = static_cast<size_t>(o);
    bool better = kMax ? v > best[k] : v < best[k];
    if (!seen[k] || (better && !IsNaN(best[k])) || (IsNaN(v) && !IsNaN(best[k]))) best[k] = v;
    seen[k] = 1;
  });
  for (char s : seen) {
    if (!s) throw InvalidArgumentError("reduction over an empty axis has no identity");
  }
  return best;
}

template <typename T, bool kMax>
void ReduceExtreme(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  Reduction r = Describe(attrs, in[0]);
  if (out[0].numel() == 0) return;
  std::vector<T> best = Extreme<T, kMax>(in[0], r.kept);
  std::copy(best.begin(), best.end(), out[0].data<T>());
}

// torch.logsumexp: m = max (0 where it is +-inf), y = log(sum(exp(x - m))) + m.
template <typename T>
void LogSumExp(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  Reduction r = Describe(attrs, in[0]);
  const size_t n = static_cast<size_t>(NumElements(r.kept));
  std::vector<double> m(n, 0.0);
  if (r.count > 0) {
    std::vector<T> best = Extreme<T, true>(in[0], r.kept);
    for (size_t k = 0; k < n; ++k) m[k] = std::isinf(best[k]) ? 0.0 : static_cast<double>(best[k]);
  }
  std::vector<double> sum(n, 0.0);
  ForEachReduced<T>(in[0], r.kept, [&](int64_t o, T v) {
    sum[static_cast<size_t>(o)] += std::exp(static_cast<double>(v) - m[static_cast<size_t>(o)]);
  });
  T* y = out[0].data<T>();
  for (size_t k = 0; k < n; ++k) y[k] = static_cast<T>(std::log(sum[k]) + m[k]);
}

// The (outer, n, inner) view of a tensor around one axis.
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisView ViewAround(const Dims& dims, int64_t axis) {
  AxisView v;
  for (int64_t k = 0; k < static_cast<int64_t>(dims.size()); ++k) {
    int64_t d = dims[static_cast<size_t>(k)];
    if (k < axis)
      v.outer *= d;
    else if (k == axis)
      v.n = d;
    else
      v.inner *= d;
  }
  return v;
}

// argmax / argmin along one axis: the first occurrence; NaN counts as the extreme value.
template <typename T, bool kMax>
void ArgExtreme(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  AxisView v = ViewAround(in[0].dims(), axis);
  if (v.outer * v.inner == 0) return;
  if (v.n == 0) throw InvalidArgumentError("argmax/argmin over an axis of size 0");
  const T* x = in[0].data<T>();
  int64_t* y = out[0].data<int64_t>();
  for (int64_t o = 0; o < v.outer; ++o) {
    for (int64_t i = 0; i < v.inner; ++i) {
      const T* p = x + o * v.n * v.inner + i;
      T best = p[0];
      int64_t at = 0;
      for (int64_t k = 1; k < v.n; ++k) {
        T c = p[k * v.inner];
        if (IsNaN(best)) break;  // the first NaN wins
        bool better = kMax ? c > best : c < best;
        if (better || IsNaN(c)) best = c, at = k;
      }
      y[o * v.inner + i] = at;
    }
  }
}

// softmax (kLog = false) or log_softmax along one axis, in double.
template <typename T, bool kLog>
void Softmax(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[0].rank(), "axis");
  AxisView v = ViewAround(in[0].dims(), axis);
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  std::vector<double> e(static_cast<size_t>(v.n));
  for (int64_t o = 0; o < v.outer; ++o) {
    for (int64_t i = 0; i < v.inner; ++i) {
      const int64_t base = o * v.n * v.inner + i;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < v.n; ++k) {
        double c = x[base + k * v.inner];
        if (c > m || std::isnan(c)) m = c;
        if (std::isnan(m)) break;
      }
      double sum = 0;
      for (int64_t k = 0; k < v.n; ++k) {
        e[static_cast<size_t>(k)] = std::exp(static_cast<double>(x[base + k * v.inner]) - m);
        sum += e[static_cast<size_t>(k)];
      }
      for (int64_t k = 0; k < v.n; ++k) {
        double c = static_cast<double>(x[base + k * v.inner]);
        y[base + k * v.inner] =
            static_cast<T>(kLog ? c - m - std::log(sum) : e[static_cast<size_t>(k)] / sum);
      }
    }
  }
}

// softmax_grad (kLog = false): dx = y * (dy - sum(dy * y)); log_softmax_grad: dx = dy - exp(y) *
// sum(dy); sums along one axis, in double.
template <typename T, bool kLog>
void SoftmaxGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t axis = NormalizeAxis(attrs.at("axis").i(), in[1].rank(), "axis");
  AxisView v = ViewAround(in[1].dims(), axis);
  const T* dy = in[0].data<T>();
  const T* y = in[1].data<T>();
  T* dx = out[0].data<T>();
  for (int64_t o = 0; o < v.outer; ++o) {
    for (int64_t i = 0; i < v.inner; ++i) {
      const int64_t base = o * v.n * v.inner + i;
      double s = 0;
      for (int64_t k = 0; k < v.n; ++k) {
        const int64_t at = base + k * v.inner;
        s += kLog ? static_cast<double>(dy[at])
                  : static_cast<double>(dy[at]) * static_cast<double>(y[at]);
      }
      for (int64_t k = 0; k < v.n; ++k) {
        const int64_t at = base + k * v.inner;
        const double g = dy[at], p = y[at];
        dx[at] = static_cast<T>(kLog ? g - std::exp(p) * s : p * (g - s));
      }
    }
  }
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefReduceKernels(KernelRegistry& r) {
  using namespace ref;  // NOLINT
  Register(r, "reduce_sum", DType::kF32, &ReduceSum<float>);
  Register(r, "reduce_sum", DType::kF64, &ReduceSum<double>);
  Register(r, "reduce_sum", DType::kI32, &ReduceSum<int32_t>);
  Register(r, "reduce_sum", DType::kI64, &ReduceSum<int64_t>);
  Register(r, "reduce_mean", DType::kF32, &ReduceMean<float>);
  Register(r, "reduce_mean", DType::kF64, &ReduceMean<double>);
  Register(r, "reduce_prod", DType::kF32, &ReduceProd<float>);
  Register(r, "reduce_prod", DType::kF64, &ReduceProd<double>);
  Register(r, "reduce_prod", DType::kI32, &ReduceProd<int32_t>);
  Register(r, "reduce_prod", DType::kI64, &ReduceProd<int64_t>);
  Register(r, "reduce_max", DType::kF32, &ReduceExtreme<float, true>);
  Register(r, "reduce_max", DType::kF64, &ReduceExtreme<double, true>);
  Register(r, "reduce_max", DType::kI32, &ReduceExtreme<int32_t, true>);
  Register(r, "reduce_max", DType::kI64, &ReduceExtreme<int64_t, true>);
  Register(r, "reduce_min", DType::kF32, &ReduceExtreme<float, false>);
  Register(r, "reduce_min", DType::kF64, &ReduceExtreme<double, false>);
  Register(r, "reduce_min", DType::kI32, &ReduceExtreme<int32_t, false>);
  Register(r, "reduce_min", DType::kI64, &ReduceExtreme<int64_t, false>);
  Register(r, "logsumexp", DType::kF32, &LogSumExp<float>);
  Register(r, "logsumexp", DType::kF64, &LogSumExp<double>);
  Register(r, "argmax", DType::kF32, &ArgExtreme<float, true>);
  Register(r, "argmax", DType::kF64, &ArgExtreme<double, true>);
  Register(r, "argmax", DType::kI32, &ArgExtreme<int32_t, true>);
  Register(r, "argmax", DType::kI64, &ArgExtreme<int64_t, true>);
  Register(r, "argmin", DType::kF32, &ArgExtreme<float, false>);
  Register(r, "argmin", DType::kF64, &ArgExtreme<double, false>);
  Register(r, "argmin", DType::kI32, &ArgExtreme<int32_t, false>);
  Register(r, "argmin", DType::kI64, &ArgExtreme<int64_t, false>);
  Register(r, "softmax", DType::kF32, &Softmax<float, false>);
  Register(r, "softmax", DType::kF64, &Softmax<double, false>);
  Register(r, "log_softmax", DType::kF32, &Softmax<float, true>);
  Register(r, "log_softmax", DType::kF64, &Softmax<double, true>);
  Register(r, "softmax_grad", DType::kF32, &SoftmaxGrad<float, false>);
  Register(r, "softmax_grad", DType::kF64, &SoftmaxGrad<double, false>);
  Register(r, "log_softmax_grad", DType::kF32, &SoftmaxGrad<float, true>);
  Register(r, "log_softmax_grad", DType::kF64, &SoftmaxGrad<double, true>);
}

}  // namespace bronze
