//! Checks a request body against the constraints its spec documents —
//! types, ranges, enums, lengths, required fields — that progenitor's types
//! do not enforce (a documented 0–2 range still accepts 7).
//!
//! A [`Schema`] is compiled once from the spec's JSON schema (the generated
//! `request_body_schema(operation_id)` keeps one per operation) and walks
//! any `Serialize` value as serde hands it over, so a typed body is checked
//! without first being turned into a `serde_json::Value`.

use std::fmt;

use serde::ser::{self, Serialize};
use serde_json::Value;

/// One documented constraint a value breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as the vendor spells it: `temperature`, `settings.prompt`,
    /// `questions[0].answer`.
    pub field: String,
    /// The rule, in words: `must be between 0 and 2 (got 3)`.
    pub rule: String,
}

/// Every violation of `schema` (OpenAPI 3.0 schema as JSON, `$ref`s
/// inlined) by `value`. Keywords the schema does not use are not checked.
/// Compiles the schema on every call: keep a [`Schema`] to check many
/// values.
///
/// ```
/// let schema = serde_json::json!({
///     "type": "object",
///     "properties": {"temperature": {"type": "number", "minimum": 0, "maximum": 2}}
/// });
/// let bad = serde_json::json!({"temperature": 3});
/// let violations = chatbots_runtime::validate(&schema, &bad);
/// assert_eq!(violations[0].field, "temperature");
/// assert_eq!(violations[0].rule, "must be between 0 and 2 (got 3)");
/// ```
pub fn validate(schema: &Value, value: &Value) -> Vec<Violation> {
    Schema::new(schema.clone()).validate(value)
}

/// A request-body schema compiled for checking values against it.
///
/// ```
/// use chatbots_runtime::Schema;
///
/// let schema = Schema::new(serde_json::json!({
///     "type": "object",
///     "properties": {"settings": {"type": "object", "properties": {
///         "prompt": {"type": "string", "maxLength": 3}
///     }}}
/// }));
/// let violations = schema.validate(&serde_json::json!({"settings": {"prompt": "long"}}));
/// assert_eq!(violations[0].field, "settings.prompt");
///
/// // One field on its own, named by its path in the body.
/// let prompt = schema.field(&["settings", "prompt"]).unwrap();
/// assert_eq!(prompt.validate(&"ok"), vec![]);
/// assert_eq!(prompt.validate(&"long")[0].field, "settings.prompt");
/// ```
pub struct Schema {
    json: Value,
    nodes: Vec<Node>,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

/// The schema of one field of a body, from [`Schema::field`].
#[derive(Clone, Copy, Debug)]
pub struct FieldSchema<'s> {
    schema: &'s Schema,
    node: usize,
    path: &'s [&'s str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Number,
    String,
    Boolean,
    Array,
    Object,
    /// A type this validator does not know: anything goes.
    Other,
}

/// One schema node, its keywords read once at compile time.
#[derive(Debug, Default)]
struct Node {
    kind: Option<Kind>,
    nullable: bool,
    allowed: Option<Vec<Value>>,
    minimum: Option<Value>,
    maximum: Option<Value>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    min_length: Option<u64>,
    max_length: Option<u64>,
    uuid: bool,
    min_items: Option<u64>,
    max_items: Option<u64>,
    items: Option<usize>,
    required: Vec<String>,
    properties: Vec<(String, usize)>,
    all_of: Vec<usize>,
    /// Whether this node or one below it has a rule a value of the
    /// generated Rust type can still break (a range, a length, a non-string
    /// enum). Types, required fields, string enums and the `uuid` format
    /// are the Rust type's business.
    constrained: bool,
    /// The properties that are `constrained`, for typed walks.
    constrained_properties: Vec<(String, usize)>,
}

impl Schema {
    /// Compiles `json`, an OpenAPI 3.0 schema with `$ref`s inlined.
    pub fn new(json: Value) -> Self {
        let mut nodes = Vec::new();
        compile(&json, &mut nodes, 0);
        Self { json, nodes }
    }

    /// The schema as JSON.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// Every violation by `value`: types, required fields and every
    /// documented constraint. For bodies that arrived as JSON.
    pub fn validate<T: Serialize + ?Sized>(&self, value: &T) -> Vec<Violation> {
        let mut out = Vec::new();
        check(self, 0, value, &At::Root, &mut out, Mode::Full);
        out
    }

