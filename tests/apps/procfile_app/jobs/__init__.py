"""Jobs: a web endpoint enqueues, the RQ worker (Procfile worker:) runs them."""
