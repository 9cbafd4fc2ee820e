;; run-trap.wat - a trap inside a named function (name section: wat2wasm
;; --debug-names), for the trap line `moat: trap: ... in function boom`.
(module
  (func $boom (unreachable))
  (func $middle (call $boom))
  (func (export "_start") (call $middle)))
