;; beta: the second test plugin: imports host functions. Its export 1
;; "twice" has the type of alpha's export 1 "fib", so only the module check
;; of a typed call tells a wrong instance apart.
(module
  (import "env" "log" (func $log (param i32) (result i32)))
  (import "host.lib" "pair" (func $pair (param i64) (result i64 i64)))
  (func (export "sum_pair") (param i64) (result i64)
    (call $pair (local.get 0))
    i64.add)
  (func (export "twice") (param $x i32) (result i32)
    (i32.mul (call $log (local.get $x)) (i32.const 2))))
