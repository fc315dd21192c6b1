// Error hierarchy: code names and message assembly.
#include "graph/error.h"

namespace bronze {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kShape: return "shape";
    case ErrorCode::kType: return "type";
    case ErrorCode::kAttribute: return "attribute";
    case ErrorCode::kGraph: return "graph";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kUnimplemented: return "unimplemented";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kFormat: return "format";
  }
  return "unknown";
}

static std::string Compose(const std::string& message, const std::string& location) {
  return location.empty() ? message : message + " (created at " + location + ")";
}

Error::Error(ErrorCode code, const std::string& message, std::string location)
    : std::runtime_error(Compose(message, location)),
      code_(code),
      message_(message),
      location_(std::move(location)) {}

void ThrowInternal(const std::string& message) {
  throw InternalError("internal error: " + message);
}

}  // namespace bronze
