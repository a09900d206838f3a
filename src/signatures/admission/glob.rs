//! The glob syntax of github.com/gobwas/glob compiled without separators, as Kyverno's
//! ImageValidatingPolicy `matchImageReferences[].glob` uses it (kyverno:pkg/cel/compiler/
//! compiler.go `CompileMatchImageReference` calls `glob.Compile(pattern)` with no separator
//! runes): `*` any run of characters (crossing `/` and `:`), `?` one character, `[abc]`,
//! `[a-z]` and `[!...]` character classes, `{a,b}` alternatives (which may nest), `\`
//! escaping the next character, everything else literal.
//!
//! Compiled to a small NFA and matched by simulating every state at once, so the time is
//! bounded by pattern × text length whatever the pattern (gobwas' own matchers backtrack).

/// Braces nested deeper are refused: no image pattern needs them, and the parser recurses.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone)]
enum Chars {
    One(char),
    Any,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Chars {
    fn takes(&self, c: char) -> bool {
        match self {
            Chars::One(l) => *l == c,
            Chars::Any => true,
            Chars::Class { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }
}

/// One NFA state: it consumes a character into `next`, and/or moves on without one.
#[derive(Debug, Clone, Default)]
struct State {
    on: Option<(Chars, usize)>,
    free: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct Glob {
    states: Vec<State>,
    start: usize,
    /// The accepting state.
    done: usize,
}

/// The parsed pattern: a sequence of items, where an alternative holds sequences.
enum Item {
    Chars(Chars),
    Star,
    Alt(Vec<Vec<Item>>),
}

impl Glob {
    /// gobwas' syntax errors (an unclosed `[` or `{`, a trailing `\`) are errors here too:
    /// Kyverno refuses such a policy.
    pub(super) fn compile(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut at = 0;
        let seq = parse_seq(&chars, &mut at, 0)?;
        if at < chars.len() {
            return Err(format!("unexpected {:?} in glob {pattern:?}", chars[at]));
        }
        let mut states = vec![State::default()];
        let done = 0;
        let start = build(&seq, done, &mut states);
        Ok(Glob {
            states,
            start,
            done,
        })
    }

    pub(super) fn matches(&self, text: &str) -> bool {
        let n = self.states.len();
        let mut cur = vec![false; n];
        let mut next = vec![false; n];
        let mut stack = Vec::new();
        self.reach(self.start, &mut cur, &mut stack);
        for c in text.chars() {
            next.fill(false);
            let mut alive = false;
            for (state, _) in self.states.iter().zip(&cur).filter(|(_, on)| **on) {
                if let Some((chars, to)) = &state.on
                    && chars.takes(c)
                {
                    self.reach(*to, &mut next, &mut stack);
                    alive = true;
                }
            }
            if !alive {
                return false;
            }
            std::mem::swap(&mut cur, &mut next);
        }
        cur[self.done]
    }

    /// Marks `from` and every state reachable from it without consuming a character.
    fn reach(&self, from: usize, set: &mut [bool], stack: &mut Vec<usize>) {
        stack.push(from);
        while let Some(s) = stack.pop() {
            if !set[s] {
                set[s] = true;
                stack.extend(self.states[s].free.iter().copied());
            }
        }
    }
}

/// Builds `seq` backwards so that each item knows the state after it; returns the first.
fn build(seq: &[Item], after: usize, states: &mut Vec<State>) -> usize {
    let mut next = after;
    for item in seq.iter().rev() {
        next = match item {
            Item::Chars(c) => push(
                states,
                State {
                    on: Some((c.clone(), next)),
                    free: Vec::new(),
                },
            ),
            Item::Star => {
                // A state that loops on any character and may leave at any time.
                let at = push(states, State::default());
                states[at] = State {
                    on: Some((Chars::Any, at)),
                    free: vec![next],
                };
                at
            }
            Item::Alt(options) => {
                let starts: Vec<usize> = options.iter().map(|o| build(o, next, states)).collect();
                push(
                    states,
                    State {
                        on: None,
                        free: starts,
                    },
                )
            }
        };
    }
    next
}

fn push(states: &mut Vec<State>, s: State) -> usize {
    states.push(s);
    states.len() - 1
}

/// Items up to the end, or up to the `,` or `}` that ends an alternative (left unread).
fn parse_seq(chars: &[char], at: &mut usize, depth: usize) -> Result<Vec<Item>, String> {
    let mut seq = Vec::new();
    while let Some(&c) = chars.get(*at) {
        match c {
            ',' | '}' if depth > 0 => break,
            '*' => {
                *at += 1;
                // Adjacent stars are one star: fewer states, same language.
                if !matches!(seq.last(), Some(Item::Star)) {
                    seq.push(Item::Star);
                }
            }
            '?' => {
                *at += 1;
                seq.push(Item::Chars(Chars::Any));
            }
            '[' => {
                *at += 1;
                seq.push(Item::Chars(parse_class(chars, at)?));
            }
            '{' => {
                if depth >= MAX_DEPTH {
                    return Err("alternatives nested too deep".into());
                }
                *at += 1;
                let mut options = vec![parse_seq(chars, at, depth + 1)?];
                loop {
                    match chars.get(*at) {
                        Some(',') => {
                            *at += 1;
                            options.push(parse_seq(chars, at, depth + 1)?);
                        }
                        Some('}') => {
                            *at += 1;
                            break;
                        }
                        _ => return Err("unclosed `{` in glob".into()),
                    }
                }
                seq.push(Item::Alt(options));
            }
            '\\' => {
                let escaped = chars.get(*at + 1).ok_or("glob ends with `\\`")?;
                *at += 2;
                seq.push(Item::Chars(Chars::One(*escaped)));
            }
            c => {
                *at += 1;
                seq.push(Item::Chars(Chars::One(c)));
            }
        }
    }
    Ok(seq)
}

/// After `[`: `!` negates, `a-z` is a range, `]` closes; an empty class is an error.
fn parse_class(chars: &[char], at: &mut usize) -> Result<Chars, String> {
    let negated = chars.get(*at) == Some(&'!');
    if negated {
        *at += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let c = *chars.get(*at).ok_or("unclosed `[` in glob")?;
        *at += 1;
        match c {
            ']' if !ranges.is_empty() => break,
            ']' => return Err("empty `[]` in glob".into()),
            lo => {
                if chars.get(*at) == Some(&'-') && chars.get(*at + 1).is_some_and(|h| *h != ']') {
                    let hi = chars[*at + 1];
                    *at += 2;
                    if hi < lo {
                        return Err(format!("reversed range {lo}-{hi} in glob"));
                    }
                    ranges.push((lo, hi));
                } else {
                    ranges.push((lo, lo));
                }
            }
        }
    }
    Ok(Chars::Class { negated, ranges })
}