    /// The violations that a value of the Rust type generated (by
    /// progenitor/typify) from this same schema can still have: ranges,
    /// lengths, item counts, non-string enums. Types, required fields,
    /// string enums (Rust enums) and the `uuid` format (`uuid::Uuid`) are
    /// taken as the type's guarantee and not checked again.
    /// Subtrees without such rules are not visited at all, so checking a
    /// typed body costs next to nothing when the spec constrains few of
    /// its fields. The type system already guarantees types and required
    /// fields; use [`validate`](Self::validate) for anything else.
    pub fn validate_typed<T: Serialize + ?Sized>(&self, value: &T) -> Vec<Violation> {
        let mut out = Vec::new();
        check(self, 0, value, &At::Root, &mut out, Mode::Typed);
        out
    }

    /// The schema of the field at `path` (property names from the body's
    /// root), if the schema declares it.
    pub fn field<'s>(&'s self, path: &'s [&'s str]) -> Option<FieldSchema<'s>> {
        let node = path
            .iter()
            .try_fold(0, |node, name| self.property(node, name))?;
        Some(FieldSchema {
            schema: self,
            node,
            path,
        })
    }

    fn property(&self, node: usize, name: &str) -> Option<usize> {
        let n = &self.nodes[node];
        n.properties
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, id)| *id)
            .or_else(|| n.all_of.iter().find_map(|&part| self.property(part, name)))
    }
}

impl FieldSchema<'_> {
    /// Every violation by `value` of this field's schema, named by the
    /// field's path.
    pub fn validate<T: Serialize + ?Sized>(&self, value: &T) -> Vec<Violation> {
        let mut out = Vec::new();
        check(
            self.schema,
            self.node,
            value,
            &At::Path(self.path),
            &mut out,
            Mode::Full,
        );
        out
    }
}

fn compile(json: &Value, nodes: &mut Vec<Node>, depth: usize) -> usize {
    let id = nodes.len();
    nodes.push(Node::default());
    let Value::Object(schema) = json else {
        return id;
    };
    // `$ref`s are inlined with a depth limit; stay as bounded.
    if depth > 64 {
        return id;
    }
    let mut node = Node::default();
    for (key, value) in schema {
        match key.as_str() {
            "type" => {
                node.kind = Some(match value.as_str() {
                    Some("integer") => Kind::Integer,
                    Some("number") => Kind::Number,
                    Some("string") => Kind::String,
                    Some("boolean") => Kind::Boolean,
                    Some("array") => Kind::Array,
                    Some("object") => Kind::Object,
                    _ => Kind::Other,
                })
            }
            "nullable" => node.nullable = value == &Value::Bool(true),
            "enum" => node.allowed = value.as_array().cloned(),
            "minimum" if value.is_number() => node.minimum = Some(value.clone()),
            "maximum" if value.is_number() => node.maximum = Some(value.clone()),
            "exclusiveMinimum" => node.exclusive_minimum = value == &Value::Bool(true),
            "exclusiveMaximum" => node.exclusive_maximum = value == &Value::Bool(true),
            "minLength" => node.min_length = value.as_u64(),
            "maxLength" => node.max_length = value.as_u64(),
            "format" => node.uuid = value.as_str() == Some("uuid"),
            "minItems" => node.min_items = value.as_u64(),
            "maxItems" => node.max_items = value.as_u64(),
            "items" => node.items = Some(compile(value, nodes, depth + 1)),
            "required" => {
                node.required = value
                    .as_array()
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            }
            "properties" => {
                if let Some(properties) = value.as_object() {
                    for (name, property) in properties {
                        let child = compile(property, nodes, depth + 1);
                        node.properties.push((name.clone(), child));
                    }
                }
            }
            "allOf" => {
                if let Some(parts) = value.as_array() {
                    for part in parts {
                        node.all_of.push(compile(part, nodes, depth + 1));
                    }
                }
            }
            _ => {}
        }
    }
    let constrained = |id: &usize| nodes[*id].constrained;
    node.constrained_properties = node
        .properties
        .iter()
        .filter(|(_, child)| constrained(child))
        .cloned()
        .collect();
    // typify turns a string enum into a Rust enum and a `uuid` string into
    // `uuid::Uuid`, so a typed value always meets those two.
    let typed_enum = node.allowed.is_some() && node.kind != Some(Kind::String);
    node.constrained = typed_enum
        || node.minimum.is_some()
        || node.maximum.is_some()
        || node.min_length.is_some()
        || node.max_length.is_some()
        || node.min_items.is_some()
        || node.max_items.is_some()
        || node.items.as_ref().is_some_and(constrained)
        || !node.constrained_properties.is_empty()
        || node.all_of.iter().any(constrained);
    nodes[id] = node;
    id
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Types, required fields and every constraint.
    Full,
    /// Only what a value of the generated type can break.
    Typed,
}

