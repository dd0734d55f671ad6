"""Job queues: in-process threads (embedded default) or RQ on Redis (scaled out)."""
