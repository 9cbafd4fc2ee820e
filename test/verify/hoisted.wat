;; hoisted.wat - a br_table in a loop: at -O2 LLVM loads the jump table's
;; address once, before the loop (test_mutants.c, hoisted_table_*).
(module
  (memory 1)
  (func (export "f") (param i32 i32) (result i32)
    (local i32)
    (loop $l
      (block $d
(block $c0 (block $c1 (block $c2 (block $c3 (block $c4 (block $c5 (block $c6 (block $c7 (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $c7 $d (i32.load8_u (local.get 0))))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 3)) (i32.const 1))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 4)) (i32.const 8))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 5)) (i32.const 15))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 6)) (i32.const 22))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 7)) (i32.const 29))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 8)) (i32.const 36))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 9)) (i32.const 43))) (br $d))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 10)) (i32.const 50))) (br $d))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 0) (local.get 1))))
    (local.get 2)))
