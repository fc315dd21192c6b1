// The text IR parser: every error carries "line L, column C" and says what was wrong; comments are
// skipped; quoted node and output names, locations and constants of every dtype (NaN, inf, -0.0
// included) print and parse back bit-exactly; `data elided` and TextOptions behave as documented.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "test_util.h"

namespace bronze {
namespace {

using bronze::testing::ExpectError;

void ExpectParseError(const std::string& text, std::initializer_list<std::string> parts) {
  SCOPED_TRACE(text);
  ExpectError<ParseError>([&] { ParseGraph(text); }, parts);
}

// The graph every error case edits one line of.
const char* kLine1 = "graph \"g\" {\n";
const char* kLine2 = "  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]\n";
const char* kLine3 = "  %y = relu(%x) : f32[N, 3]\n";
const char* kEnd = "  return out = %y\n}\n";

std::string WithLine3(const std::string& line3) { return kLine1 + std::string(kLine2) + line3 + "\n" + kEnd; }
std::string WithLine2(const std::string& line2) { return kLine1 + line2 + "\n" + kLine3 + kEnd; }
// A constant c: f32[2] with the given data text, on line 2.
std::string ConstantWithData(const std::string& data, const std::string& dtype = "f32") {
  return kLine1 + std::string("  %c = constant() {dtype = ") + dtype + ", shape = (2,)} : " + dtype +
         "[2] data " + data + "\n}\n";
}

TEST(TextParse, TheBaseGraphParses) {
  Graph g = ParseGraph(WithLine3("  %y = relu(%x) : f32[N, 3]"));
  EXPECT_EQ(g.name(), "g");
  EXPECT_EQ(g.num_nodes(), 2u);
  EXPECT_EQ(g.node(g.FindNode("y")).inputs, (std::vector<Value>{{g.FindNode("x"), 0}}));
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.outputs()[0].name, "out");
  EXPECT_NO_THROW(Verify(g));
}

TEST(TextParse, UnknownOpSuggestsANearName) {
  ExpectParseError(WithLine3("  %y = relux(%x) : f32[N, 3]"),
                   {"line 3, column 8: ", "unknown op 'relux'", "did you mean relu"});
  std::string msg = ExpectError<ParseError>([] { ParseGraph(WithLine3("  %y = frobnicate(%x) : f32[N, 3]")); },
                                            {"line 3, column 8: unknown op 'frobnicate'"});
  EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;
}

TEST(TextParse, UnknownAttributeIsNamed) {
  ExpectParseError(WithLine2("  %x = placeholder() {dtype = f32, shap = (N, 3)} : f32[N, 3]"),
                   {"line 2, column 36: op placeholder has no attribute 'shap'"});
}

TEST(TextParse, AttributeGivenTwiceIsRejected) {
  ExpectParseError(WithLine2("  %x = placeholder() {dtype = f32, dtype = f32} : f32[N, 3]"),
                   {"line 2, column 36: attribute 'dtype' given twice"});
}

TEST(TextParse, ValueUsedBeforeItIsDefined) {
  ExpectParseError(WithLine3("  %y = relu(%z) : f32[N, 3]"),
                   {"line 3, column 13: value %z is used before it is defined"});
}

TEST(TextParse, ValueDefinedTwice) {
  ExpectParseError(WithLine3("  %x = relu(%x) : f32[N, 3]"), {"line 3, column 3: %x is defined twice"});
}

TEST(TextParse, BadDTypeInTypeAndInAttribute) {
  ExpectParseError(WithLine3("  %y = relu(%x) : f33[N, 3]"),
                   {"line 3, column 19: unknown dtype 'f33'", "f32, f64"});
  ExpectParseError(WithLine2("  %x = placeholder() {dtype = f33, shape = (N, 3)} : f32[N, 3]"),
                   {"line 2, column 31: unknown dtype 'f33'"});
}

TEST(TextParse, MissingEqualsSign) {
  ExpectParseError(WithLine3("  %y relu(%x) : f32[N, 3]"), {"line 3, column 6: expected '=', found 'relu'"});
}

TEST(TextParse, UnterminatedStringPointsAtItsStart) {
  ExpectParseError(WithLine3("  %y = relu(%x) : f32[N, 3] @\"file.py:3"), {"line 3, column 30: unterminated string"});
  ExpectParseError("graph \"g {\n}\n", {"line 1, column 7: unterminated string"});
}

TEST(TextParse, BadEscapesInStrings) {
  ExpectParseError(WithLine3("  %y = relu(%x) : f32[N, 3] @\"a\\qb\""), {"line 3, column 30: unknown escape \\q"});
  ExpectParseError(WithLine3("  %y = relu(%x) : f32[N, 3] @\"a\\xzz\""),
                   {"line 3, column 30: bad \\x escape"});
  ExpectParseError(WithLine3("  %y = relu(%x) : f32[N, 3] @\"\\x4\""), {"line 3, column 30: bad \\x escape"});
}

TEST(TextParse, TooManyDataValues) {
  ExpectParseError(ConstantWithData("[1.0, 2.0, 3.0]"),
                   {"line 2, column 72: more data values than the shape holds"});
}

TEST(TextParse, TooFewDataValues) {
  ExpectParseError(ConstantWithData("[1.0]"), {"line 2, column 56: 1 data values for shape (2,) of 2 elements"});
}

TEST(TextParse, DataOutOfRangeForItsDTypeIsRejected) {
  ExpectParseError(ConstantWithData("[1, 256]", "u8"), {"line 2, column 63: '256' is out of range for u8"});
  ExpectParseError(ConstantWithData("[-1, 0]", "u8"), {"'-1' is out of range for u8"});
  ExpectParseError(ConstantWithData("[2147483648, 0]", "i32"), {"'2147483648' is out of range for i32"});
  ExpectParseError(ConstantWithData("[0, 2]", "bool"), {"'2' is out of range for bool"});
  ExpectParseError(ConstantWithData("bits [65536, 0]", "f16"), {"is out of range for 16-bit float bits"});
  ExpectParseError(ConstantWithData("[1e39, 0]"), {"'1e39' is not a number"});
  ExpectParseError(ConstantWithData("[1.5, 2]", "i64"), {"'1.5' is not an integer"});
}

TEST(TextParse, HalfDataNeedsBitsAndOthersRejectIt) {
  ExpectParseError(ConstantWithData("[1, 2]", "f16"), {"line 2, column 56: 'data bits' is for f16 and bf16"});
  ExpectParseError(ConstantWithData("bits [1, 2]"), {"'data bits' is for f16 and bf16 values only"});
}

TEST(TextParse, DataOnANonSourceNode) {
  ExpectParseError(WithLine3("  %y = relu(%x) : f32[N, 3] data [1.0]"),
                   {"line 3, column 29: only source nodes carry data"});
}

TEST(TextParse, OutputIndexPastTheNodesOutputs) {
  ExpectParseError(WithLine3("  %y = relu(%x#3) : f32[N, 3]"), {"line 3, column 13: %x has no output 3"});
  ExpectParseError(WithLine3("  %y = relu(%x#4294967296) : f32[N, 3]"), {"%x has no output 4294967296"});
  ExpectParseError(WithLine3("  %y = relu(%x#-1) : f32[N, 3]"), {"%x has no output -1"});
}

TEST(TextParse, TrailingTextAfterTheGraph) {
  ExpectParseError(std::string(kLine1) + kLine2 + kLine3 + "  return out = %y\n} extra\n",
                   {"line 5, column 3: unexpected text after the graph"});
}

TEST(TextParse, CommentsAreSkipped) {
  Graph g = ParseGraph(
      "// leading comment\n"
      "graph \"g\" {  // after the brace\n"
      "  // a whole-line comment with %y = relu(%nothing)\n"
      "  %x = placeholder() {dtype = f32, shape = (2,)} : f32[2]  // trailing\n"
      "  return out = %x  // end\n"
      "}\n"
      "// final comment");
  EXPECT_EQ(g.num_nodes(), 1u);
  EXPECT_EQ(g.node(0).name, "x");
  EXPECT_EQ(g.outputs()[0].name, "out");
  // Comment lines still count for error positions.
  ExpectParseError("// one\n// two\ngraph \"g\" {\n  %x = nope() : f32[]\n}\n", {"line 4, column 8: unknown op 'nope'"});
}

// Prints, parses back, checks structural equality and that printing again gives the same text.
Graph RoundTrip(const Graph& g, const TextOptions& options = {}) {
  std::string text = PrintGraph(g, options);
  Graph back = ParseGraph(text);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, back, &why)) << why << "\n" << text;
  EXPECT_EQ(PrintGraph(back, options), text);
  return back;
}

