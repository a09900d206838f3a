//! Filter as you type: every space-separated term must appear in a row's text, in order of
//! its letters (fuzzy subsequence), ignoring case. Rows carry a lower-cased haystack so a
//! keystroke over 100,000 rows stays within a frame.

/// Lower-cases ASCII (non-ASCII is kept as is).
pub fn haystack(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        s.push_str(p);
        s.push(' ');
    }
    s.make_ascii_lowercase();
    s
}

/// The query's terms, lower-cased.
pub fn terms(query: &str) -> Vec<Vec<u8>> {
    query
        .split_whitespace()
        .map(|t| t.to_ascii_lowercase().into_bytes())
        .collect()
}

fn subsequence(needle: &[u8], hay: &[u8]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

/// Every term must match inside one word of the row (as a subsequence of its letters), so
/// `pss2` finds PSS002 but letters scattered over a whole row do not count.
pub fn matches(terms: &[Vec<u8>], hay: &str) -> bool {
    terms.iter().all(|t| {
        hay.as_bytes()
            .split(|b| *b == b' ')
            .any(|word| subsequence(t, word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_terms() {
        let h = haystack(&[
            "HIGH",
            "PSS002",
            "shop/Deployment/web",
            "privileged container",
        ]);
        assert!(matches(&terms("priv web"), &h));
        assert!(
            !matches(&terms("hc"), &h),
            "letters of different words do not combine"
        );
        assert!(matches(&terms("pss2"), &h));
        assert!(matches(&terms("SHOP"), &h));
        assert!(!matches(&terms("payments"), &h));
        assert!(matches(&terms(""), &h));
    }
}
