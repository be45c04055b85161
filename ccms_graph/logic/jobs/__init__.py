"""Background work: a durable job queue and scheduled tasks, kept in Neo4j, run by any number of workers.

- `queue`: `(:Job)` nodes claimed under a lease, their input in `(:JobChunk)` nodes;
- `imports`: the import job (a JSONL upload), whose progress commits with each batch;
- `schedule`: `(:Schedule)` nodes, so a periodic task runs once per period across all workers;
- `tasks`: the periodic tasks (notification delivery, the retention report);
- `worker`: the loop that runs them (`ccms-graph worker`, and one thread inside the web app).

Why Neo4j nodes with leases, not a broker library (Celery, RQ, Dramatiq over Redis or RabbitMQ):

- **One thing to run and back up.** The queue lives where the data lives: `make run`, a backup and
  a restore already cover it, and a worker needs only the Bolt URI every process has. A broker is
  a second server to start, secure, monitor and restore, consistently with the database.
- **Progress commits with the data.** An import batch's records, its audit entry and the job's
  progress ("lines up to N loaded") are one Neo4j transaction (`imports._checkpoint`), so after any
  crash the job says exactly which lines loaded and a resumed run skips exactly those. With a
  broker, the job's state and the records live in two stores with no transaction across them: a
  worker dying between the two writes either loads a batch twice or forgets one.
- **Fencing.** Every progress write checks, under the Job's lock, that the writer's claim is still
  the current one, so a worker that stalled past its lease cannot commit alongside its successor.
  Brokers' acknowledgement timeouts redeliver a slow task to a second worker with no such check.
- **The load is small.** Jobs are uploads and periodic chores: a claim is one short transaction
  per job, and an idle worker costs one indexed read per poll (`worker_poll_seconds`).

What it costs: workers poll (no push), so a job queued by another process waits up to one poll
interval (a job queued in the serving process wakes its worker at once); and leases rely on
Neo4j's clock alone (a lease is compared with `datetime()` in the database, never a worker's clock).
"""
