// Reference kernels for the nn family: max/avg/adaptive-avg 2-D pooling, batch_norm (training
// and inference), layer_norm and scaled_dot_product_attention. Naive loops straight from the
// PyTorch definitions in graph/ops/nn.cc, accumulating in double. f32 and f64. The backward
// ops' kernels are in nn_grad.cc (registered from here).
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/nn_util.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

template <typename T>
void MaxPool2d(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[0], out[0]);
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  for (int64_t c = 0; c < p.planes; ++c) {
    const T* xp = x + c * p.h * p.w;
    for (int64_t i = 0; i < p.oh; ++i) {
      for (int64_t j = 0; j < p.ow; ++j) {
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t a = 0; a < p.kh; ++a) {
          const int64_t ih = i * p.sh - p.ph + a * p.dh;
          if (ih < 0 || ih >= p.h) continue;
          for (int64_t b = 0; b < p.kw; ++b) {
            const int64_t iw = j * p.sw - p.pw + b * p.dw;
            if (iw < 0 || iw >= p.w) continue;
            const T v = xp[ih * p.w + iw];
            if (v > best || std::isnan(v)) best = v;  // PyTorch's rule: NaN wins
          }
        }
        y[(c * p.oh + i) * p.ow + j] = best;
      }
    }
  }
}

template <typename T>
void AvgPool2d(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[0], out[0]);
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  for (int64_t c = 0; c < p.planes; ++c) {
    const T* xp = x + c * p.h * p.w;
    for (int64_t i = 0; i < p.oh; ++i) {
      const nn::AvgWindow wh = nn::AvgPoolWindow(i, p.h, p.kh, p.sh, p.ph);
      for (int64_t j = 0; j < p.ow; ++j) {
        const nn::AvgWindow ww = nn::AvgPoolWindow(j, p.w, p.kw, p.sw, p.pw);
        double sum = 0;
        for (int64_t ih = wh.begin; ih < wh.end; ++ih) {
          for (int64_t iw = ww.begin; iw < ww.end; ++iw) sum += xp[ih * p.w + iw];
        }
        const int64_t count = p.count_include_pad ? wh.padded * ww.padded
                                                  : (wh.end - wh.begin) * (ww.end - ww.begin);
        y[(c * p.oh + i) * p.ow + j] =
            static_cast<T>(count > 0 ? sum / static_cast<double>(count) : 0.0);
      }
    }
  }
}

template <typename T>
void AdaptiveAvgPool2d(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[0], out[0]);
  const T* x = in[0].data<T>();
  T* y = out[0].data<T>();
  for (int64_t c = 0; c < p.planes; ++c) {
    const T* xp = x + c * p.h * p.w;
    for (int64_t i = 0; i < p.oh; ++i) {
      const int64_t h0 = nn::AdaptiveBegin(i, p.h, p.oh), h1 = nn::AdaptiveEnd(i, p.h, p.oh);
      for (int64_t j = 0; j < p.ow; ++j) {
        const int64_t w0 = nn::AdaptiveBegin(j, p.w, p.ow), w1 = nn::AdaptiveEnd(j, p.w, p.ow);
        double sum = 0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) sum += xp[ih * p.w + iw];
        }
        y[(c * p.oh + i) * p.ow + j] =
            static_cast<T>(sum / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
    }
  }
}

template <typename T>
void BatchNorm(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::ChannelView v = nn::ReadChannelView(in[0]);
  const bool training = attrs.at("training").i() == 1;
  const double momentum = attrs.at("momentum").f(), eps = attrs.at("eps").f();
  const T* x = in[0].data<T>();
  const T *w = in[1].data<T>(), *b = in[2].data<T>();
  const T *rm = in[3].data<T>(), *rv = in[4].data<T>();
  T* y = out[0].data<T>();
  T *new_rm = out[1].data<T>(), *new_rv = out[2].data<T>();
  const int64_t count = v.outer * v.inner;
  if (training && count == 1) {
    throw ShapeError("training needs more than 1 value per channel, got x " +
                     DimsToString(in[0].dims()));
  }
  for (int64_t c = 0; c < v.channels; ++c) {
    double mean = rm[c], var = rv[c];
    new_rm[c] = rm[c];
    new_rv[c] = rv[c];
    if (training && count > 0) {
      double sum = 0;
      for (int64_t n = 0; n < v.outer; ++n) {
        for (int64_t s = 0; s < v.inner; ++s) sum += x[(n * v.channels + c) * v.inner + s];
      }
      mean = sum / static_cast<double>(count);
      double sq = 0;
      for (int64_t n = 0; n < v.outer; ++n) {
        for (int64_t s = 0; s < v.inner; ++s) {
          const double d = x[(n * v.channels + c) * v.inner + s] - mean;
          sq += d * d;
        }
      }
      var = sq / static_cast<double>(count);
      const double unbiased = sq / static_cast<double>(count - 1);
      new_rm[c] = static_cast<T>((1 - momentum) * rm[c] + momentum * mean);
      new_rv[c] = static_cast<T>((1 - momentum) * rv[c] + momentum * unbiased);
    }
    const double inv_std = 1.0 / std::sqrt(var + eps);
    for (int64_t n = 0; n < v.outer; ++n) {
      for (int64_t s = 0; s < v.inner; ++s) {
        const int64_t i = (n * v.channels + c) * v.inner + s;
        y[i] = static_cast<T>((x[i] - mean) * inv_std * w[c] + b[c]);
      }
    }
  }
}

