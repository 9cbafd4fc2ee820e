/* wasi_poll.c - poll_oneoff (WASI preview 1): waits for the first of
 * clock timeouts (relative or absolute, any WASI clock) and fd read/write
 * readiness through one ppoll(2) with a nanosecond timeout. The host keeps
 * nothing per subscription, whatever their number: a first pass over the
 * guest's array folds the clocks into one deadline and the descriptors
 * into one pollfd per guest descriptor (read and write interest OR-ed);
 * after the wait a second pass reads each subscription again and writes
 * the event of each ready one. Events go behind the subscriptions still to
 * read, so `out` may equal `in` or start below it; an `out` overlapping
 * `in` from above would overwrite subscriptions before they are read:
 * EINVAL. Regular files, directories and capture buffers are always
 * ready; a subscription on a bad descriptor completes at once with its
 * error in the event. With streamed stdio (moat_wasi_set_stream) the
 * waiting is the host's instead: stream_poll.
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"
#include "wasi_impl.h"

enum { NCLOCKS = WASI_CLOCK_THREAD_CPUTIME_ID + 1 };

/* One poll_oneoff call. */
typedef struct Poll {
    moat_wasi     *w;
    const uint8_t *in;
    uint32_t       n;
    uint64_t       start;               /* CLOCK_MONOTONIC at entry, ns */
    uint64_t       clock_start[NCLOCKS];    /* each WASI clock at entry */
    uint64_t       deadline;            /* earliest clock, monotonic ns */
    bool           is_ready;            /* some event needs no wait */
    unsigned       what;                /* MOAT_WASI_WAIT_*: streams that
                                         * are not ready yet */
    struct pollfd *pfds;                /* [guest fd], NULL until needed */
    uint32_t       npfds;               /* guest fds < npfds have one */
} Poll;

/* An event as the second pass finds it. */
typedef WasiEvent Event;

static uint64_t
mono_now(void)
{
    uint64_t ns = 0;
    moatW_clock_now(WASI_CLOCK_MONOTONIC, &ns);
    return ns;
}

/* A clock subscription's deadline on the monotonic clock, the same in
 * both passes (from the clocks read at entry); false: unknown clock. */
static bool
clock_deadline(const Poll *p, const uint8_t *s, uint64_t *deadline)
{
    uint32_t id = moatW_get_u32(s + 16);
    uint64_t timeout = moatW_get_u64(s + 24);

    if (id >= NCLOCKS)
        return false;
    if (moatW_get_u16(s + 40) & WASI_SUBSCRIPTION_CLOCK_ABSTIME)
        timeout = timeout > p->clock_start[id]
                      ? timeout - p->clock_start[id] : 0;
    *deadline = timeout > UINT64_MAX - p->start ? UINT64_MAX
                                                : p->start + timeout;
    return true;
}

/* The subscribed descriptor when it needs a pollfd; NULL with ev filled
 * when its event is decided without waiting (error, never blocks). */
static WasiFd *
fd_of(Poll *p, const uint8_t *s, Event *ev)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(p->w, moatW_get_u32(s + 16),
                              WASI_RIGHT_POLL_FD_READWRITE, &e);
    struct stat st;
    off_t       at;

    *ev = (Event){ .is_ready = true, .error = e };
    if (!f)
        return NULL;
    if (f->stream) {                    /* wasi_stream.c: ask the host */
        *ev = moatW_stream_event(p->w, f, s[8] == WASI_EVENTTYPE_FD_WRITE);
        return NULL;
    }
    if (f->host_fd >= 0 && f->filetype != WASI_FILETYPE_REGULAR_FILE &&
        f->filetype != WASI_FILETYPE_DIRECTORY) {
        ev->is_ready = false;
        return f;
    }
    if (s[8] == WASI_EVENTTYPE_FD_READ && f->host_fd >= 0 &&
        fstat(f->host_fd, &st) == 0 &&
        (at = lseek(f->host_fd, 0, SEEK_CUR)) >= 0 && st.st_size > at)
        ev->nbytes = (uint64_t)(st.st_size - at);   /* what is left */
    return NULL;
}

/* First pass: the earliest deadline, the pollfds, whether anything is
 * ready already. EINVAL for a tag that is no eventtype. */
