"""Core, activation, attention, merge, wrapper and container layers: shapes and numerics against
float64 NumPy references (_refs.py and inline), torch layouts and parameter counts."""

import math

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L

import _refs

RNG = np.random.default_rng(2)
TOL = dict(rtol=1e-4, atol=1e-5)


def _x(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("layer,ref", [
    (lambda: L.ReLU(), lambda x: np.maximum(x, 0)),
    (lambda: L.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (lambda: L.GELU(), _refs.gelu),
    (lambda: L.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                                               (x + 0.044715 * x ** 3)))),
    (lambda: L.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (lambda: L.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (lambda: L.Tanh(), np.tanh),
    (lambda: L.Softmax(), _refs.softmax),
    (lambda: L.Softmax(dim=1), lambda x: _refs.softmax(x, 1)),
    (lambda: L.LogSoftmax(), lambda x: np.log(_refs.softmax(x))),
])
def test_activations_match_numpy(layer, ref):
    x = _x(4, 3, 5)
    np.testing.assert_allclose(layer()(x), ref(x.astype(np.float64)), **TOL)


def test_linear_layout_init_and_numerics():
    lin = L.Linear(7)
    x = _x(3, 2, 5)
    y = lin(x)
    assert lin.weight.shape == (7, 5) and lin.bias.shape == (7,)
    assert np.abs(lin.weight).max() <= 1 / math.sqrt(5)
    np.testing.assert_allclose(y, x.astype(np.float64) @ lin.weight.T + lin.bias, **TOL)
    assert L.Linear(4, bias=False, in_features=3).count_params() == 12


def test_flatten_reshape_and_embedding():
    x = _x(2, 3, 4, 5)
    np.testing.assert_array_equal(L.Flatten()(x), x.reshape(2, -1))
    np.testing.assert_array_equal(L.Flatten(2)(x), x.reshape(2, 3, 20))
    np.testing.assert_array_equal(L.Reshape((12, -1))(x), x.reshape(2, 12, 5))
    emb = L.Embedding(10, 4, padding_idx=0)
    assert emb.weight.shape == (10, 4) and not emb.weight[0].any()
    idx = np.array([[1, 0, 9], [3, 3, 2]], np.int64)
    np.testing.assert_array_equal(emb(idx), emb.weight[idx])
    with pytest.raises(bz.DTypeError, match="int32 or int64"):
        emb(L.Placeholder((None, 3)))


def test_layer_norm_matches_numpy():
    x = _x(3, 4, 6)
    ln = L.LayerNorm()
    ln(x)
    ln.weight = RNG.standard_normal(6)
    ln.bias = RNG.standard_normal(6)
    np.testing.assert_allclose(ln(x), _refs.layer_norm(x, 1, ln.weight, ln.bias), **TOL)
    ln2 = L.LayerNorm((4, 6), elementwise_affine=False)
    np.testing.assert_allclose(ln2(x), _refs.layer_norm(x, 2), **TOL)
    assert ln2.count_params() == 0


def _mha_ref(mha, q, k, v, mask=None, causal=False):
    e, h = mha.embed_dim, mha.num_heads
    w, b = mha.in_proj_weight.astype(np.float64), mha.in_proj_bias.astype(np.float64)

    def heads(x, i):
        y = x.astype(np.float64) @ w[i * e:(i + 1) * e].T + b[i * e:(i + 1) * e]
        return y.reshape(y.shape[0], y.shape[1], h, e // h).transpose(0, 2, 1, 3)

    o = _refs.attention(heads(q, 0), heads(k, 1), heads(v, 2), mask, causal)
    o = o.transpose(0, 2, 1, 3).reshape(q.shape[0], q.shape[1], e)
    return o @ mha.out_proj_weight.T + mha.out_proj_bias


def test_multihead_attention_matches_numpy():
    mha = L.MultiheadAttention(8, 2)
    assert mha.in_proj_weight.shape == (24, 8) and mha.out_proj_weight.shape == (8, 8)
    assert mha.count_params() == 3 * 64 + 24 + 64 + 8  # torch's count
    mha.in_proj_bias = RNG.standard_normal(24)
    mha.out_proj_bias = RNG.standard_normal(8)
    q, kv = _x(2, 3, 8), _x(2, 5, 8)
    np.testing.assert_allclose(mha(q), _mha_ref(mha, q, q, q), **TOL)
    np.testing.assert_allclose(mha(q, kv, kv), _mha_ref(mha, q, kv, kv), **TOL)
    np.testing.assert_allclose(mha(q, is_causal=True), _mha_ref(mha, q, q, q, causal=True), **TOL)
    pad = np.array([[False] * 4 + [True], [False] * 5])
    add = np.where(pad, -np.inf, 0.0)[:, None, None, :]
    pq, pkv, pm = L.Placeholder((None, 3, 8)), L.Placeholder((None, 5, 8)), \
        L.Placeholder((None, 5), dtype="bool")
    masked = bz.Model([pq, pkv, pm], mha(pq, pkv, pkv, key_padding_mask=pm))
    np.testing.assert_allclose(masked(q, kv, pad), _mha_ref(mha, q, kv, kv, mask=add), **TOL)
    # With dropout (explicit path) inference equals the fused path.
    drop = L.MultiheadAttention(8, 2, dropout=0.5)
    for n in ("in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias"):
        setattr(drop, n, getattr(mha, n))
    np.testing.assert_allclose(drop(q), mha(q), **TOL)


def test_transformer_encoder_layer_matches_numpy_post_norm():
    enc = L.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    assert enc.dropout.p == 0.1 and not enc.norm_first
    x = _x(2, 4, 8)
    a = x + _mha_ref(enc.self_attn, x, x, x)
    a = _refs.layer_norm(a, 1, enc.norm1.weight, enc.norm1.bias)
    f = np.maximum(a @ enc.linear1.weight.T + enc.linear1.bias, 0) @ enc.linear2.weight.T + \
        enc.linear2.bias
    ref = _refs.layer_norm(a + f, 1, enc.norm2.weight, enc.norm2.bias)
    np.testing.assert_allclose(enc(x), ref, rtol=1e-4, atol=1e-4)
    d, ff = 8, 16  # torch's parameter count: attention, two linears, two norms
    assert enc.count_params() == (3 * d * d + 3 * d + d * d + d) + (d * ff + ff + ff * d + d) + 4 * d


def test_concat_add_lambda_time_distributed():
    a, b = _x(2, 3), _x(2, 5)
    np.testing.assert_array_equal(L.Concat()(a, b), np.concatenate([a, b], -1))
    np.testing.assert_array_equal(L.Concat(dim=0)([a, a]), np.concatenate([a, a], 0))
    np.testing.assert_allclose(L.Add()(a, a, a), 3 * a, **TOL)
    np.testing.assert_allclose(L.Lambda(lambda t: t * 2 + 1)(a), a * 2 + 1, **TOL)
    x = L.Placeholder((None, "T", 6))
    lin = L.Linear(4)
    y = L.TimeDistributed(lin)(x)
    assert y.shape[-1] == 4 and y.shape[1] == "T"
    data = _x(3, 7, 6)
    out = bz.Model(x, y)(data)
    np.testing.assert_allclose(out, data.astype(np.float64) @ lin.weight.T + lin.bias, **TOL)
    with pytest.raises(bz.ShapeError, match="Concat"):
        L.Concat()(L.Placeholder((None, 3)), L.Placeholder((None, 2, 2)))


def test_sequential_lazy_build_indexing_and_placeholder_call():
    seq = L.Sequential(L.Linear(5), L.ReLU())
    seq.add(L.Linear(2))
    assert len(seq) == 3 and isinstance(seq[0], L.Linear) and len(seq[1:]) == 2
    x = _x(4, 3)
    y = seq(x)
    ref = np.maximum(x @ seq[0].weight.T + seq[0].bias, 0) @ seq[2].weight.T + seq[2].bias
    np.testing.assert_allclose(y, ref, **TOL)
    assert seq.count_params() == 3 * 5 + 5 + 5 * 2 + 2
    p = L.Placeholder((None, 3))
    model = bz.Model(p, seq(p))
    np.testing.assert_allclose(model(x), ref, **TOL)
    assert list(model.parameters()) == [f"{seq[0].name}/weight", f"{seq[0].name}/bias",
                                        f"{seq[2].name}/weight", f"{seq[2].name}/bias"]
