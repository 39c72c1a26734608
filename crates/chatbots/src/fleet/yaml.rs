//! A YAML document as a tree whose every node knows its line: what error
//! messages need and a serde deserialiser cannot give (serde_norway has no
//! spans for values, and a map silently keeps the last of duplicate keys).

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::Value;

/// Deeper than any fleet file needs. Every tree is at most this deep,
/// aliases included, so that building, converting and dropping one (all
/// recursive) stay far from the end of the stack on hostile input.
pub(crate) const MAX_DEPTH: usize = 64;

/// What anchors and aliases may copy, in nodes plus bytes of scalar text:
/// this many per byte of the file, plus [`ALIAS_FLOOR`]. A fleet file
/// needs little (a `vendor:` object shared by many bots); a "billion
/// laughs" needs exponentially more than its size, and is refused at the
/// alias that goes beyond, so that memory and time stay linear in the
/// file's size.
pub(crate) const ALIAS_PER_BYTE: usize = 2;

/// What aliases may copy in any file, however small (see
/// [`ALIAS_PER_BYTE`]).
pub(crate) const ALIAS_FLOOR: usize = 1 << 16;

/// A node and the line it starts on (counting from 1).
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub line: usize,
    pub kind: Kind,
}

/// An empty plain scalar (null) on no line: what is left where a node
/// was taken out of its tree.
impl Default for Node {
    fn default() -> Self {
        Node {
            line: 0,
            kind: Kind::Scalar {
                text: String::new(),
                plain: true,
            },
        }
    }
}

/// What a node holds. Map entries keep their order and their duplicates.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// A scalar's text, and whether it was plain (unquoted, untagged): only
    /// a plain scalar can be a number, a boolean or null.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Why a text is not a tree: the line and the whole rule, as a fleet
/// problem states it (a YAML syntax error, or a limit above).
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl SyntaxError {
    fn syntax(line: usize, what: impl fmt::Display) -> Self {
        SyntaxError {
            line,
            message: format!("is not valid YAML: {what}"),
        }
    }
}

type Events<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

/// The one document in `text` (`None` when there is none).
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut reader = Reader {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        last_line: 1,
        copied: 0,
        budget: text
            .len()
            .saturating_mul(ALIAS_PER_BYTE)
            .saturating_add(ALIAS_FLOOR),
    };
    let mut root = None;
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => return Ok(root),
            Event::DocumentStart(_) => {
                if root.is_some() {
                    return Err(SyntaxError::syntax(
                        span.start.line(),
                        "a second YAML document (`---`): a fleet file holds one",
                    ));
                }
                let (event, span) = reader.next()?;
                root = Some(reader.node(event, span, 0)?.node);
            }
            _ => {
                return Err(SyntaxError::syntax(
                    span.start.line(),
                    "unexpected content outside the document",
                ));
            }
        }
    }
}

/// A node as built, with what an alias of it would cost.
struct Built {
    node: Node,
    /// How many levels it holds below itself (a scalar: 0).
    height: usize,
    /// Its nodes plus the bytes of its scalars' text.
    weight: usize,
}

