/*
 * hafen-run: paths longer than fsconfig takes. The new mount API's string values (overlay's
 * lowerdir+, upperdir, workdir) hold at most 255 bytes (fs/fsopen.c: strndup_user(value, 256)),
 * while a container's upper dir under a long HAFEN_ROOT with 63-character project and service
 * names (<root>/projects/<p>/containers/<p>-<s>-<n>/upper) passes that. Such a path is opened
 * O_PATH and named through the opener's /proc/self/fd/N, which the kernel resolves to the same
 * directory; the caller closes the fd once the mount is made.
 */
#include "hafen-run.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What fsconfig's FSCONFIG_SET_STRING takes: 256 bytes with the NUL. */
#define HR_FSCONFIG_STRING_MAX 255

const char *hr_fsconfig_path(const char *path, char *buf, size_t len, int *fd) {
  *fd = -1;
  if (strlen(path) <= HR_FSCONFIG_STRING_MAX) return path;
  *fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0) return path; /* fsconfig then fails naming the path */
  snprintf(buf, len, "/proc/self/fd/%d", *fd);
  return buf;
}
