// onednn::Gemm (kernels/cpu/onednn.h): products cut into row or column blocks, each run by a
// single-threaded oneDNN matmul primitive, dnnl_sgemm, or the small-M Highway kernels of
// kernels/cpu/gemv.h; constant weights packed once into the primitives' layout. The chunking
// policy is described at the top of kernels/cpu/onednn.cc.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "graph/error.h"
#include "kernels/cpu/gemv.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/onednn_internal.h"
#include "kernels/parallel.h"

namespace bronze::onednn {

using namespace internal;

struct Gemm::Impl {
  struct Prim {
    memory::desc a, b, c, bias;
    memory::desc b_user;  // with packed weights: b as stored (p.b is the packed layout)
    dnnl::reorder pack;   // b_user -> b, once per weight storage
    dnnl::matmul matmul;
    size_t scratch = 0;
    int residual_arg = -1;
  };
  // A block of the output: `count` consecutive products (a group), rows [m0, m0 + mb) and
  // columns [n0, n0 + nb) of each; `prim` runs it, or kSgemm for dnnl_sgemm, or kGemv for the
  // small-M kernels of kernels/cpu/gemv.h.
  struct Tile {
    int64_t item, count;
    int64_t m0, mb, n0, nb;
    int prim;
  };

  static constexpr int kSgemm = -1, kGemv = -2;
  // A linear layer with at most this many outputs (a classifier head) runs the small-M kernel
  // on blocks of 4 rows: a packing GEMM would copy the whole input for a product of 16 columns
  // (linear 16384 -> 10 at batch 32: 203 -> 63 us, 2 threads, bench_models).
  static constexpr int64_t kSmallN = 16;

  GemmShape s;
  Epilogue e;
  int64_t products = 1;
  // Without an activation or a residual, blocks run through dnnl_sgemm (the bias pre-filled into
  // C, then beta = 1): the same kernels as oneDNN's own sgemm, without the per-call cost of a
  // primitive and without the matmul primitive's brgemm path, which is slower for small M.
  bool use_sgemm = false;
  std::vector<Prim> prims;
  std::vector<Tile> tiles;
  // Packed weights (pack_b): per tile, the packed copy of the b block it reads (tiles reading
  // the same block share one), for the storage they were packed from.
  bool pack_b = false;
  struct Packed {
    std::weak_ptr<Storage> storage;
    const float* data = nullptr;
    std::vector<memory> per_tile;
  };
  mutable std::mutex pack_mutex;
  mutable std::shared_ptr<const Packed> packed;

  int64_t AOffset(int64_t i) const { return s.a_offsets.empty() ? 0 : s.a_offsets[i]; }
  int64_t BOffset(int64_t i) const { return s.b_offsets.empty() ? 0 : s.b_offsets[i]; }

