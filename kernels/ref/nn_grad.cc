// Reference kernels of the nn family's backward ops (graph/ops/nn.cc, ids 630-699):
// max_pool2d_backward, avg_pool2d_backward, adaptive_avg_pool2d_backward, batch_norm_backward
// and layer_norm_backward. Naive loops straight from the doc-string formulas, accumulating in
// double. f32 and f64.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/nn_util.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// Writes a plane accumulated in double.
template <typename T>
void StorePlane(const std::vector<double>& acc, T* dst) {
  for (size_t i = 0; i < acc.size(); ++i) dst[i] = static_cast<T>(acc[i]);
}

// in: (dy, x); out: dx.
template <typename T>
void MaxPool2dBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[1], in[0]);
  const T* dy = in[0].data<T>();
  const T* x = in[1].data<T>();
  T* dx = out[0].data<T>();
  std::vector<double> acc(static_cast<size_t>(p.h * p.w));
  for (int64_t c = 0; c < p.planes; ++c) {
    const T* xp = x + c * p.h * p.w;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t i = 0; i < p.oh; ++i) {
      for (int64_t j = 0; j < p.ow; ++j) {
        // max_pool2d's scan: first in-bounds element, then strictly greater or NaN.
        T best = -std::numeric_limits<T>::infinity();
        int64_t arg = -1;
        for (int64_t a = 0; a < p.kh; ++a) {
          const int64_t ih = i * p.sh - p.ph + a * p.dh;
          if (ih < 0 || ih >= p.h) continue;
          for (int64_t b = 0; b < p.kw; ++b) {
            const int64_t iw = j * p.sw - p.pw + b * p.dw;
            if (iw < 0 || iw >= p.w) continue;
            const T v = xp[ih * p.w + iw];
            if (arg < 0) arg = ih * p.w + iw;
            if (v > best || std::isnan(v)) best = v, arg = ih * p.w + iw;
          }
        }
        if (arg >= 0) acc[static_cast<size_t>(arg)] += dy[(c * p.oh + i) * p.ow + j];
      }
    }
    StorePlane(acc, dx + c * p.h * p.w);
  }
}

// in: dy; out: dx (input_shape).
template <typename T>
void AvgPool2dBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, out[0], in[0]);
  const T* dy = in[0].data<T>();
  T* dx = out[0].data<T>();
  std::vector<double> acc(static_cast<size_t>(p.h * p.w));
  for (int64_t c = 0; c < p.planes; ++c) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t i = 0; i < p.oh; ++i) {
      const nn::AvgWindow wh = nn::AvgPoolWindow(i, p.h, p.kh, p.sh, p.ph);
      for (int64_t j = 0; j < p.ow; ++j) {
        const nn::AvgWindow ww = nn::AvgPoolWindow(j, p.w, p.kw, p.sw, p.pw);
        const int64_t count = p.count_include_pad ? wh.padded * ww.padded
                                                  : (wh.end - wh.begin) * (ww.end - ww.begin);
        if (count <= 0) continue;
        const double g = dy[(c * p.oh + i) * p.ow + j] / static_cast<double>(count);
        for (int64_t ih = wh.begin; ih < wh.end; ++ih) {
          for (int64_t iw = ww.begin; iw < ww.end; ++iw) {
            acc[static_cast<size_t>(ih * p.w + iw)] += g;
          }
        }
      }
    }
    StorePlane(acc, dx + c * p.h * p.w);
  }
}

// in: dy; out: dx (input_shape).
template <typename T>
void AdaptiveAvgPool2dBackward(const AttrMap& attrs, std::span<const Tensor> in,
                               std::span<Tensor> out) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, out[0], in[0]);
  const T* dy = in[0].data<T>();
  T* dx = out[0].data<T>();
  std::vector<double> acc(static_cast<size_t>(p.h * p.w));
  for (int64_t c = 0; c < p.planes; ++c) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t i = 0; i < p.oh; ++i) {
      const int64_t h0 = nn::AdaptiveBegin(i, p.h, p.oh), h1 = nn::AdaptiveEnd(i, p.h, p.oh);
      for (int64_t j = 0; j < p.ow; ++j) {
        const int64_t w0 = nn::AdaptiveBegin(j, p.w, p.ow), w1 = nn::AdaptiveEnd(j, p.w, p.ow);
        const double g =
            dy[(c * p.oh + i) * p.ow + j] / static_cast<double>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) acc[static_cast<size_t>(ih * p.w + iw)] += g;
        }
      }
    }
    StorePlane(acc, dx + c * p.h * p.w);
  }
}

