;; _start calls a trapping function whose only name is an export name
;; holding terminal control sequences (ESC, BEL, a newline): the trap line
;; must show them escaped, never pass them to the terminal.
(module
  (func $f unreachable)
  (func $start call $f)
  (export "_start" (func $start))
  (export "evil\1b]0;owned\07\0aname" (func $f)))
