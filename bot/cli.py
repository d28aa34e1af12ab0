"""Command line of the assistant: catalogue, training data, training."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import get_settings


def _session():
    """A session on the configured database, with the schema created."""
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


def cmd_catalog_export(args: argparse.Namespace) -> int:
    """Write the whole catalogue as open data (JSON or CSV)."""
    from bot.catalog.loader import export_text

    with _session() as session:
        text = export_text(session, args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


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