struct Reader<'a> {
    events: Events<'a>,
    /// Each anchor's node, height and weight.
    anchors: HashMap<usize, (Node, usize, usize)>,
    last_line: usize,
    /// The weight anchors and aliases copied so far, within `budget`.
    copied: usize,
    budget: usize,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SyntaxError> {
        match self.events.next() {
            Some(Ok((event, span))) => {
                self.last_line = span.start.line();
                Ok((event, span))
            }
            Some(Err(e)) => Err(SyntaxError::syntax(e.marker().line(), e.info())),
            None => Err(SyntaxError::syntax(
                self.last_line,
                "the document ends too early",
            )),
        }
    }

    /// Counts a copy of `weight` against the budget, or refuses it.
    fn copy(&mut self, weight: usize, line: usize) -> Result<(), SyntaxError> {
        self.copied = self.copied.saturating_add(weight);
        if self.copied > self.budget {
            return Err(SyntaxError {
                line,
                message: format!(
                    "aliases expand beyond {} nodes and bytes ({ALIAS_PER_BYTE} per byte of the file, plus {ALIAS_FLOOR})",
                    self.budget
                ),
            });
        }
        Ok(())
    }

    /// The node `event` starts, at `depth` (the root's is 0). Recursive,
    /// but never deeper than [`MAX_DEPTH`].
    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Built, SyntaxError> {
        let line = span.start.line();
        let too_deep = || SyntaxError {
            line,
            message: format!("is nested more than {MAX_DEPTH} levels deep"),
        };
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        let (built, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                // `!!str 12` is text; any other tag is ignored, as the
                // value's own form decides its type.
                let plain = style == ScalarStyle::Plain && tag.is_none();
                let weight = 1 + text.len();
                let kind = Kind::Scalar {
                    text: text.into_owned(),
                    plain,
                };
                let node = Node { line, kind };
                (
                    Built {
                        node,
                        height: 0,
                        weight,
                    },
                    anchor,
                )
            }
            Event::SequenceStart(anchor, _) => {
                let (mut height, mut weight) = (0, 1);
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let item = self.node(event, span, depth + 1)?;
                    height = height.max(item.height + 1);
                    weight += item.weight;
                    items.push(item.node);
                }
                let node = Node {
                    line,
                    kind: Kind::Seq(items),
                };
                (
                    Built {
                        node,
                        height,
                        weight,
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => {
                let (mut height, mut weight) = (0, 1);
                let mut entries = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span, depth + 1)?;
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, depth + 1)?;
                    height = height.max(key.height.max(value.height) + 1);
                    weight += key.weight + value.weight;
                    entries.push((key.node, value.node));
                }
                let node = Node {
                    line,
                    kind: Kind::Map(entries),
                };
                (
                    Built {
                        node,
                        height,
                        weight,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let no_anchor = || SyntaxError::syntax(line, "an alias (`*name`) of no anchor");
                let &(_, height, weight) = self.anchors.get(&id).ok_or_else(no_anchor)?;
                if depth + height > MAX_DEPTH {
                    return Err(too_deep());
                }
                // Counted before the copy is made.
                self.copy(weight, line)?;
                let (anchored, ..) = self.anchors.get(&id).ok_or_else(no_anchor)?;
                let mut node = anchored.clone();
                node.line = line;
                return Ok(Built {
                    node,
                    height,
                    weight,
                });
            }
            _ => return Err(SyntaxError::syntax(line, "unexpected YAML event")),
        };
        if anchor > 0 {
            self.copy(built.weight, line)?;
            self.anchors
                .insert(anchor, (built.node.clone(), built.height, built.weight));
        }
        Ok(built)
    }
}

impl Node {
    /// The text of a scalar (whatever its type), for keys.
    pub fn key_text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether this is null: `~`, `null`, or nothing at all.
    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Value::Null))
    }

    /// A scalar's value under YAML 1.2's core schema: plain `null`/`~`/
    /// empty, `true`/`false`, integers (decimal, `0x`, `0o`) and floats are
    /// typed; everything else, and anything quoted, is text.
    pub fn scalar(&self) -> Option<Value> {
        let Kind::Scalar { text, plain } = &self.kind else {
            return None;
        };
        if !plain {
            return Some(Value::String(text.clone()));
        }
        Some(plain_value(text))
    }

    /// The node as JSON, or the line and rule of the first part that
    /// cannot be (a duplicate key, a non-finite number, a key that is not
    /// text).
    pub fn to_json(&self) -> Result<Value, (usize, String)> {
        match &self.kind {
            Kind::Scalar { text, plain } => {
                if *plain && is_special_float(text) {
                    return Err((self.line, format!("`{text}` is not a finite number")));
                }
                Ok(self.scalar().unwrap_or(Value::Null))
            }
            Kind::Seq(items) => items.iter().map(Node::to_json).collect(),
            Kind::Map(entries) => {
                let mut object = serde_json::Map::new();
                for (key, value) in entries {
                    let name = key
                        .key_text()
                        .ok_or((key.line, "a key must be text".to_string()))?;
                    if object.contains_key(name) {
                        return Err((key.line, format!("`{name}` is set twice")));
                    }
                    object.insert(name.to_string(), value.to_json()?);
                }
                Ok(Value::Object(object))
            }
        }
    }
}

/// A plain scalar's value under the core schema (see [`Node::scalar`]).
fn plain_value(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        t => number(t).unwrap_or_else(|| Value::String(t.to_string())),
    }
}

/// Writes `text` as a YAML scalar that every YAML 1.2 reader (and this
/// one) reads back as exactly `text`: plain where that is plainly safe
/// (readable), double-quoted otherwise, with an escape for every character
/// a reader could take as a line break, drop or refuse (controls, NEL,
/// U+2028/U+2029, the BOM, non-characters). Never a raw line break, so
/// nothing is folded and no indentation is read into the text.
pub(crate) fn write_text(text: &str, out: &mut String) {
    if plain_is_safe(text) {
        out.push_str(text);
    } else {
        write_quoted(text, out);
    }
}

