/* wasi_poll.c - poll_oneoff (WASI preview 1): waits for the first of
 * clock timeouts (relative or absolute, any WASI clock) and fd read/write
 * readiness, through ppoll(2) with a nanosecond timeout. Subscriptions
 * are read in full before any event is written (in and out may overlap).
 * Regular files and capture buffers are always ready; a subscription on a
 * bad descriptor completes at once with its error in the event.
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"
#include "wasi_impl.h"

typedef struct Sub {
    uint64_t userdata;
    uint8_t  type;              /* WASI_EVENTTYPE_* */
    uint16_t error;             /* set: the event is ready with this error */
    bool     is_ready;
    uint64_t deadline;          /* clocks: on CLOCK_MONOTONIC, ns */
    int      pfd;               /* fds: index in the pollfd array, or -1 */
    uint64_t nbytes;
    uint16_t flags;
} Sub;

static uint64_t
mono_now(void)
{
    uint64_t ns = 0;
    moatW_clock_now(WASI_CLOCK_MONOTONIC, &ns);
    return ns;
}

/* A clock subscription: its deadline on the monotonic clock. */
static void
read_clock(const uint8_t *s, Sub *sub, uint64_t now)
{
    uint32_t id = moatW_get_u32(s + 16);
    uint64_t timeout = moatW_get_u64(s + 24);
    uint16_t flags = moatW_get_u16(s + 40);
    uint64_t clock_now;

    if (!moatW_clock_now(id, &clock_now)) {
        sub->error = WASI_EINVAL;
        sub->is_ready = true;
        return;
    }
    if (flags & WASI_SUBSCRIPTION_CLOCK_ABSTIME)
        timeout = timeout > clock_now ? timeout - clock_now : 0;
    sub->deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
}

/* An fd subscription: a pollfd to wait on, or an event ready now. */
static void
read_fd(moat_wasi *w, const uint8_t *s, Sub *sub, struct pollfd *pfds,
        nfds_t *npfds)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(w, moatW_get_u32(s + 16),
                              WASI_RIGHT_POLL_FD_READWRITE, &e);

    if (!f) {
        sub->error = e;
        sub->is_ready = true;
    } else if (f->host_fd < 0 ||
               f->filetype == WASI_FILETYPE_REGULAR_FILE ||
               f->filetype == WASI_FILETYPE_DIRECTORY) {
        sub->is_ready = true;           /* never blocks */
        struct stat st;
        off_t       at;
        if (sub->type == WASI_EVENTTYPE_FD_READ && f->host_fd >= 0 &&
            fstat(f->host_fd, &st) == 0 &&
            (at = lseek(f->host_fd, 0, SEEK_CUR)) >= 0 && st.st_size > at)
            sub->nbytes = (uint64_t)(st.st_size - at);
    } else {
        sub->pfd = (int)*npfds;
        pfds[(*npfds)++] = (struct pollfd){
            .fd = f->host_fd,
            .events = sub->type == WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT
        };
    }
}

/* Waits until the earliest deadline or a descriptor is ready; any ready
 * subscription means no wait. EINTR restarts with the time left. */
static uint16_t
wait_ready(Sub *subs, uint32_t n, struct pollfd *pfds, nfds_t npfds)
{
    uint64_t deadline = UINT64_MAX;
    bool     ready = false;

    for (uint32_t i = 0; i < n; i++) {
        ready |= subs[i].is_ready;
        if (subs[i].type == WASI_EVENTTYPE_CLOCK && !subs[i].is_ready &&
            subs[i].deadline < deadline)
            deadline = subs[i].deadline;
    }
    for (;;) {
        uint64_t        now = mono_now();
        uint64_t        left = ready || deadline <= now ? 0 : deadline - now;
        struct timespec ts = { .tv_sec = (time_t)(left / 1000000000u),
                               .tv_nsec = (long)(left % 1000000000u) };
        if (left / 1000000000u > INT32_MAX)
            ts.tv_sec = INT32_MAX;
        int r = ppoll(npfds ? pfds : NULL, npfds,
                      deadline == UINT64_MAX && !ready ? NULL : &ts, NULL);
        if (r >= 0)
            return WASI_ESUCCESS;
        if (errno != EINTR)
            return moatW_errno(errno);
    }
}

