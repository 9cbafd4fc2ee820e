;; density.wat - the density module (build/bench/density): one memory
;; page, of which it touches 4 bytes, and a call that waits in the host.
(module
  (import "host" "wait" (func $wait (param i32) (result i32)))
  (memory 1)
  (func (export "run") (param $id i32) (result i32)
    (i32.store (i32.const 1024) (local.get $id))
    (i32.add (call $wait (local.get $id)) (i32.load (i32.const 1024)))))
