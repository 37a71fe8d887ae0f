"""HTML: one self-contained page to hand to a security team.

Counts by severity and status, a bar chart (inline SVG), and the findings table with filters
by severity, status, check, account and region. Each finding shows its remediation and links
to its explanation: the official AWS page its knowledge-base article cites, or else the
check's description further down the page (``#check-<id>``, a stable anchor).

Nothing is fetched: the CSS, the script and the chart are inline, and a Content-Security-
Policy forbids every other source, so opening the file makes no request. Every value from a
finding is hostile input (resource names are chosen by whoever created them) and is written
through ``one_line`` (no control or invisible format character) and ``html.escape``; the
script reads values only from ``data-`` attributes and never writes HTML.

Filters can be preset from the address: ``report.html#severity=high&status=FAIL`` (or the
same after ``?``) shows only those rows, so a link can point at exactly what to fix.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from scalewarden.checks.model import Finding, ScanReport, Severity, Status, sort_findings
from scalewarden.reports._group import place
from scalewarden.reports._meta import check_text, compliance_text, explanation_url, one_line

SEVERITY_COLOUR = {
    Severity.CRITICAL: "#7b1fa2",
    Severity.HIGH: "#c62828",
    Severity.MEDIUM: "#ef6c00",
    Severity.LOW: "#0277bd",
    Severity.INFORMATIONAL: "#607d8b",
}
STATUS_COLOUR = {
    Status.FAIL: "#c62828",
    Status.ERROR: "#8e24aa",
    Status.MUTED: "#757575",
    Status.PASS: "#2e7d32",
}
#: The filters, in the order shown: URL parameter and the finding attribute it matches.
FILTERS = ("severity", "status", "check", "account", "region")

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#555;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:90px}
.card b{display:block;font-size:20px}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;margin:12px 0}
.filters label{display:flex;flex-direction:column;font-size:12px;color:#555}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #eee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafafa;position:sticky;top:0}
td.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.tag{display:inline-block;border-radius:4px;padding:1px 6px;color:#fff;font-size:12px}
.fix{color:#444;font-size:13px;margin-top:4px}
#shown{color:#555}
"""

SCRIPT = """
(function(){
  var names = %(filters)s;
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.finding'));
  function params(){
    var raw = (location.hash || location.search || '').replace(/^[#?]/, '');
    var out = {};
    raw.split('&').forEach(function(pair){
      if(!pair) return;
      var i = pair.indexOf('=');
      var key = decodeURIComponent(i < 0 ? pair : pair.slice(0, i));
      var value = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\\+/g, ' '));
      out[key] = value;
    });
    return out;
  }
  function apply(){
    var wanted = {};
    names.forEach(function(n){ wanted[n] = document.getElementById('f-' + n).value; });
    var shown = 0;
    rows.forEach(function(row){
      var ok = names.every(function(n){
        return !wanted[n] || row.getAttribute('data-' + n) === wanted[n];
      });
      row.hidden = !ok;
      if(ok) shown++;
    });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' shown';
  }
  var preset = params();
  names.forEach(function(n){
    var select = document.getElementById('f-' + n);
    if(preset[n] !== undefined){
      for(var i = 0; i < select.options.length; i++){
        var v = select.options[i].value;
        if(v.toLowerCase() === String(preset[n]).toLowerCase()){ select.value = v; }
      }
    }
    select.addEventListener('change', apply);
  });
  window.addEventListener('hashchange', function(){
    var p = params();
    names.forEach(function(n){ document.getElementById('f-' + n).value = p[n] || ''; });
    apply();
  });
  apply();
})();
"""


def _e(value: object) -> str:
    return escape(one_line("" if value is None else str(value)), quote=True)


def _chart(counts: Counter[Severity]) -> str:
    """FAIL findings by severity as horizontal bars (inline SVG, no script)."""
    order = sorted(Severity, key=lambda s: -s.rank)
    top = max([counts[s] for s in order] + [1])
    bar_room, row = 300, 26
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="460" '
        f'height="{row * len(order) + 8}" aria-label="FAIL findings by severity">'
    ]
    for i, sev in enumerate(order):
        y = 4 + i * row
        width = round(bar_room * counts[sev] / top)
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="13">{_e(sev.value)}</text>'
            f'<rect x="110" y="{y + 3}" width="{width}" height="18" '
            f'fill="{SEVERITY_COLOUR[sev]}"><title>{counts[sev]} FAIL</title></rect>'
            f'<text x="{116 + width}" y="{y + 16}" font-size="13">{counts[sev]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _tag(text: str, colour: str) -> str:
    return f'<span class="tag" style="background:{colour}">{_e(text)}</span>'


