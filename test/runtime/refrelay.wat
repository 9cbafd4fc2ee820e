;; refrelay.wat - guest of test_refs.c: re-exports instance A's funcref
;; global and exports a function of its own (returns 31).
(module
  (import "lib" "g" (global $g (mut funcref)))
  (export "g" (global $g))
  (func (export "r") (result i32) (i32.const 31)))