// in: (dy, x, weight[, running_mean, running_var]); out: (dx, dweight, dbias).
template <typename T>
void BatchNormBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const nn::ChannelView v = nn::ReadChannelView(in[1]);
  const bool training = attrs.at("training").i() == 1;
  const double eps = attrs.at("eps").f();
  const T *dy = in[0].data<T>(), *x = in[1].data<T>(), *w = in[2].data<T>();
  T *dx = out[0].data<T>(), *dw = out[1].data<T>(), *db = out[2].data<T>();
  const int64_t count = v.outer * v.inner;
  auto at = [&](int64_t n, int64_t c, int64_t s) { return (n * v.channels + c) * v.inner + s; };
  for (int64_t c = 0; c < v.channels; ++c) {
    double mean = 0, var = 0;
    if (training) {
      for (int64_t n = 0; n < v.outer; ++n) {
        for (int64_t s = 0; s < v.inner; ++s) mean += x[at(n, c, s)];
      }
      mean = count > 0 ? mean / static_cast<double>(count) : 0.0;
      for (int64_t n = 0; n < v.outer; ++n) {
        for (int64_t s = 0; s < v.inner; ++s) {
          const double d = x[at(n, c, s)] - mean;
          var += d * d;
        }
      }
      var = count > 0 ? var / static_cast<double>(count) : 0.0;
    } else {
      mean = in[3].data<T>()[c];
      var = in[4].data<T>()[c];
    }
    const double invstd = 1.0 / std::sqrt(var + eps);
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t n = 0; n < v.outer; ++n) {
      for (int64_t s = 0; s < v.inner; ++s) {
        const int64_t i = at(n, c, s);
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * (x[i] - mean) * invstd;
      }
    }
    dw[c] = static_cast<T>(sum_dy_xhat);
    db[c] = static_cast<T>(sum_dy);
    const double m = static_cast<double>(count);
    for (int64_t n = 0; n < v.outer; ++n) {
      for (int64_t s = 0; s < v.inner; ++s) {
        const int64_t i = at(n, c, s);
        const double xhat = (x[i] - mean) * invstd;
        const double g = training ? (m * dy[i] - sum_dy - xhat * sum_dy_xhat) / m : dy[i];
        dx[i] = static_cast<T>(w[c] * invstd * g);
      }
    }
  }
}

// in: (dy, x[, weight]); out: dx[, dweight, dbias].
template <typename T>
void LayerNormBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t rows = 0, cols = 0;
  nn::ReadRows(attrs, in[1], &rows, &cols);
  const double eps = attrs.at("eps").f();
  const T *dy = in[0].data<T>(), *x = in[1].data<T>();
  const T* w = in.size() > 2 ? in[2].data<T>() : nullptr;
  T* dx = out[0].data<T>();
  std::vector<double> dw(static_cast<size_t>(cols)), db(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    const T *xr = x + r * cols, *dyr = dy + r * cols;
    double mean = 0;
    for (int64_t j = 0; j < cols; ++j) mean += xr[j];
    mean /= static_cast<double>(cols);
    double var = 0;
    for (int64_t j = 0; j < cols; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    const double invstd = 1.0 / std::sqrt(var / static_cast<double>(cols) + eps);
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const double xhat = (xr[j] - mean) * invstd;
      const double g = w ? static_cast<double>(dyr[j]) * w[j] : dyr[j];
      sum_g += g;
      sum_g_xhat += g * xhat;
      dw[static_cast<size_t>(j)] += dyr[j] * xhat;
      db[static_cast<size_t>(j)] += dyr[j];
    }
    const double mean_g = sum_g / static_cast<double>(cols);
    const double mean_g_xhat = sum_g_xhat / static_cast<double>(cols);
    for (int64_t j = 0; j < cols; ++j) {
      const double xhat = (xr[j] - mean) * invstd;
      const double g = w ? static_cast<double>(dyr[j]) * w[j] : dyr[j];
      dx[r * cols + j] = static_cast<T>(invstd * (g - mean_g - xhat * mean_g_xhat));
    }
  }
  if (out.size() == 3) {
    StorePlane(dw, out[1].data<T>());
    StorePlane(db, out[2].data<T>());
  }
}

template <typename T>
void RegisterAll(KernelRegistry& r, DType d) {
  Register(r, "max_pool2d_backward", d, &MaxPool2dBackward<T>);
  Register(r, "avg_pool2d_backward", d, &AvgPool2dBackward<T>);
  Register(r, "adaptive_avg_pool2d_backward", d, &AdaptiveAvgPool2dBackward<T>);
  Register(r, "batch_norm_backward", d, &BatchNormBackward<T>);
  Register(r, "layer_norm_backward", d, &LayerNormBackward<T>);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefNnGradKernels(KernelRegistry& r) {
  ref::RegisterAll<float>(r, DType::kF32);
  ref::RegisterAll<double>(r, DType::kF64);
}

}  // namespace bronze
