;; run-limits.wat - --max-memory and --stack-size. The memory's minimum is
;; 2 pages (128 KiB); _start recurses 20000 deep, well within the default
;; stack, far beyond a 16K one.
(module
  (memory (export "memory") 2)
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
              (call $down (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "_start") (drop (call $down (i32.const 20000)))))
