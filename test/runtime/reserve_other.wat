;; reserve_other.wat - the instance reserve.wat imports other.grow from:
;; its code runs on the importer's stack (a direct call, no runtime in
;; between) with its own ctx, and calls a helper and a host function.
(module
  (import "env" "native" (func $native (param i32) (result i32)))
  (table $t 1 funcref)
  (func (export "grow") (result i32)
    (i32.or (i32.eq (table.grow $t (ref.null func) (i32.const 1))
                    (i32.const -1))
            (i32.ne (call $native (i32.const 1)) (i32.const 2)))))
