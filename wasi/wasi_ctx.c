/* wasi_ctx.c - the public moat_wasi object: creation, arguments,
 * environment, standard streams (inherited or captured) and preopened
 * directories. The host functions that read this state are in the other
 * wasi_*.c files; moat_wasi_define (wasi_define.c) binds them to a linker.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime.h"      /* moatR_instance_wasi: the instance's slot */
#include "util.h"
#include "wasi_impl.h"

static moat_status
nomem(moat_error *err)
{
    moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    return MOAT_ERR_NOMEM;
}

/* Filetype and rights of a host descriptor the guest inherits. A terminal
 * has no seek/tell rights: that is how wasi-libc's isatty() recognises
 * one. Done on the guest's first use of the descriptor (moatW_fd_get):
 * the four or five system calls per descriptor are most of what a fresh
 * moat_wasi would otherwise cost, and a captured stream never needs
 * them. */
void
moatW_fd_describe(WasiFd *f)
{
    struct stat st;
    int         host_fd = f->host_fd;

    f->undescribed = false;
    f->filetype = WASI_FILETYPE_UNKNOWN;
    f->rights_base = WASI_RIGHTS_FILE;
    f->rights_inheriting = 0;
    if (fstat(host_fd, &st) != 0) {
        if (errno == EBADF)             /* not open in the host: closed */
            *f = (WasiFd){ .host_fd = -1 };
        return;
    }
    f->filetype = moatW_filetype(st.st_mode);
    if (f->filetype == WASI_FILETYPE_SOCKET_STREAM) {
        int       type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
            type == SOCK_DGRAM)
            f->filetype = WASI_FILETYPE_SOCKET_DGRAM;
        f->rights_base = WASI_RIGHTS_SOCKET;
    } else if (f->filetype == WASI_FILETYPE_DIRECTORY) {
        f->rights_base = WASI_RIGHTS_DIR;
        f->rights_inheriting = WASI_RIGHTS_DIR_INHERITING;
    } else if (isatty(host_fd)) {
        f->rights_base &= ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    }
    /* the guest starts with the host's flags; changing them is emulated
     * (the description is shared: wasi_hostio.c) */
    int fl = fcntl(host_fd, F_GETFL);
    f->fdflags = fl >= 0 ? moatW_fdflags_of(fl, 0) : 0;
}

/* Guest descriptor fd (0-2) becomes host_fd, not owned; -1: closed. */
static void
set_stdio(moat_wasi *w, uint32_t fd, int host_fd)
{
    moatW_fd_release(w, fd);
    if (host_fd < 0)
        return;
    w->fds[fd] = (WasiFd){ .is_open = true, .undescribed = true,
                           .host_fd = host_fd };
}

moat_status
moat_wasi_new(moat_wasi **out, moat_error *err)
{
    *out = NULL;
    moat_wasi *w = moatU_calloc(1, sizeof *w);
    if (!w || moatW_fd_reserve(w, 2) != WASI_ESUCCESS) {
        moatU_free(w);
        return nomem(err);
    }
    for (uint32_t fd = 0; fd < 3; fd++)
        set_stdio(w, fd, (int)fd);      /* closed in the host: found later */
    *out = w;
    return MOAT_OK;
}

static void
free_strings(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        moatU_free(v[i]);
    moatU_free(v);
}

void
moat_wasi_free(moat_wasi *w)
{
    if (!w)
        return;
    for (uint32_t fd = 0; fd < w->nfds; fd++)
        moatW_fd_release(w, fd);
    moatU_free(w->fds);
    free_strings(w->argv, w->nargs);
    free_strings(w->env, w->nenv);
    for (int i = 0; i < 3; i++)
        moatU_free(w->capture[i].data);
    moatU_free(w);
}

moat_status
moat_wasi_set_args(moat_wasi *w, int argc, const char *const *argv,
                   moat_error *err)
{
    if (argc < 0 || (argc > 0 && !argv)) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "bad argument list");
        return MOAT_ERR_LIMIT;
    }
    char **v = moatU_calloc((size_t)argc + 1, sizeof *v);
    if (!v)
        return nomem(err);
    for (int i = 0; i < argc; i++) {
        if (!(v[i] = moatU_strdup(argv[i] ? argv[i] : ""))) {
            free_strings(v, (uint32_t)i);
            return nomem(err);
        }
    }
    free_strings(w->argv, w->nargs);
    w->argv = v;
    w->nargs = (uint32_t)argc;
    return MOAT_OK;
}

