// The pass manager: runs a pipeline (a list of pass names) over a graph with the debugging
// options every compiler needs: verify after each pass, dump the text IR after passes into
// numbered files, disable passes by name, print the pipeline, and time each pass.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace bronze {

struct PipelineOptions {
  bool verify_each = false;           // run the verifier before the first and after every pass
  std::string dump_dir;               // when set: write NN-<pass>.txt text IR files here
  std::vector<std::string> dump_after;  // passes to dump after (empty: all); "input" = before any
  std::vector<std::string> disabled;  // pass names to skip
  bool print_passes = false;          // print the pipeline before running it
  bool time_passes = false;           // print a table of pass times after running
  bool training = false;              // passed to passes in PassContext
  std::ostream* log = nullptr;        // for print/time/explanations; null: std::cerr
  std::vector<PassRemark>* remarks = nullptr;  // collects PassContext::Remark lines; may be null

  // Parses "verify-each,time-passes,print-passes,disable=dce,dump-after=DIR[:pass1:pass2]";
  // throws InvalidArgumentError naming an unknown option.
  static PipelineOptions Parse(std::string_view text);
};

struct PassRun {
  std::string name;
  bool skipped = false;  // disabled
  bool changed = false;
  double milliseconds = 0;
};

// The default pipelines.
std::vector<std::string> InferencePipeline();
std::vector<std::string> TrainingPipeline();
// "shape_infer,dce" <-> {"shape_infer", "dce"}; parsing checks that every name is a known pass
// (the names "infer" and "train" expand to the default pipelines).
std::vector<std::string> ParsePipeline(std::string_view text);
std::string PipelineToString(const std::vector<std::string>& pipeline);

class PassManager {
 public:
  explicit PassManager(std::vector<std::string> pipeline, PipelineOptions options = {});
  // Runs the pipeline in order; errors from a pass propagate with the pass named. With
  // verify_each, a verifier failure after a pass names that pass.
  std::vector<PassRun> Run(Graph& graph) const;
  const std::vector<std::string>& pipeline() const { return pipeline_; }
  const PipelineOptions& options() const { return options_; }

 private:
  std::vector<std::string> pipeline_;
  PipelineOptions options_;
};

}  // namespace bronze
