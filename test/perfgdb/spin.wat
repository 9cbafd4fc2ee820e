;; spin.wat - a CPU-bound WASI command for the perf test: _start calls hot
;; through the table (never inlined), which spins for about a second.
(module
  (type $t (func (param i32) (result i32)))
  (global $g (mut i32) (i32.const 0))
  (table 1 funcref)
  (elem (i32.const 0) $hot)
  (func $hot (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 1103515245))
                            (i32.const 12345)))
      (local.set 1 (i32.xor (local.get 1)
                            (i32.shr_u (local.get 1) (i32.const 7))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get 1))
  (func (export "_start")
    (global.set $g (call_indirect (type $t) (i32.const 400000000)
                                  (i32.const 0)))))
