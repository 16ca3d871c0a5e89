{
  "targets": [
    {
      "target_name": "hafen",
      "sources": ["native/hafen.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    },
    {
      "target_name": "hafen-run",
      "type": "executable",
      "sources": ["native/hafen-run.c", "native/hafen-run-fs.c", "native/hafen-run-proc.c", "native/hafen-run-log.c", "native/hafen-run-limits.c", "native/hafen-run-envfd.c", "native/hafen-run-paths.c", "native/hafen-run-seccomp.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-format-truncation", "-O2"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
