// Shared test helpers: expecting a bronze error of a given type whose message contains given
// substrings, and tiny graph-building shorthands.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "bronze/bronze.h"

namespace bronze::testing {

// Runs `fn`, expects it to throw ErrorT, and checks that what() contains every substring.
// Returns the full message (empty on failure) for further checks.
template <typename ErrorT>
std::string ExpectError(const std::function<void()>& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const ErrorT& e) {
    std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "message lacks \"" << p << "\": " << msg;
    }
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong error type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

}  // namespace bronze::testing