template <typename T>
void LayerNorm(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t rows = 0, cols = 0;
  nn::ReadRows(attrs, in[0], &rows, &cols);
  const double eps = attrs.at("eps").f();
  const T* x = in[0].data<T>();
  const T* w = in.size() > 1 ? in[1].data<T>() : nullptr;
  const T* b = in.size() > 2 ? in[2].data<T>() : nullptr;
  T* y = out[0].data<T>();
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    double sum = 0;
    for (int64_t j = 0; j < cols; ++j) sum += xr[j];
    const double mean = sum / static_cast<double>(cols);
    double sq = 0;
    for (int64_t j = 0; j < cols; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
    const double inv_std = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
    for (int64_t j = 0; j < cols; ++j) {
      double v = (xr[j] - mean) * inv_std;
      if (w) v *= w[j];
      if (b) v += b[j];
      y[r * cols + j] = static_cast<T>(v);
    }
  }
}

template <typename T>
void Attention(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::AttentionView a = nn::ReadAttention(in, out[0]);
  const bool causal = attrs.at("causal").i() == 1;
  double scale = attrs.at("scale").f();
  if (scale == 0 && a.e > 0) scale = 1.0 / std::sqrt(static_cast<double>(a.e));
  const T *q = in[0].data<T>(), *k = in[1].data<T>(), *v = in[2].data<T>();
  const bool mask_bool = a.has_mask && in[3].dtype() == DType::kBool;
  const bool* mb = mask_bool ? in[3].data<bool>() : nullptr;
  const T* mf = a.has_mask && !mask_bool ? in[3].data<T>() : nullptr;
  T* y = out[0].data<T>();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> scores(static_cast<size_t>(a.s));
  for (int64_t bi = 0; bi < a.batch; ++bi) {
    const T *qb = q + a.q_off[bi], *kb = k + a.k_off[bi], *vb = v + a.v_off[bi];
    for (int64_t i = 0; i < a.l; ++i) {
      double mx = -inf;
      bool nan = false;
      for (int64_t j = 0; j < a.s; ++j) {
        double dot = 0;
        for (int64_t e = 0; e < a.e; ++e) {
          dot += static_cast<double>(qb[i * a.e + e]) * kb[j * a.e + e];
        }
        double sc = a.e == 0 ? 0.0 : scale * dot;
        const int64_t m = a.m_off[bi] + i * a.m_row + j * a.m_col;
        if (mb && !mb[m]) sc = -inf;
        if (mf) sc += mf[m];
        if (causal && j > i) sc = -inf;
        scores[j] = sc;
        nan = nan || std::isnan(sc);
        mx = std::max(mx, sc);
      }
      T* yr = y + (bi * a.l + i) * a.ev;
      if (nan || mx == -inf) {  // NaN propagates; a fully masked row gives 0 (_safe_softmax)
        for (int64_t c = 0; c < a.ev; ++c) yr[c] = static_cast<T>(nan ? std::nan("") : 0.0);
        continue;
      }
      double total = 0;
      for (int64_t j = 0; j < a.s; ++j) total += scores[j] = std::exp(scores[j] - mx);
      for (int64_t c = 0; c < a.ev; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < a.s; ++j) acc += scores[j] * vb[j * a.ev + c];
        yr[c] = static_cast<T>(acc / total);
      }
    }
  }
}

template <typename T>
void RegisterAll(KernelRegistry& r, DType d) {
  Register(r, "max_pool2d", d, &MaxPool2d<T>);
  Register(r, "avg_pool2d", d, &AvgPool2d<T>);
  Register(r, "adaptive_avg_pool2d", d, &AdaptiveAvgPool2d<T>);
  Register(r, "batch_norm", d, &BatchNorm<T>);
  Register(r, "layer_norm", d, &LayerNorm<T>);
  Register(r, "scaled_dot_product_attention", d, &Attention<T>);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefNnGradKernels(KernelRegistry& r);  // nn_grad.cc

void RegisterRefNnKernels(KernelRegistry& r) {
  ref::RegisterAll<float>(r, DType::kF32);
  ref::RegisterAll<double>(r, DType::kF64);
  RegisterRefNnGradKernels(r);
}

}  // namespace bronze