static uint16_t
scan(Poll *p)
{
    for (uint32_t i = 0; i < p->n; i++) {
        const uint8_t *s = p->in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        uint64_t       deadline;
        Event          ev;
        if (s[8] == WASI_EVENTTYPE_CLOCK) {
            if (!clock_deadline(p, s, &deadline))
                p->is_ready = true;     /* EINVAL in its event */
            else if (deadline < p->deadline)
                p->deadline = deadline;
            continue;
        }
        if (s[8] > WASI_EVENTTYPE_FD_WRITE)
            return WASI_EINVAL;
        WasiFd *f = fd_of(p, s, &ev);
        if (!f && !ev.is_ready)         /* a stream with nothing yet */
            p->what |= s[8] == WASI_EVENTTYPE_FD_READ ? MOAT_WASI_WAIT_READ
                                                      : MOAT_WASI_WAIT_WRITE;
        if (!f) {
            p->is_ready |= ev.is_ready;
            continue;
        }
        if (!p->pfds) {                 /* one per guest descriptor */
            p->pfds = moatU_calloc(p->w->nfds, sizeof *p->pfds);
            if (!p->pfds)
                return WASI_ENOMEM;
            for (uint32_t k = 0; k < p->w->nfds; k++)
                p->pfds[k].fd = -1;     /* ignored by ppoll */
        }
        uint32_t fd = (uint32_t)(f - p->w->fds);
        p->pfds[fd].fd = f->host_fd;
        p->pfds[fd].events |= s[8] == WASI_EVENTTYPE_FD_READ ? POLLIN
                                                             : POLLOUT;
        if (fd + 1 > p->npfds)
            p->npfds = fd + 1;
    }
    return WASI_ESUCCESS;
}

/* Waits until the deadline or a descriptor is ready (no wait when
 * something is ready already); *now: the monotonic time after it. EINTR
 * restarts with the time left. */
