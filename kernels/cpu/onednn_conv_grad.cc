// oneDNN convolution_backward_weights behind bronze's threading (kernels/cpu/onednn.h,
// ConvolutionBackwardWeights): the weight gradient of conv2d. The primitive works in NHWC like
// the forward convolutions, so each chunk converts its part of x and dy from NCHW. Chunks are
// cut from the shape only: blocks of images when the batch is large enough (each writes a
// partial dw in PyTorch's layout, and the partials are summed in chunk order), else blocks of
// output channels (or of groups) over the whole batch (each writes its own slice of dw). Either
// way 1 and 2 threads give bitwise identical results.
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cpu/onednn.h"
#include "kernels/cpu/onednn_internal.h"

namespace bronze::onednn {

using namespace internal;

struct ConvolutionBackwardWeights::Impl {
  // One primitive per distinct chunk shape: nb images, `units` output channels (groups == 1) or
  // groups.
  struct Prim {
    dnnl::convolution_backward_weights conv;
    memory::desc src, diff_dst, diff_weights;  // the primitive's layouts
    memory::desc src_user, diff_dst_user, weights_user;
    dnnl::reorder src_reorder, diff_dst_reorder, weights_reorder;
    size_t scratch = 0;
  };
  struct Chunk {
    int64_t n0;
    int64_t c_in0, c_out0;  // first input and output channel
    int prim;
  };

  ops::ConvGeometry g;
  std::vector<Prim> prims;
  std::vector<Chunk> chunks;
  bool partial_sums = false;  // image blocks: partial dw per chunk, summed in chunk order

  int64_t in_c_per_group() const { return g.c_in / g.groups; }
  int64_t out_c_per_group() const { return g.c_out / g.groups; }
  int64_t KHW() const { return g.kernel[0] * g.kernel[1]; }
  int64_t WeightElements() const { return g.c_out * in_c_per_group() * KHW(); }

  explicit Impl(const ops::ConvGeometry& geometry) : g(geometry) {
    if (g.n == 0) return;
    EnsureSingleThreadedOpenMP();
    const double flops = 2.0 * static_cast<double>(WeightElements()) *
                         static_cast<double>(g.out[0] * g.out[1]) * static_cast<double>(g.n);
    const int64_t target = ChunkTarget(flops);
    std::map<std::pair<int64_t, int64_t>, int> cache;
    auto prim_for = [&](int64_t nb, int64_t units) {
      auto it = cache.find({nb, units});
      if (it != cache.end()) return it->second;
      const int p = MakePrim(nb, units);
      cache.emplace(std::make_pair(nb, units), p);
      return p;
    };
    const int64_t unit_count = g.groups == 1 ? g.c_out : g.groups;
    if (g.n >= target || target == 1) {
      const int64_t per_chunk = CeilDiv(g.n, target);
      for (int64_t n0 = 0; n0 < g.n; n0 += per_chunk) {
        chunks.push_back({n0, 0, 0, prim_for(std::min(per_chunk, g.n - n0), unit_count)});
      }
      partial_sums = chunks.size() > 1;
      return;
    }
    // Fewer images than chunks wanted: blocks of >= 32 output channels (or of whole groups),
    // each over every image.
    const int64_t units = g.groups == 1 ? std::max<int64_t>(1, g.c_out / 32) : g.groups;
    const int64_t blocks = std::min(target, Pow2Floor(units));
    const int64_t block =
        g.groups == 1 ? RoundUp(CeilDiv(g.c_out, blocks), 16) : CeilDiv(g.groups, blocks);
    for (int64_t u0 = 0; u0 < unit_count; u0 += block) {
      const int64_t count = std::min(block, unit_count - u0);
      Chunk c{0, 0, u0, prim_for(g.n, count)};
      if (g.groups > 1) {
        c.c_in0 = u0 * in_c_per_group();
        c.c_out0 = u0 * out_c_per_group();
      }
      chunks.push_back(c);
    }
  }

