/* wasi_sock.c - sock_accept, sock_recv, sock_send, sock_shutdown (WASI
 * preview 1) on socket descriptors the host handed to the guest (stdio or
 * preopened by the embedder); preview 1 has no way to create sockets.
 * A descriptor that is not a socket gives ENOTSOCK, a closed one EBADF.
 * The transfers honour the guest's NONBLOCK (wasi_hostio.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

static bool
is_socket(const WasiFd *f)
{
    return f->filetype == WASI_FILETYPE_SOCKET_STREAM ||
           f->filetype == WASI_FILETYPE_SOCKET_DGRAM;
}

/* Open (EBADF), a socket (ENOTSOCK), with the rights (ENOTCAPABLE). */
static WasiFd *
sock_get(moat_caller *c, uint32_t fd, uint64_t rights, uint16_t *err)
{
    WasiFd *f = moatW_fd_get(moatW_wasi(c), fd, 0, err);

    if (!f)
        return NULL;
    if (!is_socket(f) || f->host_fd < 0) {
        *err = WASI_ENOTSOCK;
        return NULL;
    }
    return moatW_fd_get(moatW_wasi(c), fd, rights, err);
}

uint32_t
moatW_sock_accept(moat_caller *c, uint32_t fd, uint32_t flags,
                  uint32_t ro_fd)
{
    uint16_t e;
    WasiFd  *f = sock_get(c, fd, WASI_RIGHT_SOCK_ACCEPT, &e);

    if (!f)
        return e;
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    uint8_t *p = moatW_mem(c, ro_fd, 4);
    if (!p)
        return WASI_EFAULT;
    int hfd = moatW_host_accept(f, SOCK_CLOEXEC |
                                       (flags & WASI_FDFLAG_NONBLOCK
                                            ? SOCK_NONBLOCK : 0));
    if (hfd < 0)
        return moatW_errno(-hfd);
    uint8_t  type = f->filetype;
    uint32_t nfd;
    e = moatW_fd_insert(moatW_wasi(c), hfd, type,
                        WASI_RIGHTS_SOCKET & ~WASI_RIGHT_SOCK_ACCEPT, 0,
                        (uint16_t)flags, &nfd);
    if (e != WASI_ESUCCESS)
        return e;
    moatW_put_u32(p, nfd);
    return WASI_ESUCCESS;
}

uint32_t
moatW_sock_recv(moat_caller *c, uint32_t fd, uint32_t ri_data,
                uint32_t ri_data_len, uint32_t ri_flags, uint32_t ro_datalen,
                uint32_t ro_flags)
{
    uint16_t e;
    WasiFd  *f = sock_get(c, fd, WASI_RIGHT_FD_READ, &e);
    WasiIov  iov;

    if (!f)
        return e;
    if (ri_flags & ~(uint32_t)(WASI_RIFLAG_RECV_PEEK |
                               WASI_RIFLAG_RECV_WAITALL))
        return WASI_EINVAL;
    uint8_t *plen = moatW_mem(c, ro_datalen, 4);
    uint8_t *pfl = moatW_mem(c, ro_flags, 2);
    if (!plen || !pfl)
        return WASI_EFAULT;
    if ((e = moatW_iov_get(c, ri_data, ri_data_len, &iov)) != 0)
        return e;
    int    hflags = (ri_flags & WASI_RIFLAG_RECV_PEEK ? MSG_PEEK : 0) |
                    (ri_flags & WASI_RIFLAG_RECV_WAITALL ? MSG_WAITALL : 0);
    size_t n = 0;
    int    out_flags = 0;
    e = moatW_host_recv(f, iov.v, iov.n, hflags, &n, &out_flags);
    moatW_iov_free(&iov);
    if (e != WASI_ESUCCESS)
        return e;
    moatW_put_u32(plen, (uint32_t)n);
    moatW_put_u16(pfl, out_flags & MSG_TRUNC
                           ? (uint16_t)WASI_ROFLAG_RECV_DATA_TRUNCATED : 0);
    return WASI_ESUCCESS;
}

uint32_t
moatW_sock_send(moat_caller *c, uint32_t fd, uint32_t si_data,
                uint32_t si_data_len, uint32_t si_flags, uint32_t so_datalen)
{
    uint16_t e;
    WasiFd  *f = sock_get(c, fd, WASI_RIGHT_FD_WRITE, &e);
    WasiIov  iov;

    if (!f)
        return e;
    if (si_flags != 0)
        return WASI_EINVAL;             /* siflags has no flag defined */
    uint8_t *plen = moatW_mem(c, so_datalen, 4);
    if (!plen)
        return WASI_EFAULT;
    if ((e = moatW_iov_get(c, si_data, si_data_len, &iov)) != 0)
        return e;
    size_t n = 0;
    e = moatW_host_send(f, iov.v, iov.n, &n);
    moatW_iov_free(&iov);
    if (e != WASI_ESUCCESS)
        return e;
    moatW_put_u32(plen, (uint32_t)n);
    return WASI_ESUCCESS;
}

uint32_t
moatW_sock_shutdown(moat_caller *c, uint32_t fd, uint32_t how)
{
    static const int host_how[] = {
        [WASI_SDFLAG_RD] = SHUT_RD, [WASI_SDFLAG_WR] = SHUT_WR,
        [WASI_SDFLAG_RD | WASI_SDFLAG_WR] = SHUT_RDWR,
    };
    uint16_t e;
    WasiFd  *f = sock_get(c, fd, WASI_RIGHT_SOCK_SHUTDOWN, &e);

    if (!f)
        return e;
    if (how == 0 || how > (WASI_SDFLAG_RD | WASI_SDFLAG_WR))
        return WASI_EINVAL;
    return shutdown(f->host_fd, host_how[how]) == 0 ? WASI_ESUCCESS
                                                    : moatW_errno(errno);
}
