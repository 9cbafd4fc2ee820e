;; run-rec.wat - host code at the bottom of deep recursion (issue 9): rec
;; calls table.grow at every depth (by 0: the helper, no allocation) and
;; by 4096 at the bottom, so realloc of a 32 KiB array (glibc's arena, not
;; mmap) runs on the wasm stack wherever the recursion ends. When it ran
;; out inside malloc, the fault became a trap that unwound out of it with
;; glibc's arena lock held, and `moat run` hung in moat_linker_free after
;; printing the trap. Now compiled code leaves host code its reserve.
(module
  (table $t 1 funcref)
  (func $rec (export "rec") (param $n i32) (result i32)
    (drop (table.grow $t (ref.null func) (i32.const 0)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (table.grow $t (ref.null func) (i32.const 4096)))
      (else (i32.add (i32.const 1)
                     (call $rec (i32.sub (local.get $n) (i32.const 1))))))))
