"""Background tasks of members (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def member_import_check(job_id: int) -> None:
    from .import_jobs import import_job_execute

    import_job_execute(job_id=job_id, dry_run=True)


@task()
def member_import_run(job_id: int) -> None:
    from .import_jobs import import_job_execute

    import_job_execute(job_id=job_id, dry_run=False)
