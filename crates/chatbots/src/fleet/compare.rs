//! Comparing desired values with what a read reports: the values the plan
//! shows, and the snapshot a saved plan is checked against before it is
//! applied.

use serde_json::{Map, Value};

use crate::model::{Chatbot, Field, FieldValue};

/// How a desired value stands against the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Same,
    Differs,
    /// Some part of the current value is not reported.
    Unknown,
}

/// A number as the vendor would give it back: a 32-bit float field reads
/// back as the `f64` of the `f32` (`0.699999988079071` for 0.7), which is
/// shown and compared as the shortest decimal of the `f32` (`0.7`).
pub(crate) fn number(n: f64) -> Value {
    let short = n as f32;
    let shortest: Option<f64> = short.to_string().parse().ok();
    let n = match shortest {
        Some(s) if f64::from(short) == n => s,
        _ => n,
    };
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// The value of fleet field `field` (`greeting`, `vendor.voice_boost`) in
/// what the read reported, `None` when not reported. A vendor field is the
/// read answer's key of that name; `null` counts as not reported.
pub(crate) fn current(bot: &Chatbot, field: &str) -> Option<Value> {
    if let Some(key) = field.strip_prefix("vendor.") {
        return bot.raw.get(key).filter(|v| !v.is_null()).cloned();
    }
    let shared = Field::from_name(field)?;
    bot.get(shared).map(|value| returned(&value).to_json())
}

/// A shared value as the vendor would give it back: a number as
/// [`number`] says, text as it is.
pub(crate) fn returned(value: &FieldValue) -> FieldValue {
    match value.as_number() {
        Some(n) => number(n)
            .as_f64()
            .map_or_else(|| value.clone(), FieldValue::Number),
        None => value.clone(),
    }
}

/// `current` cut down to the parts `desired` sets: what the plan shows
/// and keeps (a vendor object's other keys are not the fleet's business).
pub(crate) fn project(desired: &Value, current: &Value) -> Value {
    match (desired, current) {
        (Value::Object(want), Value::Object(have)) => Value::Object(
            want.iter()
                .filter_map(|(k, w)| have.get(k).map(|h| (k.clone(), project(w, h))))
                .collect::<Map<_, _>>(),
        ),
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            Value::Array(want.iter().zip(have).map(|(w, h)| project(w, h)).collect())
        }
        _ => current.clone(),
    }
}

/// Whether `current` already holds `desired`: objects by the keys desired
/// sets (a key not reported is unknown), numbers as equal when their
/// 32-bit floats are.
pub(crate) fn verdict(desired: &Value, current: &Value) -> Verdict {
    match (desired, current) {
        (Value::Object(want), Value::Object(have)) => {
            let mut verdict = Verdict::Same;
            for (key, w) in want {
                match have.get(key) {
                    None | Some(Value::Null) if !w.is_null() => verdict = Verdict::Unknown,
                    None | Some(Value::Null) => {}
                    Some(h) => match self::verdict(w, h) {
                        Verdict::Differs => return Verdict::Differs,
                        Verdict::Unknown => verdict = Verdict::Unknown,
                        Verdict::Same => {}
                    },
                }
            }
            verdict
        }
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                return Verdict::Differs;
            }
            let mut verdict = Verdict::Same;
            for (w, h) in want.iter().zip(have) {
                match self::verdict(w, h) {
                    Verdict::Differs => return Verdict::Differs,
                    Verdict::Unknown => verdict = Verdict::Unknown,
                    Verdict::Same => {}
                }
            }
            verdict
        }
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) if x == y || number(x) == number(y) => Verdict::Same,
            _ if a == b => Verdict::Same,
            _ => Verdict::Differs,
        },
        _ if desired == current => Verdict::Same,
        _ => Verdict::Differs,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_32_bit_float_read_back_equals_the_decimal_sent() {
        let read = f64::from(0.7f32);
        assert_ne!(read, 0.7);
        assert_eq!(number(read), json!(0.7));
        assert_eq!(verdict(&json!(0.7), &json!(read)), Verdict::Same);
        assert_eq!(verdict(&json!(0.7), &json!(0.8)), Verdict::Differs);
    }

    #[test]
    fn objects_compare_by_the_keys_desired_sets() {
        let have = json!({"snippet": "a", "prompt": "p"});
        assert_eq!(verdict(&json!({"snippet": "a"}), &have), Verdict::Same);
        assert_eq!(verdict(&json!({"snippet": "b"}), &have), Verdict::Differs);
        assert_eq!(verdict(&json!({"other": 1}), &have), Verdict::Unknown);
        assert_eq!(
            project(&json!({"snippet": "b"}), &have),
            json!({"snippet": "a"})
        );
    }
}
