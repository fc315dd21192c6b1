// `bronze opt FILE --passes=a,b,c -o OUT`: runs a pass pipeline (PassManager) over a model and
// writes the result: a .bronze file when OUT ends in .bronze (Model::Save, metadata kept), text IR
// otherwise ("-" or no -o: stdout). Debug options are PipelineOptions::Parse's (--verify-each,
// --time-passes, --print-passes, --disable, --dump-after, or all at once with --pass-options);
// --explain prints the passes' remarks (PassContext::Remark) and the planned memory of a run.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include "tools/bronze/cli.h"

namespace bronze::cli {
namespace {

struct OptOptions {
  std::string file;
  std::string passes = "infer";
  std::string output = "-";
  std::string pass_options;
  std::string dump_after;
  std::string disable;
  bool verify_each = false;
  bool time_passes = false;
  bool print_passes = false;
  bool explain = false;
  bool elide_data = false;
  int64_t batch = 1;
  std::vector<std::string> dims;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The one PipelineOptions text the flags amount to, so PipelineOptions::Parse checks it all.
std::string PipelineOptionsText(const OptOptions& o) {
  std::vector<std::string> items;
  if (!o.pass_options.empty()) items.push_back(o.pass_options);
  if (o.verify_each) items.push_back("verify-each");
  if (o.time_passes) items.push_back("time-passes");
  if (o.print_passes) items.push_back("print-passes");
  if (!o.disable.empty()) {
    std::string d = o.disable;
    std::replace(d.begin(), d.end(), ',', ':');
    items.push_back("disable=" + d);
  }
  if (!o.dump_after.empty()) items.push_back("dump-after=" + o.dump_after);
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

int RunOpt(const OptOptions& o) {
  const bool to_stdout = o.output == "-";
  // Explanations go where the IR does not.
  std::ostream& report = to_stdout ? std::cerr : std::cout;
  std::vector<std::string> pipeline =
      InPhase(kExitBadInput, [&] { return ParsePipeline(o.passes); });
  PipelineOptions options =
      InPhase(kExitBadInput, [&] { return PipelineOptions::Parse(PipelineOptionsText(o)); });
  std::vector<PassRemark> remarks;
  options.remarks = &remarks;
  options.log = &report;
  SymbolBindings dims = ParseDims(o.dims);

  LoadedModel model = LoadModel(o.file);
  Graph& graph = model.graph;
  // A pass that fails on a verified graph: the model's (or bronze's) fault, not the flags'.
  InPhase(kExitInvalidModel, [&] { return PassManager(pipeline, options).Run(graph); });
  if (o.explain) {
    report << "explain: " << remarks.size() << " remark" << (remarks.size() == 1 ? "" : "s")
           << " from pipeline " << PipelineToString(pipeline) << "\n";
    for (const PassRemark& r : remarks) report << "  [" << r.pass << "] " << r.text << "\n";
    // The planned memory of a run of the result as it stands (no further passes).
    report << "planned arena: ";
    try {
      SessionOptions session_options;
      session_options.threads = 1;
      session_options.pipeline = {};
      Session session(graph, session_options);
      SymbolBindings bindings = BindSymbols(session.input_specs(), o.batch, dims);
      std::shared_ptr<const Plan> plan =
          session.PlanFor(MakeInputs(session.input_specs(), bindings, 0));
      std::string b;
      for (const auto& [name, value] : bindings) {
        b += (b.empty() ? "" : ", ") + name + "=" + std::to_string(value);
      }
      report << FormatBytes(PlannedArenaBytes(*plan)) << " ("
             << (b.empty() ? "no symbolic dims" : b) << ")\n";
    } catch (const Failure& f) {
      if (f.exit_code == kExitBadInput && !dims.empty()) throw;
      report << "unavailable: " << f.message << "\n";
    } catch (const Error& e) {
      report << "unavailable: " << DescribeError(e) << "\n";
    }
  }

  if (EndsWith(o.output, ".bronze")) {
    InPhase(kExitRunFailed, [&] {
      Model(std::move(graph), model.metadata).Save(o.output);
      return 0;
    });
  } else {
    TextOptions text_options;
    text_options.elide_data = o.elide_data;
    std::string text = PrintGraph(graph, text_options);
    if (to_stdout) {
      std::cout << text;
    } else {
      InPhase(kExitIo, [&] {
        // Written beside the target and renamed over it, so a failure leaves no torn file.
        std::string tmp = o.output + ".tmp";
        {
          std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
          if (!f) throw IoError("cannot open " + tmp + " for writing");
          f << text;
          f.flush();
          if (!f) throw IoError("cannot write " + tmp);
        }
        std::error_code ec;
        std::filesystem::rename(tmp, o.output, ec);
        if (ec) throw IoError("cannot rename " + tmp + " to " + o.output + ": " + ec.message());
        return 0;
      });
    }
  }
  return kExitOk;
}

}  // namespace

Command AddOptCommand(CLI::App& app) {
  auto o = std::make_shared<OptOptions>();
  CLI::App* sub = app.add_subcommand(
      "opt", "Run compiler passes over a model and write the result (.bronze or text IR).");
  sub->add_option("FILE", o->file, "A .bronze model file or text IR")->required();
  sub->add_option("-p,--passes", o->passes,
                  "Comma-separated pass names; \"infer\" and \"train\" expand to the default "
                  "pipelines")
      ->capture_default_str();
  sub->add_option("-o,--output", o->output,
                  "Output file: .bronze when it ends in .bronze, else text IR; \"-\": stdout")
      ->capture_default_str();
  sub->add_option("--dump-after", o->dump_after,
                  "DIR[:PASS...]: write NN-<pass>.txt text IR into DIR after the named passes "
                  "(all when none; \"input\" = before any)");
  sub->add_option("--disable", o->disable, "Comma-separated passes to skip");
  sub->add_flag("--verify-each", o->verify_each, "Run the verifier before and after every pass");
  sub->add_flag("--time-passes", o->time_passes, "Print a table of pass times");
  sub->add_flag("--print-passes", o->print_passes, "Print the pipeline before running it");
  sub->add_option("--pass-options", o->pass_options,
                  "Pipeline options in PipelineOptions::Parse form, e.g. "
                  "\"verify-each,time-passes,disable=dce,dump-after=DIR:dce\"");
  sub->add_flag("--explain", o->explain,
                "Print what the passes did and why (their remarks) and the planned memory of a "
                "run (to stdout, or stderr when the IR goes to stdout)");
  sub->add_flag("--elide-data", o->elide_data,
                "Text output: print `data elided` instead of weight values");
  sub->add_option("--batch", o->batch, "Batch size for --explain's planned memory")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--dim", o->dims, "SYM=VALUE: another symbolic dim for --explain (repeatable)");
  return {sub, [o] { return RunOpt(*o); }};
}

}  // namespace bronze::cli
