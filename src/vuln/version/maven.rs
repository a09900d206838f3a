//! Maven's version order and the range dialects trivy-db's `maven::` advisories write, as
//! Trivy reads them (its comparer is masahiro331/go-mvn-version, a port of Maven's
//! `ComparableVersion`): `1.0 == 1 == 1.0.0`, qualifiers `alpha < beta < milestone < rc <
//! snapshot < release < sp < anything else`, `a1`/`b1`/`m1` short for alpha/beta/milestone,
//! `-` starting a nested list. Ranges are either comparisons (`>= 2.0.0, < 2.9.10.4`, `,`
//! meaning "and", `||` "or") or Maven's interval notation (`[2.9.0,2.9.10.7)`, several
//! intervals meaning "or").
//!
//! One quirk is kept on purpose, so results equal Trivy's: a single-version interval
//! (`[1.2.3]`) drops the last character of the version before comparing, as go-mvn-version
//! does (`[1.2.3]` means `== 1.2`).

use std::cmp::Ordering;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The position of the release (no qualifier) in [`QUALIFIERS`].
const RELEASE: &str = "5";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(i64),
    Str(String),
    List(Vec<Item>),
}

/// A parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(Vec<Item>);

impl Version {
    /// Every string is a Maven version (as in Maven); odd ones just order oddly.
    pub fn parse(text: &str) -> Version {
        Version(parse_items(text))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.0, Some(&other.0))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders two Maven versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    Version::parse(a).cmp(&Version::parse(b))
}

fn qualifier_key(value: &str) -> String {
    match QUALIFIERS.iter().position(|q| *q == value) {
        Some(i) => i.to_string(),
        None => format!("{}-{value}", QUALIFIERS.len()),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let value = match (followed_by_digit, value) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final" | "release") => "",
        (_, "cr") => "rc",
        (_, other) => other,
    };
    Item::Str(value.to_string())
}

fn item(digits: bool, text: &str) -> Item {
    if digits {
        // Go's Atoi saturates out-of-range numbers; so does this.
        Item::Int(text.parse().unwrap_or(i64::MAX))
    } else {
        string_item(text, false)
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(i) => *i == 0,
        Item::Str(s) => s.is_empty(),
        Item::List(l) => l.is_empty(),
    }
}

/// Trailing zeros and empty qualifiers mean nothing (`1.0.0` is `1`).
fn normalize(mut list: Vec<Item>) -> Vec<Item> {
    while list.last().is_some_and(is_null) {
        list.pop();
    }
    list
}

fn parse_items(text: &str) -> Vec<Item> {
    let lower = text.to_lowercase();
    let bytes = lower.as_bytes();
    // go-mvn-version walks characters but slices bytes with the character index; on ASCII
    // (every real version) the two agree, and on anything else this stays in bounds.
    let chars: Vec<char> = lower.chars().collect();
    let slice = |from: usize, to: usize| -> String {
        let to = to.min(bytes.len());
        String::from_utf8_lossy(&bytes[from.min(to)..to]).into_owned()
    };
    let mut stack: Vec<Vec<Item>> = Vec::new();
    let mut list = Vec::new();
    let mut digits = false;
    let mut start = 0;
    for (i, c) in chars.iter().enumerate() {
        match c {
            '.' | '-' => {
                if i == start {
                    list.push(Item::Int(0));
                } else {
                    list.push(item(digits, &slice(start, i)));
                }
                start = i + 1;
                if *c == '-' {
                    stack.push(std::mem::take(&mut list));
                }
            }
            '0'..='9' => {
                if !digits && i > start {
                    list.push(string_item(&slice(start, i), true));
                    start = i;
                    stack.push(std::mem::take(&mut list));
                }
                digits = true;
            }
            _ => {
                if digits && i > start {
                    list.push(item(true, &slice(start, i)));
                    start = i;
                    stack.push(std::mem::take(&mut list));
                }
                digits = false;
            }
        }
    }
    if text.len() > start {
        list.push(item(digits, &slice(start, bytes.len())));
        stack.push(list);
    } else if stack.is_empty() {
        stack.push(list);
    }
    let mut result = normalize(stack.pop().unwrap_or_default());
    while let Some(outer) = stack.pop() {
        let mut outer = normalize(outer);
        outer.push(Item::List(result));
        result = outer;
    }
    result
}