  // The primitive for a block: bb products (0: a 2-D product) of mb rows and nb columns.
  int PrimFor(std::map<std::tuple<int64_t, int64_t, int64_t>, int>& cache, int64_t bb, int64_t mb,
              int64_t nb) {
    if (use_sgemm) return kSgemm;
    auto key = std::make_tuple(bb, mb, nb);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    const int64_t K = s.k, N = s.n, M = s.m;
    Prim p;
    if (bb == 0) {
      p.a = s.a_transposed ? memory::desc({mb, K}, Dt::f32, memory::dims{1, M})
                           : memory::desc({mb, K}, Dt::f32, memory::dims{K, 1});
      p.b = s.b_transposed ? memory::desc({K, nb}, Dt::f32, memory::dims{1, K})
                           : memory::desc({K, nb}, Dt::f32, memory::dims{N, 1});
      p.c = memory::desc({mb, nb}, Dt::f32, memory::dims{N, 1});
      p.bias = memory::desc({1, nb}, Dt::f32, memory::dims{nb, 1});
    } else {
      p.a = s.a_transposed ? memory::desc({bb, mb, K}, Dt::f32, memory::dims{M * K, 1, M})
                           : memory::desc({bb, mb, K}, Dt::f32, memory::dims{M * K, K, 1});
      p.b = s.b_transposed ? memory::desc({bb, K, nb}, Dt::f32, memory::dims{N * K, 1, K})
                           : memory::desc({bb, K, nb}, Dt::f32, memory::dims{K * N, N, 1});
      p.c = memory::desc({bb, mb, nb}, Dt::f32, memory::dims{M * N, N, 1});
      p.bias = memory::desc({1, 1, nb}, Dt::f32, memory::dims{nb, nb, 1});
    }
    dnnl::primitive_attr attr = MakeAttr(e, p.c, &p.residual_arg);
    try {
      if (pack_b) {  // let the primitive choose b's layout (a single product: bb == 0)
        p.b_user = p.b;
        p.b = memory::desc({K, nb}, Dt::f32, memory::format_tag::any);
      }
      dnnl::matmul::desc d =
          e.bias ? dnnl::matmul::desc(p.a, p.b, p.bias, p.c) : dnnl::matmul::desc(p.a, p.b, p.c);
      dnnl::matmul::primitive_desc pd(d, attr, Engine());
      if (pack_b) {
        p.b = pd.weights_desc();
        p.pack = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), p.b_user, Engine(), p.b));
      }
      p.scratch = pd.scratchpad_desc().get_size();
      p.matmul = dnnl::matmul(pd);
    } catch (const dnnl::error& err) {
      RethrowDnnl(
          err, "matmul " + std::to_string(mb) + "x" + std::to_string(K) + "x" + std::to_string(nb));
    }
    prims.push_back(std::move(p));
    cache.emplace(key, static_cast<int>(prims.size() - 1));
    return static_cast<int>(prims.size() - 1);
  }

  Impl(const GemmShape& shape, const Epilogue& epilogue) : s(shape), e(epilogue) {
    products = s.a_offsets.empty() ? 1 : static_cast<int64_t>(s.a_offsets.size());
    // (Running relu epilogues through dnnl_sgemm plus a pass over each block measured slower for
    // large M than the primitive's post-ops: 5.0 vs 3.4 ms for the MLP at batch 256.)
    // Constant weights are packed once instead, for every epilogue: bench_models, 2 threads,
    // mlp_b256 3.52 -> 3.19 ms, transformer_b1 1.03 -> 0.96 ms.
    pack_b = s.constant_b && products == 1 && s.m > cpu::kGemvMaxRows && !s.bias_per_row &&
             !(s.n <= kSmallN && s.b_transposed && !s.a_transposed) && s.n > 0 && s.k > 0;
    if (e.accumulate) {
      if (e.bias || e.residual || e.activation != Activation::kNone) {
        ThrowInternal("onednn::Gemm: an accumulating GEMM with another epilogue");
      }
      pack_b = false;  // every block runs dnnl_sgemm, which takes alpha and beta
    }
    use_sgemm = e.activation == Activation::kNone && !e.residual && !pack_b;
    if (s.bias_per_row && !use_sgemm) {
      ThrowInternal("onednn::Gemm: a per-row bias with an activation or residual epilogue");
    }
    if (s.m == 0 || s.n == 0 || products == 0 || s.k == 0) return;  // nothing / epilogue only
    EnsureSingleThreadedOpenMP();
    if (s.m <= cpu::kGemvMaxRows && !s.a_transposed && !s.bias_per_row && !e.accumulate) {
      PlanGemv();
      return;
    }
    if (s.n <= kSmallN && s.b_transposed && !s.a_transposed && !s.bias_per_row && !e.accumulate) {
      PlanSmallN();
      return;
    }
    const double flops =
        2.0 * static_cast<double>(s.m) * static_cast<double>(s.k) * static_cast<double>(s.n);
    const int64_t target = ChunkTarget(flops * static_cast<double>(products));
    std::map<std::tuple<int64_t, int64_t, int64_t>, int> cache;
    if (products >= target) {
      // Whole products per chunk; with uniform strides a group of them is one batched primitive.
      bool uniform = products > 1;
      for (int64_t i = 0; uniform && i < products; ++i) {
        uniform = s.a_offsets[i] == i * s.m * s.k && s.b_offsets[i] == i * s.k * s.n;
      }
      const int64_t group = uniform ? CeilDiv(products, target) : 1;
      for (int64_t i = 0; i < products; i += group) {
        const int64_t count = std::min(group, products - i);
        tiles.push_back(
            {i, count, 0, s.m, 0, s.n, PrimFor(cache, group > 1 ? count : 0, s.m, s.n)});
      }
      return;
    }
    // Split each product along the larger of M and N. A block repacks the other operand, which
    // costs about as much as 5 rows (or columns) of work per 512: prefer blocks of >= 512, and
    // accept two blocks of >= 64 rather than none. With b packed once, blocks of rows share it
    // and repack nothing: split M (bench_models, 2 threads: mlp_b256 3.17 -> 2.97 ms,
    // transformer_b1 0.96 -> 0.83 ms against splitting N).
    const int64_t per_product = std::max<int64_t>(1, target / products);
    const bool split_m = pack_b || s.m >= s.n;
    const int64_t dim = split_m ? s.m : s.n;
    const int64_t max_parts = std::max<int64_t>(dim / 512, std::min<int64_t>(dim / 64, 2));
    const int64_t parts = std::min(per_product, Pow2Floor(std::max<int64_t>(max_parts, 1)));
    const int64_t block = RoundUp(CeilDiv(dim, parts), split_m ? 8 : 16);
    for (int64_t i = 0; i < products; ++i) {
      for (int64_t b0 = 0; b0 < dim; b0 += block) {
        const int64_t len = std::min(block, dim - b0);
        if (split_m) {
          tiles.push_back({i, 1, b0, len, 0, s.n, PrimFor(cache, 0, len, s.n)});
        } else {
          tiles.push_back({i, 1, 0, s.m, b0, len, PrimFor(cache, 0, s.m, len)});
        }
      }
    }
  }

  // Small M: the work is reading b once, so chunks follow its bytes (>= 128 KiB each), whole
  // products first, else column blocks of each product (multiples of 16 columns).
  void PlanGemv() {
    const double bytes = 4.0 * static_cast<double>(s.k) * static_cast<double>(s.n) *
                         static_cast<double>(products);
    const int64_t target = Pow2Floor(static_cast<int64_t>(
        std::clamp(bytes / (128.0 * 1024), 1.0, static_cast<double>(kMaxChunks))));
    if (products >= target) {
      const int64_t group = CeilDiv(products, target);
      for (int64_t i = 0; i < products; i += group) {
        tiles.push_back({i, std::min(group, products - i), 0, s.m, 0, s.n, kGemv});
      }
      return;
    }
    // Column blocks: rows of b (b_transposed) in multiples of 4 when there are many, columns of
    // b in multiples of 16 (a vector); a few long rows (linear 16384 -> 10) still get split.
    const int64_t unit = s.b_transposed ? (s.n >= 64 ? 4 : 1) : 16;
    const int64_t parts = std::min(target / products, std::max<int64_t>(1, s.n / unit));
    const int64_t block = RoundUp(CeilDiv(s.n, parts), unit);
    for (int64_t i = 0; i < products; ++i) {
      for (int64_t n0 = 0; n0 < s.n; n0 += block) {
        tiles.push_back({i, 1, 0, s.m, n0, std::min(block, s.n - n0), kGemv});
      }
    }
  }

  // Few columns, b transposed: blocks of rows (multiples of 4), >= kMinChunkFlops each.
  void PlanSmallN() {
    const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.k) *
                         static_cast<double>(s.n);
    const int64_t parts = std::min(ChunkTarget(flops), std::max<int64_t>(1, s.m / 4));
    const int64_t block = RoundUp(CeilDiv(s.m, parts), 4);
    for (int64_t i = 0; i < products; ++i) {
      for (int64_t m0 = 0; m0 < s.m; m0 += block) {
        tiles.push_back({i, 1, m0, std::min(block, s.m - m0), 0, s.n, kGemv});
      }
    }
  }

  // Product `i`'s rows and columns of tile `t` with the small-M kernel (4 rows at a time), then
  // the epilogue on them.
  void RunGemv(const Tile& t, int64_t i, const float* a, const float* b, const float* bias,
               const float* residual, float* c) const {
    const float* pb = b + BOffset(i);
    const int64_t n1 = t.n0 + t.nb;
    for (int64_t r = t.m0; r < t.m0 + t.mb; r += cpu::kGemvMaxRows) {
      const int64_t rows = std::min(cpu::kGemvMaxRows, t.m0 + t.mb - r);
      const float* pa = a + AOffset(i) + r * s.k;
      float* pc = c + i * s.m * s.n + r * s.n;
      if (s.b_transposed) {
        cpu::GemvBT(pa, s.k, pb, s.k, rows, t.n0, n1, pc, s.n);
      } else {
        cpu::GemvBN(pa, s.k, pb, s.n, s.k, rows, t.n0, n1, pc, s.n);
      }
    }
    const int64_t off = i * s.m * s.n + t.m0 * s.n + t.n0;
    EpilogueBlock(e, t.mb, t.nb, s.n, nullptr, e.bias ? bias + t.n0 : nullptr,
                  residual ? residual + off : nullptr, c + off);
  }

  // Packs every tile's block of b (on the calling thread: once per weight storage).
  std::shared_ptr<const Packed> Pack(const float* b, const Tensor& owner) const {
    auto out = std::make_shared<Packed>();
    out->storage = owner.storage();
    out->data = b;
    // Blocks packed so far: the same b offset in the same layout is packed once, even for
    // tiles of different primitives (row blocks of two heights want the same weight layout).
    struct Done {
      int64_t offset;
      memory::desc layout;
      memory block;
    };
    std::vector<Done> done;
    dnnl::stream& stream = ThreadStream();
    for (const Tile& t : tiles) {
      if (t.prim < 0) {
        out->per_tile.emplace_back();
        continue;
      }
      const Prim& p = prims[static_cast<size_t>(t.prim)];
      const int64_t off = s.b_transposed ? t.n0 * s.k : t.n0;
      auto it = std::find_if(done.begin(), done.end(),
                             [&](const Done& d) { return d.offset == off && d.layout == p.b; });
      if (it == done.end()) {
        memory block(p.b, Engine());
        memory from = Wrap(p.b_user, b + off);
        p.pack.execute(stream, from, block);
        stream.wait();
        it = done.insert(done.end(), {off, p.b, block});
      }
      out->per_tile.push_back(it->block);
    }
    return out;
  }

  void RunTile(const Tile& t, const float* a, const float* b, const float* bias,
               const float* residual, float* c, const memory* packed_b) const {
    if (t.prim == kGemv) {
      for (int64_t i = t.item; i < t.item + t.count; ++i) RunGemv(t, i, a, b, bias, residual, c);
      return;
    }
    if (t.prim == kSgemm) {
      for (int64_t i = t.item; i < t.item + t.count; ++i) {
        RunSgemm(t, i, a, b, bias, 1.f, e.bias ? 1.f : 0.f, c);
      }
      return;
    }
    const Prim& p = prims[static_cast<size_t>(t.prim)];
    const float* pa = a + AOffset(t.item) + (s.a_transposed ? t.m0 : t.m0 * s.k);
    const float* pb = b + BOffset(t.item) + (s.b_transposed ? t.n0 * s.k : t.n0);
    const int64_t c_off = t.item * s.m * s.n + t.m0 * s.n + t.n0;
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, Wrap(p.a, pa)},
                                            {DNNL_ARG_WEIGHTS, packed_b ? *packed_b : Wrap(p.b, pb)},
                                            {DNNL_ARG_DST, Wrap(p.c, c + c_off)}};
    if (e.bias) args.emplace(DNNL_ARG_BIAS, Wrap(p.bias, bias + t.n0));
    if (e.residual) args.emplace(p.residual_arg, Wrap(p.c, residual + c_off));
    if (p.scratch) args.emplace(DNNL_ARG_SCRATCHPAD, ScratchMemory(p.scratch));
    dnnl::stream& stream = ThreadStream();
    p.matmul.execute(stream, args);
    stream.wait();
  }

  // Product `i`'s block of tile `t` with dnnl_sgemm (row-major): c = alpha * a @ b + beta * c,
  // the bias (if any) pre-filled into c.
  void RunSgemm(const Tile& t, int64_t i, const float* a, const float* b, const float* bias,
                float alpha, float beta, float* c) const {
    const float* pa = a + AOffset(i) + (s.a_transposed ? t.m0 : t.m0 * s.k);
    const float* pb = b + BOffset(i) + (s.b_transposed ? t.n0 * s.k : t.n0);
    float* pc = c + i * s.m * s.n + t.m0 * s.n + t.n0;
    if (e.bias && s.bias_per_row) {
      for (int64_t r = 0; r < t.mb; ++r) std::fill_n(pc + r * s.n, t.nb, bias[t.m0 + r]);
    } else if (e.bias) {
      for (int64_t r = 0; r < t.mb; ++r) {
        std::memcpy(pc + r * s.n, bias + t.n0, static_cast<size_t>(t.nb) * sizeof(float));
      }
    }
    const dnnl_status_t status =
        dnnl_sgemm(s.a_transposed ? 'T' : 'N', s.b_transposed ? 'T' : 'N', t.mb, t.nb, s.k, alpha,
                   pa, s.a_transposed ? s.m : s.k, pb, s.b_transposed ? s.k : s.n, beta, pc, s.n);
    if (status != dnnl_success) {
      throw InternalError("dnnl_sgemm failed with status " + std::to_string(status));
    }
  }
};

