// Load generator and upstream for the end-to-end benchmark (bench/e2e/e2e.sh).
//
// One single-threaded epoll process per role, so that its CPU use is one number the harness can
// show beside the result (the generator must not be the bottleneck).
//
//   loadgen connrate --target H:P --hello F [--conc 64] [--duration S] [--timeout MS] [--src A-B]
//                    [--count N]
//       connect, send the ClientHello bytes of F, read until the peer closes, count; N in flight;
//       stops after S seconds or N completed exchanges, whichever comes first
//   loadgen bulk     --target H:P --hello F [--conns N] [--duration S] [--src A-B]
//       N connections send the hello, then read what the upstream `source` streams; bytes/s
//   loadgen latency  --target H:P --hello F [--rate R] [--duration S] [--timeout MS] [--src A-B]
//       open loop: a new exchange (connect, hello, read until close) every 1/R s, latency measured
//       from the scheduled start so that a stalled proxy cannot hide its stall; p50/p90/p99/max
//   loadgen idle     --target H:P [--hello F] [--conns N] [--hold S] [--src A-B]
//       open N connections; with --hello send it and wait for the upstream's first byte
//       (established end to end), without it send nothing (stuck in the peek phase); print
//       "ready", then hold them for S seconds (or until SIGTERM)
//   loadgen serve    --listen H:P --mode source|hold
//       upstream: `source` writes without end once the client's first bytes arrived; `hold` answers
//       "k\n" once and then discards whatever arrives
//
// Results go to stdout as one line of key=value pairs. Everything is loopback only.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void usage(const char *msg) {
  fprintf(stderr, "loadgen: %s\nsee the comment at the top of loadgen.c for the modes\n", msg);
  exit(2);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

// ---- options --------------------------------------------------------------------------------

struct options {
  const char *mode;
  struct sockaddr_in target;
  int have_target;
  const char *hello_file;
  int conc;
  double duration;
  int timeout_ms;
  double rate;
  double hold;
  int cycles;
  long count;  // connrate: stop after this many completed exchanges (0 = no limit)
  const char *serve_mode;
  uint32_t src_first, src_last;  // host order; 0 = let the kernel pick
};

static void parse_addr(const char *s, struct sockaddr_in *out) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof host) usage("address must be IPv4:port");
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &out->sin_addr) != 1) usage("bad IPv4 address");
}

static void parse_src(const char *s, struct options *o) {
  char first[32], last[32];
  const char *dash = strchr(s, '-');
  struct in_addr a, b;
  if (dash) {
    snprintf(first, sizeof first, "%.*s", (int)(dash - s), s);
    snprintf(last, sizeof last, "%s", dash + 1);
  } else {
    snprintf(first, sizeof first, "%s", s);
    snprintf(last, sizeof last, "%s", s);
  }
  if (inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, last, &b) != 1) usage("bad --src");
  o->src_first = ntohl(a.s_addr);
  o->src_last = ntohl(b.s_addr);
  if (o->src_last < o->src_first) usage("--src range is reversed");
}

static void parse_options(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  if (argc < 2) usage("missing mode");
  o->mode = argv[1];
  o->conc = 64;
  o->duration = 5;
  o->timeout_ms = 5000;
  o->rate = 1000;
  o->hold = 3600;
  o->cycles = 1;
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) usage("option without value");
    const char *v = argv[++i];
    if (!strcmp(k, "--target") || !strcmp(k, "--listen")) {
      parse_addr(v, &o->target);
      o->have_target = 1;
    } else if (!strcmp(k, "--hello")) o->hello_file = v;
    else if (!strcmp(k, "--conc") || !strcmp(k, "--conns")) o->conc = atoi(v);
    else if (!strcmp(k, "--duration")) o->duration = atof(v);
    else if (!strcmp(k, "--timeout")) o->timeout_ms = atoi(v);
    else if (!strcmp(k, "--rate")) o->rate = atof(v);
    else if (!strcmp(k, "--hold")) o->hold = atof(v);
    else if (!strcmp(k, "--cycles")) o->cycles = atoi(v);
    else if (!strcmp(k, "--count")) o->count = atol(v);
    else if (!strcmp(k, "--mode")) o->serve_mode = v;
    else if (!strcmp(k, "--src")) parse_src(v, o);
    else usage("unknown option");
  }
  if (!o->have_target) usage("--target (or --listen for serve) is required");
  if (o->conc < 1) usage("--conc must be at least 1");
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  struct stat st;
  if (fstat(fileno(f), &st) != 0) die(path);
  unsigned char *buf = malloc((size_t)st.st_size + 1);
  if (!buf) die("malloc");
  *len = fread(buf, 1, (size_t)st.st_size, f);
  fclose(f);
  if (*len == 0) usage("hello file is empty");
  return buf;
}

