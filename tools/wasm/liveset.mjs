// The live set of the firmware's pure parts on a 32-bit MicroPython VM (the
// WebAssembly port, objects the size of the ESP32's), for make bench.
//
//   node tools/wasm/liveset.mjs spec.json
//
// spec: {"files": {"/lib/replenish/x.mpy": "<base64>", ...}, "path": ["/lib"],
//        "steps": [["name", "python code"], ...]}
// Each step runs in the same interpreter (its globals stay alive); after it
// returns to JavaScript, gc.collect() runs in a call of its own - the port
// collects only from JavaScript's side, where no stale pointer lingers on the
// C stack - and gc.mem_alloc() is the step's live set. Prints one JSON line:
// {"version", "word_bytes", "steps": [{"name", "alloc"}], "error"}.
import { readFileSync } from "node:fs";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = [];
const mp = await loadMicroPython({ stdout: (line) => out.push(line), stderr: (line) => out.push(line) });
for (const [path, data] of Object.entries(spec.files)) {
  const parts = path.split("/").filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = "/" + parts.slice(0, i).join("/");
    try { mp.FS.mkdir(dir); } catch (e) { /* exists */ }
  }
  mp.FS.writeFile(path, Buffer.from(data, "base64"));
}
mp.runPython("import gc, sys\nsys.path[:0] = " + JSON.stringify(spec.path));
const value = (expr) => {
  mp.runPython("_bench_value = " + expr);
  return mp.globals.get("_bench_value");
};
const measure = () => {
  mp.runPython("gc.collect()");
  return value("gc.mem_alloc()");
};
const result = { version: value("'%d.%d.%d' % sys.implementation.version[:3]"),
  word_bytes: value("4 if sys.maxsize == 2 ** 31 - 1 else 8"), steps: [] };
result.steps.push({ name: "interpreter", alloc: measure() });
try {
  for (const [name, code] of spec.steps) {
    mp.runPython(code);
    result.steps.push({ name, alloc: measure() });
  }
} catch (err) {
  result.error = String(err).split("\n").slice(-3).join(" ") + " " + out.slice(-3).join(" ");
}
console.log(JSON.stringify(result));