/// Where a value sits in the body; spelt out only for a violation, so a
/// valid body costs no string building.
enum At<'a> {
    Root,
    Path(&'a [&'a str]),
    Field(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn render(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Path(path) => path.join("."),
            At::Field(parent, name) => join(&parent.render(), name),
            At::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }

    fn violation(&self, rule: String) -> Violation {
        let field = self.render();
        Violation {
            field: if field.is_empty() {
                "(body)".into()
            } else {
                field
            },
            rule,
        }
    }
}

fn check<T: Serialize + ?Sized>(
    schema: &Schema,
    node: usize,
    value: &T,
    at: &At<'_>,
    out: &mut Vec<Violation>,
    mode: Mode,
) {
    let n = &schema.nodes[node];
    if mode == Mode::Typed && !n.constrained {
        return;
    }
    // The walk never fails: violations go to `out`.
    let _ = value.serialize(Walk {
        schema,
        node: n,
        at,
        out: &mut *out,
        mode,
    });
    // The specs wrap a `$ref`'d enum in `allOf` to give it a default.
    for &part in &n.all_of {
        check(schema, part, value, at, out, mode);
    }
}

/// A scalar as serde hands it over.
#[derive(Clone, Copy)]
enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// Kept apart so that a message shows `0.1`, not `0.10000000149011612`.
    Float32(f32),
    Str(&'a str),
}

impl Scalar<'_> {
    fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::from(i),
            Scalar::UInt(u) => Value::from(u),
            Scalar::Float(f) => Value::from(f),
            Scalar::Float32(f) => Value::from(f.to_string().parse::<f64>().unwrap_or(f.into())),
            Scalar::Str(s) => Value::from(s),
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(i as f64),
            Scalar::UInt(u) => Some(u as f64),
            Scalar::Float(f) => Some(f),
            Scalar::Float32(f) => Some(f.into()),
            _ => None,
        }
    }

    /// `value == self` as `serde_json::Value` would see it, without
    /// building a `Value`.
    fn equals(self, value: &Value) -> bool {
        match (self, value) {
            (Scalar::Null, Value::Null) => true,
            (Scalar::Bool(a), Value::Bool(b)) => a == *b,
            (Scalar::Str(a), Value::String(b)) => a == b,
            (Scalar::Int(a), Value::Number(b)) => !b.is_f64() && b.as_i64() == Some(a),
            (Scalar::UInt(a), Value::Number(b)) => !b.is_f64() && b.as_u64() == Some(a),
            (Scalar::Float(a), Value::Number(b)) => b.is_f64() && b.as_f64() == Some(a),
            (Scalar::Float32(a), Value::Number(b)) => {
                b.is_f64() && b.as_f64().map(|b| b as f32) == Some(a)
            }
            _ => false,
        }
    }
}

/// What a value is, for "must be a string (got …)".
#[derive(Clone, Copy)]
enum Shape<'a> {
    Scalar(Scalar<'a>),
    Array,
    Object,
}

impl Shape<'_> {
    fn is(self, kind: Kind) -> bool {
        matches!(
            (kind, self),
            (Kind::Other, _)
                | (
                    Kind::Integer,
                    Shape::Scalar(Scalar::Int(_) | Scalar::UInt(_))
                )
                | (
                    Kind::Number,
                    Shape::Scalar(
                        Scalar::Int(_) | Scalar::UInt(_) | Scalar::Float(_) | Scalar::Float32(_),
                    ),
                )
                | (Kind::String, Shape::Scalar(Scalar::Str(_)))
                | (Kind::Boolean, Shape::Scalar(Scalar::Bool(_)))
                | (Kind::Array, Shape::Array)
                | (Kind::Object, Shape::Object)
        )
    }

    fn describe(self) -> String {
        match self {
            Shape::Scalar(Scalar::Null) => "null".into(),
            Shape::Scalar(Scalar::Bool(_)) => "a boolean".into(),
            Shape::Scalar(
                s @ (Scalar::Int(_) | Scalar::UInt(_) | Scalar::Float(_) | Scalar::Float32(_)),
            ) => {
                format!("the number {}", s.to_value())
            }
            Shape::Scalar(Scalar::Str(_)) => "a string".into(),
            Shape::Array => "an array".into(),
            Shape::Object => "an object".into(),
        }
    }
}

