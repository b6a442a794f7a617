"""The trainer's chat commands."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botkit import (
    Attachment,
    Command,
    CommandError,
    Concurrency,
    Context,
    Cooldown,
    File,
    Permission,
    Reply,
    command,
)
from botkit_trainer import closing, jobs
from botkit_trainer.archive import Made, make_zip
from botkit_trainer.checks import service_problems
from botkit_trainer.dataset import DPO, SUPERVISED, build, to_jsonl
from botkit_trainer.ingest import QA, Parsed, add_record, parse_inline
from botkit_trainer.intake import (
    Batch,
    dataset_folder,
    drop_unused,
    in_thread,
    read_attachments,
    read_directory,
    save_uploads,
    store_batches,
)
from botkit_trainer.job_commands import job, job_cancel, jobs_list
from botkit_trainer.providers.base import ProviderError, ProviderSpec, TrainingFile
from botkit_trainer.redact import mask
from botkit_trainer.sandbox import Refused, relative, resolve_dir
from botkit_trainer.scoring import EXAMPLE, BadCases, parse_cases, score
from botkit_trainer.settings import DATASET_NAME, TrainerSettings
from botkit_trainer.sizes import human, megabytes
from botkit_trainer.state import (
    NoApiKey,
    configured,
    runtime_of,
    secrets,
    spec_of,
)
from botkit_trainer.text import clean, cleaned

log = logging.getLogger("botkit.plugin.trainer")

LABELS = ("positive", "negative")
METHODS = {"auto": None, "sft": SUPERVISED, "supervised": SUPERVISED, "dpo": DPO}
CURRENT_DATASET = "dataset"
SHOWN_CHARS = 80
BUILD_FILES = {SUPERVISED: "supervised.jsonl", DPO: "preference.jsonl"}


# --- helpers ---


async def current_dataset(ctx: Context) -> str:
    return await ctx.get_setting(CURRENT_DATASET, ctx.settings.default_dataset)


def check_dataset_name(name: str) -> str:
    if not DATASET_NAME.match(name):
        raise CommandError(f"{name!r} is not a dataset name: use up to 64 letters, digits, - or _.")
    return name


def check_label(word: str) -> str:
    label = word.lower()
    if label not in LABELS:
        raise CommandError(f"Say positive or negative, not {word!r}.")
    return label


def data_dir(ctx: Context) -> Path:
    return ctx.plugin.data_dir.resolve()


def directory(ctx: Context, path: str) -> Path:
    """The directory ``path`` inside the data directory, or a clear refusal."""
    try:
        return resolve_dir(ctx.plugin.resolve, path)
    except Refused as exc:
        shown = path if len(path) <= SHOWN_CHARS else path[:SHOWN_CHARS] + "…"
        log.warning("refused directory %r from user %s: %s", shown, ctx.message.author.id, exc)
        raise CommandError(str(exc)) from None


def no_key(ctx: Context) -> CommandError:
    return CommandError(
        f"Fine-tuning needs an API key: the bot's owner must set the environment variable "
        f"{ctx.settings.api_key_env}. Documents and {ctx.plugin.prefix}test work without it."
    )


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


async def ingest_directory(ctx: Context, root: Path, dataset: str, label: str) -> str:
    settings = ctx.settings
    try:
        batches = await in_thread(
            read_directory, root, data_dir(ctx), settings, seconds=settings.work_timeout
        )
    except Refused as exc:
        raise CommandError(str(exc)) from None
    tally = await store_batches(
        ctx.plugin.storage,
        ctx.space,
        dataset,
        batches,
        label=label,
        people=(),  # the files belong to the bot's owner, not to a chat user
        passage_chars=settings.passage_chars,
    )
    return tally.summary(dataset)


async def zip_directory(ctx: Context, root: Path) -> Made:
    """Zip ``root`` into the archives directory in a worker thread (stopped on time-out)."""
    settings = ctx.settings
    base = data_dir(ctx)
    archives = base / settings.archives_dir
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", root.name if root != base else "data")
    target = archives / f"{name}-{stamp}.zip"
    counter = 1
    while target.exists():
        target = archives / f"{name}-{stamp}-{counter}.zip"
        counter += 1
    stop = threading.Event()
    try:
        return await in_thread(
            lambda: make_zip(
                root,
                target,
                data_dir=base,
                exclude=archives,
                max_files=settings.max_files,
                max_bytes=megabytes(settings.max_archive_mb),
                stop=stop,
            ),
            seconds=settings.work_timeout,
        )
    except TimeoutError:
        stop.set()
        raise CommandError(
            f"Archiving {relative(base, root)} took longer than {settings.work_timeout:g} s "
            "and was stopped."
        ) from None
    except Refused as exc:
        raise CommandError(str(exc)) from None


def archive_reply(ctx: Context, made: Made, text: str) -> Reply:
    where = relative(data_dir(ctx), made.path)
    text += f"\nArchived {made.files} file(s) into `{where}` ({human(made.size)})."
    if made.size <= megabytes(ctx.settings.attach_max_mb):
        return Reply(text=text, files=(File(made.path.name, path=made.path),))
    return Reply(text=text + " It is too large to attach; the bot's owner can fetch it.")


# --- !train ---


async def train(ctx: Context, file: Attachment | None = None, *, text: str | None = None) -> str:
    """Learn from text or attached files: [positive|negative] question => answer, or prose."""
    label, text = "positive", clean(text or "").strip()
    first, _, rest = text.partition(" ")
    if first.lower() in LABELS:
        label, text = first.lower(), rest.strip()
    attachments = list(ctx.message.attachments) or ([file] if file else [])
    if not text and not attachments:
        raise CommandError(
            f"Give text or attach files. Examples: `{ctx.plugin.prefix}train What is botkit? => "
            f"A bot framework`, `{ctx.plugin.prefix}train negative 2+2? => 5`, or attach a "
            ".txt .md .jsonl .csv (or .zip) file."
        )
    settings = ctx.settings
    dataset = await current_dataset(ctx)
    try:
        uploads = await read_attachments(attachments, settings)
    except Refused as exc:
        log.warning("!train refused an attachment from user %s: %s", ctx.message.author.id, exc)
        raise CommandError(f"{exc} Nothing was stored.") from None
    batches = [Batch("inline", "", parse_inline(text))] if text else []
    folder = dataset_folder(data_dir(ctx), settings, ctx.space, dataset)
    try:
        batches += await in_thread(
            save_uploads, uploads, folder, data_dir(ctx), seconds=settings.work_timeout
        )
    except Refused as exc:
        raise CommandError(str(exc)) from None
    tally = await store_batches(
        ctx.plugin.storage,
        ctx.space,
        dataset,
        batches,
        label=label,
        people=(ctx.message.author.id,),
        passage_chars=settings.passage_chars,
    )
    await in_thread(
        drop_unused, data_dir(ctx), batches, tally.used_files, seconds=settings.work_timeout
    )
    return tally.summary(dataset)


async def train_dir(ctx: Context, path: str, label: str = "positive") -> str:
    """Learn from every .txt .md .jsonl .csv file of a directory inside the data directory."""
    label = check_label(label)
    root = directory(ctx, path)
    return await ingest_directory(ctx, root, await current_dataset(ctx), label)


async def train_start(ctx: Context, dataset: str | None = None, method: str = "auto") -> str:
    """Build, check and upload a dataset, and start fine-tuning it (auto, sft or dpo)."""
    from botkit_trainer import store

    settings = ctx.settings
    name = check_dataset_name(dataset) if dataset else await current_dataset(ctx)
    if method.lower() not in METHODS:
        raise CommandError(f"Method must be auto, sft or dpo, not {method!r}.")
    spec = spec_of(settings.provider)
    target = configured(settings)
    runtime = runtime_of(ctx.plugin)
    if closing.closed(spec, ctx.plugin.now()):
        raise CommandError(closing.closed_reply(spec))
    if target in runtime.closed:
        raise CommandError(closing.refused_reply(spec))
    try:
        client = await runtime.client(settings, target)
    except NoApiKey:
        raise no_key(ctx) from None
    corrections = await import_corrections(ctx, name)
    dataset_id = await store.dataset_id(ctx.plugin.storage, ctx.space, name, create=False)
    if dataset_id is None:
        raise CommandError(f"There is no dataset {name!r} yet. See {ctx.plugin.prefix}datasets.")
    qa = await store.qa_examples(ctx.plugin.storage, dataset_id)
    folder = dataset_folder(data_dir(ctx), settings, ctx.space, name) / "build"
    chosen, records, data, problems = await in_thread(
        prepare,
        qa,
        METHODS[method.lower()],
        spec,
        settings,
        name,
        folder,
        seconds=settings.work_timeout,
    )
    if problems:
        log.info("dataset %s not ready for %s on %s: %s", name, chosen, spec.name, problems)
        raise CommandError(
            f"Dataset {name} is not ready for {chosen} fine-tuning:\n"
            + "\n".join(f"- {p}" for p in problems)
            + f"\nAdd examples with {ctx.plugin.prefix}train and try again."
        )
    file = TrainingFile(
        path=folder / BUILD_FILES[chosen],
        data=data,
        filename=f"{name}-{chosen}.jsonl",
        dataset=name,
        examples=len(records),
    )
    uploaded = ""
    try:
        uploaded = await client.upload(file, chosen)
        info = await client.start(
            uploaded, method=chosen, model=settings.base_model, suffix=settings.suffix
        )
    except ProviderError as exc:
        log.warning("fine-tuning job not created: %s", mask(str(exc), secrets(settings)))
        if uploaded:  # no job will refer to it: do not leave the examples at the service
            with contextlib.suppress(ProviderError):
                await client.delete_file(uploaded)
        if exc.status == 403 and exc.code == closing.REFUSED_CODE:
            runtime.closed.add(target)
            raise CommandError(closing.refused_reply(spec)) from None
        reason = jobs.explain(exc, settings.api_key_env)
        raise CommandError(jobs.sentence(f"Fine-tuning did not start: {reason}")) from None
    row = jobs.new_row(
        info,
        target=target,
        guild_id=ctx.space,
        dataset=name,
        method=chosen,
        training_file=uploaded,
        channel_id=ctx.message.channel.id,
    )
    await store.add_job(ctx.plugin.storage, row)
    log.info("job %s started for dataset %s by user %s", info.id, name, ctx.message.author.id)
    extra = f", {corrections} new correction(s) included" if corrections else ""
    where = settings.base_model + ("" if spec.name == "openai" else f" at {spec.name}")
    return (
        f"Fine-tuning job `{info.id}` started on {where} ({chosen}, "
        f"{len(records)} examples from dataset {name}{extra}). I will announce the result "
        f"here; follow it with `{ctx.plugin.prefix}job {info.id}`."
    )


def prepare(
    qa: list[tuple[str, list[dict[str, str]]]],
    method: str | None,
    spec: ProviderSpec,
    settings: TrainerSettings,
    name: str,
    folder: Path,
) -> tuple[str, list[dict[str, Any]], bytes, list[str]]:
    """Build both files (kept in ``folder`` for inspection), pick the method (``None``: DPO
    when there are enough preference pairs) and check the file for the service (blocking)."""
    built = build(qa)
    chosen = method or (DPO if len(built.preference) >= settings.min_examples else SUPERVISED)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BUILD_FILES[SUPERVISED]).write_bytes(to_jsonl(built.supervised))
    (folder / BUILD_FILES[DPO]).write_bytes(to_jsonl(built.preference))
    records = built.preference if chosen == DPO else built.supervised
    data = to_jsonl(records)
    return chosen, records, data, service_problems(spec, settings, data, chosen, name)


def people_of(record: Any) -> tuple[str, ...]:
    """Everyone whose words an offered record holds: ``user_id`` (its author) first, then
    ``user_ids`` (e.g. who asked the question a correction answers)."""
    if not isinstance(record, dict):
        return ()
    named = record.get("user_ids")
    others = named if isinstance(named, list) else []
    ids = [record.get("user_id"), *others]
    return tuple(dict.fromkeys(str(i) for i in ids if isinstance(i, str | int) and str(i)))


async def import_corrections(ctx: Context, dataset: str) -> int:
    """Store the examples other plugins offer (corrections) in the dataset; return new ones."""
    offered = await ctx.plugin.call_all("botkit_training_examples", ctx=ctx)
    by_people: dict[tuple[str, ...], Parsed] = {}  # stored with them, so !forgetme finds them
    for plugin, records in offered:
        for number, record in enumerate(records, 1):
            parsed = by_people.setdefault(people_of(record), Parsed())
            add_record(parsed, cleaned(record), f"plugin {plugin} example {number}")
    added = 0
    for people, parsed in by_people.items():
        for problem in parsed.problems:
            log.warning("unusable training example: %s", problem)
        if parsed.qa:
            tally = await store_batches(
                ctx.plugin.storage,
                ctx.space,
                dataset,
                [Batch("correction", "", Parsed(qa=parsed.qa))],
                label="positive",
                people=people,
                passage_chars=ctx.settings.passage_chars,
            )
            added += tally.added
    return added


# --- datasets ---


async def datasets(ctx: Context) -> str:
    """List this server's (or your DMs') datasets with their example counts."""
    from botkit_trainer import store

    summaries = await store.dataset_summaries(ctx.plugin.storage, ctx.space)
    current = await current_dataset(ctx)
    if not summaries:
        return f"No datasets yet. Add examples with `{ctx.plugin.prefix}train`."
    lines = [
        f"**{s.name}**{' (current)' if s.name == current else ''}: {s.positive} positive, "
        f"{s.negative} negative Q&A, {s.documents} document(s)"
        for s in summaries
    ]
    return "\n".join(lines)


async def dataset(ctx: Context, name: str | None = None) -> str:
    """Show or choose the dataset !train adds to in this server."""
    if name is None:
        return f"!train adds to dataset **{await current_dataset(ctx)}**."
    if not (ctx.message.author.is_admin or ctx.message.author.is_owner):
        raise CommandError("Only server admins (Manage Server) can choose the dataset.")
    await ctx.set_setting(CURRENT_DATASET, check_dataset_name(name))
    return f"!train now adds to dataset **{name}**."


async def select_dataset(ctx: Context, path: str, positive: bool = True) -> Reply:
    """Learn from a directory as the dataset named after it, choose it, and archive it."""
    root = directory(ctx, path)
    if root == data_dir(ctx):
        raise CommandError("Pick a directory inside the data directory, not all of it.")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", root.name)[:64].lstrip("_-") or "dataset"
    text = await ingest_directory(ctx, root, name, "positive" if positive else "negative")
    await ctx.set_setting(CURRENT_DATASET, name)
    made = await zip_directory(ctx, root)
    return archive_reply(ctx, made, f"{text}\n!train now adds to dataset **{name}**.")


async def archive(ctx: Context, path: str) -> Reply:
    """Zip a directory inside the data directory (and attach the zip when it is small)."""
    root = directory(ctx, path)
    made = await zip_directory(ctx, root)
    log.info("archived %s into %s", root, made.path)
    return archive_reply(ctx, made, f"Done: {relative(data_dir(ctx), root)}.")


# --- !test ---


async def test(ctx: Context, *, cases: str) -> str:
    """Ask the chat backend each input and score the answers: [{"input": .., "expected": ..}]."""
    try:
        parsed = parse_cases(
            cases,
            ctx.settings.max_test_cases,
            max_depth=ctx.settings.max_json_depth,
            max_chars=ctx.settings.max_json_chars,
        )
    except BadCases as exc:
        raise CommandError(f"{exc} Example: `{ctx.plugin.prefix}test {EXAMPLE}`") from None
    if not ctx.plugin.implements("botkit_respond"):
        raise CommandError("No chat plugin is installed, so there is nothing to test.")
    answers = [await ask(ctx, number, case.input) for number, case in enumerate(parsed, 1)]
    lines, passed, mismatches = [], 0, Parsed()
    for number, (case, answer) in enumerate(zip(parsed, answers, strict=True), 1):
        value = score(answer, case.expected)
        ok = value >= ctx.settings.pass_score
        passed += ok
        mark = "✅" if ok else "❌"
        line = f"{number}. {mark} {value:.2f} {shorten(case.input)} → {shorten(answer)}"
        if not ok:
            line += f" (expected: {shorten(case.expected)})"
            prompt = {"role": "user", "content": case.input}
            mismatches.qa.append(
                QA((prompt, {"role": "assistant", "content": case.expected}), "positive")
            )
            mismatches.qa.append(QA((prompt, {"role": "assistant", "content": answer}), "negative"))
        lines.append(line)
    total = len(parsed)
    lines.append(f"Accuracy: {passed}/{total} ({100 * passed / total:.0f}%).")
    if mismatches.qa:
        name = await current_dataset(ctx)
        await store_batches(
            ctx.plugin.storage,
            ctx.space,
            name,
            [Batch("test", "", mismatches)],
            label="positive",
            people=(ctx.message.author.id,),
            passage_chars=ctx.settings.passage_chars,
        )
        lines.append(
            f"{total - passed} mismatch(es) recorded in dataset {name} (expected answer as "
            "positive, the bot's answer as negative)."
        )
    return "\n".join(lines)


def could_not_run(reason: str) -> CommandError:
    first = reason.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower():  # "The API..." but not "I cannot", "API"
        reason = reason[0].lower() + reason[1:]
    return CommandError(f"The test could not run: {reason}. Nothing was stored.")


async def ask(ctx: Context, number: int, text: str) -> str:
    """The chat backend's answer to case ``number`` through the answer pipeline (knowledge,
    then respond), in a conversation of its own that chat memory does not keep. A non-answer
    (the chat plugin's CommandError: no key, an API error, a time-out, a refusal; no answer
    at all; an empty one) stops the whole test before anything is stored."""
    try:
        result = await ctx.answer(text)
        if result is not None and result.stream is not None:
            answer = "".join([piece async for piece in result.stream])
        else:
            answer = result.text if result is not None else ""
    except CommandError as exc:
        reason = str(exc).strip().rstrip(".") or "the chat plugin gave no reason"
        log.info("!test case %d got no answer: %s", number, reason)
        raise could_not_run(reason) from None
    if result is None:
        raise could_not_run(f"no chat plugin answered case {number}")
    answer = clean(answer)
    if not answer.strip():
        raise could_not_run(f"the chat plugin gave an empty answer to case {number}")
    return answer


def all_commands() -> list[Command]:
    dataset_help = {"dataset": "a dataset name (default: the current one)"}
    return [
        command(train, param_help={"file": "a .txt .md .jsonl .csv or .zip file"}),
        command(
            train_dir,
            name="train dir",
            permission=Permission.OWNER,
            param_help={"path": "inside the data directory", "label": "positive or negative"},
        ),
        command(
            train_start,
            name="train start",
            permission=Permission.ADMIN,
            cooldown=Cooldown(rate=1, per=60.0, bucket="server"),
            concurrency=Concurrency(1, "server"),  # one upload and job start at a time
            param_help={**dataset_help, "method": "auto, sft or dpo"},
        ),
        command(
            test,
            cooldown=Cooldown(rate=2, per=30.0, bucket="user"),
            concurrency=Concurrency(1, "user"),  # one scored test at a time each
            param_help={"cases": EXAMPLE},
        ),
        command(datasets),
        command(dataset, param_help={"name": "letters, digits, - or _"}),
        command(
            select_dataset,
            permission=Permission.OWNER,
            param_help={"path": "inside the data directory", "positive": "positive or negative"},
        ),
        command(
            archive, permission=Permission.OWNER, param_help={"path": "inside the data directory"}
        ),
        command(jobs_list, name="jobs"),
        command(job, param_help={"job_id": "from !jobs"}),
        command(job_cancel, name="job cancel", permission=Permission.ADMIN),
    ]
