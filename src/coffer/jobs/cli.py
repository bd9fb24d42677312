"""`coffer worker`: run Celery workers for background jobs (server mode).

Register in the root command (coffer/cli.py): `main.add_command(worker)`.
"""

from __future__ import annotations

import click

from coffer.config import get_settings
from coffer.jobs.celery_app import make_celery


@click.command("worker")
@click.option(
    "--concurrency", "-c", type=int, default=None, help="Worker processes (default: CPUs)."
)
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int | None, loglevel: str) -> None:
    """Run background jobs (imports and others) from the Redis queue."""
    settings = get_settings()
    if not settings.redis_url:
        raise click.ClickException(
            "coffer worker needs COFFER_REDIS_URL; without it jobs run inside `coffer serve`."
        )
    app = make_celery(settings)
    argv = ["worker", f"--loglevel={loglevel}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv)