/// Checks one value against one node, as a serde `Serializer` that writes
/// nothing.
struct Walk<'a> {
    schema: &'a Schema,
    node: &'a Node,
    at: &'a At<'a>,
    out: &'a mut Vec<Violation>,
    mode: Mode,
}

impl<'a> Walk<'a> {
    fn fail(&mut self, rule: String) {
        self.out.push(self.at.violation(rule));
    }

    /// The type check; `false` stops the walk of this value.
    fn kind(&mut self, shape: Shape<'_>) -> bool {
        if self.mode == Mode::Typed {
            return true;
        }
        if let Shape::Scalar(Scalar::Null) = shape {
            if !self.node.nullable && self.node.kind.is_some() {
                self.fail("must not be null".into());
            }
            return false;
        }
        match self.node.kind {
            Some(kind) if !shape.is(kind) => {
                self.fail(format!(
                    "must be {} (got {})",
                    article(kind),
                    shape.describe()
                ));
                false
            }
            _ => true,
        }
    }

    fn scalar(mut self, value: Scalar<'_>) -> Result<(), Never> {
        if !self.kind(Shape::Scalar(value)) {
            return Ok(());
        }
        let node = self.node;
        if let Some(allowed) = &node.allowed
            && !allowed.iter().any(|a| value.equals(a))
        {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            self.fail(format!(
                "must be one of {} (got {})",
                list.join(", "),
                value.to_value()
            ));
        }
        if let Some(number) = value.as_f64() {
            let below = node
                .minimum
                .as_ref()
                .and_then(Value::as_f64)
                .is_some_and(|min| number < min || (node.exclusive_minimum && number == min));
            let above = node
                .maximum
                .as_ref()
                .and_then(Value::as_f64)
                .is_some_and(|max| number > max || (node.exclusive_maximum && number == max));
            if below || above {
                let got = value.to_value();
                self.fail(match (&node.minimum, &node.maximum) {
                    (Some(min), Some(max)) => {
                        format!("must be between {min} and {max} (got {got})")
                    }
                    (Some(min), None) => format!("must be at least {min} (got {got})"),
                    (None, Some(max)) => format!("must be at most {max} (got {got})"),
                    (None, None) => format!("is out of range (got {got})"),
                });
            }
        }
        if let Scalar::Str(text) = value {
            let length = || text.chars().count() as u64;
            if let Some(min) = node.min_length
                && length() < min
            {
                self.fail(format!(
                    "must be at least {min} characters long (got {})",
                    length()
                ));
            }
            if let Some(max) = node.max_length
                && length() > max
            {
                self.fail(format!(
                    "must be at most {max} characters long (got {})",
                    length()
                ));
            }
            if node.uuid && !is_uuid(text) {
                self.fail(format!("must be a UUID (got {})", value.to_value()));
            }
        }
        Ok(())
    }

    fn seq(mut self, len: Option<usize>) -> Result<WalkSeq<'a>, Never> {
        let live = self.kind(Shape::Array);
        Ok(WalkSeq {
            live,
            count: 0,
            _len: len,
            walk: self,
        })
    }

    fn object(mut self) -> Result<WalkObject<'a>, Never> {
        let live = self.kind(Shape::Object);
        let start = self.out.len();
        Ok(WalkObject {
            live,
            seen: 0,
            start,
            key: String::new(),
            walk: self,
        })
    }
}

struct WalkSeq<'a> {
    walk: Walk<'a>,
    live: bool,
    count: usize,
    _len: Option<usize>,
}

impl WalkSeq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) {
        let index = self.count;
        self.count += 1;
        if !self.live {
            return;
        }
        if let Some(items) = self.walk.node.items {
            let at = At::Index(self.walk.at, index);
            check(
                self.walk.schema,
                items,
                value,
                &at,
                self.walk.out,
                self.walk.mode,
            );
        }
    }

    fn finish(mut self) -> Result<(), Never> {
        if !self.live {
            return Ok(());
        }
        let count = self.count as u64;
        if let Some(min) = self.walk.node.min_items
            && count < min
        {
            self.walk
                .fail(format!("must have at least {min} items (got {count})"));
        }
        if let Some(max) = self.walk.node.max_items
            && count > max
        {
            self.walk
                .fail(format!("must have at most {max} items (got {count})"));
        }
        Ok(())
    }
}