/* Marks the subscriptions that became ready and fills their details. */
static void
collect(Sub *subs, uint32_t n, const struct pollfd *pfds)
{
    uint64_t now = mono_now();

    for (uint32_t i = 0; i < n; i++) {
        Sub *s = &subs[i];
        if (s->is_ready)
            continue;
        if (s->type == WASI_EVENTTYPE_CLOCK) {
            s->is_ready = s->deadline <= now;
            continue;
        }
        short re = pfds[s->pfd].revents;
        if (re & POLLNVAL) {
            s->error = WASI_EBADF;
        } else if (re & POLLERR) {
            s->error = WASI_EIO;
        } else if (re & POLLHUP) {
            s->flags = WASI_EVENT_FD_READWRITE_HANGUP;
        } else if (re & (POLLIN | POLLOUT)) {
            int avail = 0;
            if (s->type == WASI_EVENTTYPE_FD_READ &&
                ioctl(pfds[s->pfd].fd, FIONREAD, &avail) == 0 && avail > 0)
                s->nbytes = (uint64_t)avail;
        } else {
            continue;
        }
        s->is_ready = true;
    }
}

static uint32_t
write_events(const Sub *subs, uint32_t n, uint8_t *out)
{
    uint32_t nev = 0;

    for (uint32_t i = 0; i < n; i++) {
        if (!subs[i].is_ready)
            continue;
        uint8_t *ev = out + (size_t)nev++ * WASI_EVENT_SIZE;
        memset(ev, 0, WASI_EVENT_SIZE);
        moatW_put_u64(ev + 0, subs[i].userdata);
        moatW_put_u16(ev + 8, subs[i].error);
        ev[10] = subs[i].type;
        if (subs[i].type != WASI_EVENTTYPE_CLOCK && !subs[i].error) {
            moatW_put_u64(ev + 16, subs[i].nbytes);
            moatW_put_u16(ev + 24, subs[i].flags);
        }
    }
    return nev;
}

uint32_t
moatW_poll_oneoff(moat_caller *c, uint32_t in, uint32_t out,
                  uint32_t nsubscriptions, uint32_t nevents)
{
    uint32_t n = nsubscriptions;
    uint8_t *pin = moatW_mem(c, in, (uint64_t)n * WASI_SUBSCRIPTION_SIZE);
    uint8_t *pout = moatW_mem(c, out, (uint64_t)n * WASI_EVENT_SIZE);
    uint8_t *pn = moatW_mem(c, nevents, 4);

    if (!pin || !pout || !pn)
        return WASI_EFAULT;
    if (n == 0)
        return WASI_EINVAL;             /* it would wait forever */
    Sub           *subs = moatU_calloc(n, sizeof *subs);
    struct pollfd *pfds = moatU_calloc(n, sizeof *pfds);
    nfds_t         npfds = 0;
    uint64_t       now = mono_now();
    uint16_t       e = WASI_ESUCCESS;
    if (!subs || !pfds) {
        e = WASI_ENOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < n && e == WASI_ESUCCESS; i++) {
        const uint8_t *s = pin + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        subs[i] = (Sub){ .userdata = moatW_get_u64(s), .type = s[8],
                         .pfd = -1 };
        if (s[8] == WASI_EVENTTYPE_CLOCK)
            read_clock(s, &subs[i], now);
        else if (s[8] <= WASI_EVENTTYPE_FD_WRITE)
            read_fd(moatW_wasi(c), s, &subs[i], pfds, &npfds);
        else
            e = WASI_EINVAL;            /* not an eventtype */
    }
    uint32_t nev = 0;
    while (e == WASI_ESUCCESS && nev == 0) {    /* spurious wake-ups */
        if ((e = wait_ready(subs, n, pfds, npfds)) != WASI_ESUCCESS)
            break;
        collect(subs, n, pfds);
        for (uint32_t i = 0; i < n; i++)
            nev += subs[i].is_ready;
    }
    if (e == WASI_ESUCCESS)
        moatW_put_u32(pn, write_events(subs, n, pout));
done:
    moatU_free(subs);
    moatU_free(pfds);
    return e;
}
