// Conformance: every registered conformance case (tests/ops/*_cases.cc) runs on every CPU backend
// that has a kernel for it, at 1 and 2 threads, against the reference kernel; the two thread
// counts must agree bitwise. The case also runs in f64 on the reference kernels, through a
// Session with the default (fastest) kernels, and its graph round-trips through the text IR.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

class Conformance : public ::testing::TestWithParam<ConformanceCase> {};

std::vector<Tensor> Inputs(const ConformanceCase& c) {
  std::vector<Tensor> in;
  for (size_t i = 0; i < c.inputs.size(); ++i) in.push_back(MakeInput(c.inputs[i], CaseSeed(c.op, c.name) + i));
  return in;
}

DType DispatchDType(const OpSchema& op, const std::vector<Tensor>& in, const std::vector<TensorType>& out) {
  return op.dispatch_input < 0 ? out[0].dtype : in[static_cast<size_t>(op.dispatch_input)].dtype();
}

bool BitwiseSame(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.dims() == b.dims() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST_P(Conformance, EveryBackendMatchesTheReference) {
  const ConformanceCase& c = GetParam();
  const OpSchema& op = OpRegistry::Global().Get(c.op);
  std::vector<Tensor> in = Inputs(c);
  std::vector<TensorType> out_types = OutputTypes(c.op, c.attrs, in);
  DType dispatch = DispatchDType(op, in, out_types);
  const KernelEntry* ref = KernelRegistry::Global().Find(c.op, DeviceKind::kCPU, dispatch, "ref");
  ASSERT_NE(ref, nullptr) << "no ref kernel for " << c.op << " " << DTypeName(dispatch);
  std::vector<Tensor> want = RunKernel(*ref, c.op, c.attrs, in, 1);
  ASSERT_EQ(want.size(), out_types.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(want[k].dims(), out_types[k].shape.static_dims()) << "output " << k;
  }
  int backends = 0;
  for (const KernelEntry* e : KernelRegistry::Global().All()) {
    if (e->op != c.op || e->device != DeviceKind::kCPU || e->dtype != dispatch || e->backend == "ref") continue;
    ++backends;
    SCOPED_TRACE("backend " + e->backend);
    std::vector<Tensor> one = RunKernel(*e, c.op, c.attrs, in, 1);
    std::vector<Tensor> two = RunKernel(*e, c.op, c.attrs, in, 2);
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(Compare(one[k], want[k], c.rtol, c.atol), "") << "output " << k;
      EXPECT_TRUE(BitwiseSame(one[k], two[k])) << "output " << k << " differs between 1 and 2 threads";
    }
  }
  RecordProperty("backends", backends);
}

TEST_P(Conformance, ReferenceInF64AgreesWithF32) {
  const ConformanceCase& c = GetParam();
  std::vector<Tensor> in = Inputs(c);
  bool any_f32 = false;
  for (const Tensor& t : in) any_f32 = any_f32 || t.dtype() == DType::kF32;
  if (!c.check_f64 || !any_f32) GTEST_SKIP() << "no f32 input";
  const OpSchema& op = OpRegistry::Global().Get(c.op);
  std::vector<Tensor> in64;
  for (const Tensor& t : in) in64.push_back(ToF64(t));
  std::vector<TensorType> types32 = OutputTypes(c.op, c.attrs, in);
  std::vector<TensorType> types64 = OutputTypes(c.op, c.attrs, in64);
  const KernelEntry* ref32 = KernelRegistry::Global().Find(c.op, DeviceKind::kCPU, DispatchDType(op, in, types32), "ref");
  const KernelEntry* ref64 = KernelRegistry::Global().Find(c.op, DeviceKind::kCPU, DispatchDType(op, in64, types64), "ref");
  ASSERT_NE(ref32, nullptr);
  ASSERT_NE(ref64, nullptr) << "no f64 ref kernel for " << c.op;
  std::vector<Tensor> a = RunKernel(*ref32, c.op, c.attrs, in, 1);
  std::vector<Tensor> b = RunKernel(*ref64, c.op, c.attrs, in64, 1);
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(Compare(b[k], ToF64(a[k]), 1e-3, 1e-4), "") << "output " << k;
  }
}

// The single-op graph a Session runs, and the tensors to feed it. An op that updates inputs in
// place (assign, the optimizers) must write into parameter or state values (the verifier
// rejects placeholders), so those inputs become `state` nodes holding the case's values.
Graph SessionGraph(const ConformanceCase& c, const std::vector<Tensor>& in,
                   std::vector<Tensor>* feed) {
  const OpSchema& op = OpRegistry::Global().Get(c.op);
  std::vector<TensorType> types;
  for (const Tensor& t : in) types.push_back({t.dtype(), Shape::FromDims(t.dims())});
  if (op.inplace.empty()) {
    *feed = in;
    return SingleOpGraph(c.op, c.attrs, types);
  }
  std::vector<bool> is_state(in.size(), false);
  for (const auto& [k, j] : op.inplace) {
    if (static_cast<size_t>(j) < in.size()) is_state[static_cast<size_t>(j)] = true;
  }
  Graph g("case_" + c.op);
  GraphBuilder b(g);
  std::vector<Value> values;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    if (is_state[i]) {
      values.push_back(b.State(name, in[i].Clone()));
    } else {
      values.push_back(b.Placeholder(name, types[i].dtype, types[i].shape));
      feed->push_back(in[i]);
    }
  }
  std::vector<Value> outs = b.Op(c.op, values, c.attrs, "node_under_test");
  for (size_t i = 0; i < outs.size(); ++i) b.Output("out" + std::to_string(i), outs[i]);
  return g;
}

TEST_P(Conformance, SessionWithDefaultKernelsMatchesTheReference) {
  const ConformanceCase& c = GetParam();
  std::vector<Tensor> in = Inputs(c);
  std::vector<Tensor> feed;
  Graph g = SessionGraph(c, in, &feed);
  SessionOptions ref_options;
  ref_options.backend = "ref";
  ref_options.threads = 1;
  std::vector<Tensor> want = Session(g, ref_options).Run(feed);
  SessionOptions fast;
  fast.threads = 2;
  std::vector<Tensor> got = Session(g, fast).Run(feed);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(Compare(got[k], want[k], c.rtol, c.atol), "") << "output " << k;
}

TEST_P(Conformance, GraphRoundTripsThroughText) {
  const ConformanceCase& c = GetParam();
  std::vector<TensorType> types;
  for (const InputSpec& s : c.inputs) types.push_back({s.dtype, Shape::FromDims(s.dims)});
  Graph g = SingleOpGraph(c.op, c.attrs, types);
  std::string text = PrintGraph(g);
  Graph back = ParseGraph(text);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, back, &why)) << why << "\n" << text;
  EXPECT_EQ(PrintGraph(back), text);
}

std::string CaseName(const ::testing::TestParamInfo<ConformanceCase>& info) {
  std::string name = info.param.op + "_" + info.param.name + "_" + std::to_string(info.index);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, Conformance, ::testing::ValuesIn(OpCases::Get().conformance()), CaseName);

}  // namespace
}  // namespace bronze::testing