def _options(name: str, values: list[str]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
    return (
        f'<label>{_e(name.capitalize())}<select id="f-{name}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _row(finding: Finding) -> str:
    url = explanation_url(finding.kb_article)
    link = url or f"#check-{finding.check_id}"
    compliance = compliance_text(finding)
    data = {
        "severity": finding.severity.value,
        "status": finding.status.value,
        "check": finding.check_id,
        "account": finding.account_id,
        "region": finding.region,
    }
    attrs = " ".join(f'data-{k}="{_e(v)}"' for k, v in data.items())
    return (
        f'<tr class="finding" {attrs}>'
        f"<td>{_tag(finding.status.value, STATUS_COLOUR[finding.status])}</td>"
        f"<td>{_tag(finding.severity.value, SEVERITY_COLOUR[finding.severity])}</td>"
        f'<td><a href="#check-{_e(finding.check_id)}">{_e(finding.check_id)}</a></td>'
        f"<td>{_e(place(finding))}</td>"
        f'<td class="id">{_e(finding.resource_id)}</td>'
        f"<td>{_e(finding.message)}"
        f'<div class="fix"><b>Fix:</b> {_e(finding.remediation)} '
        f'<a href="{_e(link)}" rel="noreferrer noopener">Why it matters</a></div>'
        + (f'<div class="fix">{_e(compliance)}</div>' if compliance else "")
        + "</td></tr>"
    )


def render(report: ScanReport) -> str:
    findings = sort_findings(report.findings)
    summary = report.summary
    fails = Counter(f.severity for f in findings if f.status is Status.FAIL)
    values = {
        "severity": [s.value for s in sorted(Severity, key=lambda s: -s.rank)],
        "status": [s.value for s in (Status.FAIL, Status.ERROR, Status.MUTED, Status.PASS)],
        "check": sorted({f.check_id for f in findings}),
        "account": sorted({f.account_id for f in findings}),
        "region": sorted({f.region for f in findings}),
    }
    status_cards = "".join(
        f'<div class="card" style="border-color:{STATUS_COLOUR[Status(s)]}">'
        f"{_e(s)}<b>{summary['by_status'][s]}</b></div>"
        for s in values["status"]
    )
    severity_cards = "".join(
        f'<div class="card" style="border-color:{SEVERITY_COLOUR[Severity(s)]}">'
        f"FAIL {_e(s)}<b>{fails[Severity(s)]}</b></div>"
        for s in values["severity"]
    )
    checks_seen = {f.check_id: f for f in findings}
    explanations = "".join(
        f'<dt id="check-{_e(cid)}"><b>{_e(cid)}</b>: {_e(f.title)}</dt>'
        f"<dd>{_e(check_text(f).description)} {_e(check_text(f).risk)}"
        f"<br><b>Remediation:</b> {_e(f.remediation)}</dd>"
        for cid, f in sorted(checks_seen.items())
    )
    coverage = "".join(
        f"<li>{_e(g.get('account_id'))} {_e(g.get('region'))} {_e(g.get('source'))}: "
        f"{_e(g.get('reason'))}</li>"
        for g in report.coverage
    )
    script = SCRIPT % {"filters": "[" + ",".join(f"'{n}'" for n in FILTERS) + "]"}
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>scalewarden scan {_e(report.scan_id)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>scalewarden scan {_e(report.scan_id)}</h1>"
        f'<div class="meta">{_e(report.started_at.isoformat())} to '
        f"{_e(report.finished_at.isoformat())} · {len(report.accounts)} account(s) · "
        f"{len(report.regions)} region(s) · {summary['checks_run']} check(s)</div>"
        f'<h2>By status</h2><div class="cards">{status_cards}</div>'
        f'<h2>FAIL by severity</h2><div class="cards">{severity_cards}</div>'
        f"{_chart(fails)}"
        "<h2>Findings</h2>"
        f'<div class="filters">{"".join(_options(n, values[n]) for n in FILTERS)}'
        '<span id="shown"></span></div>'
        "<table><thead><tr><th>Status</th><th>Severity</th><th>Check</th>"
        "<th>Account / region</th><th>Resource</th><th>Finding and fix</th></tr></thead>"
        f"<tbody>{''.join(_row(f) for f in findings)}</tbody></table>"
        + (f"<h2>Not seen ({len(report.coverage)})</h2><ul>{coverage}</ul>" if coverage else "")
        + f"<h2>Checks</h2><dl>{explanations}</dl>"
        f"<script>{script}</script></body></html>\n"
    )
