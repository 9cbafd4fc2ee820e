// node-server.mjs - baseline (c) of bench/serve/run.sh: node's http
// server running a WAGI handler through node:wasi.
//   node node-server.mjs PORT ROUTE=FILE.wasm... [--workers N]
// Once per process: each .wasm is compiled (new WebAssembly.Module).
// PER REQUEST: the body is read, written to a temp file opened as the
// guest's stdin; a temp file is opened as its stdout; a new WASI
// (preview1, env = the CGI variables, args = route + query words) and a
// new WebAssembly.Instance are made, wasi.start() runs _start to exit,
// then the stdout file is read back and its CGI header block (Status:,
// other headers, blank line) parsed into the response. node:wasi is
// synchronous, so each worker runs one handler at a time; --workers N
// (default 1) forks N workers sharing the port (node:cluster), like
// moat serve --workers. A trap answers 500. Run it with --expose-gc:
// node 20.20 dies of SIGSEGV after ~7,000 wasi.start() calls in a row
// without a full GC in between (seen here with a plain loop too), so a
// worker forces one every GC_EVERY (500) requests; that cost is counted
// in its numbers. Prints
// "node-server: listening on http://127.0.0.1:PORT" once all listen.
import cluster from "node:cluster";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { WASI } from "node:wasi";

const argv = process.argv.slice(2);
let workers = 1;
const routes = new Map();
let port = 0;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--workers") workers = Number(argv[++i]);
  else if (argv[i].includes("=")) {
    const [r, f] = argv[i].split("=");
    routes.set(r, f);
  } else port = Number(argv[i]);
}

if (cluster.isPrimary && workers > 1) {
  let up = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("message", (w, m) => {
    if (m.listening && ++up === workers)
      console.error(`node-server: listening on http://127.0.0.1:${m.listening}`);
  });
  cluster.on("exit", (w, code) => {
    console.error(`node-server: worker ${w.process.pid} exited (${code})`);
    process.exit(1);
  });
} else {
  serve();
}

function serve() {
  const mods = new Map();
  for (const [r, f] of routes) mods.set(r, new WebAssembly.Module(fs.readFileSync(f)));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "node-wagi-"));
  const inPath = path.join(tmp, "stdin"), outPath = path.join(tmp, "stdout");
  process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => process.exit(0));
  if (!globalThis.gc) console.error("node-server: without --expose-gc node 20 may crash");

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => answer(req, res, Buffer.concat(chunks)));
  });

  let served = 0;
  function answer(req, res, body) {
    if (globalThis.gc && ++served % 500 === 0) globalThis.gc();
    const url = new URL(req.url, "http://x");
    const mod = mods.get(url.pathname);
    if (!mod) { res.writeHead(404).end("not found\n"); return; }
    const query = url.search.slice(1);
    const env = {
      GATEWAY_INTERFACE: "CGI/1.1", SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      REQUEST_METHOD: req.method, SCRIPT_NAME: url.pathname, PATH_INFO: "",
      QUERY_STRING: query, SERVER_NAME: "127.0.0.1", SERVER_PORT: String(port),
      REMOTE_ADDR: req.socket.remoteAddress ?? "", SERVER_SOFTWARE: "node-wagi",
    };
    if (req.headers["content-type"]) env.CONTENT_TYPE = req.headers["content-type"];
    env.CONTENT_LENGTH = String(body.length);
    for (const [k, v] of Object.entries(req.headers))
      if (k !== "content-type" && k !== "content-length")
        env["HTTP_" + k.toUpperCase().replaceAll("-", "_")] = String(v);
    const args = [url.pathname];
    if (query && !query.includes("="))
      for (const w of query.split("+")) args.push(decodeURIComponent(w));

    fs.writeFileSync(inPath, body);
    const fin = fs.openSync(inPath, "r"), fout = fs.openSync(outPath, "w+");
    let ok = true;
    try {
      const wasi = new WASI({ version: "preview1", args, env, stdin: fin, stdout: fout, returnOnExit: true });
      const inst = new WebAssembly.Instance(mod, wasi.getImportObject());
      if (wasi.start(inst) !== 0) ok = false;
    } catch (e) {
      ok = false;                                  // a trap
    } finally {
      fs.closeSync(fin); fs.closeSync(fout);
    }
    const out = fs.readFileSync(outPath);
    if (!ok) { res.writeHead(500).end("handler failed\n"); return; }
    reply(res, out);
  }

  // The CGI header block: "Name: value" lines up to an empty line.
  function reply(res, out) {
    let end = out.indexOf("\n\n"), skip = 2;
    const crlf = out.indexOf("\r\n\r\n");
    if (crlf >= 0 && (end < 0 || crlf < end)) { end = crlf; skip = 4; }
    if (end < 0) { res.writeHead(502).end("bad CGI output\n"); return; }
    let status = 200;
    const headers = {};
    for (const line of out.subarray(0, end).toString().split(/\r?\n/)) {
      const c = line.indexOf(":");
      if (c <= 0) { res.writeHead(502).end("bad CGI header\n"); return; }
      const name = line.slice(0, c).trim(), value = line.slice(c + 1).trim();
      if (name.toLowerCase() === "status") status = parseInt(value, 10);
      else headers[name] = value;
    }
    const body = out.subarray(end + skip);
    headers["Content-Length"] = String(body.length);
    res.writeHead(status, headers).end(body);
  }

  server.listen(port, "127.0.0.1", () => {
    port = server.address().port;
    if (cluster.isWorker) process.send({ listening: port });
    else console.error(`node-server: listening on http://127.0.0.1:${port}`);
  });
}
