;; sample.wat - the module scripts/setup.sh validates and inspects: a little
;; of everything (imports, memory with data, a table, globals, exports).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, moat\n")
  (table 2 funcref)
  (elem (i32.const 0) $fib $main)
  (global $calls (mut i32) (i32.const 0))
  (func $fib (export "fib") (param $n i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $main (export "_start")
    (i32.store (i32.const 0) (i32.const 16))   ;; iovec: base
    (i32.store (i32.const 4) (i32.const 12))   ;; iovec: length
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 8)))))