static uint16_t
wait_ready(Poll *p, uint64_t *now)
{
    for (;;) {
        uint64_t t = mono_now();
        bool     due = p->is_ready || p->deadline <= t;
        uint64_t left = due ? 0 : p->deadline - t;
        struct timespec ts = { .tv_sec = (time_t)(left / 1000000000u),
                               .tv_nsec = (long)(left % 1000000000u) };
        if (left / 1000000000u > INT32_MAX)
            ts.tv_sec = INT32_MAX;
        bool forever = p->deadline == UINT64_MAX && !p->is_ready;
        int  r = ppoll(p->pfds, p->npfds, forever ? NULL : &ts, NULL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return moatW_errno(errno);
        *now = mono_now();
        /* r > 0: each pollfd asks only what some subscription wants, and
         * hang-ups and errors make all of them ready */
        if (r > 0 || p->is_ready || p->deadline <= *now)
            return WASI_ESUCCESS;
    }
}

/* Second pass, for one subscription: its event after the wait. */
static Event
event_of(Poll *p, const uint8_t *s, uint64_t now)
{
    Event    ev = { 0 };
    uint64_t deadline;

    if (s[8] == WASI_EVENTTYPE_CLOCK) {
        if (!clock_deadline(p, s, &deadline))
            return (Event){ .is_ready = true, .error = WASI_EINVAL };
        ev.is_ready = deadline <= now;
        return ev;
    }
    WasiFd *f = fd_of(p, s, &ev);
    if (!f)
        return ev;
    uint32_t fd = (uint32_t)(f - p->w->fds);
    short    re = fd < p->npfds ? p->pfds[fd].revents : 0;
    bool     is_read = s[8] == WASI_EVENTTYPE_FD_READ;
    int      avail = 0;
    ev.is_ready = true;
    if (re & POLLNVAL)
        ev.error = WASI_EBADF;
    else if (re & POLLERR)
        ev.error = WASI_EIO;
    else if (re & POLLHUP)
        ev.flags = WASI_EVENT_FD_READWRITE_HANGUP;
    else if (is_read && (re & POLLIN) &&
             ioctl(f->host_fd, FIONREAD, &avail) == 0 && avail > 0)
        ev.nbytes = (uint64_t)avail;
    else if (!(re & (is_read ? POLLIN : POLLOUT)))
        ev.is_ready = false;
    return ev;
}

/* Writes the events of the ready subscriptions to out, in order. Each
 * subscription is read whole before its event is written; event k lands
 * at out + 32 k <= in + 32 i for subscription i >= k (out <= in), below
 * subscription i + 1. */
static uint32_t
report(Poll *p, uint8_t *out, uint64_t now)
{
    uint32_t nev = 0;

    for (uint32_t i = 0; i < p->n; i++) {
        const uint8_t *s = p->in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        uint64_t       userdata = moatW_get_u64(s);
        uint8_t        type = s[8];
        Event          ev = event_of(p, s, now);
        if (!ev.is_ready)
            continue;
        uint8_t *e = out + (size_t)nev++ * WASI_EVENT_SIZE;
        memset(e, 0, WASI_EVENT_SIZE);
        moatW_put_u64(e + 0, userdata);
        moatW_put_u16(e + 8, ev.error);
        e[10] = type;
        if (type != WASI_EVENTTYPE_CLOCK && !ev.error) {
            moatW_put_u64(e + 16, ev.nbytes);
            moatW_put_u16(e + 24, ev.flags);
        }
    }
    return nev;
}

enum { HOST_FD_PERIOD_NS = 10 * 1000 * 1000 };

/* poll_oneoff with streamed stdio (wasi_stream.c): the thread never blocks
 * here. Each pass looks at every subscription as it is now (streams
 * through ready(), host descriptors with a ppoll that does not wait) and,
 * when nothing is ready, waits through the host's wait() for the streams
 * not ready and the earliest clock, at most HOST_FD_PERIOD_NS when host
 * descriptors are subscribed (nothing tells the host about them). wait()
 * may yield and never return: no heap memory and no host pointer into
 * guest memory is kept across it. */
static uint32_t
stream_poll(moat_caller *c, Poll *p, uint32_t in, uint32_t out,
            uint32_t nevents)
{
    static const struct timespec zero = { 0, 0 };

    for (;;) {
        uint8_t *pout = moatW_mem(c, out, (uint64_t)p->n * WASI_EVENT_SIZE);
        uint8_t *pn = moatW_mem(c, nevents, 4);
        p->in = moatW_mem(c, in, (uint64_t)p->n * WASI_SUBSCRIPTION_SIZE);
        if (!p->in || !pout || !pn)
            return WASI_EFAULT;
        p->deadline = UINT64_MAX;
        p->is_ready = false;
        p->what = 0;
        p->pfds = NULL;
        p->npfds = 0;
        uint16_t e = scan(p);
        int      r = 0;
        if (e == WASI_ESUCCESS && p->npfds > 0 &&
            (r = ppoll(p->pfds, p->npfds, &zero, NULL)) < 0) {
            if (errno != EINTR)
                e = moatW_errno(errno);
            r = 0;
        }
        uint64_t now = mono_now();
        bool     has_fds = p->npfds > 0;
        if (e == WASI_ESUCCESS &&
            (r > 0 || p->is_ready || p->deadline <= now))
            moatW_put_u32(pn, report(p, pout, now));
        moatU_free(p->pfds);
        if (e != WASI_ESUCCESS || r > 0 || p->is_ready || p->deadline <= now)
            return e;
        uint64_t until = p->deadline;
        if (has_fds && until - now > HOST_FD_PERIOD_NS)
            until = now + HOST_FD_PERIOD_NS;
        p->w->stream.wait(p->w->stream.data, c, p->what, until);
    }
}

uint32_t
moatW_poll_oneoff(moat_caller *c, uint32_t in, uint32_t out,
                  uint32_t nsubscriptions, uint32_t nevents)
{
    uint64_t n = nsubscriptions;
    uint8_t *pin = moatW_mem(c, in, n * WASI_SUBSCRIPTION_SIZE);
    uint8_t *pout = moatW_mem(c, out, n * WASI_EVENT_SIZE);
    uint8_t *pn = moatW_mem(c, nevents, 4);

    if (!pin || !pout || !pn)
        return WASI_EFAULT;
    if (n == 0)
        return WASI_EINVAL;             /* it would wait forever */
    if (out > in && out < in + n * WASI_SUBSCRIPTION_SIZE)
        return WASI_EINVAL;             /* see the top of the file */
    Poll p = { .w = moatW_wasi(c), .in = pin, .n = nsubscriptions,
               .start = mono_now(), .deadline = UINT64_MAX };
    for (uint32_t id = 0; id < NCLOCKS; id++)
        moatW_clock_now(id, &p.clock_start[id]);
    if (p.w->has_stream)
        return stream_poll(c, &p, in, out, nevents);
    uint64_t now = 0;
    uint16_t e = scan(&p);
    if (e == WASI_ESUCCESS)
        e = wait_ready(&p, &now);
    if (e == WASI_ESUCCESS)
        moatW_put_u32(pn, report(&p, pout, now));
    moatU_free(p.pfds);
    return e;
}
