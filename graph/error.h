// The one error hierarchy of bronze. Every failure a user can cause is an Error with a stable
// ErrorCode (for the file format, the CLI's exit codes and the Python exception mapping), a
// message that names what was wrong and where, and the user's source location when known.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace bronze {

// Stable numeric codes: never renumber, only append.
enum class ErrorCode : int {
  kInternal = 1,         // a bug in bronze itself
  kInvalidArgument = 2,  // a bad argument to an API call
  kShape = 3,            // shapes that do not fit an op, or fed shapes that do not fit a graph
  kType = 4,             // dtypes that do not fit
  kAttribute = 5,        // a missing, unknown, mistyped or invalid attribute
  kGraph = 6,            // a structurally invalid graph (cycle, arity, dangling value, ...)
  kParse = 7,            // text IR that does not parse
  kNotFound = 8,         // an unknown op, pass, kernel, input or output name
  kUnimplemented = 9,    // valid, but not supported (yet) on this device or dtype
  kIo = 10,              // a file could not be read or written
  kFormat = 11,          // a model file that fails validation
};

std::string_view ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string location = {});
  ErrorCode code() const { return code_; }
  // Where the user created the offending node ("model.py:12 dense1/matmul"), or empty.
  const std::string& location() const { return location_; }
  // The message without the location suffix.
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
  std::string location_;
};

#define BRONZE_DEFINE_ERROR(Name, Code)                                 \
  class Name : public Error {                                           \
   public:                                                              \
    explicit Name(const std::string& message, std::string location = {}) \
        : Error(Code, message, std::move(location)) {}                  \
  };

BRONZE_DEFINE_ERROR(InternalError, ErrorCode::kInternal)
BRONZE_DEFINE_ERROR(InvalidArgumentError, ErrorCode::kInvalidArgument)
BRONZE_DEFINE_ERROR(ShapeError, ErrorCode::kShape)
BRONZE_DEFINE_ERROR(TypeError, ErrorCode::kType)
BRONZE_DEFINE_ERROR(AttributeError, ErrorCode::kAttribute)
BRONZE_DEFINE_ERROR(GraphError, ErrorCode::kGraph)
BRONZE_DEFINE_ERROR(ParseError, ErrorCode::kParse)
BRONZE_DEFINE_ERROR(NotFoundError, ErrorCode::kNotFound)
BRONZE_DEFINE_ERROR(UnimplementedError, ErrorCode::kUnimplemented)
BRONZE_DEFINE_ERROR(IoError, ErrorCode::kIo)
BRONZE_DEFINE_ERROR(FormatError, ErrorCode::kFormat)

#undef BRONZE_DEFINE_ERROR

// Throws InternalError: for invariants that only a bronze bug can break.
[[noreturn]] void ThrowInternal(const std::string& message);

#define BRONZE_CHECK(cond)                                                          \
  do {                                                                              \
    if (!(cond)) ::bronze::ThrowInternal(std::string(__FILE__) + ":" +              \
                                         std::to_string(__LINE__) + ": " #cond);    \
  } while (0)

}  // namespace bronze
