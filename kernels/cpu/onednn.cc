// oneDNN convolution and the layer's shared pieces (engine, streams, scratch, epilogue helpers);
// the GEMM is in kernels/cpu/onednn_gemm.cc. Single-threaded primitives are split across the
// session's threads by bronze (see kernels/cpu/onednn.h for the contract). The chunking policy:
//   - a chunk should carry at least kMinChunkFlops, and a problem is cut into at most kMaxChunks,
//     a power of two (so 2 threads get equal shares);
//   - GEMMs split the larger of M and N (each chunk repacks the other operand, so blocks stay
//     >= 512 wide when they can); batched GEMMs take whole products first, grouped (into
//     batched primitives, or a loop of sgemm calls) when their strides are uniform;
//   - convolutions split images first, then output-channel blocks of >= 32 (or group blocks);
//     the primitives work in NHWC (oneDNN's fast brgconv kernels), so each chunk converts its
//     input from NCHW and its output back; weights and (for channel blocks) the NHWC input are
//     staged once per call when several chunks share them.
// Every decision depends on the shapes only, never on the thread count.
#include "kernels/cpu/onednn.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <tuple>
#include <unordered_map>

#include "graph/error.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/conv_im2col.h"
#include "kernels/cpu/gemv.h"
#include "kernels/cpu/onednn_internal.h"
#include "kernels/parallel.h"