// ---- percentile histogram ---------------------------------------------------------------------
// Log-linear buckets over microseconds: values below 128 exactly, above that 64 buckets per power
// of two (under 1.6 % relative error), which is what a p99 of a latency needs.

#define HIST_BUCKETS (64 * 64)
struct histogram {
  uint64_t counts[HIST_BUCKETS];
  uint64_t total, max;
};

static int hist_index(uint64_t v) {
  if (v < 128) return (int)v;
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - 6;
  int idx = shift * 64 + (int)(v >> shift);
  return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static uint64_t hist_value(int idx) {  // middle of the bucket
  if (idx < 128) return (uint64_t)idx;
  int shift = idx / 64 - 1;
  uint64_t low = (uint64_t)(idx % 64 + 64) << shift;
  return low + ((1ull << shift) >> 1);
}

static void hist_record(struct histogram *h, uint64_t v) {
  h->counts[hist_index(v)]++;
  h->total++;
  if (v > h->max) h->max = v;
}

static uint64_t hist_percentile(const struct histogram *h, double p) {
  if (h->total == 0) return 0;
  uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      uint64_t v = hist_value(i);
      return v > h->max ? h->max : v;
    }
  }
  return h->max;
}

// ---- client connections -------------------------------------------------------------------------

enum conn_state { C_FREE, C_CONNECTING, C_READING, C_HOLDING };

struct conn {
  int fd;
  enum conn_state state;
  size_t sent;             // hello bytes written so far
  uint64_t got;            // bytes received
  uint64_t start_ns;       // scheduled (latency) or actual start
  uint64_t deadline_ns;
};

struct client {
  struct options *o;
  int ep;
  unsigned char *hello;
  size_t hello_len;
  struct conn *conns;
  int nconns;
  uint32_t next_src;
  uint64_t ok, errors, timeouts, empty, bytes;
  int first_errno;  // what the first failed exchange saw, to tell a reset from a refusal
};

static void note_error(struct client *c, int err) {
  c->errors++;
  if (!c->first_errno) c->first_errno = err ? err : EIO;
}

static void print_first_error(const struct client *c) {
  if (!c->first_errno) return;
  printf(" first_error=");
  for (const char *p = strerror(c->first_errno); *p; p++) putchar(*p == ' ' ? '_' : *p);
}

