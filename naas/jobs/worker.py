"""The Celery worker's entry point: `naas worker` runs `celery -A naas.jobs.worker worker`.

The worker builds the app as a web server would (it needs the secret key to open sealed links
for email, and the signing key to issue certificates), and runs one task: a job by its id."""

from __future__ import annotations

from naas import create_app
from naas.observability import configure_logging

from . import core, queue

flask_app = create_app()
configure_logging(flask_app)
celery = queue.celery_for(flask_app)


@celery.task(name=queue.TASK, bind=True, max_retries=None)
def run_job(self, job_id: int) -> str:
    outcome = core.run(flask_app, job_id)
    if outcome.retry_in is not None:
        # running elsewhere (its lease not yet over) or waiting for a retry: come back then
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state
