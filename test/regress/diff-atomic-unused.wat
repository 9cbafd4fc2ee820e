;; Atomic accesses whose result is unused, or that change nothing (an add
;; or or of 0), must still touch memory and trap out of bounds: x86's
;; lowering turned an idempotent atomicrmw with an unused result into a
;; fence alone (found by test/diff --threads, seed 1077, at -O1).
;; Built with: wat2wasm --enable-threads diff-atomic-unused.wat
(module
  (memory 1 1 shared)
  (func (export "rmw8_add0") (param i32)
    (drop (i64.atomic.rmw8.add_u offset=3 (local.get 0) (i64.const 0))))
  (func (export "rmw_or0") (param i32)
    (drop (i32.atomic.rmw.or (local.get 0) (i32.const 0))))
  (func (export "load") (param i32)
    (drop (i64.atomic.load (local.get 0))))
  (func (export "cmpxchg_same") (param i32)
    (drop (i32.atomic.rmw.cmpxchg (local.get 0) (i32.const 0) (i32.const 0)))))
