//! The fast path for the common line: one audit event, read by hand in one pass. Parsing
//! is most of the cost of reading a log, and a general parser spends it on what kaudit
//! throws away (user agents, response bodies, the authorizer's reasons): here those are
//! skipped with a scan of sixteen bytes at a time, strings without escapes are sliced, not
//! decoded.
//!
//! It is exact or it declines: every value it skips is checked at least as strictly as
//! serde_json checks it, and anything it is not sure of (an escaped key, a null where a
//! string belongs, a float status code, a duplicate field, deep nesting, invalid UTF-8, an
//! `EventList`) makes it return `None`, and the caller parses the line with serde_json,
//! which accepts or rejects it with its own message. Tests hold the two to the same answers.

use super::event::{
    Annotations, AuditEvent, LegacyMeta, ObjectRef, RawJson, Status, Text, UserInfo,
};

/// One event as the reader takes it: [`any_kind`], a batch left to the general way (the
/// reader checks `kind` once, whichever parser read the line). What the tests hold to
/// serde_json's answers.
#[cfg(test)]
fn event(line: &[u8]) -> Option<AuditEvent> {
    any_kind(line).filter(|e| e.kind.as_deref() != Some("EventList"))
}

/// Parses `line` (one JSON document, surrounding whitespace allowed) as an audit event,
/// or `None` when serde_json should decide. `kind` is not looked at: a one-line
/// `EventList` reads as an event with no fields of interest, and the caller checks it.
pub fn any_kind(line: &[u8]) -> Option<AuditEvent> {
    // Checked once for the whole line: every slice taken later is then text.
    let text = std::str::from_utf8(line).ok()?;
    let mut p = Parser {
        s: text,
        b: line,
        i: 0,
    };
    p.ws();
    let event = p.event()?;
    p.ws();
    (p.i == line.len()).then_some(event)
}

/// serde_json refuses to nest deeper than 128; this declines well before.
const MAX_DEPTH: u32 = 100;

/// Bytes that end a run of plain string content: the quote, the backslash, and the
/// control characters JSON forbids inside strings.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// The bytes of `word` (little-endian) that are in [`STRING_STOP`], as their high bits
/// (the usual SWAR tests: a borrow can only start at a byte that matches, so the lowest
/// flag is always right and no flag is set when no byte matches).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn stops_in(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space
        | zero_in(word ^ (ONES * u64::from(b'"')))
        | zero_in(word ^ (ONES * u64::from(b'\\')))
}

/// The first byte at or after `i` that is in [`STRING_STOP`] or within the last 15 bytes
/// of `b` (the caller looks at those one by one). Sixteen bytes at a time: a string in a
/// log is mostly a run of plain text, and this runs for every string of every event.
#[cfg(target_arch = "x86_64")]
fn next_stop(b: &[u8], i: usize) -> usize {
    // SAFETY: SSE2 is part of the x86_64 baseline; every x86_64 processor has it.
    unsafe { next_stop_sse2(b, i) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn next_stop_sse2(b: &[u8], mut i: usize) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let below_space = _mm_set1_epi8(0x1f);
    while let Some(sixteen) = b.get(i..i + 16) {
        // SAFETY: `sixteen` is 16 readable bytes; the load has no alignment requirement.
        // SSE2 is part of every x86_64 processor.
        let v = unsafe { _mm_loadu_si128(sixteen.as_ptr().cast::<__m128i>()) };
        // max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned).
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, below_space), below_space);
        let stops = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            control,
        );
        let mask = _mm_movemask_epi8(stops) as u32;
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    i
}

