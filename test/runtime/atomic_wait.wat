;; test_atomic_wait.c's guests: a shared memory imported from the host, so
;; that instances on several threads share it, and one with an unshared
;; memory of its own.
(module
  (import "env" "mem" (memory 1 1 shared))
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "store") (param i32 i32)
    (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32)
    (i32.atomic.load (local.get 0)))
  ;; n atomic increments of the i32 at addr
  (func (export "add_n") (param $addr i32) (param $n i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (drop (i32.atomic.rmw.add (local.get $addr) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))))