/// `item` against `other` (`None`: the shorter side ran out).
fn compare_item(item: &Item, other: Option<&Item>) -> Ordering {
    match (item, other) {
        (Item::Int(i), None) => {
            if *i == 0 {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Int(a), Some(Item::Int(b))) => a.cmp(b),
        (Item::Int(_), Some(_)) => Ordering::Greater,
        (Item::Str(s), None) => qualifier_key(s).as_str().cmp(RELEASE),
        (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
        (Item::Str(a), Some(Item::Str(b))) => qualifier_key(a).cmp(&qualifier_key(b)),
        (Item::List(l), None) => l
            .iter()
            .map(|i| compare_item(i, None))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
        (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
        (Item::List(a), Some(Item::List(b))) => compare_lists(a, Some(b)),
    }
}

fn compare_lists(a: &[Item], b: Option<&[Item]>) -> Ordering {
    let Some(b) = b else {
        return compare_item(&Item::List(a.to_vec()), None);
    };
    for i in 0..a.len().max(b.len()) {
        let result = match (a.get(i), b.get(i)) {
            (Some(l), r) => compare_item(l, r),
            (None, Some(r)) => compare_item(r, None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if result.is_ne() {
            return result;
        }
    }
    Ordering::Equal
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl Op {
    fn holds(self, order: Ordering) -> bool {
        match self {
            Op::Eq => order.is_eq(),
            Op::Ne => order.is_ne(),
            Op::Gt => order.is_gt(),
            Op::Lt => order.is_lt(),
            Op::Ge => order.is_ge(),
            Op::Le => order.is_le(),
        }
    }
}

/// A range: alternatives of conditions that must all hold.
#[derive(Debug, Clone)]
pub struct Range(Vec<Vec<(Op, Version)>>);

impl Range {
    /// Reads comparisons first, then interval notation, as go-mvn-version's `NewComparer`;
    /// `None` when neither reads it.
    pub fn parse(text: &str) -> Option<Range> {
        comparisons(text).or_else(|| intervals(text))
    }

    pub fn contains(&self, version: &Version) -> bool {
        self.0
            .iter()
            .any(|all| all.iter().all(|(op, bound)| op.holds(version.cmp(bound))))
    }
}

fn version_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '~' | '_' | '.' | '+')
}

/// `>= 2.0.0, <= 2.9.10.3 || 3.0`: each alternative is comparisons separated by optional
/// commas; a version without an operator means equal.
fn comparisons(text: &str) -> Option<Range> {
    const OPS: [(&str, Op); 9] = [
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
    ];
    let mut alternatives = Vec::new();
    for part in text.split("||") {
        let mut rest = part.trim_start();
        let mut all = Vec::new();
        while !rest.is_empty() {
            let (op, after) = OPS
                .iter()
                .find_map(|(s, op)| rest.strip_prefix(s).map(|after| (*op, after)))
                .unwrap_or((Op::Eq, rest));
            let after = after.trim_start();
            let end = after.find(|c| !version_char(c)).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            all.push((op, Version::parse(&after[..end])));
            rest = after[end..].trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        if all.is_empty() {
            return None;
        }
        alternatives.push(all);
    }
    Some(Range(alternatives))
}

/// `[2.9.0,2.9.10.7)`, `(,1.0]`, `[2.4.0,2.4.2],[2.4.4]`: each interval is one alternative.
fn intervals(text: &str) -> Option<Range> {
    let text: String = text.split_whitespace().collect();
    let mut alternatives = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !matches!(bytes[i], b'[' | b'(') {
            i += 1;
            continue;
        }
        let body_start = i + 1;
        let mut j = body_start;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || b"-.,".contains(&bytes[j])) {
            j += 1;
        }
        if j == body_start || j >= bytes.len() || !matches!(bytes[j], b']' | b')') {
            i += 1;
            continue;
        }
        let (open, body, close) = (bytes[i], &text[body_start..j], bytes[j]);
        i = j + 1;
        let ends: Vec<&str> = body.split(',').collect();
        // An open end is go-mvn-version's own lowest and highest versions.
        let bound = |version: &str, open_end: &str, op: Op| {
            (
                op,
                Version::parse(if version.is_empty() {
                    open_end
                } else {
                    version
                }),
            )
        };
        match ends.as_slice() {
            [single] => {
                // go-mvn-version cuts the last two bytes of "[1.2.3]", so the version
                // loses its last character.
                let cut = &single[..single.len().saturating_sub(1)];
                alternatives.push(vec![(Op::Eq, Version::parse(cut))]);
            }
            [low, high] => alternatives.push(vec![
                bound(low, "-----1", if open == b'[' { Op::Ge } else { Op::Gt }),
                bound(
                    high,
                    "99999999999999999999",
                    if close == b']' { Op::Le } else { Op::Lt },
                ),
            ]),
            _ => return None,
        }
    }
    (!alternatives.is_empty()).then_some(Range(alternatives))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Maven's ComparableVersion examples as go-mvn-version (Trivy's comparer) orders them:
    /// every version is lower than each one after it.
    #[test]
    fn orders_as_trivys_maven_comparer() {
        let qualifiers = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ];
        // Before Maven's MNG-6420, which go-mvn-version does not follow: `2-1 < 2.0.a`.
        let numbers = [
            "2.0", "2-1", "2.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ];
        for list in [&qualifiers[..], &numbers[..]] {
            for (i, low) in list.iter().enumerate() {
                for high in &list[i + 1..] {
                    assert_eq!(compare(low, high), Ordering::Less, "{low} < {high}");
                    assert_eq!(compare(high, low), Ordering::Greater, "{high} > {low}");
                }
            }
        }
        for [a, b] in [
            ["1", "1.0.0"],
            ["1--1", "1-0-1"],
            ["1..1", "1.0.1"],
            ["1.0.0.RELEASE", "1"],
            ["1.0.0.FINAL", "1.RELEASE"],
            ["1.2.3-a1b1-m1", "1.2.3-alpha-1-beta-1-milestone-1"],
            ["1.2.3-rc", "1.2.3-cr"],
            ["-1", "0-1"],
            ["1-1.0", "1-1"],
            ["1.", "1-"],
            ["1-1.ga", "1-1-ga"],
            ["1-1.ga", "1-1.0"],
            ["2.17", "2.17.0"],
        ] {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} == {b}");
        }
        for [a, b] in [
            ["1-0.3", "1"],
            ["1-foo", "1.foo"],
            ["1-1", "1-foo"],
            ["1.1", "1-1"],
            ["1-1-foo", "1-1.foo"],
            ["1.foo-1", "1"],
            ["1", "-1"],
            ["1.a", "1.0"],
        ] {
            assert_eq!(compare(a, b), Ordering::Greater, "{a} > {b}");
        }
        // Huge numbers saturate instead of failing.
        assert_eq!(
            compare("99999999999999999999999", "99999999999999999999"),
            Ordering::Equal
        );
        assert_eq!(compare("2.ünï", "2"), Ordering::Greater);
    }

    fn holds(range: &str, version: &str) -> bool {
        Range::parse(range)
            .unwrap_or_else(|| panic!("{range} reads"))
            .contains(&Version::parse(version))
    }

    #[test]
    fn ranges_in_both_dialects() {
        assert!(holds(">= 2.0.0, <= 2.9.10.3", "2.9.1"));
        assert!(!holds(">= 2.0.0, <= 2.9.10.3", "2.9.10.4"));
        assert!(holds(">= 5.3.0, < 5.3.18", "5.3.15"));
        assert!(!holds(">= 5.3.0, < 5.3.18", "5.3.18.RELEASE"));
        assert!(holds("< 1.0 || >= 2.0", "2.1"));
        assert!(holds("2.9.10.4", "2.9.10.4.0"));
        assert!(holds("[2.9.0,2.9.10.7)", "2.9.1"));
        assert!(!holds("[2.9.0,2.9.10.7)", "2.9.10.7"));
        assert!(holds("(,1.0.0]", "1.0"));
        assert!(!holds("(,1.0.0)", "1.0.0"));
        assert!(holds("[1.0,)", "99"));
        assert!(holds("[2.4.0,2.4.2],[2.4.4]", "2.4.1"));
        // go-mvn-version reads "[2.4.4]" as 2.4 (see the module comment).
        assert!(holds("[2.4.4]", "2.4"));
        assert!(!holds("[2.4.4]", "2.4.4"));
        assert!(Range::parse("[1.0,1.1,1.2]").is_none());
        assert!(Range::parse("garbage (").is_none());
        assert!(Range::parse(">= ").is_none());
        assert!(Range::parse("").is_none());
        assert!(Range::parse("1.0 ||").is_none());
    }
}