/// Writes `text` as a map key at `indent` spaces, followed by what its
/// value needs next (`:`). YAML limits an implicit key to 1024
/// characters on one line, so a longer one is written explicit
/// (`? key` and `:` on the next line).
pub(crate) fn write_key(text: &str, indent: usize, out: &mut String) {
    // Bytes are at least characters: below this, the key fits as written.
    const IMPLICIT_KEY_MAX: usize = 1000;
    let start = out.len();
    write_text(text, out);
    if out.len() - start > IMPLICIT_KEY_MAX {
        out.truncate(start);
        out.push_str("? ");
        write_quoted(text, out);
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', indent));
    }
    out.push(':');
}

/// Plain is kept to text that means text to any reader, YAML 1.1 ones
/// included: it starts with a letter, holds only letters, digits, spaces
/// and a few marks that are never indicators in the middle of a block
/// scalar, has no `: `, ends in neither a space nor a colon, and is not a
/// keyword (`null`, `true`, `yes`, `off`…).
fn plain_is_safe(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_alphabetic() || text.ends_with([' ', ':']) {
        return false;
    }
    while let Some(c) = chars.next() {
        let safe = c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '_' | '-' | '.' | ',' | '/' | '(' | ')' | '!' | '?' | '\'' | '+' | '@'
            )
            || (c == ':' && chars.peek().is_some_and(|n| *n != ' '));
        if !safe {
            return false;
        }
    }
    const YAML_1_1: [&str; 16] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    matches!(plain_value(text), Value::String(_)) && !YAML_1_1.contains(&text)
}

