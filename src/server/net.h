/* net.h -- the listening socket: "HOST:PORT" / "[V6]:PORT" parsing, bind,
 * loopback test. */
#ifndef LSQLD_NET_H
#define LSQLD_NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Resolves a listen address (numeric or a name such as localhost). */
int lsqld_resolve_listen(const char *spec, struct sockaddr_storage *out, socklen_t *len,
                         char *err, size_t errlen);
/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. */
int lsqld_is_loopback(const struct sockaddr *sa);
/* socket + SO_REUSEADDR + bind + listen; *port receives the bound port. */
int lsqld_listen(const struct sockaddr_storage *addr, socklen_t len, int *port, char *err,
                 size_t errlen);

#endif
