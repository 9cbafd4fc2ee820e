;; refs.wat - funcref stores and indirect calls (bench/refs.c). Each
;; export loops n times; the loop body is the operation measured.
(module
  (type $t (func (result i32)))
  (import "host" "f" (func $host (result i32)))
  (table $t0 8 funcref)
  (global $g (mut funcref) (ref.null func))
  (func $f (result i32) (i32.const 1))
  (elem (i32.const 0) func $f $f $f $f $f $f $f $f)
  (elem declare func $host)
  ;; table.set of the instance's own function into its own table: inline
  (func (export "set_own") (param $n i32) (local $i i32)
    (loop $l
      (table.set $t0 (i32.and (local.get $i) (i32.const 7)) (ref.func $f))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n)))))
  ;; global.set of its own function: inline
  (func (export "gset_own") (param $n i32) (local $i i32)
    (loop $l
      (global.set $g (ref.func $f))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n)))))
  ;; table.set of an imported (host) function: counted by the runtime
  (func (export "set_host") (param $n i32) (local $i i32)
    (loop $l
      (table.set $t0 (i32.and (local.get $i) (i32.const 7)) (ref.func $host))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (table.fill $t0 (i32.const 0) (ref.func $f) (i32.const 8)))
  ;; call_indirect through the table (unchanged by the counting)
  (func (export "call_ind") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (call_indirect $t0 (type $t) (i32.and (local.get $i) (i32.const 7)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $s)))
