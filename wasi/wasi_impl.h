/* wasi_impl.h - internal header of wasi/: the WASI preview 1 ABI values
 * (errno, filetypes, rights, flags, record layouts), the moat_wasi state
 * with its descriptor table, and the moatW_ functions shared between the
 * files of wasi/. Every value here is from the wasi_snapshot_preview1
 * specification (witx); the guest's memory is little-endian.
 * Not a public header.
 */
#ifndef MOAT_WASI_IMPL_H
#define MOAT_WASI_IMPL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include "moat.h"
#include "moat_wasi.h"

/* ---- errno (witx `errno`, u16) ---- */
enum {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6,
    WASI_EALREADY = 7, WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10,
    WASI_ECANCELED = 11, WASI_ECHILD = 12, WASI_ECONNABORTED = 13,
    WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15, WASI_EDEADLK = 16,
    WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19,
    WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22,
    WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24, WASI_EILSEQ = 25,
    WASI_EINPROGRESS = 26, WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29,
    WASI_EISCONN = 30, WASI_EISDIR = 31, WASI_ELOOP = 32, WASI_EMFILE = 33,
    WASI_EMLINK = 34, WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36,
    WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38, WASI_ENETRESET = 39,
    WASI_ENETUNREACH = 40, WASI_ENFILE = 41, WASI_ENOBUFS = 42,
    WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46,
    WASI_ENOLINK = 47, WASI_ENOMEM = 48, WASI_ENOMSG = 49,
    WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51, WASI_ENOSYS = 52,
    WASI_ENOTCONN = 53, WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55,
    WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58,
    WASI_ENOTTY = 59, WASI_ENXIO = 60, WASI_EOVERFLOW = 61,
    WASI_EOWNERDEAD = 62, WASI_EPERM = 63, WASI_EPIPE = 64, WASI_EPROTO = 65,
    WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67, WASI_ERANGE = 68,
    WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71, WASI_ESTALE = 72,
    WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76
};

/* ---- filetype (u8) ---- */
enum {
    WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2, WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7
};

/* ---- rights (u64 bit set) ---- */
#define WASI_RIGHT_FD_DATASYNC              (UINT64_C(1) << 0)
#define WASI_RIGHT_FD_READ                  (UINT64_C(1) << 1)
#define WASI_RIGHT_FD_SEEK                  (UINT64_C(1) << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS      (UINT64_C(1) << 3)
#define WASI_RIGHT_FD_SYNC                  (UINT64_C(1) << 4)
#define WASI_RIGHT_FD_TELL                  (UINT64_C(1) << 5)
#define WASI_RIGHT_FD_WRITE                 (UINT64_C(1) << 6)
#define WASI_RIGHT_FD_ADVISE                (UINT64_C(1) << 7)
#define WASI_RIGHT_FD_ALLOCATE              (UINT64_C(1) << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY    (UINT64_C(1) << 9)
#define WASI_RIGHT_PATH_CREATE_FILE         (UINT64_C(1) << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE         (UINT64_C(1) << 11)
#define WASI_RIGHT_PATH_LINK_TARGET         (UINT64_C(1) << 12)
#define WASI_RIGHT_PATH_OPEN                (UINT64_C(1) << 13)
#define WASI_RIGHT_FD_READDIR               (UINT64_C(1) << 14)
#define WASI_RIGHT_PATH_READLINK            (UINT64_C(1) << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE       (UINT64_C(1) << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET       (UINT64_C(1) << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET        (UINT64_C(1) << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE   (UINT64_C(1) << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES  (UINT64_C(1) << 20)
#define WASI_RIGHT_FD_FILESTAT_GET          (UINT64_C(1) << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE     (UINT64_C(1) << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES    (UINT64_C(1) << 23)
#define WASI_RIGHT_PATH_SYMLINK             (UINT64_C(1) << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY    (UINT64_C(1) << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE         (UINT64_C(1) << 26)
#define WASI_RIGHT_POLL_FD_READWRITE        (UINT64_C(1) << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN            (UINT64_C(1) << 28)
#define WASI_RIGHT_SOCK_ACCEPT              (UINT64_C(1) << 29)
#define WASI_RIGHTS_ALL                     ((UINT64_C(1) << 30) - 1)

