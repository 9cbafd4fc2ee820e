;; Extended constant expressions (WebAssembly 3.0): i32/i64 add, sub and
;; mul, with consts and global.get of imported globals, in global
;; initialisers and data and element offsets. Run by `moat wast` (meson
;; test wast-repo); spectest's global_i32 is 666 and global_i64 666.
(module
  (import "spectest" "global_i32" (global $gi i32))
  (import "spectest" "global_i64" (global $gl i64))
  (global $a i32 (i32.add (i32.const 1) (i32.const 2)))
  (global $b i32 (i32.sub (global.get $gi) (i32.const 600)))
  (global $c i32 (i32.mul (i32.const 0x10000) (i32.const 0x10001)))
  (global $d i64 (i64.mul (i64.sub (global.get $gl) (i64.const 6))
                          (i64.add (i64.const 1) (i64.const 1))))
  (global $e i32 (i32.sub (i32.const 0) (i32.const 1)))
  (global $f i64 (i64.mul (i64.const 0x100000000) (i64.const 0x100000000)))
  ;; a b c d: a - (b * (c + d)), the stack three deep
  (global $g i32 (i32.sub (i32.const 100)
                   (i32.mul (i32.const 2)
                     (i32.add (i32.const 3) (i32.const 4)))))
  (memory 1)
  (data (i32.add (global.get $gi) (i32.const 4)) "\2a")
  (table 8 funcref)
  (elem (i32.sub (i32.const 7) (i32.const 2)) $seven)
  (func $seven (result i32) (i32.const 7))
  (func (export "a") (result i32) (global.get $a))
  (func (export "b") (result i32) (global.get $b))
  (func (export "c") (result i32) (global.get $c))
  (func (export "d") (result i64) (global.get $d))
  (func (export "e") (result i32) (global.get $e))
  (func (export "f") (result i64) (global.get $f))
  (func (export "g") (result i32) (global.get $g))
  (func (export "data") (result i32) (i32.load8_u (i32.const 670)))
  (func (export "elem") (result i32)
    (call_indirect (result i32) (i32.const 5))))

(assert_return (invoke "a") (i32.const 3))
(assert_return (invoke "b") (i32.const 66))
(assert_return (invoke "c") (i32.const 0x10000))
(assert_return (invoke "d") (i64.const 1320))
(assert_return (invoke "e") (i32.const -1))
(assert_return (invoke "f") (i64.const 0))
(assert_return (invoke "g") (i32.const 86))
(assert_return (invoke "data") (i32.const 42))
(assert_return (invoke "elem") (i32.const 7))

;; an offset computed past the memory still fails instantiation
(assert_uninstantiable
  (module (memory 1) (data (i32.add (i32.const 65535) (i32.const 1)) "a"))
  "out of bounds memory access")

;; typing
(assert_invalid
  (module (global i32 (i32.add (i64.const 1) (i32.const 2))))
  "type mismatch")
(assert_invalid
  (module (global i64 (i32.add (i32.const 1) (i32.const 2))))
  "type mismatch")
(assert_invalid
  (module (global i32 (i32.const 1) (i32.const 2) (i32.add) (i32.const 3)))
  "type mismatch")
(assert_invalid
  (module (global i32 (i32.const 1) (i32.add)))
  "type mismatch")
(assert_invalid
  (module (global f32 (f32.add (f32.const 1) (f32.const 2))))
  "constant expression required")
(assert_invalid
  (module (global i32 (i32.div_s (i32.const 1) (i32.const 2))))
  "constant expression required")
(assert_invalid
  (module (global (mut i32) (i32.const 1))
          (global i32 (i32.add (global.get 0) (i32.const 2))))
  "constant expression required")
