//! The reports' "Vulnerabilities by image": counts per image that runs, then each image's
//! most severe vulnerabilities. The findings (VUL001-VUL003) say where each image runs.

use super::Report;
use crate::sanitize::{html as h, md, md_code};
use crate::vuln::facts::ImageSummary;
use std::fmt::Write;

/// Vulnerabilities listed per image before "and N more".
const MAX_PER_IMAGE: usize = 15;

pub fn markdown(out: &mut String, r: &Report) {
    let Some(summary) = &r.vulnerabilities else {
        return;
    };
    let _ = writeln!(out, "## Vulnerabilities by image\n");
    let _ = writeln!(out, "From {}.\n", md(&summary.source));
    if !summary.images.is_empty() {
        let _ = writeln!(
            out,
            "| Image | Workloads | OS | End of life | Critical | High | Medium | Low | With a fix |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for i in &summary.images {
            let os =
                i.os.as_ref()
                    .map_or("-".into(), |o| md(&format!("{} {}", o.family, o.release)));
            let eol = match i.eosl {
                Some(true) => "**past**",
                Some(false) => "no",
                None => "unknown",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {os} | {eol} | {} | {} | {} | {} | {} |",
                md_code(&i.image),
                i.workloads.len(),
                i.critical,
                i.high,
                i.medium,
                i.low,
                i.fixable
            );
        }
        let _ = writeln!(out);
    }
    for i in summary
        .images
        .iter()
        .filter(|i| !i.vulnerabilities.is_empty())
    {
        let _ = writeln!(
            out,
            "<details><summary>{} ({} vulnerabilities)</summary>\n",
            md(&i.image),
            i.vulnerabilities.len()
        );
        let _ = writeln!(out, "Runs in {}.\n", md(&runs_in(&i.workloads)));
        let _ = writeln!(
            out,
            "| Severity | Vulnerability | Package | Installed | Fixed in | Title |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for v in i.vulnerabilities.iter().take(MAX_PER_IMAGE) {
            let _ = writeln!(out, "{}", markdown_row(v, false));
        }
        if i.vulnerabilities.len() > MAX_PER_IMAGE {
            let _ = writeln!(
                out,
                "\nand {} more (use `--format json` for all).",
                i.vulnerabilities.len() - MAX_PER_IMAGE
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if !summary.unknown.is_empty() {
        let _ = writeln!(
            out,
            "Not evaluated (no vulnerability data for these images): {}.\n",
            summary
                .unknown
                .iter()
                .map(|i| md_code(i))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// `Deployment shop/web, Pod shop/batch and 2 more`.
pub fn runs_in(workloads: &[String]) -> String {
    const NAMED: usize = 3;
    let mut text = workloads
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if workloads.len() > NAMED {
        text.push_str(&format!(" and {} more", workloads.len() - NAMED));
    }
    text
}

/// Every image's vulnerabilities, most severe first within each image.
pub fn rows(r: &Report) -> impl Iterator<Item = (&ImageSummary, &crate::vuln::Vulnerability)> {
    r.vulnerabilities.iter().flat_map(|summary| {
        summary
            .images
            .iter()
            .flat_map(|i| i.vulnerabilities.iter().map(move |v| (i, v)))
    })
}

/// The terminal summary's line: how many images, how severe, how many past end of life.
pub fn text_line(r: &Report) -> Option<String> {
    let summary = r.vulnerabilities.as_ref()?;
    let sum = |f: fn(&ImageSummary) -> usize| -> usize { summary.images.iter().map(f).sum() };
    let past_eol = summary
        .images
        .iter()
        .filter(|i| i.eosl == Some(true))
        .count();
    Some(format!(
        "vulnerabilities in {} images: {} critical, {} high, {} medium, {} low ({} with a fix); {} past end of life; {} images not evaluated",
        summary.images.len(),
        sum(|i| i.critical),
        sum(|i| i.high),
        sum(|i| i.medium),
        sum(|i| i.low),
        sum(|i| i.fixable),
        past_eol,
        summary.unknown.len()
    ))
}

/// One vulnerability as a Markdown table row: severity, id (a link when `link`), package,
/// [source package,] installed, fixed in, title.
pub fn markdown_row(v: &crate::vuln::Vulnerability, link: bool) -> String {
    let id = if link && !v.primary_url.is_empty() {
        format!(
            "[{}](<{}>) | {}",
            md(&v.id),
            v.primary_url.replace('>', "%3E"),
            md(&v.package)
        )
    } else {
        format!("{} | {}", md(&v.id), md(&v.package))
    };
    let source = if link {
        format!(" {} |", md(&v.source_package))
    } else {
        String::new()
    };
    let fixed = if v.fixed_version.is_empty() {
        format!("no fix ({})", v.status)
    } else {
        md(&v.fixed_version)
    };
    format!(
        "| {} | {id} |{source} {} | {fixed} | {} |",
        v.severity,
        md(&v.installed_version),
        md(&v.title)
    )
}

pub fn html(out: &mut String, r: &Report) {
    let Some(summary) = &r.vulnerabilities else {
        return;
    };
    let _ = writeln!(
        out,
        "<h2>Vulnerabilities by image</h2><p>From {}.</p><table><tr><th>Image</th><th>Workloads</th><th>OS</th><th>End of life</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>With a fix</th></tr>",
        h(&summary.source)
    );
    for i in &summary.images {
        let os =
            i.os.as_ref()
                .map_or("-".into(), |o| h(&format!("{} {}", o.family, o.release)));
        let eol = match i.eosl {
            Some(true) => "<b>past</b>",
            Some(false) => "no",
            None => "unknown",
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{os}</td><td>{eol}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&i.image),
            i.workloads.len(),
            i.critical,
            i.high,
            i.medium,
            i.low,
            i.fixable
        );
    }
    let _ = writeln!(out, "</table>");
    for i in summary
        .images
        .iter()
        .filter(|i| !i.vulnerabilities.is_empty())
    {
        let _ = writeln!(
            out,
            "<details><summary><code>{}</code> ({} vulnerabilities)</summary><p>Runs in {}.</p><table><tr><th>Severity</th><th>Vulnerability</th><th>Package</th><th>Installed</th><th>Fixed in</th><th>Title</th></tr>",
            h(&i.image),
            i.vulnerabilities.len(),
            h(&runs_in(&i.workloads))
        );
        for v in i.vulnerabilities.iter().take(MAX_PER_IMAGE) {
            let id = if v.primary_url.starts_with("https://") {
                format!("<a href=\"{}\">{}</a>", h(&v.primary_url), h(&v.id))
            } else {
                h(&v.id)
            };
            let fixed = if v.fixed_version.is_empty() {
                format!("no fix ({})", v.status)
            } else {
                h(&v.fixed_version)
            };
            let _ = writeln!(
                out,
                "<tr><td class=\"{}\">{}</td><td>{id}</td><td>{}</td><td>{}</td><td>{fixed}</td><td>{}</td></tr>",
                v.severity.to_ascii_lowercase(),
                v.severity,
                h(&v.package),
                h(&v.installed_version),
                h(&v.title)
            );
        }
        let _ = writeln!(out, "</table>");
        if i.vulnerabilities.len() > MAX_PER_IMAGE {
            let _ = writeln!(
                out,
                "<p>and {} more (the JSON report has all).</p>",
                i.vulnerabilities.len() - MAX_PER_IMAGE
            );
        }
        let _ = writeln!(out, "</details>");
    }
    if !summary.unknown.is_empty() {
        let _ = writeln!(
            out,
            "<p>Not evaluated (no vulnerability data): {}.</p>",
            summary
                .unknown
                .iter()
                .map(|i| format!("<code>{}</code>", h(i)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
