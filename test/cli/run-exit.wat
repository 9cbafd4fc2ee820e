;; run-exit.wat - `moat run` exit statuses: _start calls proc_exit(7);
;; exit_300 and exit_256 (with --invoke) exit with codes above 255.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (i32.const 7)))
  (func (export "exit_300") (call $proc_exit (i32.const 300)))
  (func (export "exit_256") (call $proc_exit (i32.const 256))))
