// Reference kernels of the linear-algebra ops: matmul (NumPy semantics: batch dims broadcast,
// 1-D operands promoted, optional transposed operands; f32, f64, i32, i64), linear, conv2d,
// conv_transpose2d and conv2d_backward_weight (f32, f64). Naive loops straight from the
// definitions in graph/ops/linalg.cc, accumulating in double for floats and int64 for integers;
// the convolution geometry comes from graph/ops/linalg.h.
#include "graph/ops/linalg.h"

#include <algorithm>

#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// transpose_a / transpose_b read a (..., K, M) / b (..., N, K) in place: element (i, p) of the
// transposed a is at p * M + i of its matrix.
template <typename T>
void Matmul(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const bool ta = ops::MatmulTransposed(attrs, 0), tb = ops::MatmulTransposed(attrs, 1);
  Dims ad = in[0].dims(), bd = in[1].dims();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  if (ta) std::swap(ad[ad.size() - 2], ad[ad.size() - 1]);
  if (tb) std::swap(bd[bd.size() - 2], bd[bd.size() - 1]);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  // Strides of the (row, column) of each operand's logical matrix.
  const int64_t a_rs = ta ? 1 : k, a_cs = ta ? m : 1, b_rs = tb ? 1 : n, b_cs = tb ? k : 1;
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
        for (int64_t p = 0; p < k; ++p) {
          s += static_cast<Acc<T>>(pa[i * a_rs + p * a_cs]) * pb[p * b_rs + j * b_cs];
        }
        py[i * n + j] = static_cast<T>(s);
      }
    }
  });
}

// y[r, o] = bias[o] + sum_i x[r, i] * weight[o, i] over the rows r of x (..., in).
template <typename T>
void Linear(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t n_out = in[1].dims()[0], n_in = in[1].dims()[1];
  const int64_t rows =
      n_in == 0 ? out[0].numel() / std::max<int64_t>(n_out, 1) : in[0].numel() / n_in;
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  const T* b = in.size() == 3 ? in[2].data<T>() : nullptr;
  T* y = out[0].data<T>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < n_out; ++o) {
      Acc<T> s = 0;
      for (int64_t i = 0; i < n_in; ++i)
        s += static_cast<Acc<T>>(x[r * n_in + i]) * w[o * n_in + i];
      if (b) s += b[o];
      y[r * n_out + o] = static_cast<T>(s);
    }
  }
}

// y[n, co, oh, ow] = bias[co] + sum over the taps of co's group, reading zeros outside x.
template <typename T>
void Conv2d(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const ops::ConvGeometry g = ops::Conv2dGeometry(attrs, in[0].dims(), in[1].dims());
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  const T* b = in.size() == 3 ? in[2].data<T>() : nullptr;
  T* y = out[0].data<T>();
  const int64_t cin_g = g.c_in / g.groups, cout_g = g.c_out / g.groups;
  const int64_t H = g.in[0], W = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t co = 0; co < g.c_out; ++co) {
      const int64_t c0 = co / cout_g * cin_g;
      for (int64_t oh = 0; oh < g.out[0]; ++oh) {
        for (int64_t ow = 0; ow < g.out[1]; ++ow) {
          Acc<T> s = 0;
          for (int64_t ci = 0; ci < cin_g; ++ci) {
            for (int64_t kh = 0; kh < KH; ++kh) {
              const int64_t ih = oh * g.stride[0] - g.pad_begin[0] + kh * g.dilation[0];
              if (ih < 0 || ih >= H) continue;
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t iw = ow * g.stride[1] - g.pad_begin[1] + kw * g.dilation[1];
                if (iw < 0 || iw >= W) continue;
                s += static_cast<Acc<T>>(x[((n * g.c_in + c0 + ci) * H + ih) * W + iw]) *
                     w[((co * cin_g + ci) * KH + kh) * KW + kw];
              }
            }
          }
          if (b) s += b[co];
          y[((n * g.c_out + co) * g.out[0] + oh) * g.out[1] + ow] = static_cast<T>(s);
        }
      }
    }
  }
}