/* What an open regular file (or device, pipe) may do. */
#define WASI_RIGHTS_FILE                                                    \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |     \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC |                  \
     WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE |      \
     WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_GET |                  \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_FILESTAT_SET_TIMES |   \
     WASI_RIGHT_POLL_FD_READWRITE)
/* What an open directory may do itself (base rights of a preopen). */
#define WASI_RIGHTS_DIR                                                     \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |              \
     WASI_RIGHT_FD_SYNC | WASI_RIGHT_PATH_CREATE_DIRECTORY |                \
     WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE |            \
     WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |                   \
     WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK |                     \
     WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |        \
     WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |     \
     WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_GET |      \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |           \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE |       \
     WASI_RIGHT_POLL_FD_READWRITE)
/* Inheriting rights of a preopen: whatever files and subdirectories do. */
#define WASI_RIGHTS_DIR_INHERITING (WASI_RIGHTS_DIR | WASI_RIGHTS_FILE)
/* A socket: read, write, poll, shutdown, accept, fdstat flags. */
#define WASI_RIGHTS_SOCKET                                                  \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE |                             \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET |          \
     WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN |              \
     WASI_RIGHT_SOCK_ACCEPT)

/* ---- flags ---- */
enum {                                          /* oflags (u16) */
    WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8
};
enum {                                          /* fdflags (u16) */
    WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
    WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16
};
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };        /* lookupflags (u32) */
enum {                                          /* fstflags (u16) */
    WASI_FSTFLAG_ATIM = 1, WASI_FSTFLAG_ATIM_NOW = 2,
    WASI_FSTFLAG_MTIM = 4, WASI_FSTFLAG_MTIM_NOW = 8
};
enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };
enum {                                          /* clockid (u32) */
    WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1,
    WASI_CLOCK_PROCESS_CPUTIME_ID = 2, WASI_CLOCK_THREAD_CPUTIME_ID = 3
};
enum {                                          /* advice (u8) */
    WASI_ADVICE_NORMAL = 0, WASI_ADVICE_SEQUENTIAL = 1,
    WASI_ADVICE_RANDOM = 2, WASI_ADVICE_WILLNEED = 3,
    WASI_ADVICE_DONTNEED = 4, WASI_ADVICE_NOREUSE = 5
};
enum {                                          /* eventtype (u8) */
    WASI_EVENTTYPE_CLOCK = 0, WASI_EVENTTYPE_FD_READ = 1,
    WASI_EVENTTYPE_FD_WRITE = 2
};
enum { WASI_EVENT_FD_READWRITE_HANGUP = 1 };    /* eventrwflags (u16) */
enum { WASI_SUBSCRIPTION_CLOCK_ABSTIME = 1 };   /* subclockflags (u16) */
enum { WASI_RIFLAG_RECV_PEEK = 1, WASI_RIFLAG_RECV_WAITALL = 2 };
enum { WASI_ROFLAG_RECV_DATA_TRUNCATED = 1 };
enum { WASI_SDFLAG_RD = 1, WASI_SDFLAG_WR = 2 };
enum { WASI_PREOPENTYPE_DIR = 0 };

/* ---- record layouts (byte offsets in guest memory) ---- */
enum {
    WASI_IOVEC_SIZE = 8,            /* buf u32 @0, buf_len u32 @4 */
    WASI_FDSTAT_SIZE = 24,          /* filetype u8 @0, flags u16 @2,
                                     * rights_base u64 @8, inheriting @16 */
    WASI_FILESTAT_SIZE = 64,        /* dev @0, ino @8, filetype u8 @16,
                                     * nlink @24, size @32, atim @40,
                                     * mtim @48, ctim @56 (all u64) */
    WASI_DIRENT_SIZE = 24,          /* d_next u64 @0, d_ino u64 @8,
                                     * d_namlen u32 @16, d_type u8 @20 */
    WASI_PRESTAT_SIZE = 8,          /* tag u8 @0, pr_name_len u32 @4 */
    WASI_SUBSCRIPTION_SIZE = 48,    /* userdata u64 @0, tag u8 @8, then
                                     * clock: id u32 @16, timeout u64 @24,
                                     * precision u64 @32, flags u16 @40;
                                     * fd: file_descriptor u32 @16 */
    WASI_EVENT_SIZE = 32            /* userdata u64 @0, error u16 @8,
                                     * type u8 @10, nbytes u64 @16,
                                     * flags u16 @24 */
};

