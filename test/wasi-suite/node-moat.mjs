#!/usr/bin/env node
// node-moat.mjs - stands in for `moat run` with node's WASI (node:wasi,
// preview 1), accepting the subset of options the runner passes:
//     node-moat.mjs run [--dir HOST[::GUEST]] [--env NAME=VALUE]
//                       [--inherit-env] [-O0..3] PROG.wasm [ARGS...]
// It lets the runner itself be checked without Moat, and gives the
// reference row "node" in docs/wasi-testsuite.md:
//     wasi_suite --moat test/wasi-suite/node-moat.mjs --suite ...
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import process from "node:process";

process.removeAllListeners("warning");  // "WASI is experimental"
const argv = process.argv.slice(2);
if (argv.shift() !== "run") {
  console.error("usage: node-moat.mjs run [OPTIONS] PROG.wasm [ARGS...]");
  process.exit(2);
}
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith("-")) {
  const opt = argv.shift();
  if (opt === "--dir") {
    const [host, guest] = argv.shift().split("::");
    preopens[guest ?? host] = host;
  } else if (opt === "--env") {
    const kv = argv.shift();
    const eq = kv.indexOf("=");
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else if (opt === "--inherit-env") {
    Object.assign(env, process.env);
  } else if (!/^-O[0-3]$/.test(opt)) {
    console.error(`node-moat.mjs: unknown option ${opt}`);
    process.exit(2);
  }
}
const prog = argv.shift();
const wasi = new WASI({ version: "preview1", args: [prog, ...argv], env,
                        preopens, returnOnExit: true });
const mod = await WebAssembly.compile(readFileSync(prog));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst);
