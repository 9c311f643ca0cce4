// ONNX Runtime side of bench/bench_vit.sh: one intra-op thread, graph
// optimisation 'all', sequential execution.
//   node bench/vit_ort.js MODEL.onnx RUNS NAME:D0xD1x... [NAME:SHAPE ...]
// (NODE_PATH -> onnxruntime-node). Feeds each named input with seeded values
// in [-0.5, 0.5), runs 3 warm-up inferences, then RUNS timed ones; prints
// "ort <file> median_ms <t> min_ms <t>".
const ort = require('onnxruntime-node');
(async () => {
  const file = process.argv[2], runs = parseInt(process.argv[3] || '51', 10);
  const s = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionMode: 'sequential' });
  const feeds = {};
  let seed = 12345;
  for (const arg of process.argv.slice(4)) {
    const [name, shp] = arg.split(':');
    const dims = shp.split('x').map((v) => parseInt(v, 10));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) { seed = (seed * 1664525 + 1013904223) >>> 0; data[i] = (seed >>> 8) / 16777216 - 0.5; }
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(`ort ${file} median_ms ${t[runs >> 1].toFixed(3)} min_ms ${t[0].toFixed(3)}`);
})();
