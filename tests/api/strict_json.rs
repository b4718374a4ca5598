//! The one comparator for documented samples: JSON as written, compared strictly.
//!
//! [`Json`] keeps what `serde_json::Value` forgets: the order of an object's keys and the exact
//! spelling of every number (`10.0` is not `10`, `100.000` is not `100.0`). [`assert_same`] fails on
//! any difference in key order, key set, array length, value or number spelling, except where a
//! [`Relaxation`] for that path says otherwise; each relaxation is listed with its reason at the
//! sample it applies to (`tests/samples/manifest.json`).

use std::fmt::{self, Write as _};

use serde::Deserialize;

/// A JSON value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number's text, as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Keys in the order written.
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut parser = Parser { text, at: 0 };
        parser.blank();
        let value = parser.value()?;
        parser.blank();
        if parser.at != text.len() {
            return Err(parser.error("text after the JSON value"));
        }
        Ok(value)
    }

    /// Parses the JSON value that starts at the beginning of `text`, and returns it with the
    /// length of its text (what follows is not read).
    pub fn parse_prefix(text: &str) -> Result<(Json, usize), String> {
        let mut parser = Parser { text, at: 0 };
        let value = parser.value()?;
        Ok((value, parser.at))
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(name, _)| name == key).map(|(_, value)| value),
            _ => None,
        }
    }

    /// The value at `path`: `$`, then `.key`, `[index]`, or `[field=value]` (the array's element
    /// whose `field` is written as `value`, a number's text or a string's content).
    pub fn at(&self, path: &str) -> Result<&Json, String> {
        let mut value = self;
        let rest = path.strip_prefix('$').ok_or_else(|| format!("a path starts with $: {path}"))?;
        for segment in segments(rest)? {
            value = match (segment, value) {
                (Segment::Key(key), Json::Object(_)) => value.get(&key).ok_or_else(|| format!("{path}: no key {key}"))?,
                (Segment::Index(index), Json::Array(items)) => items.get(index).ok_or_else(|| format!("{path}: no item {index}"))?,
                (Segment::Where(field, wanted), Json::Array(items)) => items
                    .iter()
                    .find(|item| item.get(&field).is_some_and(|found| found.scalar_text().as_deref() == Some(wanted.as_str())))
                    .ok_or_else(|| format!("{path}: no item with {field}={wanted}"))?,
                (segment, _) => return Err(format!("{path}: {segment:?} does not apply to {}", value.kind())),
            };
        }
        Ok(value)
    }

    fn scalar_text(&self) -> Option<String> {
        match self {
            Json::Number(text) | Json::String(text) => Some(text.clone()),
            Json::Bool(value) => Some(value.to_string()),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl fmt::Display for Json {
    /// Compact JSON, numbers as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(value) => write!(f, "{value}"),
            Json::Number(text) => f.write_str(text),
            Json::String(text) => f.write_str(&serde_json::to_string(text).unwrap()),
            Json::Array(items) => {
                f.write_char('[')?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Json::Object(fields) => {
                f.write_char('{')?;
                for (index, (key, value)) in fields.iter().enumerate() {
                    if index > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{}:{value}", serde_json::to_string(key).unwrap())?;
                }
                f.write_char('}')
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
    Where(String, String),
}

fn segments(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            out.push(Segment::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(|| format!("unclosed [ in {path}"))?;
            let inner = &after[..end];
            out.push(match inner.split_once('=') {
                Some((field, value)) => Segment::Where(field.to_owned(), value.to_owned()),
                // In a relaxation's pattern, any item.
                None if inner == "*" => Segment::Key("*".to_owned()),
                None => Segment::Index(inner.parse().map_err(|_| format!("bad index {inner} in {path}"))?),
            });
            rest = &after[end + 1..];
        } else {
            return Err(format!("bad path {path}"));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        let line = self.text[..self.at.min(self.text.len())].matches('\n').count() + 1;
        format!("{what} at line {line} (byte {})", self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.blank();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", byte as char)))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.blank();
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                self.blank();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.blank();
                    let key = self.string()?;
                    self.expect(b':')?;
                    let value = self.value()?;
                    if fields.iter().any(|(existing, _)| *existing == key) {
                        return Err(self.error(&format!("key {key} twice")));
                    }
                    fields.push((key, value));
                    self.blank();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(fields));
                        }
                        _ => return Err(self.error("expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.blank();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.blank();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.error("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
                    self.at += 1;
                }
                let text = &self.text[start..self.at];
                serde_json::from_str::<serde_json::Number>(text).map_err(|_| self.error(&format!("bad number {text}")))?;
                Ok(Json::Number(text.to_owned()))
            }
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string"));
        }
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'\\') => self.at += 2,
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(_) => self.at += 1,
            }
        }
        serde_json::from_str(&self.text[start..self.at]).map_err(|error| self.error(&format!("bad string: {error}")))
    }
}

