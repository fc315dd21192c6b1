"""The ONNX Runtime peer's models for benchmarks/suite.py, built with onnx.helper from the very
arrays bronze loads (the suite's <data>/<model>/<name>.npy), so both compute the same function:
  mlp          Gemm(transB=1) + Relu, 784-1024-1024-10, batch dim "N"
  cnn          Conv 3->32 3x3 pad 1, Relu, Conv 32->64 3x3 stride 2 pad 1, Relu, Flatten, Gemm
  transformer  torch.nn.TransformerEncoderLayer(256, 4, 1024) in eval mode (post-norm, relu) as
               MatMul/Add/Split/Reshape/Transpose/Softmax/LayerNormalization, sequence 128,
               batch 1; ONNX Runtime's optimizer fuses it as it can (its best setup)
and the session options the suite runs them with (2 intra-op threads, 1 inter-op, sequential)."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization
IR_VERSION = 8  # read by every onnxruntime >= 1.14


class _Graph:
    def __init__(self, load):
        self.load, self.nodes, self.inits, self.n = load, [], [], 0

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def param(self, name, transpose=False):
        a = self.load(name)
        return self.init(name + (".T" if transpose else ""), a.T if transpose else a)

    def op(self, op_type, inputs, **attrs):
        self.n += 1
        out = "%s_%d" % (op_type.lower(), self.n)
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def model(self, name, x_shape, y_shape):
        """The graph from input "x" to output "y", the last node's output."""
        self.nodes[-1].output[0] = "y"
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
            self.inits,
        )
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m)
        return m


def _gemm(g, x, name):
    return g.op("Gemm", [x, g.param(name + ".weight"), g.param(name + ".bias")], transB=1)


def mlp(load):
    g = _Graph(load)
    h = g.op("Relu", [_gemm(g, "x", "fc1")])
    h = g.op("Relu", [_gemm(g, h, "fc2")])
    _gemm(g, h, "fc3")
    return g.model("mlp", ["N", 784], ["N", 10])


def cnn(load):
    g = _Graph(load)

    def conv(x, name, stride):
        return g.op(
            "Conv",
            [x, g.param(name + ".weight"), g.param(name + ".bias")],
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
            strides=[stride, stride],
        )

    h = g.op("Relu", [conv("x", "conv1", 1)])
    h = g.op("Relu", [conv(h, "conv2", 2)])
    h = g.op("Flatten", [h], axis=1)
    _gemm(g, h, "fc")
    return g.model("cnn", ["N", 3, 32, 32], ["N", 10])


def transformer(load, seq=128, d=256, heads=4):
    g = _Graph(load)
    hd = d // heads

    def linear(x, name):
        return g.op(
            "Add",
            [
                g.op("MatMul", [x, g.param(name + ".weight", transpose=True)]),
                g.param(name + ".bias"),
            ],
        )

    def norm(x, name):
        return g.op(
            "LayerNormalization",
            [x, g.param(name + ".weight"), g.param(name + ".bias")],
            axis=-1,
            epsilon=1e-5,
        )

    qkv = linear("x", "self_attn.in_proj")
    split = g.init("split_sizes", np.array([d, d, d], np.int64))
    parts = ["q", "k", "v"]
    g.nodes.append(helper.make_node("Split", [qkv, split], parts, axis=-1))
    heads_shape = g.init("heads_shape", np.array([1, seq, heads, hd], np.int64))
    q, k, v = (g.op("Reshape", [p, heads_shape]) for p in parts)
    q = g.op("Transpose", [q], perm=[0, 2, 1, 3])
    k = g.op("Transpose", [k], perm=[0, 2, 3, 1])
    v = g.op("Transpose", [v], perm=[0, 2, 1, 3])
    scale = g.init("scale", np.array(1.0 / np.sqrt(hd), np.float32))
    scores = g.op("Mul", [g.op("MatMul", [q, k]), scale])
    attn = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    attn = g.op("Transpose", [attn], perm=[0, 2, 1, 3])
    attn = g.op("Reshape", [attn, g.init("model_shape", np.array([1, seq, d], np.int64))])
    h = norm(g.op("Add", ["x", linear(attn, "self_attn.out_proj")]), "norm1")
    f = linear(g.op("Relu", [linear(h, "linear1")]), "linear2")
    norm(g.op("Add", [h, f]), "norm2")
    return g.model("transformer", [1, seq, d], [1, seq, d])


BUILDERS = {"mlp": mlp, "cnn": cnn, "transformer": transformer}


def session(model_proto, threads=2):
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(
        model_proto.SerializeToString(), o, providers=["CPUExecutionProvider"]
    )
