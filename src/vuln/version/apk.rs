//! Alpine's version ordering, as apk-tools (and Trivy's port of it) decide it: digit groups
//! separated by `.` (a group with leading zeros compares as a fraction), one optional letter,
//! `_suffix[N]` where `alpha < beta < pre < rc` come before the release and `cvs < svn < git <
//! hg < p` after it, then `-rN`. No crate does this; the corpus's 728 apk-tools cases test it.

use std::cmp::Ordering;

/// What the next part of a version is. The order matters: when two versions agree up to
/// where one goes on, the one whose next part ranks lower here is the greater (a further
/// digit group beats a suffix, which beats the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// Trivy's port also takes `_b` as a pre-release (after `beta` is tried).
const PRE_SUFFIXES: [&str; 5] = ["alpha", "beta", "pre", "rc", "b"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Reader<'a> {
    rest: &'a [u8],
    token: Token,
}

impl Reader<'_> {
    /// Moves past the separator after a part and says what comes next.
    fn next_token(&mut self) {
        let current = self.token;
        let mut next = Token::Invalid;
        match self.rest.first() {
            None | Some(0) => next = Token::End,
            Some(c)
                if matches!(current, Token::Digit | Token::DigitOrZero)
                    && c.is_ascii_lowercase() =>
            {
                next = Token::Letter
            }
            Some(c) if current == Token::Letter && c.is_ascii_digit() => next = Token::Digit,
            Some(c) if current == Token::Suffix && c.is_ascii_digit() => next = Token::SuffixNo,
            Some(c) => {
                match c {
                    b'.' => next = Token::DigitOrZero,
                    b'_' => next = Token::Suffix,
                    // Trivy's port takes any character after `-` as the `r` of `-rN`.
                    b'-' if self.rest.len() > 1 => {
                        next = Token::RevisionNo;
                        self.rest = &self.rest[1..];
                    }
                    _ => {}
                }
                self.rest = &self.rest[1..];
            }
        }
        // Parts only come in their order; going back is allowed only where a part repeats.
        let allowed_back = matches!(
            (next, current),
            (Token::DigitOrZero, Token::Digit)
                | (Token::Suffix, Token::SuffixNo)
                | (Token::Digit, Token::Letter)
        );
        if next < current && !allowed_back {
            next = Token::Invalid;
        }
        self.token = next;
    }

    /// The value of the part at hand, then moves to the next.
    fn get_token(&mut self) -> i64 {
        if self.rest.is_empty() {
            self.token = Token::End;
            return 0;
        }
        let mut value: i64 = 0;
        let mut taken = 0;
        let mut then = Token::Invalid;
        match self.token {
            Token::DigitOrZero => {
                // Leading zeros: more of them is smaller (1.001 < 1.01 < 1.1).
                taken = self.rest.iter().take_while(|c| **c == b'0').count();
                value = -(taken as i64);
                then = Token::Digit;
            }
            Token::Digit | Token::SuffixNo | Token::RevisionNo => {
                for c in self.rest.iter().take_while(|c| c.is_ascii_digit()) {
                    value = value.saturating_mul(10).saturating_add(i64::from(c - b'0'));
                    taken += 1;
                }
            }
            Token::Letter => {
                value = i64::from(self.rest[0]);
                taken = 1;
            }
            Token::Suffix => {
                let starts = |s: &str| self.rest.starts_with(s.as_bytes());
                if let Some(i) = PRE_SUFFIXES.iter().position(|s| starts(s)) {
                    value = i as i64 - PRE_SUFFIXES.len() as i64;
                    taken = PRE_SUFFIXES[i].len();
                } else if let Some(i) = POST_SUFFIXES.iter().position(|s| starts(s)) {
                    value = i as i64;
                    taken = POST_SUFFIXES[i].len();
                } else {
                    self.token = Token::Invalid;
                    return -1;
                }
            }
            Token::Invalid | Token::End => {
                self.token = Token::Invalid;
                return -1;
            }
        }
        self.rest = &self.rest[taken..];
        if self.rest.is_empty() {
            self.token = Token::End;
        } else if then != Token::Invalid {
            self.token = then;
        } else {
            self.next_token();
        }
        value
    }
}

/// Orders two Alpine package versions (`1.2.3_rc1-r0`).
pub fn compare(a: &str, b: &str) -> Ordering {
    let mut a = Reader {
        rest: a.as_bytes(),
        token: Token::Digit,
    };
    let mut b = Reader {
        rest: b.as_bytes(),
        token: Token::Digit,
    };
    let (mut av, mut bv) = (0, 0);
    while a.token == b.token && !matches!(a.token, Token::End | Token::Invalid) && av == bv {
        av = a.get_token();
        bv = b.get_token();
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        other => return other,
    }
    if a.token == b.token {
        return Ordering::Equal;
    }
    // Equal so far; the one that goes on is greater unless it goes on with a pre-release.
    if a.token == Token::Suffix && pre_release(a.rest) {
        return Ordering::Less;
    }
    if b.token == Token::Suffix && pre_release(b.rest) {
        return Ordering::Greater;
    }
    b.token.cmp(&a.token)
}

/// Whether the suffix at the start of `rest` is a pre-release one (`_rc1`).
fn pre_release(rest: &[u8]) -> bool {
    Reader {
        rest,
        token: Token::Suffix,
    }
    .get_token()
        < 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn apk_orders_as_apk_tools() {
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.0-r1", Less),
            // Trivy's ordering (and apk-tools' code it ports): after a `.0` the release
            // candidate reads as going on, so it is the greater.
            ("1.0_rc1", "1.0", Greater),
            ("1.1_rc1", "1.1", Less),
            ("1.0_p1", "1.0", Greater),
            ("1.0_alpha", "1.0_beta", Less),
            ("1.0a", "1.0", Greater),
            ("1.01", "1.1", Less),
            ("1.10", "1.9", Greater),
            ("2.34", "0.1.0_alpha", Greater),
            ("1.2.3-r10", "1.2.3-r9", Greater),
            ("1.0", "1.0bc", Less),
            ("99999999999999999999999", "1", Greater),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}
