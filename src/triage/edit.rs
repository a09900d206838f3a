//! Editing an exemptions file in place, as text: an entry added at the end, entries removed
//! by their lines, everything else (the user's comments, order, quoting) left as it was.
//! Every edit is checked by reading the result back; an edit that cannot be made that way
//! is refused (`None`), and the caller rewrites the file whole.

use super::{Exemption, parse_exemptions, render_exemptions};

/// `text` with `entry` appended to its list.
pub fn append(text: &str, entry: &Exemption) -> Option<String> {
    let before = parse_exemptions("exemptions", text).ok()?;
    let rendered = render_exemptions(std::slice::from_ref(entry));
    // The rendered file's entry: everything after its `exemptions:` line.
    let item = rendered.split_once("exemptions:\n")?.1;
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(item);
    let after = parse_exemptions("exemptions", &out).ok()?;
    let mut expected = before;
    expected.push(entry.clone());
    (after == expected).then_some(out)
}

/// `text` without the entries `remove` picks; `None` when none is picked or the lines of
/// an entry cannot be told.
pub fn remove(text: &str, remove: impl Fn(&Exemption) -> bool) -> Option<String> {
    let before = parse_exemptions("exemptions", text).ok()?;
    let doomed: Vec<usize> = (0..before.len()).filter(|i| remove(&before[*i])).collect();
    if doomed.is_empty() {
        return None;
    }
    let docs = crate::yaml::split_documents(text);
    let doc = *docs.first()?;
    let pointers: Vec<String> = (0..before.len())
        .map(|i| format!("/exemptions/{i}"))
        .collect();
    let wanted: Vec<&str> = pointers.iter().map(String::as_str).collect();
    let starts = crate::yaml::lines::lines_of(doc, &wanted);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start_of = |i: usize| starts.get(&pointers[i]).map(|l| *l as usize - 1);
    let mut keep = vec![true; lines.len()];
    for &i in &doomed {
        let first = start_of(i)?;
        // To the next entry, or to the end of the list (the next line at column 0 that is
        // not part of the entry), less the comments and blank lines just above what follows.
        let mut end = match i + 1 < before.len() {
            true => start_of(i + 1)?,
            false => (first + 1..lines.len())
                .find(|l| {
                    let line = lines[*l];
                    !line.starts_with([' ', '\t', '-', '#', '\n', '\r'])
                })
                .unwrap_or(lines.len()),
        };
        while end > first + 1 && {
            let line = lines[end - 1].trim_start();
            line.is_empty() || line.starts_with('#')
        } {
            end -= 1;
        }
        keep[first..end].iter_mut().for_each(|k| *k = false);
    }
    let out: String = lines
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| *l)
        .collect();
    let after = parse_exemptions("exemptions", &out).ok()?;
    let expected: Vec<Exemption> = before.into_iter().filter(|e| !remove(e)).collect();
    (after == expected).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Our accepted risks. Review every quarter.\n\
exemptions:\n\
# the cache needs a writable root\n\
- rule: POD005\n  subject: shop/Deployment/cache\n  reason: writes its cache to /\n\
\n\
# ticket OPS-123\n\
- rule: IMG002\n  subject: \"*\"   # everything, for now\n  reason: pinning next sprint\n  expires: \"2027-01-01\"\n";

    fn entry(rule: &str, subject: &str) -> Exemption {
        Exemption {
            rule: rule.into(),
            subject: subject.into(),
            reason: "r".into(),
            expires: None,
            owner: Some("jane".into()),
        }
    }

    #[test]
    fn appending_keeps_the_users_comments() {
        let out = append(FILE, &entry("POD001", "shop/Pod/web")).unwrap();
        assert!(out.starts_with(FILE), "{out}");
        assert_eq!(parse_exemptions("x", &out).unwrap().len(), 3);
        // A flow-style list cannot take a block entry: refused, the caller rewrites.
        assert!(append("exemptions: []\n", &entry("POD001", "x")).is_none());
    }

    #[test]
    fn removing_takes_only_the_entrys_lines() {
        let out = remove(FILE, |e| e.rule == "POD005").unwrap();
        assert!(out.contains("# Our accepted risks"), "{out}");
        assert!(out.contains("# the cache needs a writable root"), "{out}");
        assert!(out.contains("# ticket OPS-123"), "{out}");
        assert!(!out.contains("POD005"), "{out}");
        let out = remove(FILE, |e| e.rule == "IMG002").unwrap();
        assert!(out.contains("POD005") && !out.contains("IMG002"), "{out}");
        assert!(out.contains("# Our accepted risks"), "{out}");
        assert!(remove(FILE, |e| e.rule == "NET001").is_none());
    }
}
