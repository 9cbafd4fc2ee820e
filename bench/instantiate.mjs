// instantiate.mjs - node's side of bench/instantiate: new
// WebAssembly.Instance of the same module + a call of its no-op export,
// per instance, in batches; prints `node: US us` (median batch mean).
//   node bench/instantiate.mjs FILE.wasm [BATCHES] [PER_BATCH]
import { readFileSync } from "node:fs";

const [file, nb = "400", per = "250"] = process.argv.slice(2);
const mod = new WebAssembly.Module(readFileSync(file));

function batch(k) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < k; i++) {
    const inst = new WebAssembly.Instance(mod, {});
    inst.exports.run();
  }
  return Number(process.hrtime.bigint() - t0) / k;
}

batch(Number(per));                              // warm-up
const v = [];
for (let b = 0; b < Number(nb); b++) v.push(batch(Number(per)));
v.sort((a, b) => a - b);
const us = (x) => (x / 1000).toFixed(3);
console.log(`new WebAssembly.Instance + call, ${nb} x ${per}: median ` +
            `${us(v[v.length >> 1])} us, p10 ${us(v[Math.floor(v.length / 10)])} us, ` +
            `p90 ${us(v[Math.floor(v.length * 9 / 10)])} us`);
console.log(`node: ${us(v[v.length >> 1])} us`);
