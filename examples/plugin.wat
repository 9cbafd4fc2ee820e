;; plugin.wat - the guest of examples/host.c: it calls back into the host
;; (env.log_number), computes, and can be made to trap.
(module
  (import "env" "log_number" (func $log (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "moat")
  (func (export "sum_to") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $acc (i64.add (local.get $acc)
                               (i64.extend_i32_u (local.get $i))))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (call $log (i32.wrap_i64 (local.get $acc)))
    (local.get $acc))
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1))))
