"""gunicorn settings for production: `gunicorn platforma.wsgi` reads this file from the working directory.

Every value can be set from the environment, so one image serves any machine size.
"""

import multiprocessing
import os

# The platform's load balancer or reverse proxy talks to this address.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# Synchronous workers: requests are short (the slow part is PostgreSQL). The usual 2 × cores + 1 keeps
# the CPUs busy while some workers wait on the database; WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)

# Load Django once in the master, then fork: faster start and less memory (copy-on-write). No database
# connection is opened at import time, so workers do not share one.
preload_app = True


def when_ready(server):
    """In the master, before the first fork: build the search page's facet index once, so workers (and
    workers restarted after max_requests) start with it instead of each building it while requests wait
    (seconds at 100,000 organisations). See institutions.facet_index.warm_up."""
    import gc

    from institutions.facet_index import warm_up

    warm_up()
    # Everything alive now (the app, the index: about 50 MB of objects at 100,000 organisations) lives as
    # long as the workers: the garbage collector need not scan it. Unfrozen, each full collection in a
    # worker walked the whole index (about 50 ms, a request that waits) and wrote to its pages, undoing
    # the sharing with the master. Python's gc.freeze() documentation recommends this before forking.
    gc.freeze()


# A request that takes longer than this is killed and logged: better than a worker stuck forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5  # seconds; a little longer than nothing, so the load balancer can reuse connections

# Restart each worker after some requests (spread so they do not all restart together): a slow memory
# leak in any library can never grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Logs to stdout/stderr, where the platform collects them. No gunicorn access log: Django's
# platforma.requests logger already writes one JSON line per request (settings.LOGGING).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Trust X-Forwarded-* (https) only from the proxy in front; FORWARDED_ALLOW_IPS="*" when it is a
# private network only the load balancer can reach.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
