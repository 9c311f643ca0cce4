// ONNX Runtime side of bench/bench_mobilenet.sh: one intra-op thread,
// graph optimisation 'all', batch 1, 224x224, 5 warm-up runs.
//   node bench/mobilenet_ort.js MODEL.onnx RUNS   (NODE_PATH -> onnxruntime-node)
// Prints "ort <file> median_ms <t> min_ms <t>".
const ort = require('onnxruntime-node');
(async () => {
  const file = process.argv[2], runs = parseInt(process.argv[3] || '51', 10);
  const s = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionMode: 'sequential' });
  const data = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < data.length; i++) data[i] = (i % 255) / 255;
  const x = new ort.Tensor('float32', data, [1, 3, 224, 224]);
  for (let i = 0; i < 5; i++) await s.run({ input: x });
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await s.run({ input: x });
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(`ort ${file} median_ms ${t[runs >> 1].toFixed(3)} min_ms ${t[0].toFixed(3)}`);
})();
