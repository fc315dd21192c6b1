// A check shared by the op tests of Highway kernels: every conformance case of some ops, through
// the fast ("cpu") kernel with 2 threads on every Highway target this machine supports (down to
// the one-lane scalar fallback), against the reference kernel.
#pragma once

#include <string>
#include <vector>

namespace bronze::testing {

// Within each case's tolerances, or bit for bit when `bitwise`. Returns the targets' names (for
// RecordProperty); leaves the dispatch to the best target again.
std::string ExpectEveryHighwayTargetMatchesTheReference(const std::vector<std::string>& ops,
                                                        bool bitwise = false);

}  // namespace bronze::testing