/* ---- limits: what one guest may make the host hold (docs/wasi.md) ---- */
enum {
    MOATW_FD_MAX = 4096         /* descriptor table slots; then EMFILE */
};
/* An iovec array holds at most IOV_MAX (1024) entries (EINVAL), a capture
 * buffer MOAT_WASI_CAPTURE_MAX bytes (EFBIG), paths MOATW_PATH_MAX bytes
 * (path_resolve.h). */

/* ---- state ---- */

/* One guest descriptor. A closed slot has is_open false. */
typedef struct WasiFd {
    bool      is_open;
    bool      undescribed;      /* stdio given by the host: filetype,
                                 * rights and flags are read (fstat, ...)
                                 * on first use, not at moat_wasi_new */
    bool      is_owned;         /* close host_fd when the slot closes
                                 * (false for stdio given by the host) */
    int       capture;          /* 1 or 2: writes go to w->capture[capture]
                                 * (host_fd is -1); 0: none */
    int       stream;           /* 1 + the standard descriptor (0, 1, 2)
                                 * whose stream callbacks this one uses
                                 * (host_fd is -1); 0: none */
    int       host_fd;
    uint8_t   filetype;         /* WASI_FILETYPE_* */
    uint16_t  fdflags;          /* WASI_FDFLAG_* the guest set */
    uint64_t  rights_base, rights_inheriting;
    char     *preopen_path;     /* guest name of a preopen, NULL otherwise
                                 * (owned, moatU_alloc) */
    uint64_t  dir_pos;          /* fd_readdir: index of the next entry */
    int64_t   dir_off;          /* ... and its position in the host's
                                 * directory stream (lseek), valid when
                                 * dir_pos > 0 */
} WasiFd;

/* A descriptor whose open file description the host gave us (stdio, or
 * any host descriptor handed in with moat_wasi_set_stdio): its status
 * flags are the host's too, so the guest's APPEND and NONBLOCK are kept
 * in fdflags and emulated (wasi_hostio.c), never set with F_SETFL. */
static inline bool
moatW_fd_shared(const WasiFd *f)
{
    return !f->is_owned && f->host_fd >= 0;
}

/* A growing byte buffer: captured stdout / stderr. */
typedef struct WasiBuf {
    char   *data;
    size_t  len, cap;
} WasiBuf;

struct moat_wasi {
    char    **argv;             /* nargs strings, owned */
    uint32_t  nargs;
    char    **env;              /* nenv "NAME=VALUE" strings, owned */
    uint32_t  nenv, capenv;
    WasiFd   *fds;              /* the guest's descriptor table */
    uint32_t  nfds, capfds;     /* nfds: slots in use (open or closed) */
    WasiBuf   capture[3];       /* [1], [2]: captured stdout, stderr */
    bool      has_stream;       /* moat_wasi_set_stream was called: waits
                                 * go through stream.wait */
    moat_wasi_stream stream;
};

/* ---- wasi_ctx.c ---- */
/* Fills in an undescribed stdio entry from its host descriptor; one that
 * is not open in the host becomes closed. */
void     moatW_fd_describe(WasiFd *f);

/* ---- wasi_fdtable.c ---- */
/* The open descriptor fd if it has every bit of rights, else NULL with
 * *err = EBADF (not open) or ENOTCAPABLE (a right is missing). */
WasiFd  *moatW_fd_get(moat_wasi *w, uint32_t fd, uint64_t rights,
                      uint16_t *err);
/* Like moatW_fd_get for the operations on file contents (read, write,
 * seek, ...): an open directory is EBADF whatever its rights, as WASI hosts
 * keep directories and files apart. */
WasiFd  *moatW_fd_file(moat_wasi *w, uint32_t fd, uint64_t rights,
                       uint16_t *err);
/* Grows the table so that slot fd exists (closed slots in between);
 * EMFILE from slot MOATW_FD_MAX on, ENOMEM. */
uint16_t moatW_fd_reserve(moat_wasi *w, uint32_t fd);
/* The rights that mean something for a descriptor of this filetype (a
 * directory cannot seek, a file has no path rights). */
