;; Signalling NaNs (issue 9, item 11). Where wasm requires an arithmetic
;; NaN (spec 4.3.3: add, sub, mul, div, sqrt, min, max, ceil, floor,
;; trunc, nearest, promote, demote, scalar and f32x4/f64x2) the result's
;; quiet bit must be set; abs, neg, copysign, pmin/pmax and every copy
;; (locals, results, params) keep a signalling NaN bit for bit.
;; test/cli/run-cli-tests.sh runs every export at -O0 and -O2:
;;   moat run -O2 --invoke NAME snan.wasm [nan:0x200001]
;; Inputs: f32 nan:0x200001 = 0x7fa00001, f64 nan:0x4000000000001 =
;; 0x7ff4000000000001; quieted they print nan:0x600001 and
;; nan:0xc000000000001 (V8 and SSE quiet a NaN keeping its payload).
;; Moat at 71ecc8f gave the signalling NaN back (x = wrong):
;;   export          -O0  -O2   why
;;   vmul1           x    x     SelectionDAG folds fmul x, splat(1.0)
;;   vdiv1_f64       x    x       likewise fdiv
;;   mul_local       ok   x     InstSimplify folds fmul x, 1.0 once
;;   add_local_f64   ok   x       constant propagation reveals the 1.0
;;   sub_local       ok   x
;;   div_local_f64   ok   x
;;   add_consts      ok   x     fadd sNaN, -0.0 folds to the sNaN itself
;;   sub_consts_f64  ok   x
;;   min_consts      ok   x     (min's NaN arm is a + b)
;;   max_consts_f64  ok   x
;;   vadd_consts     ok   x
;;   vsub_consts_f64 ok   x
;;   mem_times_one   ok   x     inlining brings the 1.0 to the fmul
;;   cross_shape     x    x     the fmul folds as in vmul1
;;   lanes_as_f64    ok   x     (a case the fix must not get wrong)
;;   three, three_f64: third result quieted at -O0 and -O2: results were
;;   an LLVM aggregate, and x86-64 returns a third float in x87's st(0)
;;   (flds/fstps quiet it). Now a results area in memory (runtime/abi.h).
(module
  (func (export "vmul1") (param f32) (result f32)
    (f32x4.extract_lane 3
      (f32x4.mul (f32x4.splat (local.get 0)) (f32x4.splat (f32.const 1)))))
  (func (export "vdiv1_f64") (param f64) (result f64)
    (f64x2.extract_lane 1
      (f64x2.div (f64x2.splat (local.get 0)) (v128.const f64x2 1 1))))
  (func (export "mul_local") (param f32) (result f32) (local f32)
    (local.set 1 (f32.const 1))
    (f32.mul (local.get 0) (local.get 1)))
  (func (export "add_local_f64") (param f64) (result f64) (local f64)
    (local.set 1 (f64.const -0))
    (f64.add (local.get 0) (local.get 1)))
  (func (export "sub_local") (param f32) (result f32) (local f32)
    (f32.sub (local.get 0) (local.get 1)))
  (func (export "div_local_f64") (param f64) (result f64) (local f64)
    (local.set 1 (f64.const 1))
    (f64.div (local.get 0) (local.get 1)))
  (func (export "add_consts") (result f32) (local f32 f32)
    (local.set 0 (f32.const nan:0x200001))
    (local.set 1 (f32.const -0))
    (f32.add (local.get 0) (local.get 1)))
  (func (export "sub_consts_f64") (result f64) (local f64 f64)
    (local.set 0 (f64.const nan:0x4000000000001))
    (f64.sub (local.get 0) (local.get 1)))
  (func (export "min_consts") (result f32) (local f32 f32)
    (local.set 0 (f32.const nan:0x200001))
    (local.set 1 (f32.const -0))
    (f32.min (local.get 0) (local.get 1)))
  (func (export "max_consts_f64") (result f64) (local f64 f64)
    (local.set 0 (f64.const nan:0x4000000000001))
    (local.set 1 (f64.const -0))
    (f64.max (local.get 0) (local.get 1)))
  (func (export "vadd_consts") (result f32) (local v128 v128)
    (local.set 0 (f32x4.splat (f32.const nan:0x200001)))
    (local.set 1 (f32x4.splat (f32.const -0)))
    (f32x4.extract_lane 2 (f32x4.add (local.get 0) (local.get 1))))
  (func (export "vsub_consts_f64") (result f64) (local v128 v128)
    (local.set 0 (f64x2.splat (f64.const nan:0x4000000000001)))
    (f64x2.extract_lane 0 (f64x2.sub (local.get 0) (local.get 1))))
  (func (export "sqrt_const") (result f32) (local f32)
    (local.set 0 (f32.const nan:0x200001))
    (f32.sqrt (local.get 0)))
  (func (export "nearest_f64") (param f64) (result f64)
    (f64.nearest (local.get 0)))
  (func (export "vfloor") (param f32) (result f32)
    (f32x4.extract_lane 1 (f32x4.floor (f32x4.splat (local.get 0)))))
  (func (export "demote_promote") (param f32) (result f32)
    (f32.demote_f64 (f64.promote_f32 (local.get 0))))
  (func (export "vdemote_promote") (param f32) (result f32)
    (f32x4.extract_lane 0
      (f32x4.demote_f64x2_zero
        (f64x2.promote_low_f32x4 (f32x4.splat (local.get 0))))))
  ;; f32x4 lanes read as an f64x2 lane: a quiet f32 NaN beside a
  ;; denormal is the signalling f64 0x7ff4000000000001; times 1 it must
  ;; come out quiet (nan.c may not take the f32x4.add as its quieting)
  (func (export "lanes_as_f64") (param i64 i64) (result i64)
    (i64x2.extract_lane 1
      (f64x2.mul
        (f32x4.add
          (i64x2.replace_lane 1 (i64x2.splat (local.get 0)) (local.get 1))
          (v128.const i32x4 0 0 0 0))
        (f64x2.splat (f64.const 1)))))
  ;; an f32x4 product read as f64x2 lanes: quieted f32 lanes make another
  ;; f64 than signalling ones, so the f64x2.add must see them quieted
  (func (export "cross_shape") (param f32) (result i64)
    (i64x2.extract_lane 0
      (f64x2.add
        (f32x4.mul (f32x4.splat (local.get 0)) (f32x4.splat (f32.const 1)))
        (f64x2.splat (f64.const 0.5)))))
  ;; 1.0 reaches the multiplication only by inlining, in a loop over
  ;; memory; element 250 of the result, as bits
  (memory 1)
  (func $scale (param $bits i32) (param $k f32) (result i32) (local $i i32)
    (loop $fill
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $bits))
      (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i)
                                                    (i32.const 1)))
                             (i32.const 256))))
    (local.set $i (i32.const 0))
    (loop $mul
      (f32.store offset=2048 (i32.shl (local.get $i) (i32.const 2))
        (f32.mul (f32.load (i32.shl (local.get $i) (i32.const 2)))
                 (local.get $k)))
      (br_if $mul (i32.lt_u (local.tee $i (i32.add (local.get $i)
                                                   (i32.const 1)))
                            (i32.const 256))))
    (i32.load offset=2048 (i32.const 1000)))
  (func (export "mem_times_one") (param i32) (result i32)
    (call $scale (local.get 0) (f32.const 1)))
  ;; bitwise: the signalling NaN comes back as it went in
  (func (export "abs_neg") (param f32) (result f32)
    (f32.neg (f32.neg (f32.abs (local.get 0)))))
  (func (export "copysign_f64") (param f64) (result f64)
    (f64.copysign (local.get 0) (f64.const 1)))
  (func (export "vpmin") (param f32) (result f32)
    (f32x4.extract_lane 0
      (f32x4.pmin (f32x4.splat (local.get 0)) (f32x4.splat (f32.const 1)))))
  (func (export "vpmax_f64") (param f64) (result f64)
    (f64x2.extract_lane 1
      (f64x2.pmax (f64x2.splat (local.get 0)) (f64x2.splat (f64.const 1)))))
  (func (export "select") (param f32 i32) (result f32)
    (select (local.get 0) (f32.const 2) (local.get 1)))
  (func (export "three") (param f32) (result f32 f32 f32)
    (local.get 0) (local.get 0) (local.get 0))
  (func $three_f64 (param f64) (result f64 f64 f64)
    (local.get 0) (local.get 0) (local.get 0))
  (export "three_f64" (func $three_f64))
  ;; the third result of a call, kept apart from inlining by a table
  (table funcref (elem $three_f64))
  (type $t3 (func (param f64) (result f64 f64 f64)))
  (func (export "third_f64") (param f64) (result f64) (local f64)
    (call_indirect (type $t3) (local.get 0) (i32.const 0))
    (local.set 1) (drop) (drop) (local.get 1)))
