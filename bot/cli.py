"""Command line of the assistant: catalogue, training data, training."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import get_settings


def _session():
    """A session on the configured database, with the schema created."""
    import bot.admin.models  # noqa: F401 - registers the admin tables for create_schema
    from bot.catalog.db import create_schema, get_engine, new_session

    engine = get_engine()
    create_schema(engine)
    return new_session(engine)


def cmd_catalog_load(args: argparse.Namespace) -> int:
    """Validate the seed files and upsert them in one transaction."""
    from bot.catalog.loader import read_seed_files, upsert
    from bot.catalog.schema import CatalogError

    directory = Path(args.dir or get_settings().catalog_dir)
    try:
        records = read_seed_files(directory)
    except CatalogError as exc:
        print(f"Catalogue NOT loaded ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    with _session() as session, session.begin():
        report = upsert(session, records, actor=args.actor)
    print(f"Catalogue loaded from {directory}: {len(records)} procedures ({report.summary()})")
    return 0


def _write_out(text: str, out: str | None) -> int:
    """Write text to a file, or to standard output when no file is given."""
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Wrote {out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_catalog_export(args: argparse.Namespace) -> int:
    """Write the whole catalogue as open data (JSON or CSV)."""
    from bot.catalog.loader import export_text

    with _session() as session:
        text = export_text(session, args.format)
    return _write_out(text, args.out)


def cmd_nlu_build(_args: argparse.Namespace) -> int:
    """Generate training data from the catalogue, tips and FAQs."""
    from bot.nlu.generate import write_generated

    with _session() as session:
        paths = write_generated(session)
    print("Generated training data: " + ", ".join(str(p.name) for p in paths))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Build training data, then train only if something changed."""
    code = cmd_nlu_build(args)
    if code:
        return code
    from bot.training import train

    train(config=args.config, force=args.force)
    return 0