// The transposed convolution as a gather: output (oh, ow) receives input (ih, iw) through tap
// (kh, kw) when oh = ih*sH - pad_top + kh*dH (and likewise for the width).
template <typename T>
void ConvTranspose2d(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const ops::ConvGeometry g = ops::ConvTranspose2dGeometry(attrs, in[0].dims(), in[1].dims());
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  const T* b = in.size() == 3 ? in[2].data<T>() : nullptr;
  T* y = out[0].data<T>();
  const int64_t cin_g = g.c_in / g.groups, cout_g = g.c_out / g.groups;
  const int64_t H = g.in[0], W = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t co = 0; co < g.c_out; ++co) {
      const int64_t grp = co / cout_g, col = co % cout_g;
      for (int64_t oh = 0; oh < g.out[0]; ++oh) {
        for (int64_t ow = 0; ow < g.out[1]; ++ow) {
          Acc<T> s = 0;
          for (int64_t ci = grp * cin_g; ci < (grp + 1) * cin_g; ++ci) {
            for (int64_t kh = 0; kh < KH; ++kh) {
              const int64_t th = oh + g.pad_begin[0] - kh * g.dilation[0];
              if (th < 0 || th % g.stride[0] != 0 || th / g.stride[0] >= H) continue;
              const int64_t ih = th / g.stride[0];
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t tw = ow + g.pad_begin[1] - kw * g.dilation[1];
                if (tw < 0 || tw % g.stride[1] != 0 || tw / g.stride[1] >= W) continue;
                const int64_t iw = tw / g.stride[1];
                s += static_cast<Acc<T>>(x[((n * g.c_in + ci) * H + ih) * W + iw]) *
                     w[((ci * cout_g + col) * KH + kh) * KW + kw];
              }
            }
          }
          if (b) s += b[co];
          y[((n * g.c_out + co) * g.out[0] + oh) * g.out[1] + ow] = static_cast<T>(s);
        }
      }
    }
  }
}

// dw[co, ci, kh, kw] = sum over images and output positions of dy * the x tap it read.
template <typename T>
void Conv2dBackwardWeight(const AttrMap& attrs, std::span<const Tensor> in,
                          std::span<Tensor> out) {
  const Dims wd = attrs.at("weight_shape").ints();
  const ops::ConvGeometry g = ops::Conv2dGeometry(attrs, in[0].dims(), wd);
  const T* x = in[0].data<T>();
  const T* dy = in[1].data<T>();
  T* dw = out[0].data<T>();
  const int64_t cin_g = g.c_in / g.groups, cout_g = g.c_out / g.groups;
  const int64_t H = g.in[0], W = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
  const int64_t OH = g.out[0], OW = g.out[1];
  for (int64_t co = 0; co < g.c_out; ++co) {
    const int64_t c0 = co / cout_g * cin_g;
    for (int64_t ci = 0; ci < cin_g; ++ci) {
      for (int64_t kh = 0; kh < KH; ++kh) {
        for (int64_t kw = 0; kw < KW; ++kw) {
          Acc<T> s = 0;
          for (int64_t n = 0; n < g.n; ++n) {
            for (int64_t oh = 0; oh < OH; ++oh) {
              const int64_t ih = oh * g.stride[0] - g.pad_begin[0] + kh * g.dilation[0];
              if (ih < 0 || ih >= H) continue;
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t iw = ow * g.stride[1] - g.pad_begin[1] + kw * g.dilation[1];
                if (iw < 0 || iw >= W) continue;
                s += static_cast<Acc<T>>(x[((n * g.c_in + c0 + ci) * H + ih) * W + iw]) *
                     dy[((n * g.c_out + co) * OH + oh) * OW + ow];
              }
            }
          }
          dw[((co * cin_g + ci) * KH + kh) * KW + kw] = static_cast<T>(s);
        }
      }
    }
  }
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefLinalgKernels(KernelRegistry& r) {
  ref::Register(r, "matmul", DType::kF32, &ref::Matmul<float>);
  ref::Register(r, "matmul", DType::kF64, &ref::Matmul<double>);
  ref::Register(r, "matmul", DType::kI32, &ref::Matmul<int32_t>);
  ref::Register(r, "matmul", DType::kI64, &ref::Matmul<int64_t>);
  ref::Register(r, "linear", DType::kF32, &ref::Linear<float>);
  ref::Register(r, "linear", DType::kF64, &ref::Linear<double>);
  ref::Register(r, "conv2d", DType::kF32, &ref::Conv2d<float>);
  ref::Register(r, "conv2d", DType::kF64, &ref::Conv2d<double>);
  ref::Register(r, "conv_transpose2d", DType::kF32, &ref::ConvTranspose2d<float>);
  ref::Register(r, "conv_transpose2d", DType::kF64, &ref::ConvTranspose2d<double>);
  ref::Register(r, "conv2d_backward_weight", DType::kF32, &ref::Conv2dBackwardWeight<float>);
  ref::Register(r, "conv2d_backward_weight", DType::kF64, &ref::Conv2dBackwardWeight<double>);
}

}  // namespace bronze
