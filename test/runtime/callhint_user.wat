;; callhint_user.wat - guest of test_callhint.c, instance B: imports A's
;; table and changes it under A (table.set through the runtime helper, as
;; the table is imported here, and table.grow, which moves its arrays).
(module
  (type $t (func (result i32)))
  (import "a" "table" (table $t 4 funcref))
  (func $nine (result i32) (i32.const 9))
  (elem declare func $nine)
  (func (export "put") (param $i i32)
    (table.set $t (local.get $i) (ref.func $nine)))
  (func (export "grow") (param $n i32) (result i32)
    (table.grow $t (ref.func $nine) (local.get $n)))
  (func (export "call") (param $i i32) (result i32)
    (call_indirect $t (type $t) (local.get $i))))