TEST(TextRoundTrip, QuotedNodeAndOutputNames) {
  Graph g("my graph \"1\"");
  GraphBuilder b(g);
  Value x = b.Placeholder("a b", DType::kF32, {2});
  Value y = b.Op1("relu", {x}, {}, "x\"y\\z");
  b.Output("my out", y);
  b.Output("1st", x);
  b.Output("plain_name", y);
  std::string text = PrintGraph(g);
  EXPECT_NE(text.find("graph \"my graph \\\"1\\\"\" {"), std::string::npos) << text;
  EXPECT_NE(text.find("  %\"a b\" = placeholder()"), std::string::npos) << text;
  EXPECT_NE(text.find("  %\"x\\\"y\\\\z\" = relu(%\"a b\")"), std::string::npos) << text;
  EXPECT_NE(text.find("return \"my out\" = %\"x\\\"y\\\\z\", \"1st\" = %\"a b\", plain_name = "),
            std::string::npos) << text;
  Graph back = RoundTrip(g);
  EXPECT_NE(back.FindNode("a b"), kNoNode);
  EXPECT_NE(back.FindNode("x\"y\\z"), kNoNode);
  EXPECT_EQ(back.outputs()[1].name, "1st");
}

template <typename T>
Tensor FromBits(DType dtype, const std::vector<T>& bits) {
  Tensor t = Tensor::Empty(dtype, {static_cast<int64_t>(bits.size())});
  std::memcpy(t.raw_data(), bits.data(), bits.size() * sizeof(T));
  return t;
}

