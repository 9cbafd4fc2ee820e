;; loops.wat - honest loops for the memory rule (test_loops.c): an upward
;; walk, nested counted loops over a matrix (a heap pointer, a column
;; counter, negative displacements), a scaled index bounded by `and`.
;; a switch made a lookup table. At -O2 main's checker (before
;; memory_loop.c) rejected mat, hist and lut;
;; mat is also the canvas test_loops.c writes loops.S's bodies into.
(module
  (memory 1)
  ;; an upward walk: sum of n i32s from p (LSR: a heap pointer)
  (func (export "sum") (param $p i32) (param $n i32) (result i32)
    (local $s i32) (local $e i32)
    (local.set $e (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $l)))
    (local.get $s))
  ;; nested counted loops over a 64x64 f64 matrix at 1024 (row pointer, column index)
  (func (export "mat") (param $k f64)
    (local $i i32) (local $j i32)
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (f64.store offset=1024
          (i32.add (i32.shl (local.get $i) (i32.const 9)) (i32.shl (local.get $j) (i32.const 3)))
          (local.get $k))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.ne (local.get $j) (i32.const 64))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.ne (local.get $i) (i32.const 64)))))
  ;; a scaled index bounded by and
  (func (export "hist") (param $x i32)
    (local $a i32)
    (local.set $a (i32.add (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 2)) (i32.const 4096)))
    (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1))))
;; a switch LLVM turns into a lookup table in read-only data (8-byte
  ;; entries 416, 44, 1216, 196: test_loops.c patches one), whose value
  ;; is a heap offset
  (func (export "lut") (param $x i32) (result i32)
    (local $a i32)
    (block $d (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 $c3 $d (local.get $x)))
      (local.set $a (i32.const 100)) (br $d))
      (local.set $a (i32.const 7)) (br $d))
      (local.set $a (i32.const 300)) (br $d))
      (local.set $a (i32.const 45)))
    (i32.load offset=16 (i32.shl (local.get $a) (i32.const 2))))
;; a function that always traps (it ends in a call of moatR_trap, with
  ;; no ret): test_loops.c's bodies call it, and it never returns
  (func (export "trap") (unreachable))
)