def _problems(title: str, problems: list[str]) -> int:
    """Print validation problems to stderr and return the error exit code."""
    print(f"{title} ({len(problems)} problem(s)):", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 2


def cmd_catalog_import(args: argparse.Namespace) -> int:
    """Import a staff CSV/XLSX of procedure changes (dry run shows every changed field)."""
    from bot.admin.imports import import_file
    from bot.catalog.schema import CatalogError

    path = Path(args.file)
    try:
        with _session() as session, session.begin():
            preview = import_file(session, path, actor=args.actor, dry_run=args.dry_run)
    except CatalogError as exc:
        return _problems(f"{path.name} NOT imported", exc.problems)
    for line in preview.lines():
        print(line)
    verb = "would change" if args.dry_run else "imported"
    print(f"{path.name}: {preview.records} rows, {verb}: {preview.report.summary()}"
          + (" (dry run: nothing written)" if args.dry_run else f" by {args.actor}"))
    return 0


def cmd_faq_validate(args: argparse.Namespace) -> int:
    """Validate the FAQ source (or another file), also against the catalogue."""
    from bot.faq.source import FAQ_PATH, read_faq
    from bot.faq.validate import validate

    path = Path(args.file) if args.file else FAQ_PATH
    entries = read_faq(path)
    with _session() as session:
        problems = validate(entries, session)
    if problems:
        return _problems(f"{path.name} is NOT valid", problems)
    print(f"{path.name}: {len(entries)} FAQ entries, no problems")
    return 0


def cmd_faq_build(args: argparse.Namespace) -> int:
    """Validate the FAQ, then regenerate every training file."""
    args.file = None
    code = cmd_faq_validate(args)
    return code or cmd_nlu_build(args)


def cmd_faq_import(args: argparse.Namespace) -> int:
    """Merge a staff CSV/XLSX into data/faq/faq.csv (same id replaces, new id appends)."""
    from bot.faq.edit import import_entries
    from bot.faq.source import missing_columns, read_faq
    from bot.faq.validate import FaqError

    path = Path(args.file)
    missing = missing_columns(path)
    if missing:
        return _problems(f"{path.name} NOT imported", [f"missing column(s): {', '.join(missing)}"])
    try:
        with _session() as session, session.begin():
            changes = import_entries(session, read_faq(path), args.actor, dry_run=args.dry_run)
    except FaqError as exc:
        return _problems(f"{path.name} NOT imported", exc.problems)
    for faq_id in changes.created:
        print(f"+ {faq_id}")
    for faq_id, fields in changes.updated.items():
        print(f"~ {faq_id}: {', '.join(fields)}")
    suffix = " (dry run: nothing written)" if args.dry_run else "; run `python -m bot publish`"
    print(f"{path.name}: {changes.summary()}{suffix}")
    return 0


def cmd_faq_template(args: argparse.Namespace) -> int:
    """Write the XLSX template (with the current entries when asked)."""
    from bot.faq.source import read_faq, template_entries, write_xlsx

    out = Path(args.out)
    write_xlsx(read_faq() if args.with_entries else template_entries(), out)
    print(f"Wrote {out} (columns: see docs/faq-template.md)")
    return 0


def _window(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The (since, until) window of --day."""
    from bot.faq.unanswered import day_range

    return day_range(args.day) if args.day else (None, None)


def cmd_unanswered_list(args: argparse.Namespace) -> int:
    """Print the unanswered questions grouped by similarity."""
    from bot.faq.unanswered import group_similar, list_unanswered

    since, until = _window(args)
    with _session() as session:
        groups = group_similar(list_unanswered(session, since, until, args.all))
    for group in groups:
        print(f"#{group.number} ({len(group.items)}x) {group.label}")
        for item in group.items[1:]:
            print(f"      [{item.id}] {item.text}")
    print(f"{sum(len(g.items) for g in groups)} question(s) in {len(groups)} group(s)")
    return 0


def cmd_unanswered_export(args: argparse.Namespace) -> int:
    """Write the grouped unanswered questions as CSV."""
    from bot.faq.unanswered import export_csv, group_similar, list_unanswered

    since, until = _window(args)
    with _session() as session:
        text = export_csv(group_similar(list_unanswered(session, since, until, args.all)))
    return _write_out(text, args.out)


def cmd_unanswered_add(args: argparse.Namespace) -> int:
    """Add a queued question as an example of an FAQ entry."""
    from bot.faq.edit import add_unanswered_example
    from bot.faq.validate import FaqError

    try:
        with _session() as session, session.begin():
            add_unanswered_example(session, args.faq_id, args.id, args.actor)
    except (FaqError, KeyError) as exc:
        problems = exc.problems if isinstance(exc, FaqError) else [f"no question with id {exc}"]
        return _problems("Not added", problems)
    print(f"Question {args.id} added to FAQ {args.faq_id}; run `python -m bot publish`")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Validate, regenerate, retrain if needed, test, then switch (or roll back)."""
    from bot.publish import default_publisher, print_progress

    publisher = default_publisher(args.config)
    result = (publisher.rollback(print_progress) if args.rollback
              else publisher.publish(print_progress, force_train=args.force_train))
    print(result.message)
    return 0 if result.ok else 1


def cmd_admin_add_user(args: argparse.Namespace) -> int:
    """Create a staff user (password from ADMIN_PASSWORD or a prompt)."""
    import getpass
    import os

    from bot.admin.auth import add_user

    password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass(f"Password for {args.name}: ")
    try:
        with _session() as session, session.begin():
            add_user(session, args.name, password)
    except ValueError as exc:
        print(f"User NOT created: {exc}", file=sys.stderr)
        return 2
    print(f"User {args.name} can now log in to the admin page")
    return 0


def cmd_admin_serve(args: argparse.Namespace) -> int:
    """Run the admin web page."""
    from bot.admin.app import serve

    serve(host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="group", required=True)

    catalog = sub.add_parser("catalog", help="the services catalogue").add_subparsers(
        dest="command", required=True)
    load = catalog.add_parser("load", help="load data/catalog/*.yml (idempotent upsert)")
    load.add_argument("--dir", help="seed directory (default: data/catalog)")
    load.add_argument("--actor", default="seed", help="who is loading (for the change log)")
    load.set_defaults(func=cmd_catalog_load)
    export = catalog.add_parser("export", help="export the catalogue as open data")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(func=cmd_catalog_export)

    catalog_import = catalog.add_parser("import", help="import a staff CSV/XLSX of changes")
    catalog_import.add_argument("file")
    catalog_import.add_argument("--dry-run", action="store_true", help="show changes, write nothing")
    catalog_import.add_argument("--actor", required=True, help="who is importing (change log)")
    catalog_import.set_defaults(func=cmd_catalog_import)

    faq = sub.add_parser("faq", help="staff FAQs (data/faq/faq.csv)").add_subparsers(
        dest="command", required=True)
    faq_validate = faq.add_parser("validate", help="check the FAQ source (rows are named)")
    faq_validate.add_argument("--file", help="another CSV/XLSX to check")
    faq_validate.set_defaults(func=cmd_faq_validate)
    faq.add_parser("build", help="validate, then regenerate data/generated/").set_defaults(
        func=cmd_faq_build)
    faq_import = faq.add_parser("import", help="merge a staff CSV/XLSX into the FAQ source")
    faq_import.add_argument("file")
    faq_import.add_argument("--dry-run", action="store_true")
    faq_import.add_argument("--actor", default="cli", help="who is importing (change log)")
    faq_import.set_defaults(func=cmd_faq_import)
    faq_template = faq.add_parser("template", help="write the XLSX template")
    faq_template.add_argument("--out", default="faq-template.xlsx")
    faq_template.add_argument("--with-entries", action="store_true",
                              help="fill it with the current FAQ entries")
    faq_template.set_defaults(func=cmd_faq_template)

    unanswered = sub.add_parser("unanswered", help="questions the assistant could not answer"
                                ).add_subparsers(dest="command", required=True)
    for name, func in (("list", cmd_unanswered_list), ("export", cmd_unanswered_export)):
        command = unanswered.add_parser(name, help=f"{name} grouped by similarity")
        command.add_argument("--day", help="today, yesterday or YYYY-MM-DD (Vietnam time)")
        command.add_argument("--all", action="store_true", help="include handled questions")
        if name == "export":
            command.add_argument("--out", help="CSV file (default: standard output)")
        command.set_defaults(func=func)
    add = unanswered.add_parser("add", help="add a question as an FAQ example")
    add.add_argument("id", type=int)
    add.add_argument("faq_id")
    add.add_argument("--actor", default="cli")
    add.set_defaults(func=cmd_unanswered_add)

    publish = sub.add_parser("publish", help="validate, retrain if needed, test, switch")
    publish.add_argument("--rollback", action="store_true", help="go back to the previous model")
    publish.add_argument("--force-train", action="store_true")
    publish.add_argument("--config", default="config.yml")
    publish.set_defaults(func=cmd_publish)

    admin = sub.add_parser("admin", help="the staff web page").add_subparsers(
        dest="command", required=True)
    add_user = admin.add_parser("add-user", help="create a user (password: ADMIN_PASSWORD or prompt)")
    add_user.add_argument("name")
    add_user.set_defaults(func=cmd_admin_add_user)
    serve = admin.add_parser("serve", help="run the admin page (ADMIN_PORT, default 5010)")
    serve.add_argument("--host", default=None, help="default ADMIN_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default ADMIN_PORT or 5010")
    serve.set_defaults(func=cmd_admin_serve)

    nlu = sub.add_parser("nlu", help="training data").add_subparsers(dest="command", required=True)
    nlu.add_parser("build", help="generate data/generated/ from the sources").set_defaults(
        func=cmd_nlu_build)

    train = sub.add_parser("train", help="generate data and train when inputs changed")
    train.add_argument("--config", default="config.yml")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
