;; honest.wat - an honest module for test_mutants.c: a switch (jump table
;; at -O0 and -O2), loads and stores, a call, a trap, memory.grow, a
;; call_indirect through a table of pinned size, a float constant (read
;; from a constant pool in .rodata).
(module
  (type $t (func (param i32) (result i32)))
  (memory 1)
  (table 4 4 funcref)
  (elem (i32.const 0) $sw $sw $sw $sw)
  (func $sw (export "sw") (param i32) (result i32)
    (block (block (block (block (block (block (block
      (br_table 0 1 2 3 4 5 6 (local.get 0)))
      (return (i32.load offset=4 (i32.const 1))))
      (return (i32.const 11)))
      (return (i32.const 12)))
      (return (i32.const 13)))
      (return (i32.const 14)))
      (return (i32.const 15)))
    (i32.const 99))
  (func $sum (export "sum") (param i32 i32) (result i32)
    (local i32)
    (loop $l
      (local.set 2 (i32.add (local.get 2) (i32.load offset=8 (local.get 0))))
      (i32.store offset=100 (local.get 0) (local.get 2))
      (local.set 0 (i32.add (local.get 0) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get 0) (local.get 1))))
    (local.get 2))
  (func (export "calls") (param i32) (result i32)
    (call $sum (local.get 0) (call $sw (local.get 0))))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "fc") (param f64) (result f64)
    (f64.add (local.get 0) (f64.const 1.5)))
  (func (export "ci") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0) (local.get 0))))
