// Symbolic dims and shapes: Dim construction and parsing, monomial products and exact division,
// substitution and evaluation (with overflow and unbound-symbol errors), Shape printing and
// queries, NormalizeAxis, NumPy broadcasting and the element count of concrete shapes.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "test_util.h"

namespace bronze {
namespace {

using bronze::testing::ExpectError;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Dim N() { return Dim::Symbol("N"); }
Dim T() { return Dim::Symbol("T"); }

TEST(Dim, StaticDimHasItsValueAndNoSymbols) {
  Dim d(3);
  EXPECT_TRUE(d.is_static());
  EXPECT_EQ(d.value(), 3);
  EXPECT_EQ(d.coefficient(), 3);
  EXPECT_TRUE(d.symbols().empty());
  EXPECT_EQ(d.ToString(), "3");
  EXPECT_EQ(Dim().value(), 0);
}

TEST(Dim, SymbolIsSymbolicWithCoefficientOne) {
  Dim n = N();
  EXPECT_FALSE(n.is_static());
  EXPECT_EQ(n.coefficient(), 1);
  EXPECT_EQ(n.symbols(), std::vector<std::string>{"N"});
  EXPECT_EQ(n.ToString(), "N");
  EXPECT_NE(n, Dim(1));
  EXPECT_NE(n, T());
}

TEST(Dim, ValueOfSymbolicDimThrowsShapeError) {
  ExpectError<ShapeError>([] { (void)Dim::Parse("2*N").value(); }, {"dim 2*N is symbolic"});
}

TEST(Dim, SymbolRejectsNamesThatAreNotIdentifiers) {
  for (const char* bad : {"", "1N", "N-1", "a b", "N*T"}) {
    SCOPED_TRACE(bad);
    ExpectError<InvalidArgumentError>([&] { Dim::Symbol(bad); },
                                      {"bad symbolic dim name '" + std::string(bad) + "'"});
  }
  EXPECT_EQ(Dim::Symbol("_seq2").ToString(), "_seq2");
}

TEST(Dim, ParseReadsIntegersSymbolsAndProducts) {
  EXPECT_EQ(Dim::Parse("3"), Dim(3));
  EXPECT_EQ(Dim::Parse("0"), Dim(0));
  EXPECT_EQ(Dim::Parse("-1"), Dim(-1));
  EXPECT_EQ(Dim::Parse("N"), N());
  Dim nt = Dim::Parse("N*T");
  EXPECT_EQ(nt.coefficient(), 1);
  EXPECT_EQ(nt.symbols(), (std::vector<std::string>{"N", "T"}));
  Dim two_n = Dim::Parse("2*N");
  EXPECT_EQ(two_n.coefficient(), 2);
  EXPECT_EQ(two_n.symbols(), std::vector<std::string>{"N"});
  EXPECT_EQ(Dim::Parse(" 2 * N "), two_n);
}

TEST(Dim, ParseNormalizesFactorOrder) {
  EXPECT_EQ(Dim::Parse("T*N"), Dim::Parse("N*T"));
  EXPECT_EQ(Dim::Parse("N*3*T*2"), Dim::Parse("6*N*T"));
  Dim nn = Dim::Parse("N*2*N");
  EXPECT_EQ(nn.coefficient(), 2);
  EXPECT_EQ(nn.symbols(), (std::vector<std::string>{"N", "N"}));
  EXPECT_EQ(nn.ToString(), "2*N*N");
}

TEST(Dim, ParseRejectsMalformedText) {
  for (const char* bad : {"", "N*", "*N", "N**T", "3x", "-N", "--1", "1.5", "N+1", " "}) {
    SCOPED_TRACE(bad);
    ExpectError<ParseError>([&] { Dim::Parse(bad); }, {"bad dim '" + std::string(bad) + "'"});
  }
}

TEST(Dim, ParseRejectsIntegersThatOverflow) {
  ExpectError<ParseError>([] { Dim::Parse("9223372036854775808"); },
                          {"dim '9223372036854775808' overflows int64"});
  EXPECT_EQ(Dim::Parse("9223372036854775807"), Dim(kMax));
}

TEST(Dim, ParseOfAProductThatOverflowsThrowsParseError) {
  ExpectError<ParseError>([] { Dim::Parse("4294967296*4294967296"); },
                          {"dim '4294967296*4294967296'", "overflows int64"});
}

TEST(Dim, ProductsMultiplyCoefficientsAndCollectSymbols) {
  EXPECT_EQ(Dim(2) * Dim(3), Dim(6));
  EXPECT_EQ(Dim(2) * N(), Dim::Parse("2*N"));
  EXPECT_EQ(N() * Dim(2), Dim::Parse("2*N"));
  EXPECT_EQ(T() * N(), Dim::Parse("N*T"));
  EXPECT_EQ((Dim(3) * N() * T() * N()).ToString(), "3*N*N*T");
}

TEST(Dim, ProductWithZeroIsTheStaticZero) {
  Dim z = Dim(0) * N();
  EXPECT_TRUE(z.is_static());
  EXPECT_EQ(z, Dim(0));
  EXPECT_EQ(N() * T() * Dim(0), Dim(0));
  EXPECT_EQ(z.ToString(), "0");
}

TEST(Dim, StaticProductOverflowThrowsShapeError) {
  ExpectError<ShapeError>([] { (void)(Dim(kMax) * Dim(2)); },
                          {"dim product 9223372036854775807 * 2 overflows int64"});
  ExpectError<ShapeError>([] { (void)(Dim(kMax / 2 + 1) * Dim(2) * N()); }, {"overflows int64"});
  EXPECT_EQ(Dim(kMax) * Dim(1), Dim(kMax));
}

TEST(Dim, DividedByReturnsTheExactQuotient) {
  EXPECT_EQ(Dim(12).DividedBy(Dim(4)), Dim(3));
  EXPECT_EQ(Dim::Parse("6*N*T").DividedBy(Dim::Parse("3*T")), Dim::Parse("2*N"));
  EXPECT_EQ(Dim::Parse("N*N").DividedBy(N()), N());
  std::optional<Dim> one = Dim::Parse("4*N").DividedBy(Dim::Parse("4*N"));
  ASSERT_TRUE(one.has_value());
  EXPECT_TRUE(one->is_static());
  EXPECT_EQ(*one, Dim(1));
  EXPECT_EQ(Dim(-6).DividedBy(Dim(3)), Dim(-2));
}

TEST(Dim, DividedByIsNulloptWhenNotExact) {
  EXPECT_EQ(Dim(7).DividedBy(Dim(2)), std::nullopt);
  EXPECT_EQ(Dim::Parse("6*N").DividedBy(Dim(4)), std::nullopt);
  EXPECT_EQ(Dim(6).DividedBy(Dim(0)), std::nullopt);
  EXPECT_EQ(Dim(0).DividedBy(Dim(0)), std::nullopt);
}

TEST(Dim, DividedByFailsWhenSymbolMissing) {
  EXPECT_EQ(Dim::Parse("6*N").DividedBy(T()), std::nullopt);
  EXPECT_EQ(N().DividedBy(Dim::Parse("N*N")), std::nullopt);
  EXPECT_EQ(Dim(6).DividedBy(Dim::Parse("2*N")), std::nullopt);
}

TEST(Dim, DividedByDoesNotOverflowOnMinDividedByMinusOne) {
  // INT64_MIN / -1 is not representable; it must be refused, not trap.
  EXPECT_EQ(Dim(kMin).DividedBy(Dim(-1)), std::nullopt);
  EXPECT_EQ(Dim(kMin).DividedBy(Dim(1)), Dim(kMin));
  EXPECT_EQ(Dim(kMax).DividedBy(Dim(-1)), Dim(-kMax));
}

TEST(Dim, SubstituteReplacesBoundSymbolsOnly) {
  Dim d = Dim::Parse("2*N*T");
  EXPECT_EQ(d.Substitute({{"N", 3}}), Dim::Parse("6*T"));
  EXPECT_EQ(d.Substitute({{"N", 3}, {"T", 5}}), Dim(30));
  EXPECT_TRUE(d.Substitute({{"N", 3}, {"T", 5}}).is_static());
  EXPECT_EQ(d.Substitute({{"M", 7}}), d);
  EXPECT_EQ(d.Substitute({{"N", 0}}), Dim(0));
  EXPECT_EQ(Dim(4).Substitute({{"N", 3}}), Dim(4));
}

TEST(Dim, EvaluateMultipliesBoundValues) {
  EXPECT_EQ(Dim::Parse("2*N*T").Evaluate({{"N", 3}, {"T", 5}}), 30);
  EXPECT_EQ(Dim::Parse("N*N").Evaluate({{"N", 4}}), 16);
  EXPECT_EQ(Dim(9).Evaluate({}), 9);
}

TEST(Dim, EvaluateWithUnboundSymbolThrowsShapeError) {
  ExpectError<ShapeError>([] { Dim::Parse("N*T").Evaluate({{"N", 2}}); },
                          {"symbolic dim T is not bound to a value"});
}

TEST(Dim, EvaluateOverflowThrowsShapeError) {
  ExpectError<ShapeError>([] { Dim::Parse("2*N").Evaluate({{"N", kMax}}); }, {"overflows int64"});
  ExpectError<ShapeError>([] { Dim::Parse("N*N").Evaluate({{"N", int64_t{1} << 32}}); },
                          {"overflows int64"});
}

TEST(Dim, ToStringRoundTripsThroughParse) {
  for (const char* text : {"0", "7", "-1", "N", "N*T", "2*N", "-3*N*N*T_2", "9223372036854775807"}) {
    SCOPED_TRACE(text);
    Dim d = Dim::Parse(text);
    EXPECT_EQ(d.ToString(), text);
    EXPECT_EQ(Dim::Parse(d.ToString()), d);
  }
}

TEST(Shape, ToStringUsesPythonTupleForm) {
  EXPECT_EQ((Shape{N(), 3}).ToString(), "(N, 3)");
  EXPECT_EQ((Shape{4}).ToString(), "(4,)");
  EXPECT_EQ(Shape().ToString(), "()");
  EXPECT_EQ((Shape{Dim::Parse("2*N*T"), 1, 0}).ToString(), "(2*N*T, 1, 0)");
}

TEST(Shape, ToListStringUsesListForm) {
  EXPECT_EQ((Shape{N(), 3}).ToListString(), "[N, 3]");
  EXPECT_EQ((Shape{4}).ToListString(), "[4]");
  EXPECT_EQ(Shape().ToListString(), "[]");
}

TEST(Shape, NumElementsIsTheProductOfDims) {
  EXPECT_EQ((Shape{N(), 3, T()}).NumElements(), Dim::Parse("3*N*T"));
  EXPECT_EQ((Shape{2, 3, 4}).NumElements(), Dim(24));
  EXPECT_EQ(Shape().NumElements(), Dim(1));
  EXPECT_EQ((Shape{2, 0, N()}).NumElements(), Dim(0));
}

TEST(Shape, IsStaticAndStaticDims) {
  Shape s{2, 3};
  EXPECT_TRUE(s.is_static());
  EXPECT_EQ(s.static_dims(), (Dims{2, 3}));
  EXPECT_TRUE(Shape().is_static());
  EXPECT_EQ(Shape().static_dims(), Dims{});
  EXPECT_FALSE((Shape{N(), 3}).is_static());
}

TEST(Shape, StaticDimsThrowsOnSymbolicShape) {
  ExpectError<ShapeError>([] { (Shape{N(), 3}).static_dims(); },
                          {"shape (N, 3) is symbolic", "static shape is needed"});
}

TEST(Shape, FromDimsSubstituteAndEvaluate) {
  EXPECT_EQ(Shape::FromDims({2, 5}), (Shape{2, 5}));
  Shape s{N(), Dim::Parse("2*T"), 3};
  EXPECT_EQ(s.Substitute({{"T", 4}}), (Shape{N(), 8, 3}));
  EXPECT_EQ(s.Evaluate({{"N", 1}, {"T", 4}}), (Dims{1, 8, 3}));
  ExpectError<ShapeError>([&] { s.Evaluate({{"T", 4}}); }, {"symbolic dim N is not bound"});
}

TEST(Shape, IsValidTensorShapeRejectsNegativeDims) {
  EXPECT_TRUE((Shape{2, N()}).IsValidTensorShape());
  EXPECT_TRUE((Shape{0}).IsValidTensorShape());
  EXPECT_TRUE(Shape().IsValidTensorShape());
  EXPECT_FALSE((Shape{-1}).IsValidTensorShape());
  EXPECT_FALSE((Shape{3, Dim::Parse("-2*N")}).IsValidTensorShape());
}

TEST(Shape, EqualityComparesDimsInOrder) {
  EXPECT_EQ((Shape{N(), 2}), (Shape{Dim::Parse("N"), 2}));
  EXPECT_NE((Shape{1, 2}), (Shape{2, 1}));
  EXPECT_NE((Shape{1, 2}), (Shape{1, 2, 1}));
}

TEST(NormalizeAxis, NegativeAxesCountFromTheEnd) {
  EXPECT_EQ(NormalizeAxis(-1, 3, "axis"), 2);
  EXPECT_EQ(NormalizeAxis(-3, 3, "axis"), 0);
  EXPECT_EQ(NormalizeAxis(0, 3, "axis"), 0);
  EXPECT_EQ(NormalizeAxis(2, 3, "axis"), 2);
}

TEST(NormalizeAxis, OutOfRangeThrowsShapeErrorNamingTheRange) {
  ExpectError<ShapeError>([] { NormalizeAxis(3, 3, "reduction axis"); },
                          {"reduction axis 3 is out of range for rank 3 (valid: -3 to 2)"});
  ExpectError<ShapeError>([] { NormalizeAxis(-4, 3, "axis"); },
                          {"axis -4 is out of range for rank 3"});
  ExpectError<ShapeError>([] { NormalizeAxis(0, 0, "axis"); }, {"out of range for rank 0"});
}

TEST(BroadcastShapes, EqualShapesBroadcastToThemselves) {
  EXPECT_EQ(BroadcastShapes({N(), 3}, {N(), 3}), (Shape{N(), 3}));
  EXPECT_EQ(BroadcastShapes({2, 3}, {2, 3}), (Shape{2, 3}));
}

TEST(BroadcastShapes, StaticOneStretchesToTheOtherDim) {
  EXPECT_EQ(BroadcastShapes({1, 3}, {4, 1}), (Shape{4, 3}));
  EXPECT_EQ(BroadcastShapes({N(), 1}, {1, 5}), (Shape{N(), 5}));
  EXPECT_EQ(BroadcastShapes({1}, {N()}), (Shape{N()}));
  EXPECT_EQ(BroadcastShapes({N()}, {1}), (Shape{N()}));
  EXPECT_EQ(BroadcastShapes({0}, {1}), (Shape{0}));
}

TEST(BroadcastShapes, DifferentSymbolsDoNotBroadcast) {
  EXPECT_EQ(BroadcastShapes({N()}, {Dim::Symbol("M")}), std::nullopt);
}

TEST(BroadcastShapes, SymbolAndStaticDimOtherThanOneDoNotBroadcast) {
  EXPECT_EQ(BroadcastShapes({N()}, {4}), std::nullopt);
  EXPECT_EQ(BroadcastShapes({4, 3}, {N(), 3}), std::nullopt);
  EXPECT_EQ(BroadcastShapes({2, 3}, {3, 2}), std::nullopt);
}

TEST(BroadcastShapes, LowerRankIsExtendedOnTheLeft) {
  EXPECT_EQ(BroadcastShapes({3}, {2, 4, 3}), (Shape{2, 4, 3}));
  EXPECT_EQ(BroadcastShapes({N(), 1, 3}, {5, 1}), (Shape{N(), 5, 3}));
  EXPECT_EQ(BroadcastShapes({4}, {2, 3}), std::nullopt);
}

TEST(BroadcastShapes, ScalarsBroadcastWithEverything) {
  EXPECT_EQ(BroadcastShapes({}, {}), Shape());
  EXPECT_EQ(BroadcastShapes({}, {2, N()}), (Shape{2, N()}));
  EXPECT_EQ(BroadcastShapes({N(), 7}, {}), (Shape{N(), 7}));
}

TEST(NumElements, IsTheProductOfConcreteDims) {
  EXPECT_EQ(NumElements({2, 3, 4}), 24);
  EXPECT_EQ(NumElements({}), 1);
  EXPECT_EQ(NumElements({0, 5}), 0);
}

TEST(NumElements, NegativeDimThrowsShapeError) {
  ExpectError<ShapeError>([] { NumElements({2, -1}); }, {"negative dim in shape (2, -1)"});
}

TEST(NumElements, OverflowThrowsShapeError) {
  ExpectError<ShapeError>([] { NumElements({int64_t{1} << 32, int64_t{1} << 32}); },
                          {"overflows int64"});
  EXPECT_EQ(NumElements({int64_t{1} << 31, int64_t{1} << 31}), int64_t{1} << 62);
}

TEST(DimsToString, UsesTupleForm) {
  EXPECT_EQ(DimsToString({2, 3}), "(2, 3)");
  EXPECT_EQ(DimsToString({5}), "(5,)");
  EXPECT_EQ(DimsToString({}), "()");
}

}  // namespace
}  // namespace bronze
