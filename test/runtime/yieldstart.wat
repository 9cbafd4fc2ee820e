;; yieldstart.wat - guest of test_yield.c: a start function may not yield.
(module
  (import "host" "yield" (func $yield (param i32) (result i32)))
  (func $start (drop (call $yield (i32.const 1))))
  (start $start))
