;; every-form.wat - a seed for the mutation test (mutate_wat.c) that uses
;; each part of the text format once: comments (;; nested (; ;) ;), an
;; annotation, every module field and abbreviation, flat and folded
;; instructions, labels, numbers and strings in all their forms, SIMD.
(module $every
  (@custom "ignored" (after function) "per the annotations proposal")
  (type $unary (func (param i32) (result i32)))
  (type (func (param $x f64) (param f32 i64) (result f64 f64)))
  (import "env" "f" (func $imp (type $unary)))
  (import "env" "g" (global $gi i32))
  (func $inline_import (import "env" "h") (param i64))
  (table $t (export "tab") 2 10 funcref)
  (table $u externref (elem (ref.null extern)))
  (table $v funcref (elem $add $imp))
  (memory $mem (export "mem") (data "\00\01\ff" "\u{48}\t\n\r\"\'\\"))
  (global $g (export "g") (mut i64) (i64.const -0x8000_0000_0000_0000))
  (global $h f32 (f32.const -0x1.fffffep+127))
  (global $k f64 (f64.const nan:0x8_0000_0000_0001))
  (global $l v128 (v128.const f32x4 inf -inf nan -nan:0x200000))
  (export "add" (func $add))
  (start $init)
  (elem $e0 (table $t) (offset (i32.const 0)) func $add $init)
  (elem $e1 (i32.const 1) $add)
  (elem $e2 funcref (ref.func $add) (item ref.null func))
  (elem $e3 declare func $init)
  (data $d0 (memory $mem) (offset (i32.const 16)) "abc")
  (data $d1 "passive" "\u{1F600}")
  (func $add (type $unary) (param $a i32) (result i32)
    (local $b i64) (local f32 f64)
    (block $outer (result i32)
      (loop $again
        (br_if $again (i32.eqz (local.get $a)))
        (br_table $again $again (local.get $a))
      )
      unreachable
    )
    local.get 0
    i32.const 0xffff_ffff
    i32.add
    if (param i32) (result i32)
      i32.const 1
      i32.sub
    else
      i32.const +7
      i32.add
    end
    (if $named (i32.const 1) (then) (else nop))
    block $b2 end $b2
    drop
    (i32.load8_u offset=0x10 align=1 (i32.const 0))
  )
  (func $init
    (local v128)
    (memory.init $d1 (i32.const 0) (i32.const 0) (i32.const 1))
    (data.drop $d1)
    (table.init $t $e2 (i32.const 0) (i32.const 0) (i32.const 0))
    (elem.drop $e2)
    (table.copy $t $t (i32.const 0) (i32.const 0) (i32.const 0))
    (drop (table.grow $t (ref.null func) (i32.const 0)))
    (drop (call_indirect $t (type $unary) (i32.const 1) (i32.const 0)))
    (drop (call_indirect (param i32) (result i32) (i32.const 1)
                         (i32.const 0)))
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
    (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
    (local.set 0 (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))
    (local.set 0 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31
                   (local.get 0) (v128.const i16x8 1 2 3 4 5 6 7 -0x8000)))
    (local.set 0 (v128.load32_lane offset=4 align=4 3 (i32.const 0)
                   (v128.const i64x2 0x7fff_ffff_ffff_ffff -1)))
    (v128.store64_lane 1 (i32.const 0) (local.get 0))
    (drop (i32x4.extract_lane 3 (v128.const f64x2 0x1p-1074 1.5e+300)))
    (drop (select (result i64) (i64.const 1) (i64.const 2) (i32.const 0)))
    (drop (select (f32.const 1_000.5) (f32.const 0.5e1) (i32.const 1)))
    (global.set $g (i64.extend_i32_u (global.get $gi)))
    (drop (ref.is_null (ref.func $add)))
    return
  )
)
