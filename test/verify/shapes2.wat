;; shapes2.wat - honest shapes of the flow rules that LLVM gives at -O2
;; and the checker rejected before their proofs (test_flow.c):
;;   merged   two call_indirect sites LLVM merges into one call: the
;;            funcref, its code and its ctx reach the call joined from two
;;            loads (the indirect-call rule's phi ids, memory_phi.c)
(module
  (type $t (func (param i32) (result i32)))
  (table 8 funcref)
  (memory 1)
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (elem (i32.const 0) $inc $inc)
  (func (export "merged") (param i32 i32 i32) (result i32)
    (local i32)
    (if (local.get 0)
      (then (local.set 3 (call_indirect (type $t) (local.get 2)
                                        (i32.load (local.get 1)))))
      (else (local.set 3 (call_indirect (type $t) (local.get 2)
                                        (i32.load offset=4 (local.get 1))))))
    (i32.store (local.get 1) (local.get 3))
    (i32.add (local.get 3) (i32.load offset=8 (local.get 1))))
)
