// Typed node attributes: the AttrType of each constructor, typed access and the AttributeError of
// a wrong accessor, equality (NaN equals NaN, types never mix), and the text form: exact
// shortest-round-trip floats (FormatDouble) and escaped strings.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "test_util.h"

namespace bronze {
namespace {

using bronze::testing::ExpectError;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One attribute of each type, with the accessor that reads it.
struct Sample {
  Attribute attr;
  AttrType type;
  const char* type_name;
};

std::vector<Sample> Samples() {
  return {
      {Attribute(int64_t{-7}), AttrType::kInt, "int"},
      {Attribute(2.5), AttrType::kFloat, "float"},
      {Attribute("hi"), AttrType::kString, "string"},
      {Attribute(DType::kBF16), AttrType::kDType, "dtype"},
      {Attribute(std::vector<int64_t>{1, -2}), AttrType::kInts, "ints"},
      {Attribute(std::vector<double>{0.5}), AttrType::kFloats, "floats"},
      {Attribute(Shape{Dim::Symbol("N"), 3}), AttrType::kShape, "shape"},
  };
}

// Calls the accessor matching `type` on `a` (discarding the result).
void Access(const Attribute& a, AttrType type) {
  switch (type) {
    case AttrType::kInt: (void)a.i(); break;
    case AttrType::kFloat: (void)a.f(); break;
    case AttrType::kString: (void)a.s(); break;
    case AttrType::kDType: (void)a.dtype(); break;
    case AttrType::kInts: (void)a.ints(); break;
    case AttrType::kFloats: (void)a.floats(); break;
    case AttrType::kShape: (void)a.shape(); break;
  }
}

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

TEST(Attribute, TypeNamesAreStable) {
  EXPECT_EQ(AttrTypeName(AttrType::kInt), "int");
  EXPECT_EQ(AttrTypeName(AttrType::kFloat), "float");
  EXPECT_EQ(AttrTypeName(AttrType::kString), "string");
  EXPECT_EQ(AttrTypeName(AttrType::kDType), "dtype");
  EXPECT_EQ(AttrTypeName(AttrType::kInts), "ints");
  EXPECT_EQ(AttrTypeName(AttrType::kFloats), "floats");
  EXPECT_EQ(AttrTypeName(AttrType::kShape), "shape");
  EXPECT_EQ(static_cast<int>(AttrType::kInt), 1);
  EXPECT_EQ(static_cast<int>(AttrType::kShape), 7);
}

TEST(Attribute, EachConstructorSetsItsType) {
  for (const Sample& s : Samples()) {
    SCOPED_TRACE(s.type_name);
    EXPECT_EQ(s.attr.type(), s.type);
  }
  EXPECT_EQ(Attribute(3).type(), AttrType::kInt);  // plain int is an int64 attribute
  EXPECT_EQ(Attribute(std::string("x")).type(), AttrType::kString);
  EXPECT_EQ(Attribute().type(), AttrType::kInt);
  EXPECT_EQ(Attribute().i(), 0);
}

TEST(Attribute, TypedAccessReturnsTheStoredValue) {
  EXPECT_EQ(Attribute(int64_t{-7}).i(), -7);
  EXPECT_EQ(Attribute(3).i(), 3);
  EXPECT_EQ(Attribute(2.5).f(), 2.5);
  EXPECT_EQ(Attribute("hi").s(), "hi");
  EXPECT_EQ(Attribute(DType::kBF16).dtype(), DType::kBF16);
  EXPECT_EQ(Attribute(std::vector<int64_t>{1, -2}).ints(), (std::vector<int64_t>{1, -2}));
  EXPECT_EQ(Attribute(std::vector<double>{0.5, -1}).floats(), (std::vector<double>{0.5, -1}));
  EXPECT_EQ(Attribute(Shape{Dim::Symbol("N"), 3}).shape(), (Shape{Dim::Symbol("N"), 3}));
}

TEST(Attribute, WrongAccessorThrowsAttributeErrorNamingBothTypes) {
  std::vector<Sample> samples = Samples();
  for (const Sample& held : samples) {
    for (const Sample& asked : samples) {
      if (held.type == asked.type) {
        EXPECT_NO_THROW(Access(held.attr, asked.type));
        continue;
      }
      SCOPED_TRACE(std::string(held.type_name) + " read as " + asked.type_name);
      ExpectError<AttributeError>(
          [&] { Access(held.attr, asked.type); },
          {"attribute has type " + std::string(held.type_name) + ", expected " + asked.type_name});
    }
  }
}

TEST(Attribute, EqualityComparesTypeAndValue) {
  EXPECT_EQ(Attribute(3), Attribute(int64_t{3}));
  EXPECT_FALSE(Attribute(3) == Attribute(4));
  EXPECT_FALSE(Attribute(int64_t{1}) == Attribute(1.0));  // types never mix
  EXPECT_FALSE(Attribute(std::vector<int64_t>{}) == Attribute(std::vector<double>{}));
  EXPECT_EQ(Attribute("a"), Attribute(std::string("a")));
  EXPECT_FALSE(Attribute("a") == Attribute("b"));
  EXPECT_FALSE(Attribute(DType::kF32) == Attribute(DType::kF64));
  EXPECT_FALSE(Attribute(std::vector<int64_t>{1, 2}) == Attribute(std::vector<int64_t>{2, 1}));
  EXPECT_FALSE(Attribute(Shape{1, 2}) == Attribute(Shape{1, 2, 1}));
  EXPECT_FALSE(Attribute(std::vector<double>{1}) == Attribute(std::vector<double>{1, 1}));
}

TEST(Attribute, NaNEqualsNaN) {
  EXPECT_EQ(Attribute(kNaN), Attribute(kNaN));
  EXPECT_EQ(Attribute(std::vector<double>{1.0, kNaN}), Attribute(std::vector<double>{1.0, kNaN}));
  EXPECT_FALSE(Attribute(kNaN) == Attribute(0.0));
  EXPECT_FALSE(Attribute(std::vector<double>{kNaN}) == Attribute(std::vector<double>{1.0}));
  EXPECT_EQ(Attribute(kInf), Attribute(kInf));
  EXPECT_FALSE(Attribute(kInf) == Attribute(-kInf));
}

TEST(Attribute, ToTextOfScalarsDTypesAndLists) {
  EXPECT_EQ(Attribute(3).ToText(), "3");
  EXPECT_EQ(Attribute(int64_t{-9223372036854775807 - 1}).ToText(), "-9223372036854775808");
  EXPECT_EQ(Attribute(2.5).ToText(), "2.5");
  EXPECT_EQ(Attribute(DType::kF32).ToText(), "f32");
  EXPECT_EQ(Attribute(DType::kBool).ToText(), "bool");
  EXPECT_EQ(Attribute(std::vector<int64_t>{1, 2}).ToText(), "[1, 2]");
  EXPECT_EQ(Attribute(std::vector<int64_t>{}).ToText(), "[]");
  EXPECT_EQ(Attribute(std::vector<double>{1.0, 2.5}).ToText(), "[1.0, 2.5]");
  EXPECT_EQ(Attribute(std::vector<double>{kNaN, -kInf}).ToText(), "[nan, -inf]");
  EXPECT_EQ(Attribute(Shape{Dim::Symbol("N"), 3}).ToText(), "(N, 3)");
  EXPECT_EQ(Attribute(Shape{4}).ToText(), "(4,)");
  EXPECT_EQ(Attribute(Shape{}).ToText(), "()");
}

TEST(FormatDouble, PrintsTheShortestExactForm) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(1.0), "1.0");
  EXPECT_EQ(FormatDouble(100.0), "100.0");
  EXPECT_EQ(FormatDouble(-2.0), "-2.0");
  EXPECT_EQ(FormatDouble(0.0), "0.0");
  EXPECT_EQ(FormatDouble(-0.0), "-0.0");
  EXPECT_EQ(FormatDouble(1e300), "1e+300");
  EXPECT_EQ(FormatDouble(1e21), "1e+21");
  EXPECT_EQ(FormatDouble(5e-324), "5e-324");
  EXPECT_EQ(FormatDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatDouble(kInf), "inf");
  EXPECT_EQ(FormatDouble(-kInf), "-inf");
  EXPECT_EQ(FormatDouble(kNaN), "nan");
}

