// Helpers of the `bronze` command-line tests: running the built program (BRONZE_CLI_PATH) with
// its stdout and stderr captured, a fresh temporary directory per test, and writing models as
// text IR files.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "bronze/bronze.h"

namespace bronze::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

inline std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A directory for this test under BRONZE_TEST_TMPDIR (or the system's), empty at the start.
inline std::filesystem::path FreshDir() {
  const char* base = std::getenv("BRONZE_TEST_TMPDIR");
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(base ? base : "/tmp") / "cli" /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `bronze <args>` (each argument shell-quoted) with stdout and stderr in files of `dir`.
inline CliResult RunCli(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  std::string cmd = Quote(BRONZE_CLI_PATH);
  for (const std::string& a : args) cmd += " " + Quote(a);
  const std::filesystem::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  cmd += " >" + Quote(out.string()) + " 2>" + Quote(err.string());
  int status = std::system(cmd.c_str());
  CliResult r;
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (status != -1 && WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  r.out = ReadText(out);
  r.err = ReadText(err);
  return r;
}

inline std::string WriteModel(const std::filesystem::path& dir, const std::string& name,
                              const Graph& graph) {
  std::filesystem::path path = dir / name;
  WriteText(path, PrintGraph(graph));
  return path.string();
}

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace bronze::testing
