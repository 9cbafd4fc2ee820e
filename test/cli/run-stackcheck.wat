;; run-stackcheck.wat - which functions get the stack check (docs/
;; compiler.md, "Stack checks"): f0 a leaf (none), f1 a caller (one, after
;; its frame), f2 a loop (one: LLVM can turn it into memset), f3 a caller
;; of f4, which takes ten i32 (five on the stack: K = 80).
(module
  (memory 1)
  (func $leaf (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func $caller (export "caller") (param i32) (result i32)
    (i32.add (call $leaf (local.get 0)) (call $leaf (i32.const 2))))
  (func $fill (export "fill") (param i32)
    (loop $l
      (i32.store8 (local.get 0) (i32.const 0))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0))))
  (func $many_caller (export "many") (result i32)
    (call $many (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)
                (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8)
                (i32.const 9) (i32.const 10)))
  (func $many (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 9))))
