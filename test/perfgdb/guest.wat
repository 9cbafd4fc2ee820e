;; guest.wat - the guest of the perfgdb tests: host <- leaf <- mid, with
;; leaf reached through the table so that no optimisation inlines it (the
;; backtrace and the return address must name leaf). An export without a
;; name-section name (anon) and a function with neither (index 4).
(module
  (type $t (func (param i32) (result i32)))
  (import "env" "host" (func $host (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (param i32) (result i32)
    (i32.add (call $host (local.get 0)) (i32.const 1)))
  (func $mid (export "mid") (param i32) (result i32)
    (i32.mul (call_indirect (type $t) (local.get 0) (i32.const 0))
             (i32.const 2)))
  (func (export "anon") (result i32) (i32.const 3))
  (func (result i64) (i64.const 4)))
