;; nest.wat - guest of test_yield.c: host -> wasm -> host -> wasm chains
;; between two instances; the bottom of the chain divides by zero, or
;; recurses until its stack is exhausted.
(module
  (import "host" "down" (func $down (param i32) (result i32)))
  (func $deep (param $n i32) (result i32)
    (i32.add (call $deep (i32.add (local.get $n) (i32.const 1)))
             (local.get $n)))
  (func (export "level") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.div_u (i32.const 1) (local.get $n)))
      (else (i32.add (call $down (i32.sub (local.get $n) (i32.const 1)))
                     (i32.const 1)))))
  (func (export "deep") (result i32) (call $deep (i32.const 0))))
