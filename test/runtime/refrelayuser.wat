;; refrelayuser.wat - guest of test_refs.c: stores the relay's function
;; into the global the relay re-exports (which is instance A's).
(module
  (import "relay" "g" (global $g (mut funcref)))
  (import "relay" "r" (func $r (result i32)))
  (elem declare func $r)
  (func (export "store") (global.set $g (ref.func $r))))
