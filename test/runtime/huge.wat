;; huge.wat - a memory that grows past the huge-page threshold (test_huge.c):
;; one page at first; grow by n pages; store a word anywhere.
(module
  (memory (export "memory") 1)
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
  (func (export "put") (param $a i32) (param $v i32)
    (i32.store (local.get $a) (local.get $v))))
