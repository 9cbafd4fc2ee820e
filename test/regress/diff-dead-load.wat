;; Out-of-bounds loads whose result is never used must still trap.
;; Found by test/diff/gen-and-compare.py (184 of seeds 1..2000, e.g. 5
;; and 932; see docs/differential.md); every export here must trap with
;; "out of bounds memory access" at -O0..-O3:
;;   moat compile -O2 diff-dead-load.wasm -o t.o
;;   moat run --invoke NAME t.o     =>  trap: out of bounds memory access
;; The memory is 1 page, so address 65536 and -1 + offset 9 are past it.
;; Moat at f9c5051 (v: returns 7, ude: undefined element, div: integer
;; divide by zero; V8 traps out of bounds on all):
;;   export                 -O0    -O1..3
;;   dead_local             ok     v
;;   dead_rotl              v      v
;;   before_div             ok     div   (moat run --invoke before_div t.o 0)
;;   before_call_indirect   ude    ude
;;   dead_f64               v      v
;;   dead_v128              ok     v
;; Cause: heap loads are plain LLVM loads (llvm-lower/lower_mem.c
;; moatL_load, lower_simd_mem.c load()); LLVM deletes an unused load (DCE
;; at -O1+, instruction selection even at -O0), so the guard page is never
;; touched. moatL_drop makes only a directly dropped load volatile.
(module
  (type $v (func))
  (table 1 funcref)
  (memory 1)
  ;; result kept in a local that is never read again
  (func (export "dead_local") (result i32)
    (local i32)
    (local.set 0 (i32.load8_u offset=9 (i32.const -1)))
    (i32.const 7))
  ;; used only by a dropped rotl
  (func (export "dead_rotl") (result i32)
    (drop (i64.rotl (i64.load8_u (i32.const 65536)) (i64.const 1)))
    (i32.const 7))
  ;; called with 0: the load comes first, so its trap wins
  (func (export "before_div") (param i32) (result i32)
    (drop (i32.add (i32.load (i32.const 65536))
                   (i32.div_u (i32.const 1) (local.get 0))))
    (i32.const 7))
  ;; the load comes first, so its trap wins
  (func (export "before_call_indirect")
    (drop (i32.xor (i32.load8_u offset=12 (i32.const 65536)) (i32.const 1)))
    (call_indirect (type $v) (i32.const 5)))
  ;; floats and SIMD likewise
  (func (export "dead_f64") (result i32)
    (drop (f64.neg (f64.load (i32.const 65536))))
    (i32.const 7))
  (func (export "dead_v128") (result i32)
    (local v128)
    (local.set 0 (v128.load32_splat (i32.const 65536)))
    (i32.const 7)))
