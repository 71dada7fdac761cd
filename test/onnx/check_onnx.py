#!/usr/bin/python3
"""Check nn_export_onnx's files (test/onnx/check.sh runs this).

Reads the JSON lines that test/onnx/models.sql and latin1.sql write (the
files named as arguments), one model a line, and for every model checks that
  - onnx.checker accepts the file (full_check: strict shape inference too),
    with the IR version, opset, inputs and outputs documented;
  - its metadata agree with nn_info (classes, feature names and widths,
    the categories of text features,
    target) and nn_version with the installed extension's version;
  - a small numpy interpreter of the ONNX operators the export emits gives,
    on the test rows, nn_predict_proba's probabilities, nn_predict's class
    index and nn_predict_class's label (classifiers; a two-class model's
    threshold decides) or value (regressors), within TOL (for values,
    TOL times the value's magnitude when that is above 1: float32 keeps
    about 7 significant digits, and nn's matrix products may sum in
    another order than numpy's, e.g. with nn.row_product = level1).
onnxruntime is not in Debian, hence the interpreter: it follows the ONNX
operator specifications, not nn's code (test/onnx/runtime.sh runs the files
in onnxruntime itself, from npm).  With --structure-only first, only the
checker and the metadata are checked (runtime.sh: the interpreter has no
convolutions).  Prints one line per model and "onnx: N passed, N failed";
exits non-zero on any failure.
"""
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

TOL = 1e-5
IR_VERSION = 7
OPSET = 13


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-x))).astype(x.dtype)


CAST = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
        onnx.TensorProto.INT64: np.int64}


def _batch_norm(x, scale, bias, mean, var, a):
    eps = np.float32(a.get("epsilon", 1e-5))
    return (x - mean) / np.sqrt(var + eps) * scale + bias


def _gemm(a, b, c, at):
    if at.get("transA", 0):
        a = a.T
    if at.get("transB", 0):
        b = b.T
    alpha = np.float32(at.get("alpha", 1.0))
    beta = np.float32(at.get("beta", 1.0))
    return alpha * (a @ b) + beta * c


def _reshape(x, shape):
    # 0 copies the input's dimension (opset 13, no allowzero); -1 is inferred
    dims = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]
    return x.reshape(dims)


def _flatten(x, axis):
    return x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), -1)


