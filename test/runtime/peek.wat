;; peek.wat - another module taking over a tenant.wat slot (test_pool.c):
;; 32 pages (2 MiB), no data; counts the non-zero words it sees, and
;; stores a word anywhere (above 1 MiB: a heap the release gives back).
(module
  (memory 32)
  (func (export "count") (result i32)
    (local $i i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 0x200000)))
        (if (i64.ne (i64.load (local.get $i)) (i64.const 0))
          (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l)))
    (local.get $n))
  (func (export "put") (param $a i32) (param $v i64)
    (i64.store (local.get $a) (local.get $v))))
