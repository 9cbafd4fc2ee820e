;; wrong.wast - every assertion here is false, so `moat wast` must count
;; each as failed (cli-wat.sh expects "2 passed, 13 failed, 1 skipped"):
;; proof that the runner's checks can fail.
(module $m
  (func (export "one") (result i32) (i32.const 1))
  (func (export "nan") (result f32) (f32.const nan:0x200000))
  (func (export "v") (result v128) (v128.const i32x4 1 2 3 4))
  (func (export "trap") (unreachable))
  (global (export "g") i32 (i32.const 7)))
(register "m" $m)
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 5))
(assert_return (get "g") (i32.const 8))
(assert_return (invoke "one"))
(assert_trap (invoke "one") "unreachable")
(assert_trap (invoke "trap") "integer divide by zero")
(assert_exhaustion (invoke "one") "call stack exhausted")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_malformed (module quote "(func)") "unexpected token")
(assert_unlinkable (module (import "m" "one" (func (result i32)))) "x")
(assert_uninstantiable (module (func $s) (start $s)) "unreachable")
(invoke "missing")
(frobnicate)
