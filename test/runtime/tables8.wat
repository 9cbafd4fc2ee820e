;; tables8.wat - guest of test_limits.c: eight tables a guest can grow to
;; the runtime's per-table limit (10,000,000 elements, 80 MB each), and a
;; memory, all drawing on one budget (moat_engine_set_max_memory).
(module
  (memory 1)
  (table $t0 0 funcref) (table $t1 0 funcref) (table $t2 0 funcref)
  (table $t3 0 funcref) (table $t4 0 funcref) (table $t5 0 funcref)
  (table $t6 0 funcref) (table $t7 0 funcref)
  (func $f)
  (elem declare func $f)
  (func $ok (param $r i32) (result i32)
    (i32.ne (local.get $r) (i32.const -1)))
  ;; grows every table by n, filling it; the number of grows that worked
  (func (export "grow_all") (param $n i32) (result i32)
    (i32.add (i32.add (i32.add
      (call $ok (table.grow $t0 (ref.func $f) (local.get $n)))
      (call $ok (table.grow $t1 (ref.func $f) (local.get $n))))
      (i32.add (call $ok (table.grow $t2 (ref.func $f) (local.get $n)))
               (call $ok (table.grow $t3 (ref.func $f) (local.get $n)))))
      (i32.add (i32.add
      (call $ok (table.grow $t4 (ref.func $f) (local.get $n)))
      (call $ok (table.grow $t5 (ref.func $f) (local.get $n))))
      (i32.add (call $ok (table.grow $t6 (ref.func $f) (local.get $n)))
               (call $ok (table.grow $t7 (ref.func $f) (local.get $n)))))))
  (func (export "grow0") (param $n i32) (result i32)
    (table.grow $t0 (ref.func $f) (local.get $n)))
  (func (export "mem_grow") (param $n i32) (result i32)
    (memory.grow (local.get $n))))