static int open_client_socket(struct client *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (c->o->src_first) {
    // Several loopback source addresses multiply the ephemeral ports; the port itself is chosen
    // at connect() so that the kernel can use the whole 4-tuple space.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(c->o->src_first + c->next_src);
    c->next_src = (c->next_src + 1) % (c->o->src_last - c->o->src_first + 1);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
      close(fd);
      return -1;
    }
  }
  if (connect(fd, (struct sockaddr *)&c->o->target, sizeof c->o->target) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

static int conn_start(struct client *c, int i, uint64_t start_ns) {
  struct conn *k = &c->conns[i];
  int fd = open_client_socket(c);
  if (fd < 0) {
    note_error(c, errno);
    return -1;
  }
  k->fd = fd;
  k->state = C_CONNECTING;
  k->sent = 0;
  k->got = 0;
  k->start_ns = start_ns;
  k->deadline_ns = now_ns() + (uint64_t)c->o->timeout_ms * 1000000ull;
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
  if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  return 0;
}

static void conn_close(struct client *c, int i) {
  struct conn *k = &c->conns[i];
  if (k->state == C_FREE) return;
  close(k->fd);  // also removes it from the epoll set
  k->state = C_FREE;
  k->fd = -1;
}

// Writes what is left of the hello; returns 1 when all of it is out, 0 to wait, -1 on error.
static int conn_send_hello(struct client *c, struct conn *k) {
  while (k->sent < c->hello_len) {
    ssize_t n = send(k->fd, c->hello + k->sent, c->hello_len - k->sent, MSG_NOSIGNAL);
    if (n > 0) {
      k->sent += (size_t)n;
    } else if (n < 0 && errno == EAGAIN) {
      return 0;
    } else {
      return -1;
    }
  }
  return 1;
}

static void print_cpu(double wall, double cpu0) {
  double cpu = cpu_seconds() - cpu0;
  printf(" wall_s=%.3f cpu_s=%.3f cpu_pct=%.1f", wall, cpu, wall > 0 ? 100.0 * cpu / wall : 0);
}

static void client_init(struct client *c, struct options *o, int nconns) {
  memset(c, 0, sizeof *c);
  c->o = o;
  if (!o->hello_file && strcmp(o->mode, "idle") != 0) usage("--hello is required");
  if (o->hello_file) c->hello = read_file(o->hello_file, &c->hello_len);
  c->ep = epoll_create1(EPOLL_CLOEXEC);
  if (c->ep < 0) die("epoll_create1");
  c->nconns = nconns;
  c->conns = calloc((size_t)nconns, sizeof *c->conns);
  if (!c->conns) die("calloc");
  for (int i = 0; i < nconns; i++) c->conns[i].fd = -1;
}

static unsigned char rbuf[256 * 1024];

// Handles readiness for connrate/latency exchanges: returns 1 when the exchange is over (peer
// closed after sending something), -1 on failure, 0 while in progress.
static int exchange_event(struct client *c, struct conn *k, uint32_t events) {
  if (k->state == C_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int r = conn_send_hello(c, k);
    if (r < 0) return -1;
    if (r == 1) {
      k->state = C_READING;
      struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(k - c->conns)};
      epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev);
    }
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    for (;;) {
      ssize_t n = recv(k->fd, rbuf, sizeof rbuf, 0);
      if (n > 0) {
        k->got += (uint64_t)n;
        continue;
      }
      if (n == 0) return k->got > 0 ? 1 : -2;  // closed without answering: not routed
      if (errno == EAGAIN) return 0;
      // nginx's `return` closes with the hello possibly unread, which the kernel turns into a
      // reset: after the answer arrived, that still is a completed exchange.
      if (errno == ECONNRESET && k->got > 0) return 1;
      return -1;
    }
  }
  return 0;
}

static int run_connrate(struct options *o) {
  struct client c;
  client_init(&c, o, o->conc);
  struct epoll_event evs[256];
  uint64_t t0 = now_ns(), end = t0 + (uint64_t)(o->duration * 1e9), last_scan = t0;
  double cpu0 = cpu_seconds();
  for (int i = 0; i < o->conc; i++) conn_start(&c, i, t0);
  uint64_t now = t0;
  while (now < end && !stop_requested && !(o->count && (long)c.ok >= o->count)) {
    int n = epoll_wait(c.ep, evs, 256, 10);
    now = now_ns();
    for (int e = 0; e < n; e++) {
      int i = (int)evs[e].data.u32;
      struct conn *k = &c.conns[i];
      if (k->state == C_FREE) continue;
      int r = exchange_event(&c, k, evs[e].events);
      if (r == 0) continue;
      if (r == 1) c.ok++;
      else if (r == -2) c.empty++;
      else note_error(&c, errno);
      conn_close(&c, i);
      if (now < end) conn_start(&c, i, now);
    }
    if (now - last_scan > 100000000ull) {
      last_scan = now;
      for (int i = 0; i < c.nconns; i++) {
        if (c.conns[i].state != C_FREE && now > c.conns[i].deadline_ns) {
          c.timeouts++;
          conn_close(&c, i);
        }
        // A slot whose connect() failed outright (counted as an error) is retried here too.
        if (c.conns[i].state == C_FREE && now < end) conn_start(&c, i, now);
      }
    }
  }
  double wall = (double)(now_ns() - t0) / 1e9;
  printf("mode=connrate ok=%llu rate=%.0f errors=%llu empty=%llu timeouts=%llu conc=%d",
         (unsigned long long)c.ok, (double)c.ok / wall, (unsigned long long)c.errors,
         (unsigned long long)c.empty, (unsigned long long)c.timeouts, o->conc);
  print_first_error(&c);
  print_cpu(wall, cpu0);
  printf("\n");
  return 0;
}

