"""Operating the service: Prometheus metrics (`bot.ops.metrics`) and the HTTP server for
/metrics and /healthz (`bot.ops.server`). Kept import-free so recording a metric never pulls in
the web server."""
