// algebraic as before/after text IR pairs: each identity removed where it is exact for every
// value of N (x*1, 1*x, x/1, x+0, 0+x, x-0, same-type reshape/flatten/squeeze/expand/cast,
// identity transpose, inference dropout), transposes and reshapes composed, and the negative
// cases kept: a broadcast that grows x, non-identity constants, 0-x and 1/x, a reshape whose
// composition would change the type, and values updated in place.
#include <gtest/gtest.h>

#include "passes/simplify.h"
#include "simplify_test_util.h"

namespace bronze {
namespace {

using testing::ExpectRewrite;
using testing::ExpectUnchanged;
const std::vector<std::string> kAlg = {"algebraic", "dce"};

TEST(Algebraic, RemovesMultiplyByOneAddZeroSubtractZeroDivideByOne) {
  auto r = ExpectRewrite(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %one = constant() {dtype = f32, shape = ()} : f32[] data [1]
  %ones = constant() {dtype = f32, shape = (1, 3)} : f32[1, 3] data [1, 1, 1]
  %zero = constant() {dtype = f32, shape = (3,)} : f32[3] data [0, -0, 0]
  %a = mul(%x, %one) : f32[N, 3]
  %b = mul(%ones, %a) : f32[N, 3]
  %c = add(%b, %zero) : f32[N, 3]
  %d = add(%zero, %c) : f32[N, 3]
  %e = sub(%d, %zero) : f32[N, 3]
  %f = div(%e, %ones) : f32[N, 3]
  %g = relu(%f) : f32[N, 3] @"model.py:9"
  return g = %g
}
)",
                         R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %g = relu(%x) : f32[N, 3] @"model.py:9"
  return g = %g
}
)");
  EXPECT_NE(r.RemarkText().find("algebraic: removed node 'a' (mul): x*1 is x"), std::string::npos)
      << r.RemarkText();
  EXPECT_NE(r.RemarkText().find("removed node 'd' (add): 0+x is x"), std::string::npos);
}

TEST(Algebraic, IdentitiesWorkForIntegersAndForwardGraphOutputs) {
  ExpectRewrite(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = i64, shape = (4,)} : i64[4]
  %one = constant() {dtype = i64, shape = (1,)} : i64[1] data [1]
  %y = mul(%x, %one) : i64[4]
  return y = %y
}
)",
                R"(graph "m" {
  %x = placeholder() {dtype = i64, shape = (4,)} : i64[4]
  return y = %x
}
)");
}

TEST(Algebraic, KeepsArithmeticThatIsNoIdentity) {
  // ones (1, 3) times x (N, 1) broadcasts to (N, 3): not x. x*2, 0-x, 1/x, x+1 and a
  // non-constant one are no identities either.
  ExpectUnchanged(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 1)} : f32[N, 1]
  %p = parameter() {dtype = f32, shape = ()} : f32[] data [1]
  %ones = constant() {dtype = f32, shape = (1, 3)} : f32[1, 3] data [1, 1, 1]
  %two = constant() {dtype = f32, shape = ()} : f32[] data [2]
  %zero = constant() {dtype = f32, shape = ()} : f32[] data [0]
  %one = constant() {dtype = f32, shape = ()} : f32[] data [1]
  %a = mul(%x, %ones) : f32[N, 3]
  %b = mul(%x, %two) : f32[N, 1]
  %c = sub(%zero, %x) : f32[N, 1]
  %d = div(%one, %x) : f32[N, 1]
  %e = add(%x, %one) : f32[N, 1]
  %f = mul(%x, %p) : f32[N, 1]
  return a = %a, b = %b, c = %c, d = %d, e = %e, f = %f
}
)");
}

TEST(Algebraic, RemovesShapeOpsAndCastsToTheSameType) {
  ExpectRewrite(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3, 4)} : f32[N, 3, 4]
  %r = reshape(%x) {shape = (N, 3, -1)} : f32[N, 3, 4]
  %f = flatten(%r) {end_dim = 1, start_dim = 1} : f32[N, 3, 4]
  %q = squeeze(%f) {axes = []} : f32[N, 3, 4]
  %e = expand(%q) {shape = (-1, 3, 4)} : f32[N, 3, 4]
  %c = cast(%e) {dtype = f32} : f32[N, 3, 4]
  %t = transpose(%c) {perm = [0, 1, -1]} : f32[N, 3, 4]
  %k = concat(%t) {axis = 0} : f32[N, 3, 4]
  %d = dropout(%k) {p = 0.5, seed = 0, training = 0} : f32[N, 3, 4]
  %y = exp(%d) : f32[N, 3, 4]
  return y = %y
}
)",
                R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3, 4)} : f32[N, 3, 4]
  %y = exp(%x) : f32[N, 3, 4]
  return y = %y
}
)");
}