uint64_t moatW_rights_of(uint8_t filetype);
/* Puts host_fd (owned from now on: closed with the slot, also on failure)
 * into the lowest free slot >= 3; *out_fd is its number. ENOMEM, EMFILE.
 * rights_base is cut to moatW_rights_of(filetype); inheriting is kept. */
uint16_t moatW_fd_insert(moat_wasi *w, int host_fd, uint8_t filetype,
                         uint64_t rights_base, uint64_t rights_inheriting,
                         uint16_t fdflags, uint32_t *out_fd);
/* Note: the table may move on insert/reserve; a WasiFd * is valid only
 * until the next of those calls. */
/* Closes slot fd (host descriptor if owned, dir stream, preopen name). */
void     moatW_fd_release(moat_wasi *w, uint32_t fd);
/* WASI filetype of a host st_mode. */
uint8_t  moatW_filetype(mode_t mode);
/* Host errno -> WASI errno (EIO for anything without an equivalent). */
uint16_t moatW_errno(int host_errno);

/* ---- guest memory (wasi_fdtable.c) ---- */
/* The caller's WASI state: the definition's, else the instance's; traps
 * when there is none. */
moat_wasi *moatW_wasi(moat_caller *c);
/* wasi_ctx.c: the state moat_wasi_bind gave inst, or NULL. */
moat_wasi *moatW_instance_wasi(moat_instance *inst);
/* Host address of guest bytes [ptr, ptr + len), NULL (-> EFAULT) when any
 * of them is outside the caller's memory. len 0 at ptr == size is valid. */
uint8_t *moatW_mem(moat_caller *c, uint32_t ptr, uint64_t len);
/* Writes a WASI filestat (WASI_FILESTAT_SIZE bytes) from a host stat. */
void     moatW_put_filestat(uint8_t *dst, const struct stat *st);

/* A guest iovec array (iovec or ciovec) as host iovecs, each buffer
 * bounds-checked (EFAULT); more than IOV_MAX entries is EINVAL (as POSIX
 * readv), and at most UINT32_MAX bytes are taken, which only shortens the
 * transfer. wasi_fd_io.c. */
typedef struct WasiIov {
    struct iovec *v;
    int           n;
    size_t        total;
    struct iovec  small[16];
} WasiIov;
uint16_t moatW_iov_get(moat_caller *c, uint32_t iovs, uint32_t iovs_len,
                       WasiIov *out);
void     moatW_iov_free(WasiIov *iov);

/* Little-endian stores and loads at any alignment. */
static inline void
moatW_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void
moatW_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
moatW_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t
moatW_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
moatW_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t
moatW_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- path_ops.c (H2): the path_* functions, spec parameters in order;
 * i32 as uint32_t, i64 as uint64_t; return a WASI errno. ---- */
uint32_t moatW_path_create_directory(moat_caller *c, uint32_t fd,
                                     uint32_t path, uint32_t path_len);
uint32_t moatW_path_filestat_get(moat_caller *c, uint32_t fd,
                                 uint32_t flags, uint32_t path,
                                 uint32_t path_len, uint32_t buf);
uint32_t moatW_path_filestat_set_times(moat_caller *c, uint32_t fd,
                                       uint32_t flags, uint32_t path,
                                       uint32_t path_len, uint64_t atim,
                                       uint64_t mtim, uint32_t fst_flags);
uint32_t moatW_path_link(moat_caller *c, uint32_t old_fd,
                         uint32_t old_flags, uint32_t old_path,
                         uint32_t old_path_len, uint32_t new_fd,
                         uint32_t new_path, uint32_t new_path_len);
uint32_t moatW_path_open(moat_caller *c, uint32_t fd, uint32_t dirflags,
                         uint32_t path, uint32_t path_len, uint32_t oflags,
                         uint64_t fs_rights_base,
                         uint64_t fs_rights_inheriting, uint32_t fdflags,
                         uint32_t opened_fd);
uint32_t moatW_path_readlink(moat_caller *c, uint32_t fd, uint32_t path,
                             uint32_t path_len, uint32_t buf,
                             uint32_t buf_len, uint32_t bufused);
uint32_t moatW_path_remove_directory(moat_caller *c, uint32_t fd,
                                     uint32_t path, uint32_t path_len);
