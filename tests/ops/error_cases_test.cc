// Error cases: every registered error case (tests/ops/*_cases.cc) is rejected with its error code
// and a message that names the op, the node and the substrings the case lists (shapes, values).
// Build-time cases fail in GraphBuilder::Op; run-time cases build and then fail in every backend.
#include <gtest/gtest.h>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

class ErrorCases : public ::testing::TestWithParam<ErrorCase> {};

void CheckError(const ErrorCase& c, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.code(), c.code) << "wrong error code " << ErrorCodeName(e.code()) << ": " << msg;
    EXPECT_NE(msg.find(c.op), std::string::npos) << "message lacks the op: " << msg;
    EXPECT_NE(msg.find("node_under_test"), std::string::npos) << "message lacks the node: " << msg;
    for (const std::string& part : c.expect) {
      EXPECT_NE(msg.find(part), std::string::npos) << "message lacks \"" << part << "\": " << msg;
    }
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-bronze error: " << e.what();
    return;
  }
  ADD_FAILURE() << "did not throw";
}

TEST_P(ErrorCases, IsRejectedWithACodeAndAClearMessage) {
  const ErrorCase& c = GetParam();
  ASSERT_GE(c.expect.size(), 1u) << "an error case must name what the message shows";
  if (!c.run_with) {
    CheckError(c, [&] { SingleOpGraph(c.op, c.attrs, c.inputs); });
    return;
  }
  Graph g = SingleOpGraph(c.op, c.attrs, c.inputs);
  for (const char* backend : {"ref", ""}) {
    SCOPED_TRACE(std::string("backend '") + backend + "'");
    SessionOptions options;
    options.backend = backend;
    options.threads = 2;
    Session session(g, options);
    CheckError(c, [&] { session.Run(*c.run_with); });
  }
}

std::string CaseName(const ::testing::TestParamInfo<ErrorCase>& info) {
  std::string name = info.param.op + "_" + info.param.name + "_" + std::to_string(info.index);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, ErrorCases, ::testing::ValuesIn(OpCases::Get().errors()), CaseName);

}  // namespace
}  // namespace bronze::testing