TEST(Algebraic, KeepsShapeOpsThatChangeTheType) {
  ExpectUnchanged(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 1)} : f32[N, 1]
  %e = expand(%x) {shape = (N, 3)} : f32[N, 3]
  %c = cast(%x) {dtype = f64} : f64[N, 1]
  %t = transpose(%x) {perm = []} : f32[1, N]
  %d = dropout(%x) {p = 0.5, seed = 0, training = 1} : f32[N, 1]
  return e = %e, c = %c, t = %t, d = %d
}
)");
}

TEST(Algebraic, CancelsAndComposesTransposes) {
  // perm [1, 2, 0] then [2, 0, 1] is the identity; [1, 0, 2] then [0, 2, 1] is [1, 2, 0].
  auto r = ExpectRewrite(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3, 4)} : f32[N, 3, 4]
  %t1 = transpose(%x) {perm = [1, 2, 0]} : f32[3, 4, N]
  %t2 = transpose(%t1) {perm = [2, 0, 1]} : f32[N, 3, 4]
  %u1 = transpose(%x) {perm = [1, 0, 2]} : f32[3, N, 4]
  %u2 = transpose(%u1) {perm = [0, 2, 1]} : f32[3, 4, N] @"model.py:7"
  return a = %t2, b = %u2
}
)",
                         R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3, 4)} : f32[N, 3, 4]
  %u2 = transpose(%x) {perm = [1, 2, 0]} : f32[3, 4, N] @"model.py:7"
  return a = %x, b = %u2
}
)");
  EXPECT_NE(r.RemarkText().find("composed transposes 'u1' and 'u2' into one with perm [1, 2, 0]"),
            std::string::npos)
      << r.RemarkText();
}

TEST(Algebraic, ComposesReshapesOfRowMajorViews) {
  // reshape(flatten(x)) and reshape(reshape(x)) read x directly; a reshape back to x's shape
  // disappears; the inner nodes stay where something else reads them.
  ExpectRewrite(kAlg, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2, 6)} : f32[N, 2, 6]
  %f = flatten(%x) {end_dim = -1, start_dim = 1} : f32[N, 12]
  %r1 = reshape(%f) {shape = (N, 3, 4)} : f32[N, 3, 4]
  %r2 = reshape(%r1) {shape = (N, 2, 6)} : f32[N, 2, 6]
  %u = unsqueeze(%x) {axes = [0]} : f32[1, N, 2, 6]
  %r3 = reshape(%u) {shape = (-1, 4)} : f32[3*N, 4]
  return a = %r2, b = %r3, c = %f
}
)",
                R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2, 6)} : f32[N, 2, 6]
  %f = flatten(%x) {end_dim = -1, start_dim = 1} : f32[N, 12]
  %r3 = reshape(%x) {shape = (-1, 4)} : f32[3*N, 4]
  return a = %x, b = %r3, c = %f
}
)");
}

TEST(Algebraic, DoesNotForwardOntoAValueUpdatedInPlace) {
  // y = w * 1 is read by a node that also reads the update's result: forwarding w there would
  // require reading w both before and after its update.
  auto r = ExpectUnchanged(kAlg, R"(graph "m" {
  %w = state() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %v = constant() {dtype = f32, shape = (2,)} : f32[2] data [5, 6]
  %one = constant() {dtype = f32, shape = ()} : f32[] data [1]
  %y = mul(%w, %one) : f32[2]
  %u = assign(%w, %v) : f32[2]
  %z = add(%y, %u) : f32[2]
  return z = %z
}
)");
  EXPECT_NE(r.RemarkText().find("kept: x*1 is x, but 'w' is updated in place"), std::string::npos)
      << r.RemarkText();
}

}  // namespace
}  // namespace bronze
