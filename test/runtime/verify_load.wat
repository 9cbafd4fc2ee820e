;; verify_load.wat - test_verify_load.c's guest: two small functions, the
;; first of which the test overwrites with a syscall.
(module
  (memory 1)
  (func (export "poke") (param i32) (result i32)
    (i32.store (local.get 0) (i32.const 7))
    (i32.load (local.get 0)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))
