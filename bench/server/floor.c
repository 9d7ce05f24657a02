/*
 * floor.c -- the loopback floor for the lsqld benchmark.
 *
 * A minimal HTTP/1.1 server on libmicrohttpd that answers every request with
 * the same fixed JSON body (a Hrana pipeline response of the size lsqld sends
 * for a point SELECT). It reads and discards request bodies, keeps
 * connections alive, and does no other work, so wrk against it measures the
 * HTTP stack + loopback + load generator: the best any HTTP server built the
 * same way can do on this machine.
 *
 *   floor --port-file FILE [--port N] [--threads N] [--model pool|per-connection]
 *         [--body-file FILE]
 *
 * --model pool (default): MHD's internal thread pool of --threads threads
 * (default: number of CPUs), epoll when available. --model per-connection:
 * one thread per connection. Runs until SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

static const char default_body[] =
    "{\"baton\":null,\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":"
    "\"execute\",\"result\":{\"cols\":[{\"name\":\"id\",\"decltype\":\"INTEGER\"},{\"name\":"
    "\"name\",\"decltype\":\"TEXT\"},{\"name\":\"score\",\"decltype\":\"REAL\"}],\"rows\":[["
    "{\"type\":\"integer\",\"value\":\"4242\"},{\"type\":\"text\",\"value\":\"name-4242\"},"
    "{\"type\":\"float\",\"value\":4242.5}]],\"affected_row_count\":0,\"last_insert_rowid\":"
    "null,\"rows_read\":1,\"rows_written\":0,\"query_duration_ms\":0.01}}},{\"type\":\"ok\","
    "\"response\":{\"type\":\"close\"}}]}";

static struct MHD_Response *g_response;

static MHD_Result_t on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
    static int first_call_marker;
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) { /* headers seen; body (if any) follows */
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_data_size != 0) { /* discard the body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    *con_cls = NULL;
    return MHD_queue_response(conn, MHD_HTTP_OK, g_response);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else if (buf != NULL) {
            *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: floor --port-file FILE [--port N] [--threads N] "
                    "[--model pool|per-connection] [--body-file FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *body_file = NULL, *model = "pool";
    long port = 0, threads = sysconf(_SC_NPROCESSORS_ONLN);
    char *body = NULL;
    size_t body_len = sizeof default_body - 1;
    unsigned int flags = 0;
    struct sockaddr_in addr;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    sigset_t set;
    int sig, i;

    for (i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[++i];
        else if (strcmp(argv[i], "--port") == 0)
            port = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--model") == 0)
            model = argv[++i];
        else if (strcmp(argv[i], "--body-file") == 0)
            body_file = argv[++i];
        else
            usage();
    }
    if (port_file == NULL || port < 0 || port > 65535 || threads < 1)
        usage();
    if (body_file != NULL && (body = read_file(body_file, &body_len)) == NULL) {
        fprintf(stderr, "floor: cannot read %s: %s\n", body_file, strerror(errno));
        return 1;
    }

    /* Block the stop signals in every thread; main waits for them below. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    g_response = MHD_create_response_from_buffer(body_len, body != NULL ? body : (void *)default_body,
                                                 MHD_RESPMEM_PERSISTENT);
    if (g_response == NULL ||
        MHD_add_response_header(g_response, "Content-Type", "application/json") != MHD_YES) {
        fprintf(stderr, "floor: cannot create the response\n");
        return 1;
    }

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (strcmp(model, "per-connection") == 0)
        flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    else if (strcmp(model, "pool") == 0)
        flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO; /* epoll on Linux */
    else
        usage();
    if (flags & MHD_USE_THREAD_PER_CONNECTION)
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                             MHD_OPTION_CONNECTION_LIMIT, 1024U, MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                             MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
                             MHD_OPTION_CONNECTION_LIMIT, 1024U, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "floor: MHD_start_daemon failed\n");
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL || info->port == 0) {
        fprintf(stderr, "floor: cannot learn the bound port\n");
        MHD_stop_daemon(d);
        return 1;
    }
    {
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%u\n", (unsigned)info->port) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, "floor: cannot write %s\n", port_file);
            MHD_stop_daemon(d);
            return 1;
        }
    }

    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(g_response);
    free(body);
    return 0;
}
