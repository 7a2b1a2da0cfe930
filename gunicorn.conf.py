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
# connection is opened at import time, so workers do not share one. Workers hold no state of their own:
# searches read PostgreSQL (and the shared cache), so a new or restarted worker is ready at once.
preload_app = True


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
