//! The `drop-field` fault ([`crate::Fault::DropField`]) at the handler's
//! end. The fault layer cannot apply it: only an update's handler knows that
//! its request is an update, which field of its body a name means, and how
//! to answer as if the field had been stored. So the layer hands the
//! request's match to the handler ([`DropRules`], a request extension, only
//! when a rule could apply), the handler asks [`Dropping::field`] with its
//! vendor's table of shared names and the body as sent, and stores all but
//! the [`Dropped`] field while answering as usual.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::{Faults, Vendor};

/// What the fault layer leaves on a request that a `drop-field` rule
/// matches by vendor, route and method.
#[derive(Clone)]
pub(crate) struct DropRules {
    pub(crate) faults: Faults,
    pub(crate) vendor: Vendor,
    pub(crate) method: String,
    pub(crate) route: String,
}

/// Extractor: the request's [`DropRules`], if any (never refuses).
pub(crate) struct Dropping(Option<DropRules>);

impl<S: Send + Sync> FromRequestParts<S> for Dropping {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Dropping(parts.extensions.get::<DropRules>().cloned()))
    }
}

impl Dropping {
    /// The field of `sent` (an update's body, as sent) that a matching
    /// `drop-field` rule says not to store, counting the rule as applied;
    /// `None` when no rule applies. `shared` maps the shared field names
    /// this vendor's update takes to their body paths (keys joined by
    /// dots); a name not in it is taken as a body path itself.
    pub(crate) fn field(
        &self,
        shared: &[(&str, &str)],
        sent: &Map<String, Value>,
    ) -> Option<Dropped> {
        let rules = self.0.as_ref()?;
        rules
            .faults
            .dropped_field(rules.vendor, &rules.method, &rules.route, |name| {
                let path = shared
                    .iter()
                    .find(|(shared, _)| *shared == name)
                    .map_or(name, |(_, path)| path);
                let dropped = Dropped(path.split('.').map(str::to_string).collect());
                dropped.get(sent).is_some().then_some(dropped)
            })
    }
}

/// The path of the field an update does not store, in its body's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dropped(Vec<String>);

impl Dropped {
    /// The first key of the path: the body's top-level field holding it.
    pub(crate) fn top(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The value at the path, through objects only.
    fn get<'a>(&self, fields: &'a Map<String, Value>) -> Option<&'a Value> {
        let (last, parents) = self.0.split_last()?;
        let mut map = fields;
        for key in parents {
            map = map.get(key)?.as_object()?;
        }
        map.get(last)
    }

    /// Puts `before`'s value at the path back into `after` (removing it
    /// when `before` had none): for a vendor that stores an update's fields
    /// where its body has them, the state as if this one field had not been
    /// stored. Parents missing in `after` are left missing.
    pub(crate) fn restore(&self, after: &mut Map<String, Value>, before: &Map<String, Value>) {
        let Some((last, parents)) = self.0.split_last() else {
            return;
        };
        let mut map = after;
        for key in parents {
            match map.get_mut(key).and_then(Value::as_object_mut) {
                Some(inner) => map = inner,
                None => return,
            }
        }
        match self.get(before) {
            Some(old) => {
                map.insert(last.clone(), old.clone());
            }
            None => {
                map.remove(last);
            }
        }
    }

    /// `body` split into what is stored (all but the field; a parent object
    /// the removal leaves empty goes too) and the field alone, at its path:
    /// for a vendor whose update applies each field on its own, storing the
    /// first and answering with the second applied on top is the usual
    /// answer.
    pub(crate) fn split(
        &self,
        body: &Map<String, Value>,
    ) -> (Map<String, Value>, Map<String, Value>) {
        let mut kept = body.clone();
        remove(&mut kept, &self.0);
        let mut alone = Map::new();
        if let Some(value) = self.get(body) {
            let mut value = value.clone();
            // Wrapped in each key below the top one, innermost first.
            for key in self.0.iter().skip(1).rev() {
                value = Value::Object(Map::from_iter([(key.clone(), value)]));
            }
            alone.insert(self.top().to_string(), value);
        }
        (kept, alone)
    }
}

/// Removes `path` from `map`, and each parent object that leaves empty.
fn remove(map: &mut Map<String, Value>, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            map.remove(last);
        }
        [first, rest @ ..] => {
            if let Some(Value::Object(inner)) = map.get_mut(first) {
                remove(inner, rest);
                if inner.is_empty() {
                    map.remove(first);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn path(text: &str) -> Dropped {
        Dropped(text.split('.').map(str::to_string).collect())
    }

    #[test]
    fn restore_puts_back_the_old_value_or_removes_a_new_one() {
        let before = object(json!({"name": "old", "settings": {"greeting": "hi"}}));
        let mut after =
            object(json!({"name": "new", "settings": {"greeting": "yo", "model": "m"}}));
        path("settings.greeting").restore(&mut after, &before);
        assert_eq!(
            Value::Object(after.clone()),
            json!({"name": "new", "settings": {"greeting": "hi", "model": "m"}})
        );
        path("settings.model").restore(&mut after, &before);
        path("name").restore(&mut after, &before);
        assert_eq!(
            Value::Object(after),
            json!({"name": "old", "settings": {"greeting": "hi"}})
        );
    }

    #[test]
    fn split_keeps_all_but_the_field_and_the_field_alone() {
        let body = object(json!({"name": "n", "settings": {"greeting": "g", "model": "m"}}));
        let (kept, alone) = path("settings.greeting").split(&body);
        assert_eq!(
            Value::Object(kept),
            json!({"name": "n", "settings": {"model": "m"}})
        );
        assert_eq!(Value::Object(alone), json!({"settings": {"greeting": "g"}}));
        let only = object(json!({"settings": {"greeting": "g"}}));
        let (kept, _) = path("settings.greeting").split(&only);
        assert!(kept.is_empty(), "{kept:?}");
        assert_eq!(path("settings.absent").get(&body), None);
        assert_eq!(path("name.deeper").get(&body), None);
    }
}
