// bronze: the public C++ API. Include this one header and link bronze::bronze.
//
//   bronze::Graph graph("mlp");
//   bronze::GraphBuilder b(graph);
//   auto x = b.Placeholder("x", bronze::DType::kF32, {bronze::Dim::Symbol("N"), 3});
//   auto w = b.Parameter("w", bronze::Tensor::FromVector<float>({3, 2}, {...}));
//   b.Output("y", b.Op1("relu", {b.Op1("matmul", {x, w})}));
//   bronze::Session session(graph);
//   auto out = session.Run({{"x", bronze::Tensor::FromVector<float>({7, 3}, {...})}});
//
// What is public (stable within a minor version): Error and its subclasses (graph/error.h),
// DType, Dim, Shape, Tensor and Device (graph/dtype.h, shape.h, tensor.h), Graph, Value,
// GraphBuilder, the text form and DOT export, .npy files (ReadNpy, WriteNpy), Verify, the op
// registry's read-only interface, PassManager and PipelineOptions, Session and SessionOptions,
// Model, its loader and checkpoints (serialization/model_file.h). Everything else is internal.
#pragma once

#include "graph/builder.h"
#include "graph/dot.h"
#include "graph/dtype.h"
#include "graph/error.h"
#include "graph/graph.h"
#include "graph/npy.h"
#include "graph/op_registry.h"
#include "graph/optimizer.h"
#include "graph/shape.h"
#include "graph/tensor.h"
#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/autodiff.h"
#include "passes/pass_manager.h"
#include "passes/training.h"
#include "runtime/lr_schedule.h"
#include "runtime/profile.h"
#include "runtime/session.h"
#include "runtime/trainer.h"
#include "serialization/model_file.h"

namespace bronze {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace bronze