/// `text` double-quoted, with JSON's escapes (which YAML's double-quoted
/// style shares; every escaped character is in the BMP).
fn write_quoted(text: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Cc (C0, DEL, C1 with NEL), the line and paragraph
            // separators, the BOM and the two BMP non-characters.
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
                ) =>
            {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a JSON value as a YAML scalar or flow collection (JSON's own
/// syntax, text written by [`write_text`]'s quoting), which reads back
/// as the same value.
pub(crate) fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(text) => write_quoted(text, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_quoted(key, out);
                out.push_str(": ");
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

fn is_special_float(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']);
    matches!(t, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN")
}

/// A plain scalar as a core-schema number, if it is one.
fn number(text: &str) -> Option<Value> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = text.strip_prefix("0x") {
        return digits(hex, 16)
            .then(|| i64::from_str_radix(hex, 16).ok().map(Value::from))
            .flatten();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return digits(oct, 8)
            .then(|| i64::from_str_radix(oct, 8).ok().map(Value::from))
            .flatten();
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned, 10) {
        if let Ok(n) = text.parse::<i64>() {
            return Some(Value::from(n));
        }
        // Above i64 (JSON's unsigned 64-bit integers) stays exact.
        if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            return Some(Value::from(n));
        }
    }
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || digits(whole, 10))
                && (fraction.is_empty() || digits(fraction, 10))
                && !(whole.is_empty() && fraction.is_empty())
        }
        None => digits(mantissa, 10),
    };
    if !mantissa_ok || exponent.is_some_and(|e| !digits(e, 10)) {
        return None;
    }
    let n: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(n).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn json_of(text: &str) -> Value {
        let node = parse(text).expect("parses").expect("a document");
        node.to_json().expect("converts")
    }

    #[test]
    fn scalars_follow_the_core_schema_and_quotes_keep_text() {
        let value = json_of(
            "a: yes\nb: 0x1F\nc: 1e3\nd: -2\ne: '12'\nf: ~\ng: True\nh: 0.50\ni: !!str 7\nj: 1.2.3\n",
        );
        assert_eq!(
            value,
            json!({"a": "yes", "b": 31, "c": 1000.0, "d": -2, "e": "12", "f": null,
                   "g": true, "h": 0.5, "i": "7", "j": "1.2.3"})
        );
    }

    #[test]
    fn lines_count_from_one_in_block_and_flow_style() {
        let root = parse("# comment\nbots:\n  a: {x: 1,\n    y: 2}\n")
            .unwrap()
            .unwrap();
        let Kind::Map(top) = &root.kind else {
            panic!("map")
        };
        assert_eq!(top[0].0.line, 2);
        let Kind::Map(bots) = &top[0].1.kind else {
            panic!("map")
        };
        assert_eq!(bots[0].0.line, 3);
        let Kind::Map(fields) = &bots[0].1.kind else {
            panic!("map")
        };
        assert_eq!((fields[0].0.line, fields[1].0.line), (3, 4));
    }

    #[test]
    fn aliases_resolve_and_duplicates_inside_values_are_refused() {
        assert_eq!(
            json_of("a: &x {k: 1}\nb: *x\n"),
            json!({"a": {"k": 1}, "b": {"k": 1}})
        );
        let node = parse("v:\n  k: 1\n  k: 2\n").unwrap().unwrap();
        assert_eq!(
            node.to_json().unwrap_err(),
            (3, "`k` is set twice".to_string())
        );
        let node = parse("v: .inf\n").unwrap().unwrap();
        assert_eq!(node.to_json().unwrap_err().0, 1);
    }

    /// `n` levels of "billion laughs": each anchor holds ten aliases of
    /// the one before.
    fn laughs(n: usize) -> String {
        let mut text = "a0: &a0 [lol]\n".to_string();
        for i in 1..=n {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        text
    }

    #[test]
    fn aliases_expand_within_a_budget_linear_in_the_file() {
        // Three levels (a thousand copies) are fine; nine are refused at
        // the alias that goes beyond, with its line, before the copy.
        assert!(parse(&laughs(3)).is_ok());
        let err = parse(&laughs(9)).unwrap_err();
        assert!(err.message.starts_with("aliases expand beyond"), "{err:?}");
        assert!((2..=10).contains(&err.line), "{err:?}");
        // One long scalar aliased again and again costs its bytes each time.
        let long = "x".repeat(100_000);
        let mut text = format!("a: &a {long}\nb: [");
        text.push_str(&vec!["*a"; 10_000].join(","));
        text.push_str("]\n");
        assert!(parse(&text).unwrap_err().message.contains("aliases expand"));
    }

    #[test]
    fn an_alias_cannot_nest_a_tree_deeper_than_the_limit() {
        // Each anchor nests the previous one 40 levels deeper: built one by
        // one, each is within the limit; the second alias would not be.
        let open = "[".repeat(40);
        let close = "]".repeat(40);
        let text = format!("a: &a {open}x{close}\nb: &b {open}*a{close}\nc: {open}*b{close}\n");
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("nested more than 64"), "{err:?}");
        assert_eq!(err.line, 2);
    }

    proptest::proptest! {
        /// What `write_text` writes, as a key or a value, reads back as the
        /// very text, whatever it holds.
        #[test]
        fn any_text_written_reads_back_exactly(
            text in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                proptest::string::string_regex(TRICKY).unwrap(),
            ]
        ) {
            let mut doc = String::new();
            write_key(&text, 0, &mut doc);
            doc.push(' ');
            write_text(&text, &mut doc);
            doc.push_str("\nother: ");
            let mut object = serde_json::Map::new();
            object.insert(text.clone(), serde_json::json!([text]));
            write_json(&Value::Object(object.clone()), &mut doc);
            doc.push('\n');
            let node = parse(&doc).map_err(|e| format!("{e:?}\n{doc}")).unwrap().unwrap();
            let Kind::Map(entries) = &node.kind else { panic!("a map: {doc}") };
            proptest::prop_assert_eq!(entries[0].0.key_text(), Some(text.as_str()), "{}", doc);
            proptest::prop_assert_eq!(entries[0].1.scalar(), Some(Value::String(text.clone())), "{}", doc);
            proptest::prop_assert_eq!(entries[1].1.to_json().unwrap(), Value::Object(object), "{}", doc);
        }
    }

    /// Text made of what trips YAML writers and readers up.
    const TRICKY: &str = "(\u{2028}|\u{2029}|\u{85}|\u{feff}|\r|\n|\r\n|\t| |  |#|: |:|'|\"|\\\\|-|\\?|&|\\*|!|%|@|`|\\{|\\}|\\[|\\]|,|\u{200f}|\u{202e}|\u{1f600}|\u{0}|\u{7f}|\u{fffe}|\u{ffff}|yes|no|null|~|true|0x1F|1e3|\\.inf|---|\\.\\.\\.|[a-z]{1,3}|[0-9]{1,3}|x{1001}){0,12}";

    #[test]
    fn a_second_document_and_deep_nesting_are_errors_not_panics() {
        assert_eq!(parse("a: 1\n---\nb: 2\n").unwrap_err().line, 2);
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(
            parse(&deep)
                .unwrap_err()
                .message
                .contains("nested more than")
        );
        assert!(parse("").unwrap().is_none());
    }
}
