// Shared pieces of the `bronze` command line (tools/bronze/): the stable exit codes, the Failure
// a command throws, loading a model argument (a .bronze file or text IR), binding symbolic dims
// for planning and benchmarks, generated inputs, and the mapping of output names to .npy paths.
// Each command lives in its own file and registers itself through a Add*Command function.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bronze/bronze.h"

namespace bronze::cli {

// Exit codes of every command (stable, documented in docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,         // bad command line: unknown option, missing argument, bad value
  kExitInvalidModel = 2,  // the model file does not parse, load or verify
  kExitIo = 3,            // a file could not be read or written (missing, unreadable, no space)
  kExitBadInput = 4,      // inputs or options do not fit the model (names, dtypes, shapes,
                          // unbound symbols, unknown pass names, bad .npy contents)
  kExitRunFailed = 5,     // compiling or running the model failed (no kernel for an op, ...)
  kExitInternal = 6,      // a bug in bronze (InternalError or an unexpected exception)
};

// What a command throws to end with a message on stderr and a non-zero exit code.
struct Failure {
  int exit_code;
  std::string message;
};

// "shape error (code 3): <message> (created at <location>)"
std::string DescribeError(const Error& error);

// The exit code for a bronze::Error raised in a phase whose failures mean `phase_code`:
// IoError is always kExitIo and InternalError always kExitInternal.
int ExitCodeFor(const Error& error, int phase_code);

// Runs `f`; a bronze::Error it throws becomes a Failure (ExitCodeFor(error, phase_code)).
template <typename F>
auto InPhase(int phase_code, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Failure{ExitCodeFor(e, phase_code), DescribeError(e)};
  }
}

// Compiling and running: errors about the inputs (invalid argument, shape, type, not found)
// are kExitBadInput, the rest kExitRunFailed.
int RunPhaseExitCode(const Error& error);
template <typename F>
auto InRunPhase(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Failure{ExitCodeFor(e, RunPhaseExitCode(e)), DescribeError(e)};
  }
}

struct LoadedModel {
  Graph graph;
  Metadata metadata;
  std::string format;  // "bronze" (a .bronze file) or "text" (text IR)
};

// Loads FILE: Model::Load when IsModelFile(path), else text IR (ParseGraph); then Verify.
// Throws Failure: kExitIo when it cannot be read, kExitInvalidModel when it is not valid.
LoadedModel LoadModel(const std::string& path);

// Splits "NAME=VALUE" at the first '='; throws Failure(kExitUsage) naming `option`.
std::pair<std::string, std::string> SplitAssignment(const std::string& text,
                                                    const std::string& option);
// Parses repeated "--dim SYM=VALUE" options (VALUE >= 0); throws Failure(kExitUsage).
SymbolBindings ParseDims(const std::vector<std::string>& dims);

// The symbols that count as the batch dim: the leading dim of a placeholder when it is exactly
// one symbol (coefficient 1), e.g. N in f32[N, 3].
std::vector<std::string> BatchSymbols(const std::vector<TensorSpec>& inputs);
// Binds every symbol of the input shapes: explicit `dims` first, then batch symbols to `batch`.
// Throws Failure(kExitBadInput) naming the placeholder, axis and symbol of any left unbound and
// any --dim symbol that no input has.
SymbolBindings BindSymbols(const std::vector<TensorSpec>& inputs, int64_t batch,
                           const SymbolBindings& dims);
// One tensor per input spec under `bindings`: f32/f64 uniform in [-1, 1) from `seed`, every other
// dtype zeros (valid indices and masks).
std::vector<Tensor> MakeInputs(const std::vector<TensorSpec>& inputs,
                               const SymbolBindings& bindings, uint64_t seed);

// The planned memory of one run of `plan`: the size of its arena (runtime/planner.h).
size_t PlannedArenaBytes(const Plan& plan);

// Where `bronze run` writes output `name`: DIR/<name>.npy, each '/' in the name a subdirectory.
// Throws Failure(kExitInvalidModel) for names that would leave DIR (empty segments, "." or
// "..", NUL bytes).
std::filesystem::path OutputPath(const std::filesystem::path& dir, const std::string& name);

std::string FormatBytes(size_t bytes);  // "1234 bytes (1.2 KiB)"
std::string ShapeString(const Dims& dims);  // "(2, 3)"

// A command: its CLI11 subcommand and what runs when it was given (returns the exit code).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command AddInfoCommand(CLI::App& app);
Command AddValidateCommand(CLI::App& app);
Command AddRunCommand(CLI::App& app);
Command AddBenchCommand(CLI::App& app);
Command AddDotCommand(CLI::App& app);
Command AddOptCommand(CLI::App& app);

}  // namespace bronze::cli
