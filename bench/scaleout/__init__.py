"""Scale-out demonstrations (issue 10): three scripts, each bounded in time, loopback only.

- `python -m bench.scaleout.gunicorn`: order throughput through the HTTP API with 1, 2 and 4
  gunicorn worker processes against one PostgreSQL (the bench's API path, `bench.throughput`);
- `python -m bench.scaleout.replica`: a private primary and a streaming replica made with
  `pg_basebackup -R`; report reads served by the replica, the order card right after a write
  and saved variants by the primary;
- `python -m bench.scaleout.workers`: N worker processes taking jobs from a database queue
  with `SELECT ... FOR UPDATE SKIP LOCKED`, each job done exactly once, a worker SIGKILLed
  mid-job included.

See docs/scale-out.md. Every process and cluster a script starts it stops by PID/data
directory; temporary directories are removed.
"""
