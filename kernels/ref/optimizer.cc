// Reference kernels for the optimizer family (graph/ops/optimizer.cc): assign (every dtype) and
// the sgd, adam, adamw, rmsprop and adagrad updates in f32 and f64. Naive and single-threaded:
// each element is computed in double straight from the torch.optim algorithm, with every state
// rounded to the parameter's dtype when it is stored (as a torch state tensor of that dtype
// would be). Outputs may alias inputs (the in-place updates): element i of every input is read
// before element i of any output is written, and scalar step counters are read first.
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

double F(const AttrMap& attrs, const char* name) { return attrs.at(name).f(); }
bool Flag(const AttrMap& attrs, const char* name) { return attrs.at(name).i() == 1; }

// The learning rate input (an f32 or f64 scalar) as a double.
double Lr(const Tensor& t) { return t.GetAsDouble(0); }

// torch.maximum: NaN when either side is NaN.
double MaxNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}

void Assign(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  if (in[1].nbytes() == 0) return;
  std::memmove(out[0].raw_data(), in[1].raw_data(), in[1].nbytes());  // may be the same buffer
}

template <typename T>
void Sgd(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double mu = F(attrs, "momentum"), tau = F(attrs, "dampening"),
               wd = F(attrs, "weight_decay");
  const bool nesterov = Flag(attrs, "nesterov");
  const double lr = Lr(in[2]);
  const T* p = in[0].data<T>();
  const T* g = in[1].data<T>();
  T* po = out[0].data<T>();
  const int64_t n = in[0].numel();
  if (mu == 0.0) {
    for (int64_t i = 0; i < n; ++i) {
      double pi = p[i], gi = g[i];
      if (wd != 0.0) gi += wd * pi;
      po[i] = static_cast<T>(pi - lr * gi);
    }
    return;
  }
  const T* b = in[3].data<T>();
  T* bo = out[1].data<T>();
  const int64_t step = in[4].data<int64_t>()[0];
  for (int64_t i = 0; i < n; ++i) {
    double pi = p[i], gi = g[i];
    if (wd != 0.0) gi += wd * pi;
    // PyTorch: buf = clone(g) on the first step, else buf = mu * buf + (1 - dampening) * g.
    const T bt = static_cast<T>(step == 0 ? gi : mu * static_cast<double>(b[i]) + (1.0 - tau) * gi);
    bo[i] = bt;
    const double d = nesterov ? gi + mu * static_cast<double>(bt) : static_cast<double>(bt);
    po[i] = static_cast<T>(pi - lr * d);
  }
  out[2].data<int64_t>()[0] = step + 1;
}

// Adam (kDecoupled = false) and AdamW (true).
template <typename T, bool kDecoupled>
void Adam(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double b1 = F(attrs, "beta1"), b2 = F(attrs, "beta2"), eps = F(attrs, "eps");
  const double wd = F(attrs, "weight_decay");
  const bool amsgrad = Flag(attrs, "amsgrad");
  const int64_t step = in[4].data<int64_t>()[0];
  const double lr = Lr(in[5]);
  const double t = static_cast<double>(step + 1);
  const double bc1 = 1.0 - std::pow(b1, t), bc2 = 1.0 - std::pow(b2, t);
  const double step_size = lr / bc1, bc2_sqrt = std::sqrt(bc2);
  const T* p = in[0].data<T>();
  const T* g = in[1].data<T>();
  const T* m = in[2].data<T>();
  const T* v = in[3].data<T>();
  const T* vmax = amsgrad ? in[6].data<T>() : nullptr;
  T* po = out[0].data<T>();
  T* mo = out[1].data<T>();
  T* vo = out[2].data<T>();
  T* vmaxo = amsgrad ? out[4].data<T>() : nullptr;
  const int64_t n = in[0].numel();
  for (int64_t i = 0; i < n; ++i) {
    double pi = p[i], gi = g[i];
    if (kDecoupled) {
      pi *= 1.0 - lr * wd;  // AdamW: param.mul_(1 - lr * weight_decay)
      pi = static_cast<T>(pi);
    } else if (wd != 0.0) {
      gi += wd * pi;
    }
    const T mt = static_cast<T>(b1 * m[i] + (1.0 - b1) * gi);
    const T vt = static_cast<T>(b2 * v[i] + (1.0 - b2) * gi * gi);
    double second = vt;
    if (amsgrad) {
      const T vmt = static_cast<T>(MaxNaN(vmax[i], vt));
      vmaxo[i] = vmt;
      second = vmt;
    }
    mo[i] = mt;
    vo[i] = vt;
    const double denom = std::sqrt(second) / bc2_sqrt + eps;
    po[i] = static_cast<T>(pi - step_size * (static_cast<double>(mt) / denom));
  }
  out[3].data<int64_t>()[0] = step + 1;
}

