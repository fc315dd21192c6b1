// The `bronze` command line: info, validate, run, bench, dot and opt over .bronze model files and
// text IR (docs/cli.md). Each command is in its own file; this one parses the command line with
// CLI11, runs the chosen command and turns every failure into a message on stderr and one of
// the stable exit codes of tools/bronze/cli.h. Nothing a user passes may crash it.
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "tools/bronze/cli.h"

int main(int argc, char** argv) {
  using namespace bronze::cli;
  CLI::App app("bronze: inspect, validate, run, benchmark and optimize bronze models.\n"
               "FILE is a .bronze model file or a graph in the text IR.",
               "bronze");
  app.set_version_flag("--version", std::string("bronze ") + bronze::kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);
  std::vector<Command> commands = {AddInfoCommand(app), AddValidateCommand(app),
                                   AddRunCommand(app),  AddBenchCommand(app),
                                   AddDotCommand(app),  AddOptCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // prints help (rc 0) or the usage error
    return rc == 0 ? kExitOk : kExitUsage;
  }
  std::string name = "bronze";
  try {
    for (Command& command : commands) {
      if (command.app->parsed()) {
        name += " " + command.app->get_name();
        int rc = command.run();
        std::cout.flush();
        if (!std::cout) {
          std::cerr << name << ": error: cannot write to standard output\n";
          return kExitIo;
        }
        return rc;
      }
    }
    std::cerr << name << ": no command given (see bronze --help)\n";
    return kExitUsage;
  } catch (const Failure& f) {
    std::cerr << name << ": error: " << f.message << "\n";
    return f.exit_code;
  } catch (const bronze::Error& e) {
    std::cerr << name << ": error: " << DescribeError(e) << "\n";
    return ExitCodeFor(e, kExitRunFailed);
  } catch (const std::bad_alloc&) {
    std::cerr << name << ": error: out of memory\n";
    return kExitRunFailed;
  } catch (const std::exception& e) {
    std::cerr << name << ": internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
