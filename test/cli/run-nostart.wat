;; run-nostart.wat - a module that is not a WASI command: no _start.
(module
  (func (export "main") (result i32) (i32.const 1)))
