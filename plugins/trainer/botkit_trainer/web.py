"""The trainer's page of the web console: the server's datasets, its fine-tuning jobs, and one
job's status, events and training loss (an SVG chart, when the service reports the loss)."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from sqlalchemy import select

from botkit.web import Series, WebPage, WebView, e, line_chart, table
from botkit_trainer import jobs, store
from botkit_trainer.providers.base import ProviderError
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import NoApiKey, UnknownProvider, runtime_of
from botkit_trainer.tables import examples

JOBS_LISTED = 20
EXAMPLES_LISTED = 50
SNIPPET = 200  # characters of a document shown


def loss_series(job_id: str, points: list[tuple[int, float]]) -> Series:
    """What the job's loss chart draws, on the web (SVG) and in chat (PNG)."""
    return Series(
        f"Training loss of {job_id}",
        "step",
        "training loss",
        tuple((float(step), loss) for step, loss in points),
    )


def _day(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(seconds))


async def render(view: WebView) -> str:
    wanted = view.field("job")
    if wanted:
        return await _job(view, wanted)
    if view.field("dataset"):
        return await _dataset(view, view.field("dataset"))
    storage = view.plugin.storage
    sets = await store.dataset_summaries(storage, view.space)
    set_rows = [
        [
            f'<a href="{e(view.url())}?dataset={e(quote(d.name))}">{e(d.name)}</a>',
            str(d.positive),
            str(d.negative),
            str(d.documents),
        ]
        for d in sets
    ]
    datasets = (
        table(
            ("dataset", "good answers", "bad answers", "documents"),
            set_rows,
            "Datasets here, with their examples and documents",
        )
        if set_rows
        else "<p>No datasets here yet: send <code>!train</code> with a file.</p>"
    )
    rows = await store.space_jobs(storage, view.space, JOBS_LISTED)
    job_rows = [
        [
            f'<a href="{e(view.url())}?job={e(r.id)}">{e(r.id)}</a>',
            e(r.dataset),
            e(r.method),
            e(r.status),
            e(r.fine_tuned_model or ""),
            _day(r.created_at),
        ]
        for r in rows
    ]
    listing = (
        table(
            ("job", "dataset", "method", "status", "model", "started (UTC)"),
            job_rows,
            "Fine-tuning jobs here, newest first",
        )
        if job_rows
        else "<p>No fine-tuning jobs here yet.</p>"
    )
    return f"<h2>Datasets</h2>{datasets}<h2>Fine-tuning jobs</h2>{listing}"


async def _dataset(view: WebView, name: str) -> str:
    """One dataset's latest examples (question and answer, good or bad) and documents."""
    storage = view.plugin.storage
    found = await store.dataset_id(storage, view.space, name, create=False)
    if found is None:
        return f'<p role="alert" class="error">No dataset {e(name[:60])} here.</p>'
    query = (
        select(examples.c.label, examples.c.kind, examples.c.name, examples.c.content)
        .where(examples.c.dataset_id == found)
        .order_by(examples.c.id.desc())
        .limit(EXAMPLES_LISTED)
    )
    async with storage.session() as session:
        rows = (await session.execute(query)).all()
    pairs, documents = [], []
    for label, kind, file_name, content in rows:
        if kind == "qa":
            messages = json.loads(content)["messages"]
            asked = next((m["content"] for m in messages if m["role"] == "user"), "")
            answered = next((m["content"] for m in messages if m["role"] == "assistant"), "")
            pairs.append([e(label), e(asked), e(answered)])
        else:
            documents.append(
                [e(file_name or "text"), e(content[:SNIPPET]) + "…" * (len(content) > SNIPPET)]
            )
    body = f'<p><a href="{e(view.url())}">All datasets and jobs</a></p>'
    body += "<h2>Examples</h2>" + (
        table(("label", "question", "answer"), pairs, f"The latest examples of {name}")
        if pairs
        else "<p>No examples.</p>"
    )
    body += "<h2>Documents</h2>" + (
        table(("file", "beginning"), documents, f"The latest documents of {name}")
        if documents
        else "<p>No documents.</p>"
    )
    return body


async def _job(view: WebView, job_id: str) -> str:
    storage = view.plugin.storage
    row = await store.get_job(storage, view.space, job_id)
    if row is None:
        return f'<p role="alert" class="error">No job {e(job_id[:60])!s} here.</p>'
    settings = view.plugin.settings_for(view.space) or TrainerSettings()
    runtime = runtime_of(view.plugin)
    events: list[str] = []
    points: list[tuple[int, float]] = []
    live = ""
    try:
        row = await jobs.refresh(runtime, storage, settings, row)
        events = await jobs.latest_events(runtime, settings, row)
        points = await jobs.training_loss(runtime, settings, row)
    except NoApiKey as exc:
        live = f"The live status needs {exc}; this is the stored one."
    except UnknownProvider:
        live = f"Provider {row.provider} is not installed; this is the stored status."
    except ProviderError as exc:
        live = f"The live status is unavailable ({exc}); this is the stored one."
    facts = [
        ("Status", e(row.status)),
        ("Dataset", e(row.dataset)),
        ("Method", e(row.method)),
        ("Provider", e(row.provider)),
        ("Model", e(row.fine_tuned_model or "not yet")),
        ("Started (UTC)", _day(row.created_at)),
    ]
    if row.error:
        facts.append(("Error", e(row.error)))
    body = (
        f'<p><a href="{e(view.url())}">All jobs</a></p>'
        + (f'<p class="note" role="status">{e(live)}</p>' if live else "")
        + "<dl>"
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        + "</dl>"
    )
    body += "<h2>Training loss</h2>" + (
        f"<figure>{line_chart(loss_series(row.id, points), 'loss')}</figure>"
        if points
        else "<p>The service has reported no training loss for this job.</p>"
    )
    items = "".join(f"<li>{e(line)}</li>" for line in events)
    body += "<h2>Latest events</h2>" + (f"<ul>{items}</ul>" if items else "<p>None.</p>")
    return body


def pages() -> list[WebPage]:
    return [WebPage("training", "Training", render)]