static int run_latency(struct options *o) {
  // Open loop: enough slots for every exchange that may be in flight until its timeout.
  int slots = (int)(o->rate * (o->timeout_ms / 1000.0 + 1)) + 64;
  struct client c;
  client_init(&c, o, slots);
  static struct histogram h;
  int *free_list = malloc(sizeof(int) * (size_t)slots), nfree = slots;
  for (int i = 0; i < slots; i++) free_list[i] = slots - 1 - i;
  struct epoll_event evs[256];
  uint64_t interval = (uint64_t)(1e9 / o->rate);
  uint64_t t0 = now_ns(), end = t0 + (uint64_t)(o->duration * 1e9), next = t0, last_scan = t0;
  uint64_t dropped = 0, in_flight = 0;
  double cpu0 = cpu_seconds();
  uint64_t now = t0;
  while ((now < end || in_flight > 0) && !stop_requested) {
    while (next <= now && next < end) {  // start every exchange that is due, late or not
      if (nfree == 0) {
        dropped++;
      } else {
        int i = free_list[--nfree];
        if (conn_start(&c, i, next) == 0) in_flight++;
        else free_list[nfree++] = i;
      }
      next += interval;
    }
    int wait_ms = 1;
    if (next > now && next < end) wait_ms = (int)((next - now) / 1000000ull);
    int n = epoll_wait(c.ep, evs, 256, wait_ms);
    now = now_ns();
    for (int e = 0; e < n; e++) {
      int i = (int)evs[e].data.u32;
      struct conn *k = &c.conns[i];
      if (k->state == C_FREE) continue;
      int r = exchange_event(&c, k, evs[e].events);
      if (r == 0) continue;
      if (r == 1) {
        c.ok++;
        hist_record(&h, (now - k->start_ns) / 1000ull);
      } else if (r == -2) {
        c.empty++;
      } else {
        note_error(&c, errno);
      }
      conn_close(&c, i);
      free_list[nfree++] = i;
      in_flight--;
    }
    if (now - last_scan > 10000000ull) {
      last_scan = now;
      for (int i = 0; i < slots; i++) {
        if (c.conns[i].state != C_FREE && now > c.conns[i].deadline_ns) {
          c.timeouts++;
          conn_close(&c, i);
          free_list[nfree++] = i;
          in_flight--;
        }
      }
    }
  }
  double wall = (double)(now_ns() - t0) / 1e9;
  printf("mode=latency ok=%llu rate=%.0f p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu "
         "max_us=%llu errors=%llu empty=%llu timeouts=%llu dropped=%llu",
         (unsigned long long)c.ok, o->rate, (unsigned long long)hist_percentile(&h, 50),
         (unsigned long long)hist_percentile(&h, 90), (unsigned long long)hist_percentile(&h, 99),
         (unsigned long long)hist_percentile(&h, 99.9), (unsigned long long)h.max,
         (unsigned long long)c.errors, (unsigned long long)c.empty,
         (unsigned long long)c.timeouts, (unsigned long long)dropped);
  print_first_error(&c);
  print_cpu(wall, cpu0);
  printf("\n");
  return 0;
}