/// One explicit exception to the strict comparison, at the paths `path` matches (`*` matches any
/// key or index of one level).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relaxation {
    pub kind: RelaxationKind,
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelaxationKind {
    /// Numbers compare by value, not spelling (`10.000` equals `10.0`).
    NumberValue,
    /// The array's items may come in another order (matched one to one).
    AnyOrder,
    /// Object keys may come in another order (the key set stays exact).
    KeyOrder,
    /// The answer may carry the key `path` names although the sample leaves it out.
    ExtraKey,
    /// At `path` and everywhere under it, the answer may carry the `*ISO` twin of a legacy time
    /// the sample prints without one (api-docs/current/DIFF.md §1): right after its legacy key,
    /// with the legacy value's wall-clock digits, whole seconds, and `Z` or `±hh:mm`.
    IsoTwins,
}

/// Whether `iso` is the ISO twin of the legacy time `legacy` (`2024-03-26 10:38:00.0`,
/// `2025-09-29T11:45:56.000+0000`, `2025-06-11T00:00:00.000Z`): the same wall-clock digits with
/// `T`, whole seconds, then `Z` or an offset `±hh:mm`. Null twins null.
pub fn is_iso_twin(legacy: &Json, iso: &Json) -> bool {
    let (Json::String(legacy), Json::String(iso)) = (legacy, iso) else {
        return legacy == &Json::Null && iso == &Json::Null;
    };
    let (Some(digits), Some(stamp)) = (legacy.get(..19), iso.get(..19)) else { return false };
    let offset = &iso[19..];
    let offset_ok = offset == "Z"
        || (offset.len() == 6
            && offset.starts_with(['+', '-'])
            && offset[1..3].bytes().all(|b| b.is_ascii_digit())
            && &offset[3..4] == ":"
            && offset[4..].bytes().all(|b| b.is_ascii_digit())
            && offset != "+00:00");
    digits.replacen(' ', "T", 1) == stamp && offset_ok
}

/// Whether a relaxation of `kind` covers `path` or a path above it.
fn relaxed_under(relaxations: &[Relaxation], kind: RelaxationKind, path: &str) -> bool {
    let Ok(path) = segments(path.trim_start_matches('$')) else { return false };
    relaxations.iter().filter(|relaxation| relaxation.kind == kind).any(|relaxation| {
        let Ok(pattern) = segments(relaxation.path.trim_start_matches('$')) else { return false };
        pattern.len() <= path.len()
            && pattern.iter().zip(&path).all(|(want, have)| match (want, have) {
                (Segment::Key(star), _) if star == "*" => true,
                (Segment::Where(..), _) => false,
                (want, have) => want == have,
            })
    })
}

/// The answer's keys that are ISO twins the sample leaves out, where an `iso-twins` relaxation
/// allows them.
fn allowed_twins<'a>(actual: &'a [(String, Json)], expected: &Json, path: &str, relaxations: &[Relaxation]) -> Vec<&'a str> {
    if !relaxed_under(relaxations, RelaxationKind::IsoTwins, path) {
        return Vec::new();
    }
    actual
        .windows(2)
        .filter(|pair| {
            let ((legacy, legacy_value), (twin, twin_value)) = (&pair[0], &pair[1]);
            twin.strip_suffix("ISO") == Some(legacy.as_str())
                && expected.get(twin).is_none()
                && expected.get(legacy).is_some()
                && is_iso_twin(legacy_value, twin_value)
        })
        .map(|pair| pair[1].0.as_str())
        .collect()
}

/// Asserts `actual` is `expected` as written, but for the listed relaxations; the message lists
/// every difference with its path.
#[track_caller]
pub fn assert_same(actual: &Json, expected: &Json, relaxations: &[Relaxation]) {
    let differences = differences(actual, expected, relaxations);
    if !differences.is_empty() {
        panic!("{} difference(s):\n  {}\nactual: {actual}", differences.len(), differences.join("\n  "));
    }
}

