//! The HTML report's parts beyond the findings: its table of contents, the namespaces'
//! Pod Security, the audit logs' identities, timeline and denied requests (as the Markdown
//! has them), and the small inline script that makes tables sortable and filterable (no
//! external asset: the file works offline and from a mail attachment).

use super::Report;
use crate::checks::pod_security::WorkloadLabel;
use crate::sanitize::html as h;
use std::fmt::Write;

/// Sorts a table by a header click (numbers as numbers) and adds a filter box above each
/// table with more than a few rows. Without scripts the report reads the same.
pub const SCRIPT: &str = r#"<script>
document.querySelectorAll('table').forEach(function (table) {
  var rows = function () { return Array.prototype.slice.call(table.querySelectorAll('tr')).slice(1); };
  table.querySelectorAll('th').forEach(function (th, col) {
    th.title = 'sort';
    th.style.cursor = 'pointer';
    th.addEventListener('click', function () {
      var up = th.getAttribute('data-sort') !== 'up';
      table.querySelectorAll('th').forEach(function (o) { o.removeAttribute('data-sort'); });
      th.setAttribute('data-sort', up ? 'up' : 'down');
      var key = function (tr) { var c = tr.children[col]; return c ? c.textContent.trim() : ''; };
      rows().sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? r : -r;
      }).forEach(function (tr) { tr.parentNode.appendChild(tr); });
    });
  });
  if (rows().length > 5) {
    var box = document.createElement('input');
    box.type = 'search';
    box.className = 'filter';
    box.placeholder = 'filter these rows';
    box.addEventListener('input', function () {
      var q = box.value.toLowerCase();
      rows().forEach(function (tr) { tr.style.display = tr.textContent.toLowerCase().indexOf(q) < 0 ? 'none' : ''; });
    });
    table.parentNode.insertBefore(box, table);
  }
});
</script>"#;

/// An anchor for a heading: lower-case letters, digits and dashes.
pub fn anchor(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The table of contents: one link per section heading, in order.
pub fn toc(out: &mut String, sections: &[String]) {
    let _ = write!(out, "<nav id=\"contents\"><b>Contents</b><ul>");
    for s in sections {
        let _ = write!(out, "<li><a href=\"#{}\">{}</a></li>", anchor(s), h(s));
    }
    let _ = writeln!(out, "</ul></nav>");
}

fn workload_list(v: &[WorkloadLabel]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let shown: Vec<String> = v
        .iter()
        .take(5)
        .map(|w| format!("<code>{}</code>", h(&w.to_string())))
        .collect();
    let more = if v.len() > 5 {
        format!(" +{}", v.len() - 5)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

/// Each namespace's Pod Security labels, what it could enforce and what breaks.
pub fn namespaces(out: &mut String, r: &Report) {
    if r.namespaces.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3 id=\"namespaces\">Namespaces</h3><table><tr><th>Namespace</th><th>Enforce</th><th>Warn</th><th>Audit</th><th>Workloads</th><th>Could enforce now</th><th>Violating the enforced level</th><th>Would break under restricted</th></tr>"
    );
    for n in &r.namespaces {
        let enforce = if n.enforce_labelled {
            h(&n.enforce)
        } else {
            format!("{} (default)", h(&n.enforce))
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{enforce}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&n.name),
            h(&n.warn),
            h(&n.audit),
            n.workloads,
            n.highest_enforceable,
            workload_list(&n.violating_enforced),
            workload_list(&n.would_break_restricted)
        );
    }
    let _ = writeln!(out, "</table>");
}

/// What the audit logs held: reading statistics, identities with findings, the busy parts
/// of the timeline and the latest denied requests.
pub fn audit_log(out: &mut String, r: &Report) {
    let Some(s) = &r.audit_log else { return };
    let _ = writeln!(out, "<p>{}</p>", h(&super::audit_log_reading(s)));
    let a = &s.activity;
    let super::ActivityShown {
        flagged_total,
        flagged,
        busy,
        denied,
        changes,
    } = super::ActivityShown::of(a);
    if !flagged.is_empty() {
        let _ = writeln!(
            out,
            "<h3 id=\"identities\">Identities with findings ({} of {})</h3><table><tr><th>Identity</th><th>Events</th><th>Denied</th><th>Writes</th><th>Changes</th><th>Findings</th><th>First seen</th><th>Last seen</th><th>From</th></tr>",
            flagged_total,
            a.identities.len()
        );
        for i in &flagged {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h(&i.user),
                i.events,
                i.denied,
                i.writes,
                i.changes,
                i.findings,
                h(&i.first),
                h(&i.last),
                h(&i.source_ips.join(", "))
            );
        }
        let _ = writeln!(out, "</table>");
    }
    if !busy.is_empty() {
        let _ = writeln!(
            out,
            "<h3 id=\"timeline\">Timeline ({} s buckets with findings, denials or changes)</h3><table><tr><th>From</th><th>Events</th><th>Denied</th><th>Changes</th><th>Findings</th></tr>",
            a.bucket_secs
        );
        for b in &busy {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h(&b.start),
                b.events,
                b.denied,
                b.changes,
                b.findings
            );
        }
        let _ = writeln!(out, "</table>");
    }
    if a.denied_total > 0 {
        let _ = writeln!(
            out,
            "<h3 id=\"denied\">Denied requests ({} in all; the latest {})</h3><table><tr><th>Time</th><th>Code</th><th>Identity</th><th>Request</th><th>From</th></tr>",
            a.denied_total,
            denied.len()
        );
        for d in &denied {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{} {}</code></td><td>{}</td></tr>",
                h(&d.time),
                d.code,
                h(&d.user),
                h(&d.verb),
                h(&d.uri),
                h(&d.source_ip)
            );
        }
        let _ = writeln!(out, "</table>");
    }
    if a.changes_total > 0 {
        let _ = writeln!(
            out,
            "<h3 id=\"changes\">Changes ({} in all; the latest {}): objects created and deleted, as Falco's activity rules name them (information, not findings)</h3><table><tr><th>Time</th><th>Change</th><th>Object</th><th>Identity</th></tr>",
            a.changes_total,
            changes.len()
        );
        for c in &changes {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                h(&c.time),
                h(c.rule),
                h(&c.object()),
                h(&c.user)
            );
        }
        let _ = writeln!(out, "</table>");
    }
}
