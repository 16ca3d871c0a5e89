/*
 * hafen-run: the log file. Each line of the command's stdout and stderr is appended as
 * `<RFC3339Nano UTC> <stdout|stderr> <line>`; a line longer than the buffer is split, a partial last
 * line is written at exit; past `max` bytes the file is renamed to FILE.1 (older ones shift to
 * FILE.2 … FILE.(files-1), the oldest dropped) and a new one started.
 *
 * A flood must cost little: this process runs outside the container's cgroup. So the lines of one
 * chunk of output share one timestamp (the time it was read, as Docker stamps a line when it reads
 * it), are formatted into one buffer with no per-line library call, and go out in one write(2);
 * the caller reads big chunks at a bounded rate (hafen-run.c), so a flood is a few hundred reads
 * and writes a second, not one per line.
 */
#include "hafen-run.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384
#define OUT_CAP (256 * 1024)
#define HEAD_LEN 38 /* "2006-01-02T15:04:05.000000000Z stdout " */

struct hr_stream {
  char buf[LINE_MAX_BYTES];
  size_t len;
};

struct hr_log {
  int fd;
  const char *path;
  long long size, max, files; /* size counts what is buffered in out too */
  struct hr_stream s[2];
  char head[HEAD_LEN + 1];    /* the header of the chunk being written */
  time_t head_sec;            /* the second its date part was formatted for */
  char out[OUT_CAP];
  size_t outlen;
};

static int open_file(struct hr_log *l) {
  l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat st;
  l->size = l->fd >= 0 && fstat(l->fd, &st) == 0 ? st.st_size : 0;
  return l->fd;
}

/* Opens (appends to) the log file; NULL with errno set on failure. */
struct hr_log *hr_log_open(const char *path, long long max, long long files) {
  struct hr_log *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->path = path;
  l->max = max;
  l->files = files > 0 ? files : 2;
  l->head_sec = -1;
  if (open_file(l) < 0) {
    free(l);
    return NULL;
  }
  return l;
}

/* Writes out what is buffered (a failed write drops it: the log must never stop the container). */
static void flush_out(struct hr_log *l) {
  if (l->outlen && l->fd >= 0) hr_write_all(l->fd, l->out, l->outlen);
  l->outlen = 0;
}

static void rotate(struct hr_log *l) {
  char old[4096], older[4096];
  flush_out(l);
  close(l->fd);
  for (long long i = l->files - 1; i >= 2; i--) {
    snprintf(old, sizeof old, "%s.%lld", l->path, i - 1);
    snprintf(older, sizeof older, "%s.%lld", l->path, i);
    rename(old, older);
  }
  snprintf(old, sizeof old, "%s.1", l->path);
  if (l->files > 1) rename(l->path, old);
  else unlink(l->path);
  open_file(l);
}

static void digits(char *p, unsigned long v, int n) {
  while (n--) p[n] = (char)('0' + v % 10), v /= 10;
}

/* Sets the header for lines read now on `stream`: the date part is formatted once a second. */
static void stamp(struct hr_log *l, int stream) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec != l->head_sec) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(l->head, sizeof l->head, "%04d-%02d-%02dT%02d:%02d:%02d.000000000Z stdout ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    l->head_sec = ts.tv_sec;
  }
  digits(l->head + 20, (unsigned long)ts.tv_nsec, 9);
  memcpy(l->head + 31, stream ? "stderr" : "stdout", 6);
}

static void emit(struct hr_log *l, const char *line, size_t len) {
  long long total = HEAD_LEN + (long long)len + 1;
  if (l->max > 0 && l->size > 0 && l->size + total > l->max) rotate(l);
  if (l->fd < 0) return;
  if (l->outlen + (size_t)total > OUT_CAP) flush_out(l);
  char *p = l->out + l->outlen;
  memcpy(p, l->head, HEAD_LEN);
  memcpy(p + HEAD_LEN, line, len);
  p[HEAD_LEN + len] = '\n';
  l->outlen += (size_t)total;
  l->size += total;
}

/* Takes a chunk of the command's output (stream 0: stdout, 1: stderr) and writes its whole lines. */
void hr_log_data(struct hr_log *l, int stream, const char *data, size_t len) {
  struct hr_stream *s = &l->s[stream];
  stamp(l, stream);
  while (len) {
    size_t room = LINE_MAX_BYTES - s->len;
    size_t look = len < room ? len : room;
    const char *nl = memchr(data, '\n', look);
    if (nl) {
      size_t n = (size_t)(nl - data);
      if (s->len) {
        memcpy(s->buf + s->len, data, n);
        emit(l, s->buf, s->len + n);
        s->len = 0;
      } else {
        emit(l, data, n);
      }
      data += n + 1;
      len -= n + 1;
    } else if (look == room) {
      /* A line longer than the buffer: its first part is a line of its own (as Docker splits at 16 KiB). */
      if (s->len) {
        memcpy(s->buf + s->len, data, look);
        emit(l, s->buf, LINE_MAX_BYTES);
        s->len = 0;
      } else {
        emit(l, data, look);
      }
      data += look;
      len -= look;
    } else {
      memcpy(s->buf + s->len, data, len);
      s->len += len;
      len = 0;
    }
  }
  flush_out(l);
}

/* Writes a partial last line of a stream that ended. */
void hr_log_flush(struct hr_log *l, int stream) {
  struct hr_stream *s = &l->s[stream];
  if (s->len) {
    stamp(l, stream);
    emit(l, s->buf, s->len);
    flush_out(l);
  }
  s->len = 0;
}

void hr_log_close(struct hr_log *l) {
  if (!l) return;
  hr_log_flush(l, 0);
  hr_log_flush(l, 1);
  close(l->fd);
  free(l);
}
