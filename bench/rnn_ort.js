// bench/rnn_ort.js - ONNX Runtime (onnxruntime-node) latency of the LSTM and
// GRU that bench/rnn_peers.py exported, one thread. Called by rnn_peers.py:
//     NODE_PATH=build/ort/node_modules node bench/rnn_ort.js DIR RUNS
// DIR holds lstm.onnx, gru.onnx, x.bin ([100, 1, 128] float32) and
// lstm_y.bin, gru_y.bin (PyTorch's y). Session: intraOpNumThreads 1,
// interOpNumThreads 1, graphOptimizationLevel 'all', sequential execution.
// Prints "ort <model> ms <median> min <fastest> maxdiff <d>"; exits 1 on a wrong answer
// (max |y - y_torch| / max |y_torch| > 1e-4), which is then not timed.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

(async () => {
  const dir = process.argv[2];
  const runs = parseInt(process.argv[3] || '51', 10);
  const x = new ort.Tensor('float32', readF32(path.join(dir, 'x.bin')), [100, 1, 128]);
  for (const name of ['lstm', 'gru']) {
    const s = await ort.InferenceSession.create(path.join(dir, name + '.onnx'), {
      intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
    const want = readF32(path.join(dir, name + '_y.bin'));
    const out = await s.run({ x });
    const y = out.y.data;
    let d = 0, scale = 1e-30;
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(y[i] - want[i]);
      if (!(e <= d)) d = e;
      scale = Math.max(scale, Math.abs(want[i]));
    }
    if (y.length !== want.length || !(d / scale <= 1e-4)) {
      console.error(`ort ${name}: WRONG ANSWER (maxdiff ${d / scale})`);
      process.exit(1);
    }
    for (let i = 0; i < 5; i++) await s.run({ x });
    const t = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await s.run({ x });
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    t.sort((a, b) => a - b);
    console.log(`ort ${name} ms ${t[runs >> 1].toFixed(4)} min ${t[0].toFixed(4)} maxdiff ${(d / scale).toExponential(2)}`);
  }
})().catch((e) => { console.error(e); process.exit(1); });
