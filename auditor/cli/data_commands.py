"""`auditor data show` and `auditor data update`: the lifecycle data the patch-level checks use.

The audit never needs the network: it judges operating systems and services against the dated data file
shipped with the patch-level plugin, and the report states that date.  `update` refreshes the file from
endoflife.date (API v1, MIT) and the CISA KEV catalogue (CC0) when online; the work is in
`auditor_plugins.patch_level.update`, this module parses options and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.cli.app import app

data_app = typer.Typer(help="Lifecycle data used by the patch-level checks (end of support, builds, KEV).",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("show")
def show(
    file: Annotated[Path | None, typer.Option("--file", help="Data file (default: the shipped one).")] = None,
) -> None:
    """Print the data's version, date, entry counts and sources with their attribution."""
    from auditor_plugins.patch_level.lifecycle import data_path, load_data

    data = load_data(file)
    typer.echo(f"lifecycle data {data.data_version}, dated {data.data_date.isoformat()} ({file or data_path()})")
    typer.echo(f"  {len(data.windows)} Windows releases, {len(data.linux)} Linux releases, "
               f"{len(data.services)} service branches, {len(data.known_exploited)} known-exploited entries")
    for key, source in sorted(data.sources.items()):
        snapshot = f" (snapshot {data.snapshots[key]})" if key in data.snapshots else ""
        typer.echo(f"  {key}: {source.name} <{source.url}> - {source.licence}{snapshot}")
        typer.echo(f"      {source.attribution}")


@data_app.command("update")
def update(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of replacing the "
                                                                      "shipped data file.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Data file to start from (default: shipped).")] = None,
    endoflife_url: Annotated[str, typer.Option(help="endoflife.date API v1 products base URL.")] = (
        "https://endoflife.date/api/v1/products/"),
    kev_url: Annotated[str, typer.Option(help="CISA KEV catalogue JSON URL.")] = (
        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"),
    timeout: Annotated[float, typer.Option(help="Seconds per request.", min=1, max=600)] = 30.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    product: Annotated[list[str] | None, typer.Option("--product", help="Refresh only these endoflife.date "
                                                                        "products (repeatable).")] = None,
) -> None:
    """Refresh the lifecycle data from endoflife.date and CISA KEV (needs the internet; the audit does not)."""
    from auditor_plugins.patch_level.update import ENDOFLIFE_PRODUCTS, DataUpdateError, http_fetcher, update_data

    unknown = sorted(set(product or ()) - set(ENDOFLIFE_PRODUCTS))
    if unknown:
        raise DataUpdateError(f"unknown product(s) {', '.join(unknown)} (known: {', '.join(ENDOFLIFE_PRODUCTS)})")
    report = update_data(source=file, output=output, fetch=http_fetcher(timeout), endoflife_url=endoflife_url,
                         kev_url=kev_url, dry_run=dry_run, products=tuple(product or ENDOFLIFE_PRODUCTS))
    for change in report.changes:
        typer.echo(f"changed: {change}")
    for item in report.to_curate:
        typer.echo(f"to curate by hand: {item}")
    state = "would be" if dry_run else "written to " + str(report.written)
    typer.echo(f"lifecycle data {report.data_version} ({len(report.changes)} changes, "
               f"{len(report.to_curate)} to curate) {state}")
