;; multi.wat - guest of test_multi.c: functions with two or more results
;; (runtime/abi.h, "how every function is called"), between wasm
;; functions, to and from the host, through tables and re-exports, with
;; signalling NaNs, which every copy must keep bit for bit.
(module
  (import "host" "native3"
    (func $native3 (param f32 f64 f32) (result f32 f64 f32)))
  (import "host" "caller2" (func $caller2 (param i32) (result i32 i64)))
  (import "host" "cb4" (func $cb4 (param f32) (result i32 f32 f64 i64)))
  (type $t3 (func (param f32 f64 f32) (result f32 f64 f32)))
  (table 2 funcref)
  (elem (i32.const 0) $native3 $id3)
  (func $id3 (type $t3) (local.get 0) (local.get 1) (local.get 2))
  (export "id3" (func $id3))
  (export "native3" (func $native3))
  (func (export "native3_call") (type $t3)
    (call $native3 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "id3_call") (type $t3)
    (call $id3 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "id3_indirect") (param f32 f64 f32 i32)
    (result f32 f64 f32)
    (call_indirect (type $t3) (local.get 0) (local.get 1) (local.get 2)
                   (local.get 3)))
  (func (export "caller2") (param i32) (result i32 i64)
    (call $caller2 (local.get 0)))
  (func (export "cb4") (param f32) (result i32 f32 f64 i64)
    (call $cb4 (local.get 0)))
  ;; twenty results, more than the runtime's 16 slots on its stack
  (func $many (param f32 f64)
    (result f32 f64 f32 f64 f32 f64 f32 f64 f32 f64
            f32 f64 f32 f64 f32 f64 f32 f64 f32 f64)
    (local.get 0) (local.get 1) (local.get 0) (local.get 1) (local.get 0)
    (local.get 1) (local.get 0) (local.get 1) (local.get 0) (local.get 1)
    (local.get 0) (local.get 1) (local.get 0) (local.get 1) (local.get 0)
    (local.get 1) (local.get 0) (local.get 1) (local.get 0) (local.get 1))
  (export "many" (func $many))
  ;; the 19th result of a call, through a local
  (func (export "many_19th") (param f32 f64) (result f32) (local f32)
    (call $many (local.get 0) (local.get 1))
    (drop)
    (local.set 2)
    (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop)
    (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop)
    (local.get 2)))
