// Fast CPU kernel for scaled_dot_product_attention, f32, vectorized with Highway.
// Work items are fixed (batch problem, block of kItemRows query rows), so the split across
// threads never changes how a row is computed; with two or more problems per thread a task
// takes whole problems. Per item: k is transposed (by gathers) into a scratch (E, S_padded)
// buffer, once per problem and task when not causal, so q @ k^T becomes a small GEMM whose
// inner loop broadcasts q[i][e] and multiplies whole vectors of keys (4 query rows share every
// key load, no horizontal sums);
// then scale, mask and causal limits are applied per score, a max-subtracted softmax runs with
// the vectorized exp, and p @ v accumulates 4 rows at a time in registers along Ev.
// Causal items stop at the last key their rows may see. Fully masked rows give 0 and NaN scores
// give a NaN row, as in graph/ops/nn.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/nn_util.h"

// Declarations shared by every target's pass over this file (foreach_target re-includes it).
#ifndef BRONZE_KERNELS_CPU_NN_ATTENTION_DECLS
#define BRONZE_KERNELS_CPU_NN_ATTENTION_DECLS
namespace bronze::cpu {

// One attention problem, as the per-target code sees it.
struct AttentionArgs {
  const float* q;       // (L, E) rows of this batch problem
  const float* k;       // (S, E)
  const float* v;       // (S, Ev)
  const bool* mask_b;   // mask block (bool) or null
  const float* mask_f;  // mask block (float) or null
  int64_t m_row, m_col;
  int64_t l, s, e, ev;
  float scale;
  bool causal;
  float* y;             // (L, Ev)
};

inline constexpr int64_t kItemRows = 32;  // query rows per work item (a multiple of 4)

}  // namespace bronze::cpu
#endif  // BRONZE_KERNELS_CPU_NN_ATTENTION_DECLS

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/nn_attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"
#include "kernels/cpu/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows [i0, i1) of one problem. `scratch` holds (E + 4) * S rounded up to 64 floats.
// `k_ready`: scratch already holds this problem's transposed k (the previous item of the same
// non-causal problem on this thread wrote it).
void AttentionRowsF32(const AttentionArgs& a, int64_t i0, int64_t i1, float* HWY_RESTRICT scratch,
                      bool k_ready) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float neg_inf = -std::numeric_limits<float>::infinity();
  // Keys any row of this item may see, rounded up to whole vectors.
  const int64_t s_end = a.causal ? std::min(a.s, i1) : a.s;
  const int64_t sp = (s_end + lanes - 1) / lanes * lanes;
  float* kt = scratch;              // (E, sp): k transposed, zero padded
  float* sc = kt + a.e * sp;        // (4, sp): scores, then probabilities
  if (!k_ready) {
    // On AVX-512, 16 x 16 blocks in registers (kernels/cpu/transpose-inl.h). Elsewhere whole
    // vectors of keys by gathers (one store per vector instead of one per element), while the
    // offsets fit the gather's 32-bit indices; the rest row by row.
    int64_t j_done = 0;
    if (kTransposesInRegisters) {
      TransposeFloats(a.k, a.e, s_end, a.e, kt, sp);
      j_done = s_end;
    } else if (s_end * a.e < (int64_t{1} << 31)) {
      const hn::RebindToSigned<decltype(d)> di;
      const auto step = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(a.e)));
      for (; j_done + lanes <= s_end; j_done += lanes) {
        const float* kb = a.k + j_done * a.e;
        for (int64_t t = 0; t < a.e; ++t) {
          hn::StoreU(hn::GatherIndex(d, kb + t, step), d, kt + t * sp + j_done);
        }
      }
    }
    for (int64_t j = j_done; j < s_end; ++j) {
      const float* kr = a.k + j * a.e;
      for (int64_t t = 0; t < a.e; ++t) kt[t * sp + j] = kr[t];
    }
    for (int64_t t = 0; t < a.e; ++t) {
      for (int64_t j = s_end; j < sp; ++j) kt[t * sp + j] = 0.0f;
    }
  }
  for (int64_t r0 = i0; r0 < i1; r0 += 4) {
    const int64_t nr = std::min<int64_t>(4, i1 - r0);
    // Rows past the end alias row r0 (computed and discarded), so one 4-row path serves all.
    const float* qr[4];
    for (int64_t r = 0; r < 4; ++r) qr[r] = a.q + (r0 + (r < nr ? r : 0)) * a.e;
    // scores = q @ k^T over the keys [0, sp): two vectors of keys at a time (8 independent
    // accumulators keep both FMA pipes busy), then a last single vector.
    int64_t j0 = 0;
    for (; j0 + 2 * lanes <= sp; j0 += 2 * lanes) {
      auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
      auto e0 = hn::Zero(d), e1 = hn::Zero(d), e2 = hn::Zero(d), e3 = hn::Zero(d);
      for (int64_t t = 0; t < a.e; ++t) {
        const auto kv = hn::LoadU(d, kt + t * sp + j0);
        const auto kw = hn::LoadU(d, kt + t * sp + j0 + lanes);
        const auto q0 = hn::Set(d, qr[0][t]), q1 = hn::Set(d, qr[1][t]);
        const auto q2 = hn::Set(d, qr[2][t]), q3 = hn::Set(d, qr[3][t]);
        c0 = hn::MulAdd(q0, kv, c0);
        e0 = hn::MulAdd(q0, kw, e0);
        c1 = hn::MulAdd(q1, kv, c1);
        e1 = hn::MulAdd(q1, kw, e1);
        c2 = hn::MulAdd(q2, kv, c2);
        e2 = hn::MulAdd(q2, kw, e2);
        c3 = hn::MulAdd(q3, kv, c3);
        e3 = hn::MulAdd(q3, kw, e3);
      }
      hn::StoreU(c0, d, sc + 0 * sp + j0);
      hn::StoreU(c1, d, sc + 1 * sp + j0);
      hn::StoreU(c2, d, sc + 2 * sp + j0);
      hn::StoreU(c3, d, sc + 3 * sp + j0);
      hn::StoreU(e0, d, sc + 0 * sp + j0 + lanes);
      hn::StoreU(e1, d, sc + 1 * sp + j0 + lanes);
      hn::StoreU(e2, d, sc + 2 * sp + j0 + lanes);
      hn::StoreU(e3, d, sc + 3 * sp + j0 + lanes);
    }
    for (int64_t j = j0; j < sp; j += lanes) {
      auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
      for (int64_t t = 0; t < a.e; ++t) {
        const auto kv = hn::LoadU(d, kt + t * sp + j);
        c0 = hn::MulAdd(hn::Set(d, qr[0][t]), kv, c0);
        c1 = hn::MulAdd(hn::Set(d, qr[1][t]), kv, c1);
        c2 = hn::MulAdd(hn::Set(d, qr[2][t]), kv, c2);
        c3 = hn::MulAdd(hn::Set(d, qr[3][t]), kv, c3);
      }
      hn::StoreU(c0, d, sc + 0 * sp + j);
      hn::StoreU(c1, d, sc + 1 * sp + j);
      hn::StoreU(c2, d, sc + 2 * sp + j);
      hn::StoreU(c3, d, sc + 3 * sp + j);
    }
    // Per row: scale, mask, causal limit, softmax. kind: 0 normal, 1 all masked, 2 NaN.
    float inv_total[4] = {0, 0, 0, 0};
    int kind[4] = {1, 1, 1, 1};
    for (int64_t r = 0; r < nr; ++r) {
      const int64_t i = r0 + r;
      float* row = sc + r * sp;
      const int64_t last = a.causal ? std::min(s_end, i + 1) : s_end;
      float mx = neg_inf;
      bool nan = false;
      int64_t head = 0;  // scores [0, head) done by the vector path
      if (!a.mask_b && !a.mask_f && a.e > 0) {
        // No mask: scale, NaN check and max a vector at a time.
        const auto vscale = hn::Set(d, a.scale);
        auto vmax = hn::Set(d, neg_inf);
        auto vnan = hn::Ne(vscale, vscale);  // all false
        for (; head + lanes <= last; head += lanes) {
          const auto v = hn::Mul(vscale, hn::LoadU(d, row + head));
          hn::StoreU(v, d, row + head);
          vnan = hn::Or(vnan, hn::IsNaN(v));
          vmax = hn::Max(vmax, v);
        }
        nan = !hn::AllFalse(d, vnan);
        mx = hn::GetLane(hn::MaxOfLanes(d, vmax));
      }
      for (int64_t j = head; j < last; ++j) {
        float v = a.e == 0 ? 0.0f : a.scale * row[j];
        const int64_t m = i * a.m_row + j * a.m_col;
        if (a.mask_b && !a.mask_b[m]) v = neg_inf;
        if (a.mask_f) v += a.mask_f[m];
        row[j] = v;
        nan = nan || std::isnan(v);
        mx = std::max(mx, v);
      }
      for (int64_t j = last; j < sp; ++j) row[j] = neg_inf;
      if (nan || mx == neg_inf || mx == -neg_inf) {  // softmax of +inf scores is NaN too
        kind[r] = nan || mx != neg_inf ? 2 : 1;
        std::fill(row, row + sp, 0.0f);
        continue;
      }
      kind[r] = 0;
      const auto vmx = hn::Set(d, mx);
      auto total = hn::Zero(d);
      for (int64_t j = 0; j < sp; j += lanes) {
        const auto p = hn::Exp(d, hn::Sub(hn::LoadU(d, row + j), vmx));  // exp(-inf) = 0
        total = hn::Add(total, p);
        hn::StoreU(p, d, row + j);
      }
      inv_total[r] = 1.0f / hn::GetLane(hn::SumOfLanes(d, total));
    }
    for (int64_t r = nr; r < 4; ++r) std::fill(sc + r * sp, sc + (r + 1) * sp, 0.0f);
    // y = p @ v, 4 rows at a time, whole vectors along Ev, then a scalar tail.
    const float* p0 = sc;
    const float* p1 = sc + sp;
    const float* p2 = sc + 2 * sp;
    const float* p3 = sc + 3 * sp;
    float* yr[4];
    for (int64_t r = 0; r < 4; ++r) yr[r] = a.y + (r0 + (r < nr ? r : 0)) * a.ev;
    int64_t c = 0;
    for (; c + 2 * lanes <= a.ev; c += 2 * lanes) {
      // Two vectors along Ev: 8 independent accumulators.
      auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
      auto e0 = hn::Zero(d), e1 = hn::Zero(d), e2 = hn::Zero(d), e3 = hn::Zero(d);
      for (int64_t j = 0; j < s_end; ++j) {
        const auto vv = hn::LoadU(d, a.v + j * a.ev + c);
        const auto vw = hn::LoadU(d, a.v + j * a.ev + c + lanes);
        const auto w0 = hn::Set(d, p0[j]), w1 = hn::Set(d, p1[j]);
        const auto w2 = hn::Set(d, p2[j]), w3 = hn::Set(d, p3[j]);
        c0 = hn::MulAdd(w0, vv, c0);
        e0 = hn::MulAdd(w0, vw, e0);
        c1 = hn::MulAdd(w1, vv, c1);
        e1 = hn::MulAdd(w1, vw, e1);
        c2 = hn::MulAdd(w2, vv, c2);
        e2 = hn::MulAdd(w2, vw, e2);
        c3 = hn::MulAdd(w3, vv, c3);
        e3 = hn::MulAdd(w3, vw, e3);
      }
      // Row order 3..0: aliased rows past the end are overwritten by the real row r0 last.
      hn::StoreU(hn::Mul(c3, hn::Set(d, inv_total[3])), d, yr[3] + c);
      hn::StoreU(hn::Mul(e3, hn::Set(d, inv_total[3])), d, yr[3] + c + lanes);
      hn::StoreU(hn::Mul(c2, hn::Set(d, inv_total[2])), d, yr[2] + c);
      hn::StoreU(hn::Mul(e2, hn::Set(d, inv_total[2])), d, yr[2] + c + lanes);
      hn::StoreU(hn::Mul(c1, hn::Set(d, inv_total[1])), d, yr[1] + c);
      hn::StoreU(hn::Mul(e1, hn::Set(d, inv_total[1])), d, yr[1] + c + lanes);
      hn::StoreU(hn::Mul(c0, hn::Set(d, inv_total[0])), d, yr[0] + c);
      hn::StoreU(hn::Mul(e0, hn::Set(d, inv_total[0])), d, yr[0] + c + lanes);
    }
    for (; c + lanes <= a.ev; c += lanes) {
      auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
      for (int64_t j = 0; j < s_end; ++j) {
        const auto vv = hn::LoadU(d, a.v + j * a.ev + c);
        c0 = hn::MulAdd(hn::Set(d, p0[j]), vv, c0);
        c1 = hn::MulAdd(hn::Set(d, p1[j]), vv, c1);
        c2 = hn::MulAdd(hn::Set(d, p2[j]), vv, c2);
        c3 = hn::MulAdd(hn::Set(d, p3[j]), vv, c3);
      }
      // Row order 3..0: aliased rows past the end are overwritten by the real row r0 last.
      hn::StoreU(hn::Mul(c3, hn::Set(d, inv_total[3])), d, yr[3] + c);
      hn::StoreU(hn::Mul(c2, hn::Set(d, inv_total[2])), d, yr[2] + c);
      hn::StoreU(hn::Mul(c1, hn::Set(d, inv_total[1])), d, yr[1] + c);
      hn::StoreU(hn::Mul(c0, hn::Set(d, inv_total[0])), d, yr[0] + c);
    }
    for (; c < a.ev; ++c) {
      for (int64_t r = nr - 1; r >= 0; --r) {
        const float* pr = sc + r * sp;
        float acc = 0;
        for (int64_t j = 0; j < s_end; ++j) acc += pr[j] * a.v[j * a.ev + c];
        yr[r][c] = acc * inv_total[r];
      }
    }
    for (int64_t r = 0; r < nr; ++r) {
      if (kind[r] != 0) {
        std::fill(yr[r], yr[r] + a.ev,
                  kind[r] == 2 ? std::numeric_limits<float>::quiet_NaN() : 0.0f);
      }
    }
  }
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "hwy/aligned_allocator.h"
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(AttentionRowsF32);