uint32_t moatW_path_rename(moat_caller *c, uint32_t fd, uint32_t old_path,
                           uint32_t old_path_len, uint32_t new_fd,
                           uint32_t new_path, uint32_t new_path_len);
uint32_t moatW_path_symlink(moat_caller *c, uint32_t old_path,
                            uint32_t old_path_len, uint32_t fd,
                            uint32_t new_path, uint32_t new_path_len);
uint32_t moatW_path_unlink_file(moat_caller *c, uint32_t fd, uint32_t path,
                                uint32_t path_len);

/* ---- the other host functions, one family per file; same convention ---- */
/* wasi_args.c */
uint32_t moatW_args_get(moat_caller *c, uint32_t argv, uint32_t argv_buf);
uint32_t moatW_args_sizes_get(moat_caller *c, uint32_t argc,
                              uint32_t argv_buf_size);
uint32_t moatW_environ_get(moat_caller *c, uint32_t environ,
                           uint32_t environ_buf);
uint32_t moatW_environ_sizes_get(moat_caller *c, uint32_t environc,
                                 uint32_t environ_buf_size);
/* wasi_clock.c */
uint32_t moatW_clock_res_get(moat_caller *c, uint32_t id,
                             uint32_t resolution);
uint32_t moatW_clock_time_get(moat_caller *c, uint32_t id,
                              uint64_t precision, uint32_t time);
uint32_t moatW_random_get(moat_caller *c, uint32_t buf, uint32_t buf_len);
/* Now on a WASI clock in ns; false (EINVAL) for an unknown clock. Shared
 * with wasi_poll.c. */
bool     moatW_clock_now(uint32_t id, uint64_t *ns);
/* wasi_proc.c */
void     moatW_proc_exit(moat_caller *c, uint32_t rval);
uint32_t moatW_proc_raise(moat_caller *c, uint32_t sig);
uint32_t moatW_sched_yield(moat_caller *c);
/* wasi_fd_io.c */
uint32_t moatW_fd_read(moat_caller *c, uint32_t fd, uint32_t iovs,
                       uint32_t iovs_len, uint32_t nread);
uint32_t moatW_fd_write(moat_caller *c, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint32_t nwritten);
uint32_t moatW_fd_pread(moat_caller *c, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint64_t offset, uint32_t nread);
uint32_t moatW_fd_pwrite(moat_caller *c, uint32_t fd, uint32_t iovs,
                         uint32_t iovs_len, uint64_t offset,
                         uint32_t nwritten);
uint32_t moatW_fd_seek(moat_caller *c, uint32_t fd, uint64_t offset,
                       uint32_t whence, uint32_t newoffset);
uint32_t moatW_fd_tell(moat_caller *c, uint32_t fd, uint32_t offset);
/* wasi_fd_meta.c */
uint32_t moatW_fd_advise(moat_caller *c, uint32_t fd, uint64_t offset,
                         uint64_t len, uint32_t advice);
uint32_t moatW_fd_allocate(moat_caller *c, uint32_t fd, uint64_t offset,
                           uint64_t len);
uint32_t moatW_fd_close(moat_caller *c, uint32_t fd);
uint32_t moatW_fd_datasync(moat_caller *c, uint32_t fd);
uint32_t moatW_fd_sync(moat_caller *c, uint32_t fd);
uint32_t moatW_fd_fdstat_get(moat_caller *c, uint32_t fd, uint32_t buf);
uint32_t moatW_fd_fdstat_set_flags(moat_caller *c, uint32_t fd,
                                   uint32_t flags);
uint32_t moatW_fd_fdstat_set_rights(moat_caller *c, uint32_t fd,
                                    uint64_t rights_base,
                                    uint64_t rights_inheriting);
uint32_t moatW_fd_filestat_get(moat_caller *c, uint32_t fd, uint32_t buf);
uint32_t moatW_fd_filestat_set_size(moat_caller *c, uint32_t fd,
                                    uint64_t size);
uint32_t moatW_fd_filestat_set_times(moat_caller *c, uint32_t fd,
                                     uint64_t atim, uint64_t mtim,
                                     uint32_t fst_flags);