TEST(TextRoundTrip, ConstantsOfEveryDTypeAreBitExact) {
  using F = std::numeric_limits<float>;
  using D = std::numeric_limits<double>;
  Graph g("consts");
  GraphBuilder b(g);
  // 0x15ae43fd prints as 7.038531e-26, which reads back wrongly when rounded via double.
  Tensor f32 = Tensor::FromVector<float>(
      {12}, {0.1f, -0.0f, 0.0f, F::infinity(), -F::infinity(), F::quiet_NaN(), -F::quiet_NaN(),
             F::denorm_min(), F::max(), F::lowest(), 1.0f / 3.0f, 0.0f});
  uint32_t hard = 0x15ae43fd;
  std::memcpy(f32.data<float>() + 11, &hard, 4);
  b.Constant(f32, "f32");
  b.Constant(Tensor::FromVector<double>({10}, {0.1, -0.0, D::infinity(), -D::infinity(), D::quiet_NaN(),
                                               -D::quiet_NaN(), D::denorm_min(), D::max(), 1.0 / 3.0, 1e300}),
             "f64");
  b.Constant(FromBits<uint16_t>(DType::kF16, {0x3c00, 0x7e00, 0xfe00, 0x8000, 0x7c00, 0xfc00, 0x0001, 0x7d01}), "f16");
  b.Constant(FromBits<uint16_t>(DType::kBF16, {0x3f80, 0x7fc0, 0x8000, 0xff80, 0xffff}), "bf16");
  b.Constant(Tensor::FromVector<int32_t>({4}, {123, -1, std::numeric_limits<int32_t>::min(),
                                               std::numeric_limits<int32_t>::max()}), "i32");
  b.Constant(Tensor::FromVector<int64_t>({3}, {std::numeric_limits<int64_t>::min(), 0,
                                               std::numeric_limits<int64_t>::max()}), "i64");
  b.Constant(Tensor::FromVector<uint8_t>({3}, {0, 7, 255}), "u8");
  b.Constant(Tensor::FromVector<bool>({2}, {true, false}), "bool");
  b.Parameter("p", Tensor::FromVector<float>({2, 2}, {1, -2, 3.5f, -0.0f}));
  Graph back = RoundTrip(g);
  for (NodeId id : g.node_ids()) {
    const Node& n = g.node(id);
    SCOPED_TRACE(n.name);
    const Node& m = back.node(back.FindNode(n.name));
    ASSERT_TRUE(m.data.defined());
    EXPECT_TRUE(BitwiseEqual(n.data, m.data));
  }
  uint32_t got;
  std::memcpy(&got, back.node(back.FindNode("f32")).data.data<float>() + 11, 4);
  EXPECT_EQ(got, hard);
  std::string text = PrintGraph(g);
  EXPECT_NE(text.find("data [0.1, -0, 0, inf, -inf, nan, -nan, 1e-45, "), std::string::npos) << text;
  EXPECT_NE(text.find("data bits [15360, 32256, 65024, 32768, 31744, 64512, 1, 32001]"), std::string::npos);
  EXPECT_NE(text.find("data [1, 0]"), std::string::npos);
  EXPECT_NO_THROW(Verify(back));
}