struct WalkObject<'a> {
    walk: Walk<'a>,
    live: bool,
    /// Required properties seen, by their index in `required`.
    seen: u128,
    /// Where this object's violations start, so that missing fields are
    /// reported before the fields' own.
    start: usize,
    /// The current map key (maps hand keys and values over separately).
    key: String,
}

impl WalkObject<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        if !self.live {
            return;
        }
        let node = self.walk.node;
        let properties = match self.walk.mode {
            Mode::Full => {
                if let Some(i) = node.required.iter().position(|r| r == name) {
                    self.seen |= 1u128.checked_shl(i as u32).unwrap_or(0);
                }
                &node.properties
            }
            Mode::Typed => &node.constrained_properties,
        };
        if let Some((_, child)) = properties.iter().find(|(key, _)| key == name) {
            let at = At::Field(self.walk.at, name);
            check(
                self.walk.schema,
                *child,
                value,
                &at,
                self.walk.out,
                self.walk.mode,
            );
        }
    }

    fn finish(self) -> Result<(), Never> {
        if !self.live || self.walk.mode == Mode::Typed {
            return Ok(());
        }
        let missing: Vec<Violation> = self
            .walk
            .node
            .required
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let bit = 1u128.checked_shl(*i as u32).unwrap_or(0);
                bit == 0 || self.seen & bit == 0
            })
            .map(|(_, name)| Violation {
                field: join(&self.walk.at.render(), name),
                rule: "is required".into(),
            })
            .collect();
        if !missing.is_empty() {
            let at = self.start.min(self.walk.out.len());
            self.walk.out.splice(at..at, missing);
        }
        Ok(())
    }
}

/// The walk's error type; it is never produced.
#[derive(Debug)]
struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("validation walk")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Never
    }
}