uint32_t moatW_fd_prestat_get(moat_caller *c, uint32_t fd, uint32_t buf);
uint32_t moatW_fd_prestat_dir_name(moat_caller *c, uint32_t fd,
                                   uint32_t path, uint32_t path_len);
uint32_t moatW_fd_renumber(moat_caller *c, uint32_t fd, uint32_t to);
/* Both timespecs for futimens/utimensat from WASI atim/mtim/fst_flags;
 * EINVAL when a time is both set and "now". Shared with path_ops.c. */
uint16_t moatW_timespecs(uint64_t atim, uint64_t mtim, uint32_t fst_flags,
                         struct timespec ts[2]);
/* wasi_hostio.c: I/O on a descriptor's host fd with the guest's fdflags
 * (emulated on shared descriptions). off < 0: at the file position. Each
 * gives a WASI errno and the byte count; writes hold SIGPIPE back. */
uint16_t moatW_host_read(const WasiFd *f, struct iovec *v, int n,
                         int64_t off, size_t *done);
uint16_t moatW_host_write(const WasiFd *f, WasiIov *iov, int64_t off,
                          size_t *done);
/* sock_recv / sock_send: msg_flags in (MSG_PEEK, MSG_WAITALL), *out_flags
 * the kernel's msg_flags (MSG_TRUNC). */
uint16_t moatW_host_recv(const WasiFd *f, struct iovec *v, int n,
                         int msg_flags, size_t *done, int *out_flags);
uint16_t moatW_host_send(const WasiFd *f, struct iovec *v, int n,
                         size_t *done);
/* sock_accept: a new host descriptor (accept4 flags given), or -errno. */
int      moatW_host_accept(const WasiFd *f, int flags);
/* The fdflags in force (fd_fdstat_get) and their change (set_flags). */
uint16_t moatW_fdflags_get(const WasiFd *f);
uint16_t moatW_fdflags_set(WasiFd *f, uint16_t flags);
/* WASI fdflags of host file status flags (F_GETFL); RSYNC only when
 * asked (Linux's O_RSYNC is O_SYNC). */
uint16_t moatW_fdflags_of(int host_flags, uint16_t asked);
/* wasi_readdir.c */
uint32_t moatW_fd_readdir(moat_caller *c, uint32_t fd, uint32_t buf,
                          uint32_t buf_len, uint64_t cookie,
                          uint32_t bufused);
/* wasi_stream.c: streamed stdio (moat_wasi_set_stream). fd_read and
 * fd_write on a descriptor with `stream` set (f is the caller's fd): */
uint32_t moatW_stream_read(moat_caller *c, uint32_t fd, uint32_t iovs,
                           uint32_t iovs_len, uint32_t nread);
uint32_t moatW_stream_write(moat_caller *c, uint32_t fd, uint32_t iovs,
                            uint32_t iovs_len, uint32_t nwritten);
/* A poll_oneoff event as it stands now. */
typedef struct WasiEvent {
    bool     is_ready;
    uint16_t error;
    uint64_t nbytes;
    uint16_t flags;
} WasiEvent;
/* The event of an fd_read (is_write false) or fd_write subscription on
 * stream descriptor f, from the stream's ready(). */
WasiEvent moatW_stream_event(const moat_wasi *w, const WasiFd *f,
                             bool is_write);
/* The caller's state when it has a stream, else NULL (never traps). */
moat_wasi *moatW_stream_of(moat_caller *c);
/* wasi_poll.c */
uint32_t moatW_poll_oneoff(moat_caller *c, uint32_t in, uint32_t out,
                           uint32_t nsubscriptions, uint32_t nevents);
/* wasi_sock.c */
uint32_t moatW_sock_accept(moat_caller *c, uint32_t fd, uint32_t flags,
                           uint32_t ro_fd);
uint32_t moatW_sock_recv(moat_caller *c, uint32_t fd, uint32_t ri_data,
                         uint32_t ri_data_len, uint32_t ri_flags,
                         uint32_t ro_datalen, uint32_t ro_flags);
uint32_t moatW_sock_send(moat_caller *c, uint32_t fd, uint32_t si_data,
                         uint32_t si_data_len, uint32_t si_flags,
                         uint32_t so_datalen);
uint32_t moatW_sock_shutdown(moat_caller *c, uint32_t fd, uint32_t how);

#endif
