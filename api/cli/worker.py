"""``allpa worker``: run the analysis jobs that edits and imports leave in PostgreSQL, in a
process of its own (``allpa serve`` runs one too unless ``ALLPA_WORKER=false``)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.context import friendly_errors, ready_engine, settings


@friendly_errors
def worker_cmd(
    once: Annotated[bool, typer.Option(
        "--once", help="Procesa lo pendiente y termina / run what is pending, then exit")]
    = False,
    poll: Annotated[float, typer.Option(
        help="Segundos entre revisiones sin aviso / seconds between checks")] = 5.0,
) -> None:
    """Ejecuta los recálculos pendientes / run pending analysis jobs."""
    import logging
    import signal
    import threading

    from layers import jobs

    s = settings()
    engine = ready_engine(s)
    if once:
        batch = jobs.run_pending(engine, s, recorded_by="allpa-worker")
        if batch is None:
            typer.echo("Nada pendiente / nothing pending")
        else:
            typer.echo(f"Análisis #{batch.run_id}: {len(batch.jobs)} trabajos / jobs, "
                       f"{batch.communities} comunidades en {batch.seconds:.2f} s")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    worker = jobs.Worker(engine, s, poll_s=poll, name="allpa-worker")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    typer.echo("Trabajador en marcha; Ctrl-C para detener / worker running; Ctrl-C to stop",
               err=True)
    stop.wait()
    worker.stop()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_cmd)
