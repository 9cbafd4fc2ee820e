/* common.h - the shared listening socket of the three minimal servers.
 * Each server: argv[1] = port on 127.0.0.1, 2 worker threads, each with
 * its own event loop on this one socket (as moat serve does). */
#ifndef HTTPLIB_COMMON_H
#define HTTPLIB_COMMON_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define NTHREADS 2
#define BODY "Hello, world\n"
#define BODY_LEN 13

static int
listen_loopback(const char *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    sa.sin_port = htons((uint16_t)atoi(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4096)) {
        perror("listen");
        exit(1);
    }
    return fd;
}

/* 10,000 idle connections need more than the default 1024 descriptors. */
static void
raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

#endif
