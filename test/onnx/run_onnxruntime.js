// Run nn_export_onnx's files in Microsoft's onnxruntime (onnxruntime-node)
// and compare with nn (test/onnx/runtime.sh runs this).
//
//   node run_onnxruntime.js ORT_DIR CASES...
//
// ORT_DIR holds node_modules/onnxruntime-node; each CASES file has one JSON
// line per model (test/onnx/cases.sql): the ONNX bytes, nn_info and rows of
// features with nn_predict, nn_predict_proba and nn_predict_class.  For
// every model the probabilities must equal nn_predict_proba and the label
// nn_predict, its class nn_predict_class (classifiers: a two-class model's
// threshold decides), or the value nn_predict (regressors), within TOL:
// absolute, and for values above 1 in magnitude relative (float32 keeps
// about 7 significant digits).  Prints a line per model and
// "onnxruntime: N passed, N failed"; exits non-zero on any failure.
'use strict';
const fs = require('fs');
const path = require('path');

const TOL = 1e-5;
const [ortDir, ...casePaths] = process.argv.slice(2);
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

function maxDiff(got, want, relative) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const scale = relative ? Math.max(1, Math.abs(want[i])) : 1;
    const d = Math.abs(Number(got[i]) - want[i]) / scale;
    if (!(d <= worst)) worst = d;        // NaN wins
  }
  return worst;
}

async function check(c) {
  const rows = c.rows || [];
  const inputs = c.info.inputs;
  if (rows.length === 0) throw new Error('no rows to score');
  const x = new Float32Array(rows.length * inputs);
  rows.forEach((r, i) => x.set(r.x, i * inputs));
  const session = await ort.InferenceSession.create(Buffer.from(c.onnx, 'hex'));
  const out = await session.run({features: new ort.Tensor('float32', x, [rows.length, inputs])});
  const predict = rows.map((r) => r.predict);
  if (c.info.task === 'classification') {
    const p = out.probabilities;
    const k = c.info.classes.length;
    if (p.type !== 'float32' || p.dims.join() !== [rows.length, k].join())
      throw new Error(`probabilities ${p.type} [${p.dims}]`);
    const label = out.label;
    if (label.type !== 'int64' || label.dims.join() !== [rows.length, 1].join())
      throw new Error(`label ${label.type} [${label.dims}]`);
    const bad = predict.filter((v, i) => Number(label.data[i]) !== v).length;
    if (bad > 0) throw new Error(`label differs from nn_predict on ${bad} rows`);
    // the label's class is nn_predict_class's (a threshold model's decision)
    const other = rows.filter((r, i) => c.info.classes[Number(label.data[i])] !== r.class).length;
    if (other > 0) throw new Error(`label's class differs from nn_predict_class on ${other} rows`);
    return maxDiff(p.data, rows.flatMap((r) => r.proba), false);
  }
  const v = out.value;
  if (v.type !== 'float64' || v.dims.join() !== [rows.length, 1].join())
    throw new Error(`value ${v.type} [${v.dims}]`);
  return maxDiff(v.data, predict, true);
}

async function main() {
  let passed = 0, failed = 0;
  const cases = casePaths.flatMap((p) => fs.readFileSync(p, 'utf8').split('\n')
    .filter((l) => l.trim() !== '').map((l) => JSON.parse(l)));
  for (const c of cases) {
    try {
      const d = await check(c);
      if (!(d <= TOL)) throw new Error(`max difference ${d.toPrecision(3)} > ${TOL}`);
      console.log(`onnxruntime: ${c.name}: ok, ${c.rows.length} rows, max difference ${d.toPrecision(2)}`);
      passed++;
    } catch (e) {  // report every model, not just the first failure
      console.log(`onnxruntime: ${c.name}: FAILED: ${e.message}`);
      failed++;
    }
  }
  if (cases.length === 0) {
    console.log('onnxruntime: no models read');
    failed++;
  }
  console.log(`onnxruntime: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