def _recurrent(op, x, w, r, b, a):
    """RNN, LSTM and GRU (version 7), as nn exports them (tanh, default
    activations, no clip or peepholes; forward or bidirectional), per the ONNX
    operator specifications: X [steps, N, F], W [D, G x H, F], R [D, G x H,
    H], B [D, 2 G x H] (Wb, Rb); returns Y [steps, D, N, H], Y_h [D, N, H] (and
    LSTM's Y_c)."""
    if op == "RNN":
        assert all(v == b"Tanh" for v in a.get("activations", [b"Tanh"])), a
    else:
        assert "activations" not in a, a
    assert a.get("clip") is None and not a.get("input_forget", 0), a
    # GRU: the reset gate applied after the recurrent product, as nn does
    assert op != "GRU" or a.get("linear_before_reset") == 1, a
    hidden = a["hidden_size"]
    steps, batch = x.shape[0], x.shape[1]
    dirs = {b"forward": 1, b"bidirectional": 2}[a.get("direction", b"forward")]
    assert w.shape[0] == dirs
    y = np.zeros((steps, dirs, batch, hidden), dtype=np.float32)
    y_h = np.zeros((dirs, batch, hidden), dtype=np.float32)
    y_c = np.zeros((dirs, batch, hidden), dtype=np.float32)
    for d in range(dirs):
        reverse = d == 1
        wb, rb = np.split(b[d], 2)
        h = np.zeros((batch, hidden), dtype=np.float32)
        c = np.zeros((batch, hidden), dtype=np.float32)
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            xw = x[t] @ w[d].T + wb
            hr = h @ r[d].T + rb
            if op == "RNN":
                h = np.tanh(xw + hr)
            elif op == "LSTM":  # gates i, o, f, c
                i, o, f, g = np.split(xw + hr, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
            else:  # GRU, gates z, r, h
                xz, xr, xh = np.split(xw, 3, axis=1)
                hz, hr_, hh = np.split(hr, 3, axis=1)
                z, reset = _sigmoid(xz + hz), _sigmoid(xr + hr_)
                h = (1 - z) * np.tanh(xh + reset * hh) + z * h
            y[t, d] = h
        y_h[d], y_c[d] = h, c
    return (y, y_h, y_c) if op == "LSTM" else (y, y_h)


def _dequantize(x, scale, zero, a):
    """Per-axis DequantizeLinear: (x - zero) * scale along axis (default 1)."""
    shape = [1] * x.ndim
    shape[a.get("axis", 1)] = -1
    return ((x.astype(np.float32) - zero.astype(np.float32).reshape(shape)) *
            scale.astype(np.float32).reshape(shape))


# op -> function(inputs, attributes); the ops nn_export_onnx emits
OPS = {
    "Add": lambda i, a: i[0] + i[1],
    "Sub": lambda i, a: i[0] - i[1],
    "Mul": lambda i, a: i[0] * i[1],
    "Div": lambda i, a: i[0] / i[1],
    "Gemm": lambda i, a: _gemm(i[0], i[1], i[2], a),
    "BatchNormalization": lambda i, a: _batch_norm(*i, a),
    "Relu": lambda i, a: np.maximum(i[0], 0),
    "LeakyRelu": lambda i, a: np.where(i[0] >= 0, i[0], np.float32(a.get("alpha", 0.01)) * i[0]),
    "Sigmoid": lambda i, a: _sigmoid(i[0]),
    "Tanh": lambda i, a: np.tanh(i[0]),
    "Softmax": lambda i, a: _softmax(i[0], a.get("axis", -1)),
    "Concat": lambda i, a: np.concatenate(i, axis=a["axis"]),
    "ArgMax": lambda i, a: np.argmax(i[0], axis=a.get("axis", 0),
                                     keepdims=bool(a.get("keepdims", 1))).astype(np.int64),
    "GreaterOrEqual": lambda i, a: i[0] >= i[1],
    "Gather": lambda i, a: np.take(i[0], i[1], axis=a.get("axis", 0)),
    "Not": lambda i, a: np.logical_not(i[0]),
    "Cast": lambda i, a: i[0].astype(CAST[a["to"]]),
    "Reshape": lambda i, a: _reshape(i[0], i[1]),
    "Transpose": lambda i, a: np.transpose(i[0], a["perm"]),
    "Flatten": lambda i, a: _flatten(i[0], a.get("axis", 1)),
    "RNN": lambda i, a: _recurrent("RNN", *i, a),
    "LSTM": lambda i, a: _recurrent("LSTM", *i, a),
    "GRU": lambda i, a: _recurrent("GRU", *i, a),
    "DequantizeLinear": lambda i, a: _dequantize(*i, a),
}


def run_graph(model, feeds):
    """Evaluate the graph's nodes in order (ONNX requires them sorted)."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
            raise ValueError(f"operator {node.op_type} is not interpreted")
        out = OPS[node.op_type]([env[n] for n in node.input], _attrs(node))
        # several outputs (the recurrent operators): "" is one left out
        for name, value in zip(node.output, out if isinstance(out, tuple) else (out,)):
            if name:
                env[name] = np.asarray(value)
    return {o.name: env[o.name] for o in model.graph.output}


def check_structure(model, info):
    try:
        onnx.checker.check_model(model, full_check=True)
    except TypeError:  # an onnx without full_check
        onnx.checker.check_model(model)
    assert model.ir_version == IR_VERSION, model.ir_version
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets == {"": OPSET}, opsets
    inputs = [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
              for i in model.graph.input]
    assert inputs == [("features", ["N", info["inputs"]])], inputs
    outputs = [o.name for o in model.graph.output]
    want = ["probabilities", "label"] if info["task"] == "classification" else ["value"]
    assert outputs == want, outputs


def check_metadata(model, case):
    meta = {p.key: p.value for p in model.metadata_props}
    info = case["info"]
    assert meta["nn_version"] == case["extversion"], meta["nn_version"]
    assert model.producer_name == "nn" and model.producer_version == case["extversion"]
    assert meta["task"] == info["task"], meta["task"]
    assert meta["target"] == info.get("target", ""), meta["target"]
    assert json.loads(meta["feature_names"]) == info.get("features", []), meta["feature_names"]
    assert json.loads(meta["feature_widths"]) == info.get("feature_widths", []), meta["feature_widths"]
    if "categories" in info:
        assert json.loads(meta["categories"]) == info["categories"], meta["categories"]
    else:
        assert "categories" not in meta
    if info["task"] == "classification":
        assert json.loads(meta["classes"]) == info["classes"], meta["classes"]
    else:
        assert "classes" not in meta


def check_outputs(model, case):
    """Largest absolute difference from nn's scores over the test rows."""
    rows = case["rows"]
    x = np.array([r["x"] for r in rows], dtype=np.float32)
    out = run_graph(model, {"features": x})
    predict = np.array([r["predict"] for r in rows], dtype=np.float64)
    if case["info"]["task"] == "classification":
        proba = np.array([r["proba"] for r in rows], dtype=np.float64)
        assert out["probabilities"].dtype == np.float32
        assert out["probabilities"].shape == proba.shape, out["probabilities"].shape
        assert out["label"].dtype == np.int64 and out["label"].shape == (len(rows), 1)
        bad = np.nonzero(out["label"][:, 0] != predict)[0]
        assert bad.size == 0, f"label differs from nn_predict on rows {bad.tolist()}"
        classes = case["info"]["classes"]
        other = [i for i, r in enumerate(rows) if classes[out["label"][i, 0]] != r["class"]]
        assert not other, f"label's class differs from nn_predict_class on rows {other}"
        return float(np.max(np.abs(out["probabilities"] - proba)))
    value = out["value"]
    assert value.dtype == np.float64 and value.shape == (len(rows), 1), value.shape
    # relative beyond magnitude 1: the difference in units of TOL's scale
    return float(np.max(np.abs(value[:, 0] - predict) / np.maximum(1.0, np.abs(predict))))


def main(paths):
    structure_only = paths[:1] == ["--structure-only"]
    paths = paths[1:] if structure_only else paths
    passed = failed = 0
    cases = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            cases += [json.loads(line) for line in f if line.strip()]
    for case in cases:
        name = case["name"]
        try:
            model = onnx.load_from_string(bytes.fromhex(case["onnx"]))
            check_structure(model, case["info"])
            check_metadata(model, case)
            if structure_only:
                print(f"onnx: {name}: checker ok, {len(model.graph.node)} nodes")
                passed += 1
                continue
            diff = check_outputs(model, case)
            assert diff <= TOL, f"max difference {diff:.3g} > {TOL} (relative for values above 1)"
            print(f"onnx: {name}: ok, {len(model.graph.node)} nodes, "
                  f"{len(case['rows'])} rows, max difference {diff:.2g}")
            passed += 1
        except Exception as e:  # report every model, not just the first failure
            print(f"onnx: {name}: FAILED: {type(e).__name__}: {e}")
            failed += 1
    if not cases:
        print("onnx: no models read")
        failed += 1
    print(f"onnx: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
