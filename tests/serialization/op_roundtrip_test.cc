// Every op's graphs through a model file: each conformance case of tests/ops (every op family
// and attribute kind the ops use) becomes a graph whose inputs are constants (their values go
// into the weight section; in-place operands are state nodes), is saved to memory and loaded
// back; the loaded graph is structurally equal and its Session outputs are bitwise identical.
#include <gtest/gtest.h>

#include "serialization/format_internal.h"
#include "tests/ops/op_cases.h"
#include "tests/test_util.h"

namespace bronze::testing {
namespace {

Graph CaseGraph(const ConformanceCase& c) {
  const OpSchema& op = OpRegistry::Global().Get(c.op);
  std::vector<bool> is_state(c.inputs.size(), false);
  for (const auto& [k, j] : op.inplace) {
    if (static_cast<size_t>(j) < c.inputs.size()) is_state[static_cast<size_t>(j)] = true;
  }
  Graph g("case_" + c.op);
  GraphBuilder b(g);
  b.SetLocation("case.py:1");
  std::vector<Value> values;
  const uint64_t seed = CaseSeed(c.op, c.name);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = MakeInput(c.inputs[i], seed + i);
    const std::string name = "in" + std::to_string(i);
    values.push_back(is_state[i] ? b.State(name, t.Clone()) : b.Constant(t, name));
  }
  std::vector<Value> outs = b.Op(c.op, values, c.attrs, "node_under_test");
  for (size_t i = 0; i < outs.size(); ++i) b.Output("out" + std::to_string(i), outs[i]);
  return g;
}

class OpRoundTrip : public ::testing::TestWithParam<ConformanceCase> {};

TEST_P(OpRoundTrip, SavedAndLoadedGraphIsEqualAndRunsBitwiseIdentically) {
  const ConformanceCase& c = GetParam();
  Graph g = CaseGraph(c);
  std::vector<uint8_t> bytes = format::ToBytes(format::EncodeModel(g, {}));
  Model m = Model::LoadFromMemory(bytes);
  std::string why;
  ASSERT_TRUE(StructurallyEqual(m.graph(), g, &why)) << why;
  SessionOptions o;
  o.threads = 1;
  std::vector<Tensor> want = Session(g, o).Run(std::vector<Tensor>{});
  std::vector<Tensor> got = Session(m, o).Run(std::vector<Tensor>{});
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) EXPECT_TRUE(BitwiseEqual(got[k], want[k])) << "output " << k;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpRoundTrip,
                         ::testing::ValuesIn(OpCases::Get().conformance()));

TEST(OpRoundTripCoverage, EveryRegisteredOpHasACaseAndEveryUsedAttrKindIsSeen) {
  std::set<std::string> with_case;
  std::set<AttrType> kinds;
  for (const ConformanceCase& c : OpCases::Get().conformance()) {
    with_case.insert(c.op);
    for (const auto& [name, a] : c.attrs) kinds.insert(a.type());
  }
  std::set<AttrType> declared;
  for (const OpSchema* op : OpRegistry::Global().All()) {
    for (const AttrSpec& s : op->attrs) declared.insert(s.type);
  }
  for (AttrType t : declared) {
    EXPECT_TRUE(kinds.count(t)) << "no case sets an attribute of kind " << AttrTypeName(t);
  }
  EXPECT_GT(with_case.size(), 50u);
}

}  // namespace
}  // namespace bronze::testing