moat_status
moat_wasi_add_env(moat_wasi *w, const char *name_value, moat_error *err)
{
    if (!name_value || !strchr(name_value, '=')) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "environment entry is not NAME=VALUE");
        return MOAT_ERR_LIMIT;
    }
    if (w->nenv == w->capenv) {
        uint32_t cap = w->capenv ? 2 * w->capenv : 8;
        char   **n = moatU_realloc(w->env, (size_t)cap * sizeof *n);
        if (!n)
            return nomem(err);
        w->env = n;
        w->capenv = cap;
    }
    if (!(w->env[w->nenv] = moatU_strdup(name_value)))
        return nomem(err);
    w->nenv++;
    return MOAT_OK;
}

moat_status
moat_wasi_preopen(moat_wasi *w, const char *host_path,
                  const char *guest_path, moat_error *err)
{
    if (!host_path || !guest_path) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "no path to preopen");
        return MOAT_ERR_LIMIT;
    }
    char *name = moatU_strdup(guest_path);
    if (!name)
        return nomem(err);
    int hfd = open(host_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (hfd < 0) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "cannot open %s: %s",
                   host_path, strerror(errno));
        moatU_free(name);
        return MOAT_ERR_IO;
    }
    uint32_t fd;
    uint16_t e = moatW_fd_insert(w, hfd, WASI_FILETYPE_DIRECTORY,
                                 WASI_RIGHTS_DIR, WASI_RIGHTS_DIR_INHERITING,
                                 0, &fd);
    if (e != WASI_ESUCCESS) {
        moatU_free(name);                       /* insert closed hfd */
        if (e != WASI_EMFILE)
            return nomem(err);
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "cannot preopen %s: the guest's descriptor table is "
                   "full (%d)", host_path, MOATW_FD_MAX);
        return MOAT_ERR_LIMIT;
    }
    w->fds[fd].preopen_path = name;
    return MOAT_OK;
}

static bool
check_stdio_fd(int guest_fd, int lo, moat_error *err)
{
    if (guest_fd >= lo && guest_fd <= 2)
        return true;
    moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
               "guest descriptor %d is not a standard stream", guest_fd);
    return false;
}

moat_status
moat_wasi_set_stdio(moat_wasi *w, int guest_fd, int host_fd,
                    moat_error *err)
{
    if (!check_stdio_fd(guest_fd, 0, err))
        return MOAT_ERR_LIMIT;
    set_stdio(w, (uint32_t)guest_fd, host_fd < 0 ? -1 : host_fd);
    return MOAT_OK;
}

moat_status
moat_wasi_capture(moat_wasi *w, int guest_fd, moat_error *err)
{
    if (!check_stdio_fd(guest_fd, 1, err))
        return MOAT_ERR_LIMIT;
    uint32_t fd = (uint32_t)guest_fd;
    moatW_fd_release(w, fd);
    w->capture[fd].len = 0;     /* a new capture starts empty */
    if (w->capture[fd].data)
        w->capture[fd].data[0] = '\0';
    /* A pipe-like sink: write-only, no seek, filetype unknown (not a tty,
     * so the guest's libc buffers it fully). */
    w->fds[fd] = (WasiFd){
        .is_open = true, .capture = guest_fd, .host_fd = -1,
        .filetype = WASI_FILETYPE_UNKNOWN,
        .rights_base = WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |
                       WASI_RIGHT_FD_FILESTAT_GET |
                       WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_FD_SYNC |
                       WASI_RIGHT_FD_DATASYNC
    };
    return MOAT_OK;
}

const char *
moat_wasi_captured(const moat_wasi *w, int guest_fd, size_t *len)
{
    if (!w || guest_fd < 1 || guest_fd > 2) {
        if (len)
            *len = 0;
        return NULL;
    }
    const WasiBuf *b = &w->capture[guest_fd];
    if (len)
        *len = b->len;
    return b->data ? b->data : "";
}

/* ---- per-instance state: one linker for many instances ---- */

moat_status
moat_wasi_bind(moat_instance *inst, moat_wasi *w, moat_error *err)
{
    (void)err;
    moatR_instance_set_wasi(inst, w);
    return MOAT_OK;
}

moat_wasi *
moatW_instance_wasi(moat_instance *inst)
{
    return moatR_instance_wasi(inst);
}
