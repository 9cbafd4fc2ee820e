// run-wasi.mjs - node's side of the benchmarks that run WASI commands
// (bench/hello, bench/real-world): `node run-wasi.mjs [--dir HOST::GUEST]...
// PROG.wasm [ARGS...]` runs a WASI preview 1 command through node:wasi,
// with an empty environment, and exits with its status, like `moat run`.
import { readFileSync } from "node:fs";
import process from "node:process";
import { WASI } from "node:wasi";

process.removeAllListeners("warning");  // "WASI is experimental"
const argv = process.argv.slice(2);
const preopens = {};
while (argv[0] === "--dir") {
  const [host, guest] = argv[1].split("::");
  preopens[guest ?? host] = host;
  argv.splice(0, 2);
}
const [file, ...args] = argv;
const wasi = new WASI({ version: "preview1", args: [file, ...args],
                        env: {}, preopens, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file),
                                                   wasi.getImportObject());
process.exitCode = wasi.start(instance);
