;; gen.wat - guest of test_yield.c: generators that yield through a host
;; function, a division by a value resumed with, a call out to a host
;; function the test chooses, a start function that yields (yieldstart).
(module
  (import "host" "yield" (func $yield (param i32) (result i32)))
  (import "host" "back" (func $back (param i32) (result i32)))
  (global $id (mut i32) (i32.const 0))
  (func (export "set_id") (param i32) (global.set $id (local.get 0)))
  ;; yields id * 100 + i for i in [0, n); returns the sum of the values
  ;; it was resumed with
  (func (export "gen") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i32.add (local.get $sum)
                   (call $yield (i32.add (i32.mul (global.get $id)
                                                  (i32.const 100))
                                         (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $sum))
  ;; 100 / the value it is resumed with: 0 traps
  (func (export "div") (result i32)
    (i32.div_u (i32.const 100) (call $yield (i32.const 7))))
  (func (export "back") (param i32) (result i32) (call $back (local.get 0)))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
