;; tenant.wat - guest of test_pool.c: one tenant writes a secret into its
;; memory (two pages, after a grow), a global, its table and its stack;
;; the next tenant of the slot (or the instance after a reset) looks.
(module
  (import "host" "probe" (func $probe (result i32)))
  (memory 1 4)
  (table $t 2 8 funcref)
  (global $g (mut i64) (i64.const 0))
  (data (i32.const 16) "tenant")
  (func $f)
  (elem declare func $f)
  ;; n frames holding s (compiled at -O0: every frame spills it), then the
  ;; host probe, which counts the secret on this instance's stack
  (func $rec (param $s i64) (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $probe))
      (else (call $rec (local.get $s) (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "write") (param $s i64) (result i32)
    (i64.store (i32.const 0) (local.get $s))
    (i64.store (i32.const 4096) (local.get $s))
    (i64.store (i32.const 65528) (local.get $s))
    (drop (memory.grow (i32.const 1)))
    (i64.store (i32.const 100000) (local.get $s))
    (global.set $g (local.get $s))
    (table.set $t (i32.const 1) (ref.func $f))
    (drop (table.grow $t (ref.func $f) (i32.const 3)))
    (call $rec (local.get $s) (i32.const 40)))
  ;; what a fresh tenant must see: 1 page, zero but the data segment, the
  ;; global's initial value, the table as declared; and (the probe, from
  ;; as deep as write went) no secret on the stack. Returns the number of
  ;; differences, plus the probe's count times 1000.
  (func (export "look") (result i32)
    (local $i i32) (local $bad i32)
    (if (i32.ne (memory.size) (i32.const 1))
      (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 65536)))
        (if (i32.and (i64.ne (i64.load (local.get $i)) (i64.const 0))
                     (i32.ne (local.get $i) (i32.const 16)))
          (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l)))
    (if (i64.ne (global.get $g) (i64.const 0))
      (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
    (if (i32.ne (table.size $t) (i32.const 2))
      (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
    (if (i32.eqz (ref.is_null (table.get $t (i32.const 1))))
      (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
    (i32.add (local.get $bad)
             (i32.mul (call $rec (i64.const 0) (i32.const 40))
                      (i32.const 1000))))
  ;; one page: 70000 is out of bounds, whatever an earlier tenant opened
  (func (export "oob") (result i32) (i32.load (i32.const 70000)))
  ;; touches a page the data segment did not (opened on first touch)
  (func (export "touch") (param $a i32) (param $v i32) (result i32)
    (i32.store (local.get $a) (local.get $v))
    (i32.load (local.get $a)))
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get $n) (i32.const 1)))
                     (i32.const 1)))))
  (func (export "down") (param $n i32) (result i32)
    (call $down (local.get $n))))