static int run_bulk(struct options *o) {
  struct client c;
  client_init(&c, o, o->conc);
  struct epoll_event evs[256];
  for (int i = 0; i < o->conc; i++)
    if (conn_start(&c, i, now_ns()) != 0) die("connect");
  // The clock starts once every connection has its first bytes: setup is not throughput.
  int streaming = 0;
  uint64_t setup_end = now_ns() + 10000000000ull;
  uint64_t t0 = 0, end = UINT64_MAX;
  double cpu0 = 0;
  uint64_t now = now_ns();
  while (now < end && !stop_requested) {
    int n = epoll_wait(c.ep, evs, 256, 100);
    now = now_ns();
    if (!t0 && now > setup_end) break;
    for (int e = 0; e < n; e++) {
      int i = (int)evs[e].data.u32;
      struct conn *k = &c.conns[i];
      if (k->state == C_FREE) continue;
      if (k->state == C_CONNECTING) {
        int r = conn_send_hello(&c, k);
        if (r < 0) {
          c.errors++;
          conn_close(&c, i);
          continue;
        }
        if (r == 1) {
          k->state = C_READING;
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
          epoll_ctl(c.ep, EPOLL_CTL_MOD, k->fd, &ev);
        }
        continue;
      }
      ssize_t r = recv(k->fd, rbuf, sizeof rbuf, 0);
      if (r > 0) {
        if (k->got == 0 && ++streaming == o->conc) {
          t0 = now_ns();
          end = t0 + (uint64_t)(o->duration * 1e9);
          cpu0 = cpu_seconds();
        }
        k->got += (uint64_t)r;
        if (t0) c.bytes += (uint64_t)r;
      } else if (r == 0 || errno != EAGAIN) {
        c.errors++;
        conn_close(&c, i);
      }
    }
  }
  if (!t0) {
    printf("mode=bulk conns=%d streaming=%d errors=%llu failed=1\n", o->conc, streaming,
           (unsigned long long)c.errors);
    return 1;
  }
  double wall = (double)(now - t0) / 1e9;
  printf("mode=bulk conns=%d bytes=%llu gbit_s=%.3f errors=%llu", o->conc,
         (unsigned long long)c.bytes, (double)c.bytes * 8 / wall / 1e9,
         (unsigned long long)c.errors);
  print_cpu(wall, cpu0);
  printf("\n");
  return 0;
}

static int run_idle_once(struct options *o, struct client *cp);

static int run_idle(struct options *o) {
  struct client c;
  client_init(&c, o, o->conc);
  // Warm-up use: open and close the same wave `cycles` times, holding only after the last.
  for (int cycle = 1; cycle < o->cycles && !stop_requested; cycle++) {
    double hold = o->hold;
    o->hold = 0;
    int r = run_idle_once(o, &c);
    o->hold = hold;
    if (r != 0) return r;
    for (int i = 0; i < c.nconns; i++) conn_close(&c, i);
  }
  return run_idle_once(o, &c);
}

