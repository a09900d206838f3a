//! Filter as you type: every space-separated term must appear in a row's text, in order of
//! its letters (fuzzy subsequence), ignoring case; `a|b` is a term that either may satisfy
//! (`pss002|pss014` lists both rules' findings). Rows carry a lower-cased haystack so a
//! keystroke over 100,000 rows stays within a frame.

/// Lower-cases ASCII (non-ASCII is kept as is).
pub fn haystack(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    push_haystack(&mut s, parts);
    s
}

/// [`haystack`] appended to `out`; returns where it lies. Many rows' haystacks in one
/// string are read in one sweep through memory, not one allocation per row.
pub fn push_haystack(out: &mut String, parts: &[&str]) -> std::ops::Range<usize> {
    let start = out.len();
    for p in parts {
        out.push_str(p);
        out.push(' ');
    }
    out[start..].make_ascii_lowercase();
    start..out.len()
}

/// One term of a query: its alternatives, lower-cased.
pub type Term = Vec<Vec<u8>>;

/// The query's terms.
pub fn terms(query: &str) -> Vec<Term> {
    query
        .split_whitespace()
        .map(|t| {
            t.split('|')
                .filter(|a| !a.is_empty())
                .map(|a| a.to_ascii_lowercase().into_bytes())
                .collect()
        })
        .collect()
}

/// Whether adding letters to the query can make it match more rows: only alternatives can
/// (`pss002|` grows into `pss002|pss014`), so a query without them only ever narrows.
pub fn widens(query: &str) -> bool {
    query.contains('|')
}

fn subsequence(needle: &[u8], hay: &[u8]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

/// Every term must match inside one word of the row (as a subsequence of its letters), so
/// `pss2` finds PSS002 but letters scattered over a whole row do not count.
pub fn matches(terms: &[Term], hay: &str) -> bool {
    terms.iter().all(|alternatives| {
        alternatives.is_empty() || alternatives.iter().any(|t| in_one_word(t, hay.as_bytes()))
    })
}

/// Whether `term` is a subsequence of one space-separated word of `hay`. Only words holding
/// the term's first letter can match, and a vectorised search jumps between those; in each,
/// matching from the first such letter is enough (a later start cannot do better).
fn in_one_word(term: &[u8], hay: &[u8]) -> bool {
    let Some((&first, rest)) = term.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(at) = memchr::memchr(first, &hay[from..]) {
        let start = from + at + 1;
        let end = memchr::memchr(b' ', &hay[start..]).map_or(hay.len(), |e| start + e);
        if subsequence(rest, &hay[start..end]) {
            return true;
        }
        from = end;
        if from >= hay.len() {
            break;
        }
    }
    false
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
        assert!(matches(&terms("pss014|pss002"), &h));
        assert!(matches(&terms("pss014|pss002 web"), &h));
        assert!(!matches(&terms("pss014|pod005"), &h));
        assert!(matches(&terms("|"), &h), "a bare bar filters nothing out");
    }

    #[test]
    fn jumping_between_words_agrees_with_trying_every_word() {
        let naive = |t: &[u8], hay: &[u8]| hay.split(|b| *b == b' ').any(|w| subsequence(t, w));
        let hays = [
            "pod005 shop/deployment/web container \"app\" of deployment",
            "pp po pod p0d pod0 0pod ",
            "aab abab ba",
            "",
            " ",
            "x",
        ];
        let words = [
            "p", "pod", "pod0", "pd0", "ab", "aab", "bb", "ba", "x", "xx", "od", "\"a",
        ];
        for hay in hays {
            for term in words {
                assert_eq!(
                    in_one_word(term.as_bytes(), hay.as_bytes()),
                    naive(term.as_bytes(), hay.as_bytes()),
                    "{term:?} in {hay:?}"
                );
            }
        }
    }
}