impl<'a> ser::Serializer for Walk<'a> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = WalkSeq<'a>;
    type SerializeTuple = WalkSeq<'a>;
    type SerializeTupleStruct = WalkSeq<'a>;
    type SerializeTupleVariant = WalkSeq<'a>;
    type SerializeMap = WalkObject<'a>;
    type SerializeStruct = WalkObject<'a>;
    type SerializeStructVariant = WalkObject<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Never> {
        self.scalar(Scalar::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Never> {
        self.scalar(Scalar::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Never> {
        self.scalar(Scalar::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Never> {
        self.scalar(Scalar::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Never> {
        // serde_json keeps non-negative integers as unsigned.
        match u64::try_from(v) {
            Ok(u) => self.scalar(Scalar::UInt(u)),
            Err(_) => self.scalar(Scalar::Int(v)),
        }
    }
    fn serialize_i128(self, v: i128) -> Result<(), Never> {
        match (i64::try_from(v), u64::try_from(v)) {
            (_, Ok(u)) => self.scalar(Scalar::UInt(u)),
            (Ok(i), _) => self.scalar(Scalar::Int(i)),
            _ => self.scalar(Scalar::Float(v as f64)),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<(), Never> {
        self.scalar(Scalar::UInt(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Never> {
        self.scalar(Scalar::UInt(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Never> {
        self.scalar(Scalar::UInt(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Never> {
        self.scalar(Scalar::UInt(v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), Never> {
        match u64::try_from(v) {
            Ok(u) => self.scalar(Scalar::UInt(u)),
            Err(_) => self.scalar(Scalar::Float(v as f64)),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), Never> {
        if v.is_finite() {
            self.scalar(Scalar::Float32(v))
        } else {
            self.scalar(Scalar::Null)
        }
    }
    fn serialize_f64(self, v: f64) -> Result<(), Never> {
        // serde_json writes a non-finite float as null.
        if v.is_finite() {
            self.scalar(Scalar::Float(v))
        } else {
            self.scalar(Scalar::Null)
        }
    }
    fn serialize_char(self, v: char) -> Result<(), Never> {
        let mut buffer = [0; 4];
        self.scalar(Scalar::Str(v.encode_utf8(&mut buffer)))
    }
    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.scalar(Scalar::Str(v))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Never> {
        // serde_json writes bytes as an array of numbers.
        let mut walk = self;
        walk.kind(Shape::Array);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        self.scalar(Scalar::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        self.scalar(Scalar::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        self.scalar(Scalar::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Never> {
        self.scalar(Scalar::Str(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        let mut object = self.object()?;
        object.field(variant, value);
        object.finish()
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<WalkSeq<'a>, Never> {
        self.seq(len)
    }
    fn serialize_tuple(self, len: usize) -> Result<WalkSeq<'a>, Never> {
        self.seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<WalkSeq<'a>, Never> {
        self.seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<WalkSeq<'a>, Never> {
        // `{"variant": [..]}`: checked as the object it is, not its items.
        let mut walk = self;
        walk.kind(Shape::Object);
        Ok(WalkSeq {
            live: false,
            count: 0,
            _len: Some(len),
            walk,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<WalkObject<'a>, Never> {
        self.object()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<WalkObject<'a>, Never> {
        self.object()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<WalkObject<'a>, Never> {
        let mut walk = self;
        walk.kind(Shape::Object);
        let start = walk.out.len();
        Ok(WalkObject {
            live: false,
            seen: 0,
            start,
            key: String::new(),
            walk,
        })
    }
}

/// serde's four sequence-like traits, all walked as one array.
macro_rules! walk_sequence {
    ($($serialize:ident :: $element:ident),+) => {$(
        impl ser::$serialize for WalkSeq<'_> {
            type Ok = ();
            type Error = Never;
            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
                self.element(value);
                Ok(())
            }
            fn end(self) -> Result<(), Never> {
                self.finish()
            }
        }
    )+};
}

walk_sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for WalkObject<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Never> {
        self.key.clear();
        // A key that is not a string cannot match a property.
        let _ = key.serialize(KeyText(&mut self.key));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        let key = std::mem::take(&mut self.key);
        self.field(&key, value);
        self.key = key;
        Ok(())
    }
    fn end(self) -> Result<(), Never> {
        self.finish()
    }
}

/// serde's two struct-like traits, both walked as one object.
macro_rules! walk_struct {
    ($($serialize:ident),+) => {$(
        impl ser::$serialize for WalkObject<'_> {
            type Ok = ();
            type Error = Never;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Never> {
                self.field(key, value);
                Ok(())
            }
            fn end(self) -> Result<(), Never> {
                self.finish()
            }
        }
    )+};
}

walk_struct!(SerializeStruct, SerializeStructVariant);

/// Copies a string map key; any other key is refused.
struct KeyText<'a>(&'a mut String);

impl ser::Serializer for KeyText<'_> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = ser::Impossible<(), Never>;
    type SerializeTuple = ser::Impossible<(), Never>;
    type SerializeTupleStruct = ser::Impossible<(), Never>;
    type SerializeTupleVariant = ser::Impossible<(), Never>;
    type SerializeMap = ser::Impossible<(), Never>;
    type SerializeStruct = ser::Impossible<(), Never>;
    type SerializeStructVariant = ser::Impossible<(), Never>;

    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Never> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_i8(self, _: i8) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_i16(self, _: i16) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_i32(self, _: i32) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_i64(self, _: i64) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_u8(self, _: u8) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_u16(self, _: u16) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_u32(self, _: u32) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_u64(self, _: u64) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_char(self, v: char) -> Result<(), Never> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_none(self) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Never> {
        Err(Never)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Never> {
        Err(Never)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Never> {
        Err(Never)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Never> {
        Err(Never)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Never> {
        Err(Never)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
        Err(Never)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Never> {
        Err(Never)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Never> {
        Err(Never)
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

fn article(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "an integer",
        Kind::Number => "a number",
        Kind::String => "a string",
        Kind::Boolean => "a boolean",
        Kind::Array => "an array",
        Kind::Object => "an object",
        Kind::Other => "a value",
    }
}

fn is_uuid(text: &str) -> bool {
    // 8-4-4-4-12 hex digits, checked without allocating.
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::{Schema, validate};

    #[test]
    fn reports_nested_fields_and_rules() {
        let schema = json!({
            "type": "object",
            "required": ["serialNumber"],
            "properties": {
                "count": {"type": "integer", "minimum": 1},
                "interval": {"type": "integer", "minimum": 1, "maximum": 60},
                "role": {"type": "string", "enum": ["support", "dynamic", "sales"]},
                "settings": {"type": "object", "properties": {"prompt": {"type": "string", "maxLength": 3}}},
                "ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
            }
        });
        let value = json!({
            "count": 0, "interval": 61, "role": "boss",
            "settings": {"prompt": "long"}, "ids": ["nope"], "unknown": 1
        });
        let found: Vec<(String, String)> = validate(&schema, &value)
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect();
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "serialNumber",
                "count",
                "ids[0]",
                "interval",
                "role",
                "settings.prompt"
            ],
            "{found:?}"
        );
        assert!(found[3].1.contains("between 1 and 60"));
        assert!(found[4].1.contains("\"support\""));
    }

    #[test]
    fn integer_type_refuses_fractions_and_accepts_valid_values() {
        let schema = json!({"type": "object", "properties": {"t": {"type": "integer"}}});
        assert_eq!(
            validate(&schema, &json!({"t": 0.5}))[0].rule,
            "must be an integer (got the number 0.5)"
        );
        assert!(validate(&schema, &json!({"t": 2})).is_empty());
    }

    #[test]
    fn all_of_parts_are_checked_with_nested_paths() {
        let schema = json!({"type": "object", "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {"model": {"allOf": [{"type": "string", "enum": ["a", "b"]}], "default": "a"}}
        }}}});
        let found = validate(
            &schema,
            &json!({"items": [{"model": "a"}, {"model": "gpt-4"}]}),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "items[1].model");
        assert!(found[0].rule.starts_with("must be one of"), "{found:?}");
    }

    #[test]
    fn null_and_type_mismatches_are_named() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "string", "nullable": true},
            "c": {"type": "array", "items": {"type": "integer"}, "maxItems": 1},
        }});
        let found = validate(&schema, &json!({"a": null, "b": null, "c": [1, "x"]}));
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|v| (v.field.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("a", "must not be null"),
                ("c[1]", "must be an integer (got a string)"),
                ("c", "must have at most 1 items (got 2)"),
            ]
        );
        assert_eq!(
            validate(&schema, &json!([]))[0].rule,
            "must be an object (got an array)"
        );
    }

    /// A body shaped like a generated type: typed checks see only what the
    /// type cannot rule out.
    #[derive(Serialize)]
    struct Body {
        #[serde(skip_serializing_if = "Option::is_none")]
        temperature: Option<f64>,
        name: String,
        level: Level,
        ids: Vec<String>,
    }

    #[derive(Serialize)]
    enum Level {
        #[serde(rename = "low")]
        Low,
    }

    fn body_schema() -> Schema {
        Schema::new(json!({
            "type": "object",
            "required": ["name", "missing"],
            "properties": {
                "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                "name": {"type": "string"},
                "level": {"type": "string", "enum": ["low", "high"]},
                "ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
            }
        }))
    }

    #[test]
    fn typed_bodies_are_checked_for_what_their_type_cannot_rule_out() {
        let schema = body_schema();
        let mut body = Body {
            temperature: Some(3.0),
            name: "x".into(),
            level: Level::Low,
            ids: vec!["3c90c3cc-0d44-4b50-8888-8dd25736052a".into(), "nope".into()],
        };
        let found: Vec<(String, String)> = schema
            .validate_typed(&body)
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect();
        // The type decides what is present (`missing`), and a generated
        // type holds a `uuid` as `uuid::Uuid` and a string enum as a Rust
        // enum: those are not checked again, so `ids[1]` passes here.
        assert_eq!(
            found,
            [(
                "temperature".to_string(),
                "must be between 0 and 2 (got 3.0)".to_string()
            )]
        );
        body.temperature = None;
        assert_eq!(schema.validate_typed(&body), vec![]);
        // The full check sees everything.
        let full: Vec<String> = schema
            .validate(&body)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(full, ["missing", "ids[1]"]);
    }

    #[test]
    fn a_32_bit_float_is_shown_as_written() {
        let schema = body_schema();
        #[derive(Serialize)]
        struct Small {
            temperature: f32,
        }
        let found = schema.validate_typed(&Small { temperature: -0.1 });
        assert_eq!(found[0].rule, "must be between 0 and 2 (got -0.1)");
    }

    #[test]
    fn a_field_schema_names_its_path() {
        let schema = body_schema();
        let temperature = schema.field(&["temperature"]).unwrap();
        assert_eq!(temperature.validate(&1.5), vec![]);
        let found = temperature.validate(&-1);
        assert_eq!(found[0].field, "temperature");
        assert_eq!(found[0].rule, "must be between 0 and 2 (got -1)");
        assert!(schema.field(&["nope"]).is_none());
    }
}
