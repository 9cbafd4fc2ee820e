// run.mjs - node runner: `node run.mjs K.wasm nop` or `... K.wasm run N`
// instantiates the module without imports, calls the export, prints the
// result on stdout and the time of the call (seconds) on stderr.
import { readFileSync } from "node:fs";

const [file, name, arg] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const fn = instance.exports[name];
const t0 = performance.now();
const r = name === "run" ? fn(Number(arg)) : fn();
const t = (performance.now() - t0) / 1000;
console.log(String(r));
console.error(`time ${t.toFixed(6)}`);