TEST(FormatDouble, ReadsBackToTheSameBits) {
  const double values[] = {0.1,
                           -0.0,
                           1e300,
                           1.0 / 3.0,
                           2.0 / 3.0,
                           123456789.125,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::epsilon(),
                           9007199254740993.0,
                           -7.038531e-26};
  for (double v : values) {
    std::string text = FormatDouble(v);
    SCOPED_TRACE(text);
    double back = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(res.ec, std::errc());
    EXPECT_EQ(res.ptr, text.data() + text.size());
    EXPECT_EQ(Bits(back), Bits(v));
  }
}

TEST(Attribute, FloatToTextUsesFormatDouble) {
  for (double v : {0.1, 1e300, -0.0, kInf, kNaN, 3.0}) {
    EXPECT_EQ(Attribute(v).ToText(), FormatDouble(v));
  }
}

TEST(Attribute, StringToTextQuotesAndEscapes) {
  EXPECT_EQ(Attribute("plain").ToText(), "\"plain\"");
  EXPECT_EQ(Attribute("").ToText(), "\"\"");
  EXPECT_EQ(Attribute("say \"hi\"").ToText(), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(Attribute("a\\b").ToText(), "\"a\\\\b\"");
  EXPECT_EQ(Attribute("line1\nline2").ToText(), "\"line1\\nline2\"");
  EXPECT_EQ(Attribute("tab\there").ToText(), "\"tab\\there\"");
}

TEST(Attribute, StringToTextHexEscapesOtherControlChars) {
  EXPECT_EQ(Attribute(std::string("\x01\r\x1f")).ToText(), "\"\\x01\\x0d\\x1f\"");
  EXPECT_EQ(Attribute(std::string(1, '\0')).ToText(), "\"\\x00\"");
  // Printable ASCII and bytes >= 0x80 (UTF-8) pass through unchanged.
  EXPECT_EQ(Attribute("caf\xc3\xa9 ~").ToText(), "\"caf\xc3\xa9 ~\"");
}

}  // namespace
}  // namespace bronze