  int MakePrim(int64_t nb, int64_t units) {
    Prim p;
    const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
    const int64_t cin_g = in_c_per_group(), cout_g = out_c_per_group();
    const int64_t cin = g.groups == 1 ? g.c_in : units * cin_g;
    const int64_t cout = g.groups == 1 ? units : units * cout_g;
    const memory::dims src_dims = {nb, cin, H, W}, dst_dims = {nb, cout, OH, OW};
    // NCHW slices of the whole tensors.
    p.src_user = memory::desc(src_dims, Dt::f32, memory::dims{g.c_in * H * W, H * W, W, 1});
    p.diff_dst_user =
        memory::desc(dst_dims, Dt::f32, memory::dims{g.c_out * OH * OW, OH * OW, OW, 1});
    const memory::desc src(src_dims, Dt::f32, Tag::nhwc), dst(dst_dims, Dt::f32, Tag::nhwc);
    memory::dims wdims = {cout, cin_g, g.kernel[0], g.kernel[1]};
    Tag wtag = Tag::oihw;
    if (g.groups > 1) {
      wdims = {units, cout_g, cin_g, g.kernel[0], g.kernel[1]};
      wtag = Tag::goihw;
    }
    p.weights_user = memory::desc(wdims, Dt::f32, wtag);
    const memory::desc weights_any(wdims, Dt::f32, Tag::any);
    const memory::dims strides = {g.stride[0], g.stride[1]};
    const memory::dims dilates = {g.dilation[0] - 1, g.dilation[1] - 1};
    const memory::dims pad_l = {g.pad_begin[0], g.pad_begin[1]};
    memory::dims pad_r(2);
    for (int d = 0; d < 2; ++d) {
      const int64_t span = g.dilation[d] * (g.kernel[d] - 1) + 1;
      pad_r[static_cast<size_t>(d)] =
          (g.out[d] - 1) * g.stride[d] + span - g.in[d] - g.pad_begin[d];
    }
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    try {
      const dnnl::engine& eng = Engine();
      dnnl::convolution_forward::desc fwd(dnnl::prop_kind::forward_training,
                                          dnnl::algorithm::convolution_direct, src, weights_any,
                                          dst, strides, dilates, pad_l, pad_r);
      dnnl::convolution_forward::primitive_desc fwd_pd(fwd, eng);
      dnnl::convolution_backward_weights::desc bwd(dnnl::algorithm::convolution_direct, src,
                                                   weights_any, dst, strides, dilates, pad_l,
                                                   pad_r);
      dnnl::convolution_backward_weights::primitive_desc pd(bwd, attr, eng, fwd_pd);
      p.src = pd.src_desc();
      p.diff_dst = pd.diff_dst_desc();
      p.diff_weights = pd.diff_weights_desc();
      p.scratch = pd.scratchpad_desc().get_size();
      p.conv = dnnl::convolution_backward_weights(pd);
      p.src_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.src_user, eng, p.src));
      p.diff_dst_reorder =
          dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.diff_dst_user, eng, p.diff_dst));
      p.weights_reorder =
          dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.diff_weights, eng, p.weights_user));
    } catch (const dnnl::error& err) {
      RethrowDnnl(err, "convolution weight gradient of " + std::to_string(nb) + " images, " +
                           std::to_string(cout) + " output channels");
    }
    prims.push_back(std::move(p));
    return static_cast<int>(prims.size() - 1);
  }

  static void Exec(const dnnl::primitive& prim, const std::unordered_map<int, memory>& args) {
    dnnl::stream& stream = ThreadStream();
    prim.execute(stream, args);
    stream.wait();
  }

  // Chunk `c`'s dw (its channel block, or a partial over its images) into `dw` (PyTorch's
  // layout, at the block's first output channel).
  void RunChunk(const Chunk& c, const float* x, const float* dy, float* dw) const {
    const Prim& p = prims[static_cast<size_t>(c.prim)];
    const dnnl::engine& eng = Engine();
    const int64_t HW = g.in[0] * g.in[1], OHW = g.out[0] * g.out[1];
    memory src(p.src, eng, ThreadBuffer(kSrcSlot, p.src.get_size()));
    memory diff_dst(p.diff_dst, eng, ThreadBuffer(kDstSlot, p.diff_dst.get_size()));
    memory diff_w(p.diff_weights, eng, ThreadBuffer(kWeightsSlot, p.diff_weights.get_size()));
    Exec(p.src_reorder, {{DNNL_ARG_FROM, Wrap(p.src_user, x + (c.n0 * g.c_in + c.c_in0) * HW)},
                         {DNNL_ARG_TO, src}});
    Exec(p.diff_dst_reorder,
         {{DNNL_ARG_FROM, Wrap(p.diff_dst_user, dy + (c.n0 * g.c_out + c.c_out0) * OHW)},
          {DNNL_ARG_TO, diff_dst}});
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_w}};
    if (p.scratch) args.emplace(DNNL_ARG_SCRATCHPAD, ScratchMemory(p.scratch));
    Exec(p.conv, args);
    Exec(p.weights_reorder,
         {{DNNL_ARG_FROM, diff_w},
          {DNNL_ARG_TO, Wrap(p.weights_user, dw + c.c_out0 * in_c_per_group() * KHW())}});
  }

  void Run(const ExecContext& ctx, const float* x, const float* dy, float* dw) const {
    const int64_t size = WeightElements();
    if (chunks.empty()) {  // an empty batch
      std::memset(dw, 0, static_cast<size_t>(size) * sizeof(float));
      return;
    }
    const int64_t count = static_cast<int64_t>(chunks.size());
    if (!partial_sums) {  // one chunk, or channel blocks writing disjoint slices
      ParallelDnnl(ctx, count, "convolution weight gradient", [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) RunChunk(chunks[static_cast<size_t>(c)], x, dy, dw);
      });
      return;
    }
    CallBuffer partials(static_cast<size_t>(count * size) * sizeof(float));
    ParallelDnnl(ctx, count, "convolution weight gradient", [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        RunChunk(chunks[static_cast<size_t>(c)], x, dy, partials.data + c * size);
      }
    });
    // Each element sums its partials in chunk order, whatever range a thread gets.
    ParallelFor(ctx, size, kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float s = partials.data[i];
        for (int64_t c = 1; c < count; ++c) s += partials.data[c * size + i];
        dw[i] = s;
      }
    });
  }
};

ConvolutionBackwardWeights::ConvolutionBackwardWeights(const ops::ConvGeometry& geometry)
    : impl_(std::make_unique<Impl>(geometry)) {}
ConvolutionBackwardWeights::~ConvolutionBackwardWeights() = default;

int64_t ConvolutionBackwardWeights::chunks() const {
  return static_cast<int64_t>(impl_->chunks.size());
}

void ConvolutionBackwardWeights::Run(const ExecContext& ctx, const float* x, const float* dy,
                                     float* dw) const {
  impl_->Run(ctx, x, dy, dw);
}

}  // namespace bronze::onednn