Gemm::Gemm(const GemmShape& shape, const Epilogue& epilogue)
    : impl_(std::make_unique<Impl>(shape, epilogue)) {}
Gemm::~Gemm() = default;

int64_t Gemm::chunks() const { return static_cast<int64_t>(impl_->tiles.size()); }

bool Gemm::packs_b() const { return impl_->pack_b; }

void Gemm::Run(const ExecContext& ctx, const float* a, const float* b, const float* bias,
               const float* residual, float* c, const Tensor* constant_b) const {
  const Impl& im = *impl_;
  const GemmShape& s = im.s;
  if (s.m == 0 || s.n == 0 || im.products == 0) return;
  if (s.k == 0) {
    const int64_t m = s.m, n = s.n;
    const bool per_row = s.bias_per_row;
    EpilogueOnly(
        im.e, im.products * m * n, [=](int64_t i) { return per_row ? i / n % m : i % n; }, bias,
        residual, c);
    return;
  }
  std::shared_ptr<const Impl::Packed> packed;
  if (im.pack_b) {
    if (!constant_b) ThrowInternal("onednn::Gemm: a GEMM that packs b was run without its tensor");
    std::lock_guard<std::mutex> lock(im.pack_mutex);
    if (!im.packed || im.packed->data != b || im.packed->storage.lock() != constant_b->storage()) {
      EnsureSingleThreadedOpenMP();
      im.packed = im.Pack(b, *constant_b);
    }
    packed = im.packed;  // kept alive for this run even if another run repacks
  }
  ParallelDnnl(ctx, static_cast<int64_t>(im.tiles.size()), "matmul",
               [&](int64_t begin, int64_t end) {
                 for (int64_t t = begin; t < end; ++t) {
                   const size_t i = static_cast<size_t>(t);
                   im.RunTile(im.tiles[i], a, b, bias, residual, c,
                              packed && im.tiles[i].prim >= 0 ? &packed->per_tile[i] : nullptr);
                 }
               });
}

void Gemm::RunAccumulate(const ExecContext& ctx, const float* a, const float* b, float alpha,
                         float beta, float* c) const {
  const Impl& im = *impl_;
  const GemmShape& s = im.s;
  if (!im.e.accumulate) ThrowInternal("onednn::Gemm::RunAccumulate on a GEMM built without it");
  if (s.m == 0 || s.n == 0 || im.products == 0 || (beta == 1.f && s.k == 0)) return;
  if (s.k == 0) {
    const int64_t n = im.products * s.m * s.n;
    ParallelFor(ctx, n, kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) c[i] = beta == 0.f ? 0.f : c[i] * beta;
    });
    return;
  }
  ParallelDnnl(ctx, static_cast<int64_t>(im.tiles.size()), "matmul",
               [&](int64_t begin, int64_t end) {
                 for (int64_t t = begin; t < end; ++t) {
                   const Impl::Tile& tile = im.tiles[static_cast<size_t>(t)];
                   for (int64_t i = tile.item; i < tile.item + tile.count; ++i) {
                     im.RunSgemm(tile, i, a, b, nullptr, alpha, beta, c);
                   }
                 }
               });
}

}  // namespace bronze::onednn
