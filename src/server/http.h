/* http.h -- the HTTP front: libmicrohttpd with one thread per connection,
 * routing, bodies with a size limit, auth, CORS, metrics. */
#ifndef LSQLD_HTTP_H
#define LSQLD_HTTP_H

#include "server_int.h"

/* Starts the daemon on the already listening s->listen_fd. */
int lsqld_http_start(lsqld_server *s, int ipv6, char *err, size_t errlen);
/* Stops accepting new connections (the listening socket is closed). */
void lsqld_http_quiesce(lsqld_server *s);
/* Closes every connection and joins the threads. */
void lsqld_http_stop(lsqld_server *s);

#endif
