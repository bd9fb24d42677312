"""Background work: jobs with progress, run by an in-process thread (embedded) or Celery
workers (server), through the same task functions."""
