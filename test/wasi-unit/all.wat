;; all.wat - imports every function of wasi_snapshot_preview1 with the
;; signature wasi-libc and Rust use; test_wasi_basic.c links it against
;; moat_wasi_define, which fails on a missing or mistyped one.
(module
  (import "wasi_snapshot_preview1" "args_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_advise"
    (func (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate"
    (func (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_datasync"
    (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_rights"
    (func (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size"
    (func (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times"
    (func (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread"
    (func (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite"
    (func (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir"
    (func (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek"
    (func (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_sync"
    (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times"
    (func (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link"
    (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink"
    (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory"
    (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_raise"
    (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield"
    (func (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept"
    (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv"
    (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send"
    (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown"
    (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (memory (export "memory") 1))
