;; preempt.wat - the guest of test_preempt.c, compiled with interruption
;; checks: a loop that does a known amount of work, an endless loop, and
;; calls that go through a host function first (which preempts the
;; instance, calls back into it, or yields) and then loop.
(module
  (import "host" "poke" (func $poke (param i32) (result i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "yield" (func $yield (param i32) (result i32)))

  ;; acc = acc * 31 + i for i in [0, n): a checksum no compiler folds
  (func $sum (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31))
                                 (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))

  (func (export "spin") (loop $l (br $l)))

  (func (export "poke_sum") (param $n i32) (result i64)
    (drop (call $poke (local.get $n)))
    (call $sum (local.get $n)))

  (func (export "reenter_sum") (param $n i32) (result i64)
    (drop (call $reenter (local.get $n)))
    (call $sum (local.get $n)))

  (func (export "yield_sum") (param $n i32) (result i64)
    (drop (call $yield (local.get $n)))
    (call $sum (local.get $n))))
