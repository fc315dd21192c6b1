// The op test-case registry and the harness pieces the tests in tests/ops/ share: random inputs,
// running one kernel directly, comparing tensors, and single-op graphs.
#include "tests/ops/op_cases.h"

#include <cmath>
#include <numeric>
#include <sstream>

#include "kernels/parallel.h"

namespace bronze::testing {

OpCases& OpCases::Get() {
  static OpCases* cases = new OpCases();
  return *cases;
}

InputSpec F32(Dims dims) { return InputSpec{DType::kF32, std::move(dims), Fill::kNormal, -1, 1, {}}; }
InputSpec Uniform(DType dtype, Dims dims, double lo, double hi) {
  return InputSpec{dtype, std::move(dims), Fill::kUniform, lo, hi, {}};
}
InputSpec Ints(DType dtype, Dims dims, int64_t lo, int64_t hi) {
  return InputSpec{dtype, std::move(dims), Fill::kUniform, static_cast<double>(lo),
                   static_cast<double>(hi), {}};
}
InputSpec Bools(Dims dims) { return InputSpec{DType::kBool, std::move(dims), Fill::kBool, 0, 1, {}}; }
InputSpec Distinct(Dims dims) { return InputSpec{DType::kF32, std::move(dims), Fill::kDistinct, 0, 1, {}}; }
InputSpec Given(Tensor value) {
  InputSpec s{value.dtype(), value.dims(), Fill::kNormal, 0, 0, {}};
  s.value = std::move(value);
  return s;
}

namespace {

template <typename T>
void FillTensor(const InputSpec& spec, Tensor& t, std::mt19937_64& rng) {
  T* p = t.data<T>();
  const int64_t n = t.numel();
  if (spec.fill == Fill::kDistinct) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(static_cast<double>(perm[static_cast<size_t>(i)]) / static_cast<double>(n) - 0.5);
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(spec.lo, spec.hi);
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(spec.fill == Fill::kUniform ? uniform(rng) : normal(rng));
  } else if constexpr (std::is_same_v<T, bool>) {
    std::bernoulli_distribution coin(0.5);
    for (int64_t i = 0; i < n; ++i) p[i] = coin(rng);
  } else {
    int64_t lo = static_cast<int64_t>(spec.lo), hi = static_cast<int64_t>(spec.hi);
    if (spec.fill != Fill::kUniform) lo = -5, hi = 6;
    std::uniform_int_distribution<int64_t> ints(lo, std::max(lo, hi - 1));
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(ints(rng));
  }
}

}  // namespace

Tensor MakeInput(const InputSpec& spec, uint64_t seed) {
  if (spec.value) return spec.value->Clone();
  Tensor t = Tensor::Empty(spec.dtype, spec.dims);
  std::mt19937_64 rng(seed);
  switch (spec.dtype) {
    case DType::kF32: FillTensor<float>(spec, t, rng); break;
    case DType::kF64: FillTensor<double>(spec, t, rng); break;
    case DType::kI32: FillTensor<int32_t>(spec, t, rng); break;
    case DType::kI64: FillTensor<int64_t>(spec, t, rng); break;
    case DType::kU8: FillTensor<uint8_t>(spec, t, rng); break;
    case DType::kBool: FillTensor<bool>(spec, t, rng); break;
    default: throw UnimplementedError("MakeInput: dtype " + std::string(DTypeName(spec.dtype)));
  }
  return t;
}

Tensor ToF64(const Tensor& t) {
  if (t.dtype() != DType::kF32) return t;
  Tensor out = Tensor::Empty(DType::kF64, t.dims());
  const float* x = t.data<float>();
  double* y = out.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) y[i] = x[i];
  return out;
}

std::vector<TensorType> OutputTypes(const std::string& op, const AttrMap& attrs,
                                    const std::vector<Tensor>& inputs) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  std::vector<TensorType> in;
  for (const Tensor& t : inputs) in.push_back({t.dtype(), Shape::FromDims(t.dims())});
  return InferOutputTypes(schema, ResolveAttributes(schema, attrs), in, "node_under_test", "");
}

std::vector<Tensor> RunKernel(const KernelEntry& entry, const std::string& op, const AttrMap& attrs,
                              const std::vector<Tensor>& inputs, int threads) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  AttrMap resolved = ResolveAttributes(schema, attrs);
  std::vector<TensorType> in;
  for (const Tensor& t : inputs) in.push_back({t.dtype(), Shape::FromDims(t.dims())});
  std::vector<TensorType> out_types = InferOutputTypes(schema, resolved, in, "node_under_test", "");
  KernelSignature sig{op, resolved, in, out_types, Device::CPU()};
  std::unique_ptr<Kernel> kernel = entry.factory(sig);
  std::vector<Tensor> outs;
  for (const TensorType& t : out_types) outs.push_back(Tensor::Empty(t.dtype, t.shape.static_dims()));
  ThreadPool pool(threads);
  ExecContext ctx = pool.context();
  pool.Run([&] { kernel->Run(inputs, outs, ctx); });
  return outs;
}

std::string Compare(const Tensor& got, const Tensor& want, double rtol, double atol) {
  std::ostringstream why;
  if (got.dtype() != want.dtype() || got.dims() != want.dims()) {
    why << "got " << DTypeName(got.dtype()) << DimsToString(got.dims()) << ", want "
        << DTypeName(want.dtype()) << DimsToString(want.dims());
    return why.str();
  }
  const bool exact = !IsFloating(want.dtype());
  for (int64_t i = 0; i < want.numel(); ++i) {
    double g = got.GetAsDouble(i), w = want.GetAsDouble(i);
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && g == w) continue;
    bool ok = exact ? g == w : std::abs(g - w) <= atol + rtol * std::abs(w);
    if (!ok) {
      why.precision(9);
      why << "element " << i << ": got " << g << ", want " << w << " (rtol " << rtol << ", atol "
          << atol << ")";
      return why.str();
    }
  }
  return "";
}

Graph SingleOpGraph(const std::string& op, const AttrMap& attrs, const std::vector<TensorType>& inputs) {
  Graph g("case_" + op);
  GraphBuilder b(g);
  b.SetLocation("model.py:7");
  std::vector<Value> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in.push_back(b.Placeholder("in" + std::to_string(i), inputs[i].dtype, inputs[i].shape));
  }
  std::vector<Value> outs = b.Op(op, in, attrs, "node_under_test");
  for (size_t i = 0; i < outs.size(); ++i) b.Output("out" + std::to_string(i), outs[i]);
  return g;
}

void PrintTo(const ConformanceCase& c, std::ostream* os) { *os << c.op << ": " << c.name; }
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.op << ": " << c.name; }
void PrintTo(const GradCase& c, std::ostream* os) { *os << c.op << ": " << c.name; }

uint64_t CaseSeed(const std::string& op, const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char ch : op + "/" + name) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

}  // namespace bronze::testing
