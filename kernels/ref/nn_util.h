// Geometry shared by the reference and fast CPU kernels of the nn family (pooling windows,
// adaptive pooling ranges, normalization row/channel views). The shape functions in
// graph/ops/nn.cc validate the attributes; kernels read them here and take the spatial sizes
// from the already allocated output.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "graph/attribute.h"
#include "graph/tensor.h"
#include "kernels/ref/ref_util.h"

namespace bronze::nn {

inline std::array<int64_t, 2> AttrPair(const AttrMap& attrs, const char* name,
                                       std::array<int64_t, 2> fallback) {
  auto it = attrs.find(name);
  if (it == attrs.end() || it->second.ints().empty()) return fallback;
  const std::vector<int64_t>& v = it->second.ints();
  return v.size() == 1 ? std::array<int64_t, 2>{v[0], v[0]} : std::array<int64_t, 2>{v[0], v[1]};
}

// A 2-D pooling problem: `planes` independent (H, W) -> (OH, OW) planes.
struct Pool2d {
  int64_t planes = 0, h = 0, w = 0, oh = 0, ow = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  bool count_include_pad = true;
};

inline Pool2d ReadPool2d(const AttrMap& attrs, const Tensor& x, const Tensor& y) {
  Pool2d p;
  const Dims& xd = x.dims();
  const Dims& yd = y.dims();
  const size_t r = xd.size();
  p.h = xd[r - 2];
  p.w = xd[r - 1];
  p.oh = yd[r - 2];
  p.ow = yd[r - 1];
  p.planes = p.h * p.w == 0 ? 0 : x.numel() / (p.h * p.w);
  std::array<int64_t, 2> k = AttrPair(attrs, "kernel_size", {1, 1});
  std::array<int64_t, 2> s = AttrPair(attrs, "stride", k);
  std::array<int64_t, 2> pad = AttrPair(attrs, "padding", {0, 0});
  std::array<int64_t, 2> dil = AttrPair(attrs, "dilation", {1, 1});
  p.kh = k[0], p.kw = k[1], p.sh = s[0], p.sw = s[1];
  p.ph = pad[0], p.pw = pad[1], p.dh = dil[0], p.dw = dil[1];
  auto it = attrs.find("count_include_pad");
  p.count_include_pad = it == attrs.end() || it->second.i() == 1;
  return p;
}

// avg_pool2d's window along one dim, as PyTorch: the divisor extent counts up to in + pad, the
// summed extent is clipped to [0, in).
struct AvgWindow {
  int64_t begin, end;  // clipped to the input
  int64_t padded;      // extent within input + padding (count_include_pad divisor factor)
};

inline AvgWindow AvgPoolWindow(int64_t o, int64_t in, int64_t k, int64_t s, int64_t pad) {
  int64_t start = o * s - pad;
  int64_t end = std::min(start + k, in + pad);
  AvgWindow w{std::max<int64_t>(start, 0), std::min(end, in), end - start};
  return w;
}

// adaptive_avg_pool2d's range [floor(o*in/out), ceil((o+1)*in/out)), as PyTorch.
inline int64_t AdaptiveBegin(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
inline int64_t AdaptiveEnd(int64_t o, int64_t in, int64_t out) {
  return ((o + 1) * in + out - 1) / out;
}

// batch_norm's view of x: (outer = N, channels = C, inner = product of the spatial dims).
struct ChannelView {
  int64_t outer = 0, channels = 0, inner = 1;
};

inline ChannelView ReadChannelView(const Tensor& x) {
  ChannelView v;
  const Dims& d = x.dims();
  v.outer = d[0];
  v.channels = d[1];
  for (size_t a = 2; a < d.size(); ++a) v.inner *= d[a];
  return v;
}

// layer_norm's view of x: `rows` rows of `cols` = product of the last normalized_ndim dims.
inline void ReadRows(const AttrMap& attrs, const Tensor& x, int64_t* rows, int64_t* cols) {
  const int64_t k = attrs.at("normalized_ndim").i();
  const Dims& d = x.dims();
  int64_t c = 1;
  for (size_t a = d.size() - static_cast<size_t>(k); a < d.size(); ++a) c *= d[a];
  *cols = c;
  *rows = c == 0 ? 0 : x.numel() / c;
}

// scaled_dot_product_attention's view: the output's batch dims flattened to `batch` problems,
// each with the element offsets of its q (L, E), k (S, E) and v (S, Ev) matrices and of its
// mask block (broadcast batch dims have stride 0), and the mask's strides along L and S.
struct AttentionView {
  int64_t batch = 0, l = 0, s = 0, e = 0, ev = 0;
  std::vector<int64_t> q_off, k_off, v_off, m_off;
  int64_t m_row = 0, m_col = 0;
  bool has_mask = false;
};

inline AttentionView ReadAttention(std::span<const Tensor> in, const Tensor& y) {
  AttentionView a;
  const Dims& yd = y.dims();
  const size_t rb = yd.size() - 2;
  const Dims batch(yd.begin(), yd.begin() + static_cast<std::ptrdiff_t>(rb));
  a.l = yd[rb];
  a.ev = yd[rb + 1];
  a.e = in[0].dims().back();
  a.s = in[1].dims()[in[1].dims().size() - 2];
  a.batch = NumElements(batch);
  a.has_mask = in.size() > 3;
  auto batch_of = [](const Dims& d) { return Dims(d.begin(), d.end() - 2); };
  std::vector<int64_t> strides[4] = {ref::BroadcastStrides(batch_of(in[0].dims()), batch),
                                     ref::BroadcastStrides(batch_of(in[1].dims()), batch),
                                     ref::BroadcastStrides(batch_of(in[2].dims()), batch),
                                     std::vector<int64_t>(rb, 0)};
  for (int64_t& st : strides[0]) st *= a.l * a.e;
  for (int64_t& st : strides[1]) st *= a.s * a.e;
  for (int64_t& st : strides[2]) st *= a.s * a.ev;
  if (a.has_mask) {
    Dims full = batch;
    full.push_back(a.l);
    full.push_back(a.s);
    std::vector<int64_t> ms = ref::BroadcastStrides(in[3].dims(), full);
    for (size_t d = 0; d < rb; ++d) strides[3][d] = ms[d];
    a.m_row = ms[rb];
    a.m_col = ms[rb + 1];
  }
  ref::ForEachIndex(batch, strides, [&](int64_t, const int64_t* off) {
    a.q_off.push_back(off[0]);
    a.k_off.push_back(off[1]);
    a.v_off.push_back(off[2]);
    a.m_off.push_back(off[3]);
  });
  return a;
}

}  // namespace bronze::nn