/// [`next_stop`] without SIMD: eight bytes at a time.
#[cfg(not(target_arch = "x86_64"))]
fn next_stop(b: &[u8], mut i: usize) -> usize {
    while let Some(word) = b.get(i..i + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let stops = stops_in(u64::from_le_bytes(eight));
        if stops != 0 {
            // The lowest flag is the first byte that stops.
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Sets `bit` in `seen`, or declines: serde_json rejects a field given twice.
fn first_time(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// `null` (after whitespace), consumed; false (nothing consumed) for anything else.
    fn null(&mut self) -> bool {
        self.ws();
        self.literal(b"null").is_some()
    }

    /// The fields of a structure: an escaped key declines (it could spell a known one).
    fn fields(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.object(|p, key| member(p, key?))
    }

    /// The members of an object, after whitespace: `member` is called with each key (as
    /// written; `None` when it has escapes) and must consume its value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Option<&'a [u8]>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let start = self.i;
            let escaped = self.string_end()?;
            let key = (!escaped).then(|| &self.b[start..self.i - 1]);
            self.eat(b':')?;
            member(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Moves past the closing quote of a string whose opening quote was consumed,
    /// checking escapes and control characters as serde_json does; whether it had escapes.
    // Inlined: called for every key and string; the call cost as much as short strings.
    #[inline(always)]
    fn string_end(&mut self) -> Option<bool> {
        let mut escaped = false;
        loop {
            self.i = next_stop(self.b, self.i);
            while !STRING_STOP[*self.b.get(self.i)? as usize] {
                self.i += 1;
            }
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.b.get(self.i + 1..self.i + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A string value, sliced when it has no escapes.
    fn owned(&mut self) -> Option<Text> {
        self.eat(b'"')?;
        let start = self.i;
        let escaped = self.string_end()?;
        if escaped {
            // Escapes are rare (Go writes `&` as \u0026): serde_json decodes them.
            serde_json::from_str::<String>(self.s.get(start - 1..self.i)?)
                .ok()
                .map(Text::from)
        } else {
            self.s.get(start..self.i - 1).map(Text::from)
        }
    }

    fn optional_string(&mut self) -> Option<Option<Text>> {
        self.nullable(Self::owned)
    }

    /// The elements of an array, after whitespace: `element` must consume each.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            element(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn strings(&mut self) -> Option<Vec<Text>> {
        let mut out = Vec::new();
        self.array(|p| {
            out.push(p.owned()?);
            Some(())
        })?;
        Some(out)
    }

    /// Skips any value, checked as strictly as serde_json parses it.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.string_end().map(|_| ())
            }
            b'{' => self.object(|p, _| p.skip(depth + 1)),
            b'[' => self.array(|p| p.skip(depth + 1)),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// A number by JSON's grammar; its text.
    fn number(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
            p.i - from
        };
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        self.s.get(start..self.i)
    }

    /// `null` as `None`, else what `read` makes of the value.
    fn nullable<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.null() {
            Some(None)
        } else {
            read(self).map(Some)
        }
    }

    fn event(&mut self) -> Option<AuditEvent> {
        let mut e = AuditEvent::default();
        // The fields met so far, a bit each: a field given twice declines.
        let mut seen = 0u32;
        // Kept only if a detection reads it, which depends on fields that may come later.
        let mut body = None;
        self.fields(|p, key| {
            // Marks field `bit` as met, then reads it.
            macro_rules! once {
                ($bit:expr, $read:expr) => {{
                    first_time(&mut seen, 1 << $bit)?;
                    $read
                }};
            }
            match key {
                b"kind" => once!(0, e.kind = p.optional_string()?),
                b"apiVersion" => once!(1, e.api_version = p.optional_string()?),
                b"auditID" => once!(2, e.audit_id = p.owned()?),
                b"stage" => once!(3, e.stage = p.owned()?),
                b"level" => once!(4, e.level = p.owned()?),
                b"requestURI" => once!(5, e.request_uri = p.owned()?),
                b"verb" => once!(6, e.verb = p.owned()?),
                b"user" => once!(7, e.user = p.user()?),
                b"impersonatedUser" => once!(8, e.impersonated_user = p.nullable(Self::user)?),
                b"sourceIPs" => once!(9, e.source_ips = p.strings()?),
                b"objectRef" => once!(10, e.object_ref = p.nullable(Self::object_ref)?),
                b"responseStatus" => once!(11, e.response_status = p.nullable(Self::status)?),
                b"requestObject" => once!(
                    12,
                    body = p.nullable(|p| {
                        p.ws();
                        let start = p.i;
                        p.skip(1)?;
                        p.s.get(start..p.i)
                    })?
                ),
                b"requestReceivedTimestamp" => {
                    once!(13, e.request_received_timestamp = p.optional_string()?)
                }
                b"stageTimestamp" => once!(14, e.stage_timestamp = p.optional_string()?),
                b"timestamp" => once!(15, e.timestamp = p.optional_string()?),
                b"metadata" => once!(16, e.metadata = p.nullable(Self::legacy_meta)?),
                b"annotations" => once!(17, e.annotations = p.annotations()?),
                _ => p.skip(1)?,
            }
            Some(())
        })?;
        e.request_object = body.map(|text| {
            if super::detect::reads_body(&e) {
                RawJson::validated(text)
            } else {
                RawJson::not_kept()
            }
        });
        Some(e)
    }

    fn user(&mut self) -> Option<UserInfo> {
        let mut user = UserInfo::default();
        let mut seen = 0u32;
        self.fields(|p, key| match key {
            b"username" => {
                first_time(&mut seen, 1)?;
                user.username = p.owned()?;
                Some(())
            }
            b"groups" => {
                first_time(&mut seen, 2)?;
                user.groups = p.strings()?;
                Some(())
            }
            _ => p.skip(2),
        })?;
        Some(user)
    }

    fn object_ref(&mut self) -> Option<ObjectRef> {
        let mut r = ObjectRef::default();
        let mut seen = 0u32;
        self.fields(|p, key| {
            let (bit, field) = match key {
                b"resource" => (1, &mut r.resource),
                b"namespace" => (2, &mut r.namespace),
                b"name" => (4, &mut r.name),
                b"subresource" => (8, &mut r.subresource),
                _ => return p.skip(2),
            };
            first_time(&mut seen, bit)?;
            *field = p.owned()?;
            Some(())
        })?;
        Some(r)
    }

    fn status(&mut self) -> Option<Status> {
        let mut status = Status::default();
        let mut seen = 0u32;
        self.fields(|p, key| match key {
            b"code" => {
                first_time(&mut seen, 1)?;
                // An integer that fits, or serde_json decides (it reads -0 as a float,
                // which is no status code).
                status.code = p.nullable(|p| {
                    let text = p.number()?;
                    if text == "-0" {
                        return None;
                    }
                    text.parse().ok()
                })?;
                Some(())
            }
            _ => p.skip(2),
        })?;
        Some(status)
    }

    fn legacy_meta(&mut self) -> Option<LegacyMeta> {
        let mut meta = LegacyMeta::default();
        let mut seen = 0u32;
        self.fields(|p, key| match key {
            b"creationTimestamp" => {
                first_time(&mut seen, 1)?;
                meta.creation_timestamp = p.optional_string()?;
                Some(())
            }
            _ => p.skip(2),
        })?;
        Some(meta)
    }

    fn annotations(&mut self) -> Option<Annotations> {
        Some(self.nullable(Self::kept_annotations)?.unwrap_or_default())
    }

    fn kept_annotations(&mut self) -> Option<Annotations> {
        let mut kept = Annotations::default();
        self.fields(|p, key| {
            match Annotations::kept_key(key) {
                Some(k) => {
                    p.ws();
                    // Not a string (a broken log): serde_json reads it as a tree, more
                    // strictly than a skip checks it, and drops it; it decides.
                    if p.peek()? != b'"' {
                        return None;
                    }
                    let value = p.owned()?;
                    kept.push(k, value);
                }
                None => p.skip(2)?,
            }
            Some(())
        })?;
        Some(kept)
    }
}

#[cfg(test)]
mod tests;
