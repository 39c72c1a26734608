//! A YAML document as a tree whose every node knows its line: what error
//! messages need and a serde deserialiser cannot give (serde_norway has no
//! spans for values, and a map silently keeps the last of duplicate keys).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::Value;

/// Deeper than any fleet file needs; bounds the recursion on hostile input.
const MAX_DEPTH: usize = 64;

/// A node and the line it starts on (counting from 1).
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub line: usize,
    pub kind: Kind,
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

/// A syntax error: the line and what the parser said.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

type Events<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

/// The one document in `text` (`None` when there is none).
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut reader = Reader {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        last_line: 1,
    };
    let mut root = None;
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => return Ok(root),
            Event::DocumentStart(_) => {
                if root.is_some() {
                    return Err(SyntaxError {
                        line: span.start.line(),
                        message: "a second YAML document (`---`): a fleet file holds one".into(),
                    });
                }
                let (event, span) = reader.next()?;
                root = Some(reader.node(event, span, 0)?);
            }
            _ => {
                return Err(SyntaxError {
                    line: span.start.line(),
                    message: "unexpected content outside the document".into(),
                });
            }
        }
    }
}

struct Reader<'a> {
    events: Events<'a>,
    anchors: HashMap<usize, Node>,
    last_line: usize,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SyntaxError> {
        match self.events.next() {
            Some(Ok((event, span))) => {
                self.last_line = span.start.line();
                Ok((event, span))
            }
            Some(Err(e)) => Err(SyntaxError {
                line: e.marker().line(),
                message: e.info().to_string(),
            }),
            None => Err(SyntaxError {
                line: self.last_line,
                message: "the document ends too early".into(),
            }),
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, SyntaxError> {
        let line = span.start.line();
        if depth > MAX_DEPTH {
            return Err(SyntaxError {
                line,
                message: format!("nested more than {MAX_DEPTH} levels deep"),
            });
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                // `!!str 12` is text; any other tag is ignored, as the
                // value's own form decides its type.
                let plain = style == ScalarStyle::Plain && tag.is_none();
                let kind = Kind::Scalar {
                    text: text.into_owned(),
                    plain,
                };
                (Node { line, kind }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span, depth + 1)?);
                }
                let kind = Kind::Seq(items);
                (Node { line, kind }, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span, depth + 1)?;
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, depth + 1)?;
                    entries.push((key, value));
                }
                let kind = Kind::Map(entries);
                (Node { line, kind }, anchor)
            }
            Event::Alias(id) => {
                let mut node = self.anchors.get(&id).cloned().ok_or(SyntaxError {
                    line,
                    message: "an alias (`*name`) of no anchor".into(),
                })?;
                node.line = line;
                return Ok(node);
            }
            _ => {
                return Err(SyntaxError {
                    line,
                    message: "unexpected YAML event".into(),
                });
            }
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
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
        Some(match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            t => number(t).unwrap_or_else(|| Value::String(t.to_string())),
        })
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
    if digits(unsigned, 10)
        && let Ok(n) = text.parse::<i64>()
    {
        return Some(Value::from(n));
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
