"""Benchmark: render the PDF report of a large estate and print time, peak memory and page counts.

An audit with 1,000 hosts in the inventory and 5,000 affected-asset entries on one finding (plus the
usual ones).  Targets on the 2-core machine: under 10 s and 500 MB.  Also checks that the body stays
readable: the long list is cut in the body and given whole in the appendix.

    python3 bench/bench_report.py [--lang fr|en] [--out report.pdf]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader

from auditor.exports import findings_csv, findings_ocsf, roadmap_csv
from auditor.report import Branding, render_annex_pdf, render_report_pdf
from tests.report.factory import make_audit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="fr", choices=("fr", "en"))
    parser.add_argument("--out", type=Path, default=None, help="also write the PDF here")
    args = parser.parse_args()

    started = time.perf_counter()
    audit = make_audit(hosts=1000, extra_affected=4996, hostile=True)
    affected = sum(len(r.affected) for r in audit.results)
    print(f"audit: {len(audit.inventory)} hosts in the inventory, {affected} affected-asset entries, "
          f"{len(audit.results)} results, {len(audit.roadmap.items)} roadmap items "
          f"(built in {time.perf_counter() - started:.2f} s)")

    buffer = io.BytesIO()
    started = time.perf_counter()
    render_report_pdf(audit, buffer, lang=args.lang, branding=Branding(msp_name="Alpes Infogérance"))
    seconds = time.perf_counter() - started
    # Peak resident memory of the whole process (imports, the audit and the rendering): what the OS sees.
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data = buffer.getvalue()
    reader = PdfReader(io.BytesIO(data))
    texts = [page.extract_text() for page in reader.pages]
    body_pages = next(i for i, text in enumerate(texts)
                      if i > 2 and any(line.strip() in ("Annexes", "Appendix") for line in text.splitlines()))
    print(f"report PDF: {seconds:.2f} s, peak RSS {rss_mb:.0f} MB, {len(reader.pages)} pages "
          f"({body_pages} before the appendix), {len(data) / 2**20:.1f} MB")
    body = "\n".join(texts[:body_pages])
    listed = sum(body.count(f"PC-{i:05d}.") for i in range(4996))
    print(f"body lists {listed} of the 4,996 padded end-of-support machines; the rest are in the appendix")
    verdict = "OK" if seconds < 10 and rss_mb < 500 else "OVER TARGET"
    print(f"targets < 10 s and < 500 MB: {verdict}")

    started = time.perf_counter()
    render_annex_pdf(audit, io.BytesIO(), lang=args.lang)
    print(f"contract annex PDF: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    csv_text = findings_csv(audit, args.lang)
    roadmap_csv(audit, args.lang)
    events = findings_ocsf(audit, args.lang)
    print(f"findings CSV ({csv_text.count(chr(10)) - 1} rows) + roadmap CSV + OCSF ({len(events)} events): "
          f"{time.perf_counter() - started:.2f} s")
    if args.out:
        args.out.write_bytes(data)
        print(f"wrote {args.out}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    raise SystemExit(main())