TEST(TextParse, DataElidedParsesToANodeWithoutData) {
  Graph g = ParseGraph(ConstantWithData("elided"));
  const Node& c = g.node(g.FindNode("c"));
  EXPECT_FALSE(c.data.defined());
  EXPECT_EQ(c.outputs, (std::vector<TensorType>{{DType::kF32, Shape{2}}}));
}

TEST(TextPrint, ElideDataPrintsDataElided) {
  Graph g;
  GraphBuilder b(g);
  b.Parameter("w", Tensor::FromVector<float>({3}, {1, 2, 3}));
  std::string text = PrintGraph(g, TextOptions{.elide_data = true});
  EXPECT_NE(text.find("  %w = parameter() {dtype = f32, shape = (3,)} : f32[3] data elided\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("data ["), std::string::npos) << text;
  Graph back = ParseGraph(text);
  EXPECT_FALSE(back.node(back.FindNode("w")).data.defined());
  EXPECT_NE(PrintGraph(g).find("data [1, 2, 3]"), std::string::npos);
}

TEST(TextRoundTrip, LocationsWithQuotesBackslashesAndControlChars) {
  Graph g;
  GraphBuilder b(g);
  const std::string loc = "C:\\src\\my \"model\".py:12 enc/layer0\tx\n\x01";
  b.SetLocation(loc);
  Value x = b.Placeholder("x", DType::kF32, {2});
  b.Output("y", b.Op1("relu", {x}));
  std::string text = PrintGraph(g);
  EXPECT_NE(text.find("@\"C:\\\\src\\\\my \\\"model\\\".py:12 enc/layer0\\tx\\n\\x01\"\n"), std::string::npos)
      << text;
  Graph back = RoundTrip(g);
  EXPECT_EQ(back.node(back.FindNode("relu")).location, loc);
  std::string bare = PrintGraph(g, TextOptions{.locations = false});
  EXPECT_EQ(bare.find('@'), std::string::npos) << bare;
  EXPECT_EQ(ParseGraph(bare).node(0).location, "");
}

}  // namespace
}  // namespace bronze
