// The malformed-model suite: every damage class from malformed.h is rejected by Model::Load and
// Model::LoadFromMemory with its own LoadErrorCode and the path of the bad field; the
// undamaged (re-packed) base file loads; a 2^40-element tensor is rejected by the budget check.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "malformed.h"
#include "tests/test_util.h"

namespace bronze::testing {
namespace {

void WriteBytes(const std::string& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(Malformed, BaseFileAndItsRepackLoad) {
  Bytes base = DamageBaseFile();
  for (const Bytes& b : {base, Repack(base)}) {
    Model m = Model::LoadFromMemory(b);
    std::string why;
    EXPECT_TRUE(StructurallyEqual(m.graph(), DamageBaseGraph(), &why)) << why;
    EXPECT_EQ(m.metadata().at("author"), "test");
  }
}

TEST(Malformed, AtLeastFifteenClassesEachWithItsOwnCode) {
  std::vector<Damage> classes = DamageClasses();
  std::set<LoadErrorCode> codes;
  for (const Damage& d : classes) codes.insert(d.code);
  EXPECT_GE(codes.size(), 15u);
  EXPECT_EQ(codes.count(LoadErrorCode::kOk), 0u);
}

class MalformedClass : public ::testing::TestWithParam<Damage> {};

void ExpectRejected(const Damage& d, const std::function<void()>& load) {
  try {
    load();
    ADD_FAILURE() << d.name << ": loaded";
  } catch (const ModelFormatError& e) {
    EXPECT_EQ(e.load_code(), d.code) << d.name << ": got " << LoadErrorCodeName(e.load_code())
                                     << ": " << e.what();
    EXPECT_NE(e.field_path().find(d.path), std::string::npos)
        << d.name << ": path '" << e.field_path() << "' lacks '" << d.path << "': " << e.what();
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    EXPECT_NE(std::string(e.what()).find(LoadErrorCodeName(d.code)), std::string::npos);
  }
}

TEST_P(MalformedClass, RejectedFromMemoryWithItsCode) {
  const Damage& d = GetParam();
  Bytes bad = d.apply(DamageBaseFile());
  ExpectRejected(d, [&] { Model::LoadFromMemory(bad); });
  // Unaligned memory too (the loader copies it to aligned memory first).
  Bytes shifted(bad.size() + 1);
  std::copy(bad.begin(), bad.end(), shifted.begin() + 1);
  ExpectRejected(d, [&] { Model::LoadFromMemory(std::span(shifted).subspan(1)); });
}

TEST_P(MalformedClass, RejectedFromFileWithItsCode) {
  const Damage& d = GetParam();
  ScratchDir scratch;
  std::string path = scratch / "malformed.bronze";
  WriteBytes(path, d.apply(DamageBaseFile()));
  for (bool mmap : {true, false}) {
    LoadOptions o;
    o.mmap = mmap;
    ExpectRejected(d, [&] { Model::Load(path, o); });
  }
}

std::string CaseName(const ::testing::TestParamInfo<Damage>& info) {
  std::string s;
  for (char c : info.param.name) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Damages, MalformedClass, ::testing::ValuesIn(DamageClasses()), CaseName);

TEST(Malformed, TwoToTheFortyElementTensorIsRejectedByTheBudget) {
  // Also with a budget larger than the file but far below 4 TiB.
  for (uint64_t budget : {uint64_t{0}, uint64_t{1} << 20}) {
    LoadOptions o;
    o.memory_budget = budget;
    Damage d = DamageClasses()[0];
    for (const Damage& c : DamageClasses()) {
      if (c.code == LoadErrorCode::kMemoryBudget) d = c;
    }
    ASSERT_EQ(d.code, LoadErrorCode::kMemoryBudget);
    Bytes bad = d.apply(DamageBaseFile());
    ExpectRejected(d, [&] { Model::LoadFromMemory(bad, o); });
  }
}

TEST(Malformed, SmallBudgetRejectsAValidModel) {
  LoadOptions o;
  o.memory_budget = 16;  // w alone has 24 bytes
  Bytes base = DamageBaseFile();
  try {
    Model::LoadFromMemory(base, o);
    ADD_FAILURE() << "loaded";
  } catch (const ModelFormatError& e) {
    EXPECT_EQ(e.load_code(), LoadErrorCode::kMemoryBudget) << e.what();
  }
}

TEST(Malformed, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(LoadErrorCode::kWrongFileKind); ++c) {
    EXPECT_NE(LoadErrorCodeName(static_cast<LoadErrorCode>(c)), "unknown") << c;
  }
}

}  // namespace
}  // namespace bronze::testing