namespace bronze::onednn {

void EnsureSingleThreadedOpenMP() {
  // omp_get_max_threads reads the calling thread's ICV: cheap. Checked on every call (not only
  // once per thread) because code outside bronze (a benchmark's peer) may raise it again.
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

std::string_view ActivationName(Activation a) {
  switch (a) {
    case Activation::kNone: return "none";
    case Activation::kRelu: return "relu";
    case Activation::kGeluErf: return "gelu_erf";
    case Activation::kGeluTanh: return "gelu_tanh";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
  }
  return "?";
}

namespace internal {

const dnnl::engine& Engine() {
  static const dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

dnnl::stream& ThreadStream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

namespace {

class ThreadBuffers {
 public:
  ~ThreadBuffers() {
    for (Buffer& b : buffers_) std::free(b.data);
  }
  void* Get(Slot slot, size_t bytes) {
    Buffer& b = buffers_[slot];
    if (bytes > b.size) {
      std::free(b.data);
      b.size = (bytes + 63) / 64 * 64;
      b.data = std::aligned_alloc(64, b.size);
      if (!b.data) throw InternalError("out of memory for " + std::to_string(bytes) + " bytes");
    }
    return b.data;
  }

 private:
  struct Buffer {
    void* data = nullptr;
    size_t size = 0;
  };
  Buffer buffers_[kNumSlots];
};

}  // namespace

void* ThreadBuffer(Slot slot, size_t bytes) {
  thread_local ThreadBuffers buffers;
  return buffers.Get(slot, std::max<size_t>(bytes, 64));
}

memory ScratchMemory(size_t bytes) {
  return memory(memory::desc({static_cast<int64_t>(bytes)}, Dt::u8, Tag::x), Engine(),
                ThreadBuffer(kScratchSlot, bytes));
}

memory Wrap(const memory::desc& md, const float* p) {
  return memory(md, Engine(), const_cast<float*>(p));
}

[[noreturn]] void RethrowDnnl(const dnnl::error& e, const std::string& what) {
  throw UnimplementedError("oneDNN cannot build the " + what + ": " + e.what());
}

}  // namespace internal

using namespace internal;

namespace {

dnnl::algorithm EltwiseAlgorithm(Activation a) {
  switch (a) {
    case Activation::kRelu: return dnnl::algorithm::eltwise_relu;
    case Activation::kGeluErf: return dnnl::algorithm::eltwise_gelu_erf;
    case Activation::kGeluTanh: return dnnl::algorithm::eltwise_gelu_tanh;
    case Activation::kSigmoid: return dnnl::algorithm::eltwise_logistic;
    case Activation::kTanh: return dnnl::algorithm::eltwise_tanh;
    case Activation::kNone: break;
  }
  ThrowInternal("no oneDNN algorithm for activation none");
}

}  // namespace

dnnl::primitive_attr internal::MakeAttr(const Epilogue& e, const memory::desc& dst,
                                        int* residual_arg) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops po;
  int index = 0;
  *residual_arg = -1;
  auto residual = [&] {
    po.append_binary(dnnl::algorithm::binary_add, dst);
    *residual_arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
    ++index;
  };
  if (e.residual && e.residual_before_activation) residual();
  if (e.activation != Activation::kNone) {
    po.append_eltwise(1.f, EltwiseAlgorithm(e.activation), 0.f, 0.f);
    ++index;
  }
  if (e.residual && !e.residual_before_activation) residual();
  attr.set_post_ops(po);
  return attr;
}

float internal::ApplyActivation(Activation a, double v) {
  switch (a) {
    case Activation::kNone: return static_cast<float>(v);
    case Activation::kRelu: return static_cast<float>(v < 0 ? 0 : v);
    case Activation::kGeluErf:
      return static_cast<float>(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    case Activation::kGeluTanh: {
      const double c = std::sqrt(2.0 / M_PI);
      return static_cast<float>(0.5 * v * (1 + std::tanh(c * (v + 0.044715 * v * v * v))));
    }
    case Activation::kSigmoid: return static_cast<float>(1 / (1 + std::exp(-v)));
    case Activation::kTanh: return static_cast<float>(std::tanh(v));
  }
  return static_cast<float>(v);
}

void internal::EpilogueBlock(const Epilogue& e, int64_t rows, int64_t cols, int64_t ld,
                             const float* row_bias, const float* col_bias, const float* residual,
                             float* y) {
  if (!row_bias && !col_bias && !e.residual && e.activation == Activation::kNone) return;
  const bool before = e.residual && e.residual_before_activation;
  const bool after = e.residual && !e.residual_before_activation;
  for (int64_t r = 0; r < rows; ++r) {
    float* out = y + r * ld;
    const float* res = e.residual ? residual + r * ld : nullptr;
    const float rb = row_bias ? row_bias[r] : 0.f;
    if (e.activation == Activation::kRelu || e.activation == Activation::kNone) {
      cpu::BiasReluRow(out, cols, rb, col_bias, before ? res : nullptr, after ? res : nullptr,
                       e.activation == Activation::kRelu);
      continue;
    }
    for (int64_t j = 0; j < cols; ++j) {
      double v = static_cast<double>(out[j]) + rb;
      if (col_bias) v += col_bias[j];
      if (before) v += res[j];
      float a = ApplyActivation(e.activation, v);
      if (after) a += res[j];
      out[j] = a;
    }
  }
}

// ------------------------------------------------------------------------------------------
// Convolution

struct Convolution::Impl {
  // One primitive per distinct chunk shape: nb images, gc groups (1 when groups == 1), cin / cout
  // channels of the chunk.
  struct Prim {
    int64_t nb = 0, gc = 0, cin = 0, cout = 0;
    dnnl::primitive conv;
    memory::desc src, weights, dst, bias;
    memory::desc src_user, weights_user, dst_user;  // NCHW / PyTorch-layout slices
    dnnl::reorder src_reorder, weights_reorder, dst_reorder, residual_reorder;
    size_t scratch = 0;
    int residual_arg = -1;
  };
  struct Chunk {
    int64_t n0, c_out0, c_in0;  // first image, first output and input channel
    int64_t block;              // output-channel (or group) block index, for staged weights
    int prim;
    bool staged_weights = false;  // reads the weights staged for its block
  };

  ops::ConvGeometry g;
  bool transposed;
  Epilogue e;
  // The output rows / columns the primitive computes. oneDNN's deconvolution needs end padding
  // > -stride; output_padding beyond that adds trailing rows / columns no input reaches, which
  // get the epilogue of a zero sum (FillUncovered).
  int64_t covered[2] = {0, 0};
  std::vector<Prim> prims;
  std::vector<Chunk> chunks;
  // Staging: weights reordered once per call per channel block (when several image blocks share
  // them); the input converted to NHWC once per call (when several channel blocks share it).
  // Both run before the chunks, as independent reorders of parts.
  struct StageTask {
    dnnl::reorder reorder;
    memory::desc from, to;  // `to` may be a part (submemory) of a staged buffer
    bool weights;           // reads w into the staged weights, else x into the staged input
    int64_t from_offset;    // elements into w or x
    int64_t to_offset;      // elements into the staged buffer (where `to`'s tensor starts)
  };
  bool stage_weights = false, stage_src = false;
  // 1x1 kernels without padding, groups 1 and an epilogue of at most a bias run as GEMMs on the
  // NCHW tensors as they are: y[n] (C_out, OH*OW) = w (C_out, C_in) @ x[n] (C_in, OH*OW), after
  // picking every stride-th pixel of x into a dense copy when the stride is > 1. No layout
  // conversion at all.
  std::unique_ptr<Gemm> pointwise;
  // Few taps per output (C_in*kH*kW <= 288) on a first layer, a small image or a small batch: a
  // direct convolution (kernels/cpu/conv_direct.h).
  std::unique_ptr<DirectConvolution> direct;
  // Few input channels, or small images at small batch, that the direct convolution does not
  // take: im2col + GEMM (kernels/cpu/conv_im2col.h).
  std::unique_ptr<Im2colConvolution> im2col;
  int64_t subsample_parts = 0;  // input-channel parts of one image to copy (stride > 1), or 0
  std::vector<int64_t> weights_offset;  // per channel block: offset in the staged buffer
  size_t staged_weights_bytes = 0;
  memory::desc staged_src;  // dense NHWC of the whole input
  std::vector<StageTask> stage_tasks;

  int64_t in_c_per_group() const { return g.c_in / g.groups; }
  int64_t out_c_per_group() const { return g.c_out / g.groups; }
  int64_t KHW() const { return g.kernel[0] * g.kernel[1]; }

  // Weight slice in PyTorch's layout for `gc` groups (or, when groups == 1, `cout` output
  // channels), as oneDNN's logical (g,) O, I, kH, kW dims.
  memory::desc UserWeights(int64_t gc, int64_t cin, int64_t cout) const {
    const int64_t kh = g.kernel[0], kw = g.kernel[1], khw = KHW();
    const int64_t ci = cin / gc, co = cout / gc;
    if (!transposed) {
      // (C_out, C_in/groups, kH, kW): co-major.
      if (g.groups == 1)
        return memory::desc({co, ci, kh, kw}, Dt::f32, memory::dims{ci * khw, khw, kw, 1});
      return memory::desc({gc, co, ci, kh, kw}, Dt::f32,
                          memory::dims{co * ci * khw, ci * khw, khw, kw, 1});
    }
    // (C_in, C_out/groups, kH, kW): the input channel is the outer dim.
    const int64_t cout_g = out_c_per_group();
    if (g.groups == 1) {
      return memory::desc({co, ci, kh, kw}, Dt::f32, memory::dims{khw, cout_g * khw, kw, 1});
    }
    return memory::desc({gc, co, ci, kh, kw}, Dt::f32,
                        memory::dims{ci * co * khw, khw, co * khw, kw, 1});
  }

  int PrimFor(std::map<std::tuple<int64_t, int64_t, int64_t>, int>& cache, int64_t nb, int64_t gc,
              int64_t cout) {
    auto key = std::make_tuple(nb, gc, cout);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    Prim p;
    p.nb = nb;
    p.gc = gc;
    p.cout = cout;
    p.cin = g.groups == 1 ? g.c_in : gc * in_c_per_group();
    const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
    const memory::dims src_dims = {nb, p.cin, H, W}, dst_dims = {nb, cout, covered[0], covered[1]};
    p.src = memory::desc(src_dims, Dt::f32, Tag::nhwc);
    p.dst = memory::desc(dst_dims, Dt::f32, Tag::nhwc);
    p.src_user = memory::desc(src_dims, Dt::f32, memory::dims{g.c_in * H * W, H * W, W, 1});
    p.dst_user = memory::desc(dst_dims, Dt::f32, memory::dims{g.c_out * OH * OW, OH * OW, OW, 1});
    p.weights_user = UserWeights(gc, p.cin, cout);
    p.bias = memory::desc({cout}, Dt::f32, Tag::x);
    memory::dims wdims = p.weights_user.dims();
    memory::desc weights_any(wdims, Dt::f32, Tag::any);
    // oneDNN wants dilation - 1 and the end padding that exactly fits the output size.
    memory::dims strides = {g.stride[0], g.stride[1]};
    memory::dims dilates = {g.dilation[0] - 1, g.dilation[1] - 1};
    memory::dims pad_l = {g.pad_begin[0], g.pad_begin[1]}, pad_r(2);
    for (int d = 0; d < 2; ++d) {
      const int64_t span = g.dilation[d] * (g.kernel[d] - 1) + 1;
      pad_r[static_cast<size_t>(d)] =
          transposed ? (g.in[d] - 1) * g.stride[d] + span - covered[d] - g.pad_begin[d]
                     : (g.out[d] - 1) * g.stride[d] + span - g.in[d] - g.pad_begin[d];
    }
    dnnl::primitive_attr attr = MakeAttr(e, p.dst, &p.residual_arg);
    const memory::desc no_bias;
    try {
      if (!transposed) {
        dnnl::convolution_forward::desc d(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, p.src,
            weights_any, e.bias ? p.bias : no_bias, p.dst, strides, dilates, pad_l, pad_r);
        dnnl::convolution_forward::primitive_desc pd(d, attr, Engine());
        p.weights = pd.weights_desc();
        p.scratch = pd.scratchpad_desc().get_size();
        p.conv = dnnl::convolution_forward(pd);
      } else {
        dnnl::deconvolution_forward::desc d(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, p.src,
            weights_any, e.bias ? p.bias : no_bias, p.dst, strides, dilates, pad_l, pad_r);
        dnnl::deconvolution_forward::primitive_desc pd(d, attr, Engine());
        p.weights = pd.weights_desc();
        p.scratch = pd.scratchpad_desc().get_size();
        p.conv = dnnl::deconvolution_forward(pd);
      }
      const dnnl::engine& eng = Engine();
      p.src_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.src_user, eng, p.src));
      p.weights_reorder =
          dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.weights_user, eng, p.weights));
      p.dst_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.dst, eng, p.dst_user));
      if (e.residual) {
        p.residual_reorder =
            dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.dst_user, eng, p.dst));
      }
    } catch (const dnnl::error& err) {
      RethrowDnnl(err, std::string(transposed ? "deconvolution" : "convolution") + " chunk of " +
                           std::to_string(nb) + " images, " + std::to_string(cout) +
                           " output channels");
    }
    prims.push_back(std::move(p));
    cache.emplace(key, static_cast<int>(prims.size() - 1));
    return static_cast<int>(prims.size() - 1);
  }

  Impl(const ops::ConvGeometry& geometry, bool transpose, const Epilogue& epilogue,
       bool constant_w)
      : g(geometry), transposed(transpose), e(epilogue) {
    for (int d = 0; d < 2; ++d) {
      covered[d] = g.out[d];
      if (!transposed) continue;
      const int64_t span = g.dilation[d] * (g.kernel[d] - 1) + 1;
      const int64_t pad_end = (g.in[d] - 1) * g.stride[d] + span - g.out[d] - g.pad_begin[d];
      covered[d] -= std::max<int64_t>(0, 1 - g.stride[d] - pad_end);
    }
    if (g.n == 0) return;
    if (covered[0] < 1 || covered[1] < 1) return;  // no input reaches the output: fill only
    EnsureSingleThreadedOpenMP();
    if (!transposed && g.groups == 1 && g.kernel[0] == 1 && g.kernel[1] == 1 &&
        g.pad_begin[0] == 0 && g.pad_begin[1] == 0 && g.pad_end[0] == 0 && g.pad_end[1] == 0 &&
        e.activation == Activation::kNone && !e.residual) {
      InitPointwise();
      return;
    }
    if (!transposed && DirectConvolution::Preferred(g)) {
      direct = std::make_unique<DirectConvolution>(g, e, DirectConvolution::Choose(g, constant_w));
      return;
    }
    if (!transposed && Im2colConvolution::Preferred(g)) {
      im2col = std::make_unique<Im2colConvolution>(g, e);
      return;
    }
    const double taps = static_cast<double>(transposed ? out_c_per_group() : in_c_per_group()) *
                        static_cast<double>(KHW());
    const double flops = 2.0 * taps *
                         static_cast<double>(transposed ? g.c_in * g.in[0] * g.in[1]
                                                        : g.c_out * g.out[0] * g.out[1]);
    const int64_t target = ChunkTarget(flops * static_cast<double>(g.n));
    // Images first; channel blocks (of >= 32 output channels, or of whole groups) when there
    // are fewer images than chunks wanted.
    int64_t images_per_chunk = 1, blocks = 1;
    if (g.n >= target) {
      images_per_chunk = CeilDiv(g.n, target);
    } else {
      const int64_t want = std::max<int64_t>(1, target / g.n);
      const int64_t units = g.groups == 1 ? std::max<int64_t>(1, g.c_out / 32) : g.groups;
      blocks = std::min(want, Pow2Floor(units));
    }
    // Block size in output channels (groups == 1) or groups.
    const int64_t unit_count = g.groups == 1 ? g.c_out : g.groups;
    const int64_t block =
        g.groups == 1 ? RoundUp(CeilDiv(g.c_out, blocks), 16) : CeilDiv(g.groups, blocks);
    std::map<std::tuple<int64_t, int64_t, int64_t>, int> cache;
    std::vector<std::pair<int64_t, int64_t>> channel_blocks;  // (first unit, units)
    for (int64_t u = 0; u < unit_count; u += block) {
      channel_blocks.push_back({u, std::min(block, unit_count - u)});
    }
    const int64_t image_blocks = CeilDiv(g.n, images_per_chunk);
    for (int64_t n0 = 0; n0 < g.n; n0 += images_per_chunk) {
      const int64_t nb = std::min(images_per_chunk, g.n - n0);
      for (size_t b = 0; b < channel_blocks.size(); ++b) {
        const auto [u0, units] = channel_blocks[b];
        int prim;
        Chunk c{n0, 0, 0, static_cast<int64_t>(b), 0};
        if (g.groups == 1) {
          prim = PrimFor(cache, nb, 1, units);
          c.c_out0 = u0;
        } else {
          prim = PrimFor(cache, nb, units, units * out_c_per_group());
          c.c_out0 = u0 * out_c_per_group();
          c.c_in0 = u0 * in_c_per_group();
        }
        c.prim = prim;
        chunks.push_back(c);
      }
    }
    // Weights shared by several image blocks are reordered once per call.
    stage_weights = image_blocks > 1 && chunks.size() > 1;
    if (stage_weights) StageWeights(channel_blocks.size());
    // An input shared by several output-channel blocks is converted to NHWC once per call.
    stage_src = g.groups == 1 && channel_blocks.size() > 1;
    if (stage_src) StageSrc(static_cast<int64_t>(channel_blocks.size()));
  }

  void InitPointwise() {
    const int64_t P = g.out[0] * g.out[1], C = g.c_in;
    GemmShape gs;
    gs.m = g.c_out;
    gs.k = C;
    gs.n = P;
    gs.bias_per_row = true;
    for (int64_t n = 0; n < g.n; ++n) {
      gs.a_offsets.push_back(0);
      gs.b_offsets.push_back(n * C * P);
    }
    pointwise = std::make_unique<Gemm>(gs, e);
    // With a stride, each image's pixels are picked into a dense copy, in parts of >= 64
    // input channels.
    if (g.stride[0] != 1 || g.stride[1] != 1) {
      subsample_parts = std::max<int64_t>(1, std::min<int64_t>(kMaxChunks, C / 64));
    }
  }

  // Copies channels [c0, c1) of image n's every stride-th pixel into `out` (C_in, OH, OW).
  void Subsample(const float* x, int64_t n, int64_t c0, int64_t c1, float* out) const {
    const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
    const int64_t sh = g.stride[0], sw = g.stride[1];
    for (int64_t c = c0; c < c1; ++c) {
      const float* src = x + (n * g.c_in + c) * H * W;
      float* dst = out + (n * g.c_in + c) * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* row = src + oh * sh * W;
        for (int64_t ow = 0; ow < OW; ++ow) dst[oh * OW + ow] = row[ow * sw];
      }
    }
  }

  void RunPointwise(const ExecContext& ctx, const float* x, const float* w, const float* bias,
                    float* y) const {
    std::unique_ptr<CallBuffer> dense;
    if (subsample_parts > 0) {
      const int64_t parts = subsample_parts, step = CeilDiv(g.c_in, parts);
      dense = std::make_unique<CallBuffer>(static_cast<size_t>(g.n * g.c_in * g.out[0] * g.out[1]) *
                                           sizeof(float));
      ParallelFor(ctx, g.n * parts, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const int64_t c0 = t % parts * step;
          Subsample(x, t / parts, c0, std::min(g.c_in, c0 + step), dense->data);
        }
      });
      x = dense->data;
    }
    pointwise->Run(ctx, w, x, bias, nullptr, y);
  }

  // Staged weights of each channel block in its primitive's layout; ungrouped weights are cut
  // into parts of 64 output channels where oneDNN can address such a part of the layout.
  void StageWeights(size_t blocks) {
    std::vector<int> block_prim;
    for (size_t b = 0; b < blocks; ++b) {
      const Chunk& c = chunks[b];  // the first image block's chunk of channel block b
      const Prim& p = prims[static_cast<size_t>(c.prim)];
      block_prim.push_back(c.prim);
      const int64_t offset = static_cast<int64_t>(staged_weights_bytes / sizeof(float));
      weights_offset.push_back(offset);
      staged_weights_bytes +=
          static_cast<size_t>(RoundUp(static_cast<int64_t>(p.weights.get_size()), 64));
      const int64_t from = WeightsOffset(c.c_out0, c.c_in0);
      std::vector<StageTask> parts;
      const memory::dims wdims = p.weights_user.dims();
      // Only where the layout has no padding (a part would leave the padding unwritten).
      const dnnl_memory_desc_t& layout = p.weights.data;
      const bool padded = !std::equal(layout.dims, layout.dims + layout.ndims, layout.padded_dims);
      if (g.groups == 1 && wdims[0] > 64 && !padded) {
        try {
          const memory::dims strides(p.weights_user.data.format_desc.blocking.strides,
                                     p.weights_user.data.format_desc.blocking.strides + 4);
          for (int64_t o0 = 0; o0 < wdims[0]; o0 += 64) {
            memory::dims sub = wdims;
            sub[0] = std::min<int64_t>(64, wdims[0] - o0);
            memory::desc to = p.weights.submemory_desc(sub, {o0, 0, 0, 0});
            memory::desc user(sub, Dt::f32, strides);
            parts.push_back(
                {dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), user, Engine(), to)), user,
                 to, true, from + o0 * strides[0], offset});
          }
        } catch (const dnnl::error&) {
          parts.clear();  // a layout oneDNN cannot cut there: one reorder for the block
        }
      }
      if (parts.empty()) {
        parts.push_back({p.weights_reorder, p.weights_user, p.weights, true, from, offset});
      }
      for (StageTask& t : parts) stage_tasks.push_back(std::move(t));
    }
    // A chunk whose primitive wants another weights layout (a tail image block may) reorders
    // its own.
    for (Chunk& c : chunks) {
      const Prim& staged = prims[static_cast<size_t>(block_prim[static_cast<size_t>(c.block)])];
      c.staged_weights = prims[static_cast<size_t>(c.prim)].weights == staged.weights;
    }
  }

  // The whole input in NHWC, converted in parts of input channels.
  void StageSrc(int64_t blocks) {
    const int64_t H = g.in[0], W = g.in[1], C = g.c_in;
    staged_src = memory::desc({g.n, C, H, W}, Dt::f32, Tag::nhwc);
    const int64_t parts = std::min<int64_t>(blocks, std::max<int64_t>(1, C / 16));
    const int64_t step = RoundUp(CeilDiv(C, parts), 16);
    try {
      for (int64_t c0 = 0; c0 < C; c0 += step) {
        const int64_t cc = std::min(step, C - c0);
        memory::desc from({g.n, cc, H, W}, Dt::f32, memory::dims{C * H * W, H * W, W, 1});
        memory::desc to({g.n, cc, H, W}, Dt::f32, memory::dims{H * W * C, 1, W * C, C});
        stage_tasks.push_back(
            {dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), from, Engine(), to)), from, to,
             false, c0 * H * W, c0});
      }
    } catch (const dnnl::error& err) {
      RethrowDnnl(err, "NCHW to NHWC reorder");
    }
  }

  static void Exec(const dnnl::primitive& prim, std::unordered_map<int, memory> args) {
    dnnl::stream& stream = ThreadStream();
    prim.execute(stream, args);
    stream.wait();
  }

  static void Reorder(const dnnl::reorder& r, memory from, memory to) {
    dnnl::stream& stream = ThreadStream();
    r.execute(stream, from, to);
    stream.wait();
  }

  // Offset (elements) of a chunk's weight slice in PyTorch's layout.
  int64_t WeightsOffset(int64_t c_out0, int64_t c_in0) const {
    if (!transposed) return c_out0 * in_c_per_group() * KHW();
    if (g.groups == 1) return c_out0 * KHW();
    return c_in0 * out_c_per_group() * KHW();
  }

  void RunChunk(const Chunk& c, const float* x, const float* w, const float* bias,
                const float* residual, float* y, const float* staged_w,
                const float* staged_x) const {
    const Prim& p = prims[static_cast<size_t>(c.prim)];
    const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
    const dnnl::engine& eng = Engine();
    // Input: the staged NHWC copy, or this chunk's NCHW slice converted here.
    memory src;
    if (staged_x) {
      src = Wrap(p.src, staged_x + c.n0 * H * W * g.c_in);
    } else {
      src = memory(p.src, eng, ThreadBuffer(kSrcSlot, p.src.get_size()));
      Reorder(p.src_reorder, Wrap(p.src_user, x + (c.n0 * g.c_in + c.c_in0) * H * W), src);
    }
    memory weights;
    if (staged_w && c.staged_weights) {
      weights = Wrap(p.weights, staged_w + weights_offset[static_cast<size_t>(c.block)]);
    } else {
      weights = memory(p.weights, eng, ThreadBuffer(kWeightsSlot, p.weights.get_size()));
      Reorder(p.weights_reorder, Wrap(p.weights_user, w + WeightsOffset(c.c_out0, c.c_in0)),
              weights);
    }
    memory dst(p.dst, eng, ThreadBuffer(kDstSlot, p.dst.get_size()));
    const int64_t y_off = (c.n0 * g.c_out + c.c_out0) * OH * OW;
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (e.bias) args.emplace(DNNL_ARG_BIAS, Wrap(p.bias, bias + c.c_out0));
    if (e.residual) {
      memory res(p.dst, eng, ThreadBuffer(kResidualSlot, p.dst.get_size()));
      Reorder(p.residual_reorder, Wrap(p.dst_user, residual + y_off), res);
      args.emplace(p.residual_arg, res);
    }
    if (p.scratch) args.emplace(DNNL_ARG_SCRATCHPAD, ScratchMemory(p.scratch));
    Exec(p.conv, std::move(args));
    Reorder(p.dst_reorder, dst, Wrap(p.dst_user, y + y_off));
    FillUncovered(c.n0, p.nb, c.c_out0, p.cout, bias, residual, y);
  }

  bool AllCovered() const { return covered[0] == g.out[0] && covered[1] == g.out[1]; }

  // The epilogue of a zero sum at the output positions outside `covered`, for images
  // [n0, n0 + nb) and channels [c0, c0 + cc).
  void FillUncovered(int64_t n0, int64_t nb, int64_t c0, int64_t cc, const float* bias,
                     const float* residual, float* y) const {
    if (AllCovered()) return;
    const int64_t OH = g.out[0], OW = g.out[1];
    for (int64_t n = n0; n < n0 + nb; ++n) {
      for (int64_t co = c0; co < c0 + cc; ++co) {
        const int64_t base = (n * g.c_out + co) * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t ow0 = oh < covered[0] ? covered[1] : 0;
          const int64_t off = base + oh * OW + ow0;
          EpilogueOnly(
              e, OW - ow0, [co](int64_t) { return co; }, bias, residual ? residual + off : nullptr,
              y + off);
        }
      }
    }
  }

  void Run(const ExecContext& ctx, const float* x, const float* w, const float* bias,
           const float* residual, float* y, const Tensor* constant_w) const {
    if (pointwise) {
      RunPointwise(ctx, x, w, bias, y);
      return;
    }
    if (direct) {
      direct->Run(ctx, x, w, bias, residual, y, constant_w);
      return;
    }
    if (im2col) {
      im2col->Run(ctx, x, w, bias, residual, y);
      return;
    }
    if (chunks.empty()) {
      FillUncovered(0, g.n, 0, g.c_out, bias, residual, y);
      return;
    }
    std::unique_ptr<CallBuffer> staged_w, staged_x;
    if (!stage_tasks.empty()) {
      if (stage_weights) staged_w = std::make_unique<CallBuffer>(staged_weights_bytes);
      if (stage_src) staged_x = std::make_unique<CallBuffer>(staged_src.get_size());
      ParallelDnnl(ctx, static_cast<int64_t>(stage_tasks.size()), "reorders",
                   [&](int64_t begin, int64_t end) {
                     for (int64_t i = begin; i < end; ++i) {
                       const StageTask& t = stage_tasks[static_cast<size_t>(i)];
                       const float* from = (t.weights ? w : x) + t.from_offset;
                       float* to = (t.weights ? staged_w : staged_x)->data + t.to_offset;
                       Reorder(t.reorder, Wrap(t.from, from), Wrap(t.to, to));
                     }
                   });
    }
    ParallelDnnl(
        ctx, static_cast<int64_t>(chunks.size()), "convolution", [&](int64_t begin, int64_t end) {
          for (int64_t t = begin; t < end; ++t) {
            RunChunk(chunks[static_cast<size_t>(t)], x, w, bias, residual, y,
                     staged_w ? staged_w->data : nullptr, staged_x ? staged_x->data : nullptr);
          }
        });
  }
};

Convolution::Convolution(const ops::ConvGeometry& geometry, bool transposed,
                         const Epilogue& epilogue, bool constant_w)
    : impl_(std::make_unique<Impl>(geometry, transposed, epilogue, constant_w)) {}
Convolution::~Convolution() = default;

int64_t Convolution::chunks() const {
  if (impl_->pointwise) return impl_->pointwise->chunks();
  if (impl_->direct) return impl_->direct->chunks();
  if (impl_->im2col) return impl_->im2col->chunks();
  return static_cast<int64_t>(impl_->chunks.size());
}

void Convolution::Run(const ExecContext& ctx, const float* x, const float* w, const float* bias,
                      const float* residual, float* y, const Tensor* constant_w) const {
  impl_->Run(ctx, x, w, bias, residual, y, constant_w);
}

}  // namespace bronze::onednn
