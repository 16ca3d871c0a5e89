{
  "targets": [
    {
      "target_name": "hafen",
      "sources": ["native/hafen.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    }
  ]
}
