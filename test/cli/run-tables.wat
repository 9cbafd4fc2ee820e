;; run-tables.wat - --max-memory bounds tables as well as memory: _start
;; grows each of 8 tables by 1,000,000 elements and fills them (64 MB in
;; all), then traps (unreachable) if any grow succeeded. Under a small
;; --max-memory every grow gives -1 and _start returns.
(module
  (table $t0 0 funcref) (table $t1 0 funcref) (table $t2 0 funcref)
  (table $t3 0 funcref) (table $t4 0 funcref) (table $t5 0 funcref)
  (table $t6 0 funcref) (table $t7 0 funcref)
  (func $f)
  (elem declare func $f)
  (func (export "_start")
    (local $bad i32)
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t0 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t1 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t2 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t3 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t4 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t5 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t6 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (local.set $bad (i32.or (local.get $bad)
      (i32.ne (table.grow $t7 (ref.func $f) (i32.const 1000000)) (i32.const -1))))
    (if (local.get $bad) (then unreachable))))