/// [`assert_same`] for two `serde_json::Value`s, without relaxations. A `Value` keeps key order and
/// whether a number is whole (`1500` is not `1500.0`), though not the spelling of a fraction
/// (`10.000` reads as `10.0`): for an answer's raw spelling, parse its text with [`Json::parse`].
#[track_caller]
pub fn assert_same_values(actual: &serde_json::Value, expected: &serde_json::Value) {
    assert_same(&Json::parse(&actual.to_string()).unwrap(), &Json::parse(&expected.to_string()).unwrap(), &[]);
}

/// Every difference between `actual` and `expected` under `relaxations`, with its path.
pub fn differences(actual: &Json, expected: &Json, relaxations: &[Relaxation]) -> Vec<String> {
    let mut out = Vec::new();
    compare(actual, expected, "$", relaxations, &mut out);
    out
}

fn relaxed(relaxations: &[Relaxation], kind: RelaxationKind, path: &str) -> bool {
    relaxations.iter().any(|relaxation| relaxation.kind == kind && path_matches(&relaxation.path, path))
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let (Ok(pattern), Ok(path)) = (segments(pattern.trim_start_matches('$')), segments(path.trim_start_matches('$'))) else {
        return false;
    };
    pattern.len() == path.len()
        && pattern.iter().zip(&path).all(|(want, have)| match (want, have) {
            (Segment::Key(star), _) if star == "*" => true,
            (Segment::Where(..), _) => false,
            (want, have) => want == have,
        })
}

