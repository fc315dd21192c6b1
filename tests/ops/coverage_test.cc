// The op library's completeness check: every registered op has conformance cases, at least three
// error cases, a frozen stable id, a gradient builder and three gradient checks when it is
// differentiable, a reference kernel in f64 wherever it runs in f32 (gradient
// checks need it), and a fast CPU kernel for every f32 or bool case. Adding an op without all of
// these fails here, with the missing piece named.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

DType CaseDispatchDType(const ConformanceCase& c) {
  const OpSchema& op = OpRegistry::Global().Get(c.op);
  if (op.dispatch_input >= 0) return c.inputs.at(static_cast<size_t>(op.dispatch_input)).dtype;
  std::vector<Tensor> in;
  for (const InputSpec& s : c.inputs) in.push_back(MakeInput(s, 1));
  return OutputTypes(c.op, c.attrs, in)[0].dtype;
}

TEST(OpCoverage, EveryOpHasConformanceAndErrorCasesAndAFrozenId) {
  std::map<std::string, int> conformance, errors;
  std::map<std::string, uint32_t> frozen;
  for (const ConformanceCase& c : OpCases::Get().conformance()) ++conformance[c.op];
  for (const ErrorCase& c : OpCases::Get().errors()) ++errors[c.op];
  for (const auto& [op, id] : OpCases::Get().frozen_ids()) {
    EXPECT_TRUE(frozen.emplace(op, id).second) << "op " << op << " frozen twice";
  }
  for (const OpSchema* op : OpRegistry::Global().All()) {
    if (op->is_source) continue;
    SCOPED_TRACE("op " + op->name);
    EXPECT_GE(conformance[op->name], 1) << "no conformance case in tests/ops/";
    EXPECT_GE(errors[op->name], 3) << "fewer than three error cases in tests/ops/";
    auto it = frozen.find(op->name);
    if (it == frozen.end()) {
      ADD_FAILURE() << "no frozen id (c.FreezeId) in tests/ops/";
    } else {
      EXPECT_EQ(op->id, it->second) << "stable id changed: saved models would break";
    }
  }
  for (const auto& [name, id] : frozen) EXPECT_NE(OpRegistry::Global().Find(name), nullptr) << name;
}

// Autodiff needs every op to say whether it is differentiable, a gradient builder for each one
// that is, and gradient checks (at least three: plain, broadcasting, size-1 dims, ...).
TEST(OpCoverage, EveryDifferentiableOpHasAGradientAndThreeGradientChecks) {
  std::map<std::string, int> cases;
  for (const GradCase& c : OpCases::Get().grads()) ++cases[c.op];
  for (const OpSchema* op : OpRegistry::Global().All()) {
    SCOPED_TRACE("op " + op->name);
    EXPECT_NE(op->differentiability, Differentiability::kUnspecified)
        << "the schema does not say whether the op is differentiable";
    if (op->differentiability != Differentiability::kDifferentiable) {
      EXPECT_EQ(cases[op->name], 0) << "gradient cases for an op marked not differentiable";
      continue;
    }
    EXPECT_TRUE(static_cast<bool>(op->grad)) << "differentiable but no gradient builder (graph/ops/*_grad.cc)";
    EXPECT_GE(cases[op->name], 3) << "fewer than three gradient cases in tests/ops/*_grad_cases.cc";
  }
  for (const auto& [name, n] : cases) EXPECT_NE(OpRegistry::Global().Find(name), nullptr) << name;
}

TEST(OpCoverage, EveryCaseNamesARegisteredOp) {
  for (const ConformanceCase& c : OpCases::Get().conformance()) EXPECT_NE(OpRegistry::Global().Find(c.op), nullptr) << c.op;
  for (const ErrorCase& c : OpCases::Get().errors()) EXPECT_NE(OpRegistry::Global().Find(c.op), nullptr) << c.op;
}

TEST(OpCoverage, EveryOpHasAFastCpuKernelAndF64ReferenceKernels) {
  const KernelRegistry& kernels = KernelRegistry::Global();
  std::set<std::pair<std::string, DType>> seen;
  for (const ConformanceCase& c : OpCases::Get().conformance()) {
    DType d = CaseDispatchDType(c);
    if (!seen.emplace(c.op, d).second) continue;
    SCOPED_TRACE("op " + c.op + " " + std::string(DTypeName(d)));
    EXPECT_NE(kernels.Find(c.op, DeviceKind::kCPU, d, "ref"), nullptr) << "no ref kernel";
    if (d == DType::kF32 || d == DType::kBool) {
      EXPECT_NE(kernels.Find(c.op, DeviceKind::kCPU, d, "cpu"), nullptr) << "no fast cpu kernel";
    }
    if (d == DType::kF32) {
      EXPECT_NE(kernels.Find(c.op, DeviceKind::kCPU, DType::kF64, "ref"), nullptr) << "no f64 ref kernel";
    }
  }
}

}  // namespace
}  // namespace bronze::testing