void Attention(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  const nn::AttentionView view = nn::ReadAttention(in, out[0]);
  const float *q = in[0].data<float>(), *k = in[1].data<float>(), *v = in[2].data<float>();
  const bool mask_bool = view.has_mask && in[3].dtype() == DType::kBool;
  const bool* mb = mask_bool ? in[3].data<bool>() : nullptr;
  const float* mf = view.has_mask && !mask_bool ? in[3].data<float>() : nullptr;
  float* y = out[0].data<float>();
  double scale = attrs.at("scale").f();
  if (scale == 0 && view.e > 0) scale = 1.0 / std::sqrt(static_cast<double>(view.e));
  const bool causal = attrs.at("causal").i() == 1;
  const int64_t blocks = (view.l + kItemRows - 1) / kItemRows;
  const int64_t items = view.batch * blocks;
  const int64_t per_item = kItemRows * std::max<int64_t>(1, view.s) * (view.e + view.ev + 8);
  int64_t grain = std::max<int64_t>(1, 4 * kParallelGrain / std::max<int64_t>(1, per_item));
  // With at least two problems per thread, a task takes whole problems: k is transposed once
  // per problem instead of once per item (W4, 4 heads of 128 rows on 2 threads: the transposes
  // were a third of the kernel's time).
  if (!causal && view.batch >= 2 * ctx.threads) grain = std::max(grain, blocks);
  const int64_t max_lanes = 64;  // vectors of up to 2048 bits (any Highway target)
  const int64_t sp_max = (view.s + max_lanes - 1) / max_lanes * max_lanes;
  const size_t scratch = static_cast<size_t>((view.e + 4) * sp_max);
  auto* fn = &HWY_DYNAMIC_DISPATCH(AttentionRowsF32);
  ParallelFor(ctx, items, grain, [&](int64_t it0, int64_t it1) {
    // Per task (a bound kernel keeps no mutable state); every element read is written first.
    auto buf = hwy::AllocateAligned<float>(scratch + 1);
    int64_t k_in_buf = -1;  // the problem whose transposed k the buffer holds (non-causal)
    for (int64_t it = it0; it < it1; ++it) {
      const int64_t b = it / blocks, i0 = (it % blocks) * kItemRows;
      const int64_t i1 = std::min(view.l, i0 + kItemRows);
      AttentionArgs a{q + view.q_off[static_cast<size_t>(b)],
                      k + view.k_off[static_cast<size_t>(b)],
                      v + view.v_off[static_cast<size_t>(b)],
                      mb ? mb + view.m_off[static_cast<size_t>(b)] : nullptr,
                      mf ? mf + view.m_off[static_cast<size_t>(b)] : nullptr,
                      view.m_row, view.m_col, view.l, view.s, view.e, view.ev,
                      static_cast<float>(scale), causal, y + b * view.l * view.ev};
      fn(a, i0, i1, buf.get(), !causal && k_in_buf == b);
      k_in_buf = causal ? -1 : b;
    }
  });
}

}  // namespace

void RegisterNnAttentionKernels(KernelRegistry& r) {
  Register(r, "scaled_dot_product_attention", DType::kF32, &Attention);
}

}  // namespace bronze::cpu
#endif  // HWY_ONCE