fn item_path(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

fn compare(actual: &Json, expected: &Json, path: &str, relaxations: &[Relaxation], out: &mut Vec<String>) {
    match (actual, expected) {
        (Json::Number(a), Json::Number(e)) => {
            let same = if relaxed(relaxations, RelaxationKind::NumberValue, path) { same_number(a, e) } else { a == e };
            if !same {
                out.push(format!("{path}: {a}, expected {e}"));
            }
        }
        (Json::Object(a), Json::Object(e)) => {
            let twins = allowed_twins(a, expected, path, relaxations);
            let a: Vec<&(String, Json)> = a
                .iter()
                .filter(|(key, _)| !twins.contains(&key.as_str()))
                .filter(|(key, _)| expected.get(key).is_some() || !relaxed(relaxations, RelaxationKind::ExtraKey, &format!("{path}.{key}")))
                .collect();
            let missing: Vec<&str> = e.iter().filter(|(key, _)| actual.get(key).is_none()).map(|(key, _)| key.as_str()).collect();
            let extra: Vec<&str> = a.iter().filter(|(key, _)| expected.get(key).is_none()).map(|(key, _)| key.as_str()).collect();
            if !missing.is_empty() {
                out.push(format!("{path}: missing keys {missing:?}"));
            }
            if !extra.is_empty() {
                out.push(format!("{path}: keys not expected {extra:?}"));
            }
            if missing.is_empty() && extra.is_empty() && !relaxed(relaxations, RelaxationKind::KeyOrder, path) {
                let a_keys: Vec<&str> = a.iter().map(|(key, _)| key.as_str()).collect();
                let e_keys: Vec<&str> = e.iter().map(|(key, _)| key.as_str()).collect();
                if a_keys != e_keys {
                    out.push(format!("{path}: keys in order {a_keys:?}, expected {e_keys:?}"));
                }
            }
            for (key, value) in e {
                if let Some(found) = actual.get(key) {
                    compare(found, value, &format!("{path}.{key}"), relaxations, out);
                }
            }
        }
        (Json::Array(a), Json::Array(e)) => {
            if a.len() != e.len() {
                out.push(format!("{path}: {} items, expected {}", a.len(), e.len()));
                return;
            }
            if relaxed(relaxations, RelaxationKind::AnyOrder, path) {
                let mut unused: Vec<usize> = (0..a.len()).collect();
                for (index, wanted) in e.iter().enumerate() {
                    let item = item_path(path, index);
                    match unused.iter().position(|&i| differences_at(&a[i], wanted, &item, relaxations).is_empty()) {
                        Some(position) => {
                            unused.remove(position);
                        }
                        None => out.push(format!("{item}: no item of the answer matches {wanted}")),
                    }
                }
            } else {
                for (index, (a, e)) in a.iter().zip(e).enumerate() {
                    compare(a, e, &item_path(path, index), relaxations, out);
                }
            }
        }
        (a, e) => {
            if a != e {
                out.push(format!("{path}: {a}, expected {e}"));
            }
        }
    }
}

fn differences_at(actual: &Json, expected: &Json, path: &str, relaxations: &[Relaxation]) -> Vec<String> {
    let mut out = Vec::new();
    compare(actual, expected, path, relaxations, &mut out);
    out
}

/// Two numbers' texts are the same decimal value (`10.000` and `10.0`, `1e2` and `100`).
fn same_number(a: &str, e: &str) -> bool {
    fn canonical(text: &str) -> Option<String> {
        if text.contains(['e', 'E']) {
            return None;
        }
        let (negative, digits) = text.strip_prefix('-').map_or((false, text), |rest| (true, rest));
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        let zero = whole.is_empty() && fraction.is_empty();
        Some(format!("{}{}.{}", if negative && !zero { "-" } else { "" }, if whole.is_empty() { "0" } else { whole }, fraction))
    }
    match (canonical(a), canonical(e)) {
        (Some(a), Some(e)) => a == e,
        _ => a.parse::<f64>().ok() == e.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        Json::parse(text).unwrap()
    }

    fn relax(kind: RelaxationKind, path: &str) -> Relaxation {
        Relaxation { kind, path: path.to_owned(), reason: "test".to_owned() }
    }

    #[test]
    fn numbers_are_compared_as_written() {
        assert_eq!(differences(&json("[10.0]"), &json("[10]"), &[]), ["$[0]: 10.0, expected 10"]);
        assert_eq!(differences(&json("[10.0]"), &json("[10.000]"), &[]).len(), 1);
        assert!(differences(&json("[10.0]"), &json("[10.000]"), &[relax(RelaxationKind::NumberValue, "$[*]")]).is_empty());
        assert!(differences(&json("[10]"), &json("[10.000]"), &[relax(RelaxationKind::NumberValue, "$[0]")]).is_empty());
        assert_eq!(differences(&json("[10.5]"), &json("[10.000]"), &[relax(RelaxationKind::NumberValue, "$[0]")]).len(), 1);
        assert_eq!(differences(&json("[10.0]"), &json("[10.000]"), &[relax(RelaxationKind::NumberValue, "$[1]")]).len(), 1);
    }

    #[test]
    fn key_order_and_key_sets_are_exact() {
        assert_eq!(
            differences(&json(r#"{"b":1,"a":2}"#), &json(r#"{"a":2,"b":1}"#), &[]),
            [r#"$: keys in order ["b", "a"], expected ["a", "b"]"#]
        );
        assert!(differences(&json(r#"{"b":1,"a":2}"#), &json(r#"{"a":2,"b":1}"#), &[relax(RelaxationKind::KeyOrder, "$")]).is_empty());
        assert_eq!(differences(&json(r#"{"a":1}"#), &json(r#"{"a":1,"b":null}"#), &[]), [r#"$: missing keys ["b"]"#]);
        assert_eq!(differences(&json(r#"{"a":1,"b":null}"#), &json(r#"{"a":1}"#), &[]), [r#"$: keys not expected ["b"]"#]);
        assert_eq!(differences(&json(r#"{"a":"1"}"#), &json(r#"{"a":1}"#), &[]).len(), 1);
    }

    #[test]
    fn arrays_keep_their_order_unless_relaxed() {
        let (actual, expected) = (json(r#"[{"id":2},{"id":1}]"#), json(r#"[{"id":1},{"id":2}]"#));
        assert_eq!(differences(&actual, &expected, &[]).len(), 2);
        assert!(differences(&actual, &expected, &[relax(RelaxationKind::AnyOrder, "$")]).is_empty());
        assert_eq!(differences(&json(r#"[{"id":1},{"id":1}]"#), &expected, &[relax(RelaxationKind::AnyOrder, "$")]).len(), 1);
        assert_eq!(differences(&json("[1]"), &json("[1,1]"), &[]), ["$: 1 items, expected 2"]);
    }

    #[test]
    fn paths_select_items_by_a_field() {
        let value = json(r#"{"groups":[{"id":1,"x":"a"},{"id":2,"x":"b"}]}"#);
        assert_eq!(value.at("$.groups[id=2].x").unwrap(), &Json::String("b".to_owned()));
        assert_eq!(value.at("$.groups[0].id").unwrap(), &Json::Number("1".to_owned()));
        assert!(value.at("$.groups[id=3]").is_err());
        assert_eq!(json(r#" {"a" : [1.50, "\u00e9", true, null]} "#).to_string(), r#"{"a":[1.50,"é",true,null]}"#);
        assert!(Json::parse(r#"{"a":1,"a":2}"#).is_err());
        assert!(Json::parse("{} x").is_err());
    }
}
