;; callhint.wat - guest of test_callhint.c, instance A: owns the table
;; "table" that another instance (callhint_user.wat) imports, grows and
;; writes into, and a table whose limits pin its size (max == min), whose
;; call_indirect bound is a constant.
(module
  (type $t (func (result i32)))
  (type $u (func (param i32) (result i32)))
  (table $t0 (export "table") 4 funcref)
  (table $fixed 2 2 funcref)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $echo (param i32) (result i32) (local.get 0))
  (elem (table $t0) (i32.const 0) func $one $two $echo)
  (elem (table $fixed) (i32.const 0) func $one $two)
  (func (export "call") (param $i i32) (result i32)
    (call_indirect $t0 (type $t) (local.get $i)))
  (func (export "call_fixed") (param $i i32) (result i32)
    (call_indirect $fixed (type $t) (local.get $i)))
  ;; element $d of $t0 := element $s (the inline table.set of own refs)
  (func (export "copy1") (param $d i32) (param $s i32)
    (table.set $t0 (local.get $d) (table.get $t0 (local.get $s))))
  (func (export "clear") (param $i i32)
    (table.set $t0 (local.get $i) (ref.null func)))
  ;; a loop of calls, so that -O2 keeps the table's words in registers
  ;; across calls if it wrongly may: sum of n calls of element $i
  (func (export "sum") (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s)
                               (call_indirect $t0 (type $t) (local.get $i))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $s)))