template <typename T>
void Rmsprop(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double alpha = F(attrs, "alpha"), eps = F(attrs, "eps"), wd = F(attrs, "weight_decay");
  const double mu = F(attrs, "momentum");
  const bool centered = Flag(attrs, "centered"), momentum = mu > 0.0;
  const double lr = Lr(in[2]);
  const T* p = in[0].data<T>();
  const T* g = in[1].data<T>();
  const T* sq = in[3].data<T>();
  size_t next = 4;
  const size_t ga_at = centered ? next++ : 0, buf_at = momentum ? next++ : 0;
  const T* ga = centered ? in[ga_at].data<T>() : nullptr;
  const T* buf = momentum ? in[buf_at].data<T>() : nullptr;
  T* po = out[0].data<T>();
  T* sqo = out[1].data<T>();
  T* gao = centered ? out[ga_at - 2].data<T>() : nullptr;  // output k aliases input k + 2
  T* bufo = momentum ? out[buf_at - 2].data<T>() : nullptr;
  const int64_t n = in[0].numel();
  for (int64_t i = 0; i < n; ++i) {
    double pi = p[i], gi = g[i];
    if (wd != 0.0) gi += wd * pi;
    const T sqt = static_cast<T>(alpha * sq[i] + (1.0 - alpha) * gi * gi);
    double avg;
    if (centered) {
      const T gat = static_cast<T>(alpha * ga[i] + (1.0 - alpha) * gi);
      gao[i] = gat;
      avg = std::sqrt(static_cast<double>(sqt) - static_cast<double>(gat) * gat);
    } else {
      avg = std::sqrt(static_cast<double>(sqt));
    }
    sqo[i] = sqt;
    avg += eps;
    if (momentum) {
      const T bt = static_cast<T>(mu * buf[i] + gi / avg);
      bufo[i] = bt;
      po[i] = static_cast<T>(pi - lr * bt);
    } else {
      po[i] = static_cast<T>(pi - lr * (gi / avg));
    }
  }
}

template <typename T>
void Adagrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const double lr_decay = F(attrs, "lr_decay"), wd = F(attrs, "weight_decay"),
               eps = F(attrs, "eps");
  const double lr = Lr(in[2]);
  const int64_t step = in[4].data<int64_t>()[0];
  const double clr = lr / (1.0 + static_cast<double>(step) * lr_decay);  // (t - 1) = step
  const T* p = in[0].data<T>();
  const T* g = in[1].data<T>();
  const T* s = in[3].data<T>();
  T* po = out[0].data<T>();
  T* so = out[1].data<T>();
  const int64_t n = in[0].numel();
  for (int64_t i = 0; i < n; ++i) {
    double pi = p[i], gi = g[i];
    if (wd != 0.0) gi += wd * pi;
    const T st = static_cast<T>(s[i] + gi * gi);
    so[i] = st;
    po[i] = static_cast<T>(pi - clr * (gi / (std::sqrt(static_cast<double>(st)) + eps)));
  }
  out[2].data<int64_t>()[0] = step + 1;
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefOptimizerKernels(KernelRegistry& r) {
  for (DType d : {DType::kF32, DType::kF64, DType::kF16, DType::kBF16, DType::kI32, DType::kI64,
                  DType::kU8, DType::kBool}) {
    ref::Register(r, "assign", d, &ref::Assign);
  }
  ref::Register(r, "sgd_update", DType::kF32, &ref::Sgd<float>);
  ref::Register(r, "sgd_update", DType::kF64, &ref::Sgd<double>);
  ref::Register(r, "adam_update", DType::kF32, &ref::Adam<float, false>);
  ref::Register(r, "adam_update", DType::kF64, &ref::Adam<double, false>);
  ref::Register(r, "adamw_update", DType::kF32, &ref::Adam<float, true>);
  ref::Register(r, "adamw_update", DType::kF64, &ref::Adam<double, true>);
  ref::Register(r, "rmsprop_update", DType::kF32, &ref::Rmsprop<float>);
  ref::Register(r, "rmsprop_update", DType::kF64, &ref::Rmsprop<double>);
  ref::Register(r, "adagrad_update", DType::kF32, &ref::Adagrad<float>);
  ref::Register(r, "adagrad_update", DType::kF64, &ref::Adagrad<double>);
}

}  // namespace bronze
