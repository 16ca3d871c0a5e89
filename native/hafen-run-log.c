/*
 * hafen-run: the log file. Each line of the command's stdout and stderr is appended as
 * `<RFC3339Nano UTC> <stdout|stderr> <line>`; a line longer than the buffer is split, a partial last
 * line is written at exit; past `max` bytes the file is renamed to FILE.1 (older ones shift to
 * FILE.2 … FILE.(files-1), the oldest dropped) and a new one started.
 */
#include "hafen-run.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384

struct hr_stream {
  char buf[LINE_MAX_BYTES];
  size_t len;
};

struct hr_log {
  int fd;
  const char *path;
  long long size, max, files;
  struct hr_stream s[2];
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
  if (open_file(l) < 0) {
    free(l);
    return NULL;
  }
  return l;
}

static void emit(struct hr_log *l, int stream, const char *line, size_t len) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char head[64];
  int n = snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, stream ? "stderr" : "stdout");
  long long total = n + (long long)len + 1;
  if (l->max > 0 && l->size > 0 && l->size + total > l->max) {
    char old[4096], older[4096];
    close(l->fd);
    for (long long i = l->files - 1; i >= 2; i--) {
      snprintf(old, sizeof old, "%s.%lld", l->path, i - 1);
      snprintf(older, sizeof older, "%s.%lld", l->path, i);
      rename(old, older);
    }
    snprintf(old, sizeof old, "%s.1", l->path);
    if (l->files > 1) rename(l->path, old);
    else unlink(l->path);
    if (open_file(l) < 0) return;
  }
  struct iovec iov[3] = {{head, (size_t)n}, {(void *)line, len}, {"\n", 1}};
  ssize_t w = writev(l->fd, iov, 3);
  if (w > 0) l->size += w;
}

/* Takes a chunk of the command's output (stream 0: stdout, 1: stderr) and writes its whole lines. */
void hr_log_data(struct hr_log *l, int stream, const char *data, size_t len) {
  struct hr_stream *s = &l->s[stream];
  while (len) {
    size_t take = LINE_MAX_BYTES - s->len;
    if (take > len) take = len;
    memcpy(s->buf + s->len, data, take);
    s->len += take;
    data += take;
    len -= take;
    size_t start = 0;
    for (size_t i = 0; i < s->len; i++) {
      if (s->buf[i] != '\n') continue;
      emit(l, stream, s->buf + start, i - start);
      start = i + 1;
    }
    if (start == 0 && s->len == LINE_MAX_BYTES) {
      emit(l, stream, s->buf, s->len);
      start = s->len;
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
  }
}

/* Writes a partial last line of a stream that ended. */
void hr_log_flush(struct hr_log *l, int stream) {
  struct hr_stream *s = &l->s[stream];
  if (s->len) emit(l, stream, s->buf, s->len);
  s->len = 0;
}

void hr_log_close(struct hr_log *l) {
  if (!l) return;
  hr_log_flush(l, 0);
  hr_log_flush(l, 1);
  close(l->fd);
  free(l);
}