static int run_idle_once(struct options *o, struct client *cp) {
  struct client c = *cp;  // shares the connection array and the epoll set
  struct epoll_event evs[256];
  int want_answer = c.hello != NULL;
  int ready = 0, started = 0;
  uint64_t t0 = now_ns(), setup_end = t0 + 60000000000ull;
  double cpu0 = cpu_seconds();
  // Open in waves so that the proxy's accept queue (somaxconn) never overflows.
  while (ready < o->conc && !stop_requested && now_ns() < setup_end) {
    while (started < o->conc && started - ready < 512) {
      if (conn_start(&c, started, now_ns()) != 0) {
        fprintf(stderr, "loadgen: connect %d: %s\n", started, strerror(errno));
        return 1;
      }
      started++;
    }
    int n = epoll_wait(c.ep, evs, 256, 100);
    for (int e = 0; e < n; e++) {
      int i = (int)evs[e].data.u32;
      struct conn *k = &c.conns[i];
      if (k->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          fprintf(stderr, "loadgen: connection %d failed: %s\n", i, strerror(err));
          return 1;
        }
        if (!want_answer) {
          k->state = C_HOLDING;
          struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
          epoll_ctl(c.ep, EPOLL_CTL_MOD, k->fd, &ev);
          ready++;
          continue;
        }
        int r = conn_send_hello(&c, k);
        if (r < 0) {
          fprintf(stderr, "loadgen: sending the hello on connection %d: %s\n", i, strerror(errno));
          printf("mode=idle conns=%d ready=%d failed=1\n", o->conc, ready);
          return 1;
        }
        if (r == 1) {
          k->state = C_READING;
          struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
          epoll_ctl(c.ep, EPOLL_CTL_MOD, k->fd, &ev);
        }
      } else {
        ssize_t r = recv(k->fd, rbuf, sizeof rbuf, 0);
        if (r > 0 && k->state == C_READING) {
          k->state = C_HOLDING;
          ready++;
        } else if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
          fprintf(stderr, "loadgen: connection %d closed by the proxy during setup (%s)\n", i,
                  r == 0 ? "end of stream" : strerror(errno));
          printf("mode=idle conns=%d ready=%d failed=1\n", o->conc, ready);
          return 1;
        }
      }
    }
  }
  if (ready < o->conc) {
    printf("mode=idle conns=%d ready=%d failed=1\n", o->conc, ready);
    fflush(stdout);
    return 1;
  }
  printf("mode=idle conns=%d ready=%d setup_s=%.3f", o->conc, ready,
         (double)(now_ns() - t0) / 1e9);
  print_cpu((double)(now_ns() - t0) / 1e9, cpu0);
  printf("\n");
  fflush(stdout);
  // Hold: count connections the proxy drops while we wait (a peek timeout, for instance).
  uint64_t hold_end = now_ns() + (uint64_t)(o->hold * 1e9);
  int dropped = 0;
  while (!stop_requested && now_ns() < hold_end) {
    int n = epoll_wait(c.ep, evs, 256, 200);
    for (int e = 0; e < n; e++) {
      int i = (int)evs[e].data.u32;
      ssize_t r = recv(c.conns[i].fd, rbuf, sizeof rbuf, 0);
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        dropped++;
        conn_close(&c, i);
      }
    }
  }
  printf("mode=idle_end dropped=%d\n", dropped);
  return 0;
}

// ---- upstream server ----------------------------------------------------------------------------

static int run_serve(struct options *o) {
  if (!o->serve_mode) usage("serve needs --mode source|hold");
  int source = !strcmp(o->serve_mode, "source");
  if (!source && strcmp(o->serve_mode, "hold") != 0) usage("--mode must be source or hold");
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&o->target, sizeof o->target) != 0) die("bind");
  if (listen(lfd, 4096) != 0) die("listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  // Per fd: 0 = waiting for the client's first bytes, 1 = answered / streaming.
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  unsigned char *answered = calloc(rl.rlim_cur + 1, 1);
  static unsigned char wbuf[256 * 1024];
  memset(wbuf, 'x', sizeof wbuf);
  struct epoll_event evs[256];
  while (!stop_requested) {
    int n = epoll_wait(ep, evs, 256, 200);
    for (int e = 0; e < n; e++) {
      int fd = evs[e].data.fd;
      if (fd == -1) {
        for (;;) {
          int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          answered[cfd] = 0;
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
        continue;
      }
      if ((evs[e].events & (EPOLLHUP | EPOLLERR)) && !(evs[e].events & EPOLLIN)) {
        close(fd);
        continue;
      }
      if (evs[e].events & EPOLLIN) {
        ssize_t r;
        while ((r = recv(fd, rbuf, sizeof rbuf, 0)) > 0) {
        }
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          close(fd);
          continue;
        }
        if (!answered[fd]) {
          answered[fd] = 1;
          if (source) {
            struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
          } else if (send(fd, "k\n", 2, MSG_NOSIGNAL) != 2) {
            close(fd);
            continue;
          }
        }
      }
      if ((evs[e].events & EPOLLOUT) && source) {
        while (send(fd, wbuf, sizeof wbuf, MSG_NOSIGNAL) > 0) {
        }
        if (errno != EAGAIN) close(fd);
      }
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  struct options o;
  parse_options(argc, argv, &o);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!strcmp(o.mode, "connrate")) return run_connrate(&o);
  if (!strcmp(o.mode, "latency")) return run_latency(&o);
  if (!strcmp(o.mode, "bulk")) return run_bulk(&o);
  if (!strcmp(o.mode, "idle")) return run_idle(&o);
  if (!strcmp(o.mode, "serve")) return run_serve(&o);
  usage("unknown mode");
  return 2;
}
