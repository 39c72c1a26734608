//! StreamSkill's in-memory account: orders (purchases), tariffs and the
//! balance; `fixtures.rs` seeds it.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// Statuses after which an order takes no more actions (409 `purchase_done`)
/// and is left out of `/purchases/uncomplete`.
const DONE: [&str; 4] = ["completed", "failed", "deleted", "refunded"];

/// Statuses `start` accepts (the others: 405 `action_unavailable`).
const STARTABLE: [&str; 3] = ["created", "awaiting", "stopped"];

/// Statuses `bulk-stop` stops.
const STOPPABLE: [&str; 4] = ["created", "awaiting", "working", "active"];

/// One order.
#[derive(Clone, Debug)]
pub(super) struct Purchase {
    pub(super) id: u64,
    pub(super) price: f64,
    pub(super) currency: &'static str,
    pub(super) created_at: i64,
    pub(super) order_type: String,
    pub(super) channel: String,
    pub(super) status: String,
    pub(super) service: String,
    pub(super) api: bool,
    pub(super) tarif: u64,
    /// The purchased amount (chatbots, viewer threads, followers): edits may
    /// not go above it.
    pub(super) quantity: u64,
    /// Hours (hourly tariffs) or days.
    pub(super) duration: u64,
    pub(super) comment: String,
    /// The settings the edit endpoints change (shown as `settings`).
    pub(super) settings: Map<String, Value>,
    /// Viewers orders: the "customX" option (views up to 30 instead of 10).
    pub(super) custom_x: bool,
    /// Followers orders: how many more times the channel may change.
    pub(super) channel_changes_left: u32,
}

impl Purchase {
    pub(super) fn is_done(&self) -> bool {
        DONE.contains(&self.status.as_str())
    }

    pub(super) fn can_start(&self) -> bool {
        STARTABLE.contains(&self.status.as_str())
    }

    pub(super) fn can_stop(&self) -> bool {
        STOPPABLE.contains(&self.status.as_str())
    }

    fn has_chatbot(&self) -> bool {
        matches!(self.order_type.as_str(), "ai_chatbots" | "chatbots")
    }

    /// The order as the API shows it. `expand` may name `tarif` (the field
    /// becomes the tariff object) and `chatbot` (chatbot orders: the field
    /// becomes their settings); `parent` and `api` stay as they are.
    pub(super) fn to_json(&self, expand: &[String], tarifs: &[Tarif], lang: Lang) -> Value {
        let wants = |name: &str| expand.iter().any(|e| e == name);
        let tarif = match tarifs.iter().find(|t| t.id == self.tarif) {
            Some(t) if wants("tarif") => t.to_json(lang, false),
            _ => json!(self.tarif),
        };
        let chatbot = if wants("chatbot") && self.has_chatbot() {
            Value::Object(self.settings.clone())
        } else {
            json!(self.has_chatbot())
        };
        json!({
            "id": self.id,
            "price": self.price,
            "currency": self.currency,
            "created_at": self.created_at,
            "order_type": self.order_type,
            "channel": self.channel,
            "status": self.status,
            "service": self.service,
            "parent": false,
            "api": self.api,
            "chatbot": chatbot,
            "tarif": tarif,
            "quantity": self.quantity,
            "duration": self.duration,
            "comment": self.comment,
            "settings": self.settings,
        })
    }
}

/// The response language (`Accept-Language`: `ru`, else English).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    En,
    Ru,
}

/// One tariff (price plan).
#[derive(Clone, Debug)]
pub(super) struct Tarif {
    pub(super) id: u64,
    pub(super) title: [&'static str; 2],
    pub(super) text: [&'static str; 2],
    /// Fixed default count, or `(min, max)` for custom-count tariffs.
    pub(super) count: Count,
    /// Standard pricing: the price of `count` units for one hour/day.
    pub(super) base_price: f64,
    /// Group id, which is also the `order_type` of its orders.
    pub(super) kind: &'static str,
    pub(super) service: &'static str,
    pub(super) hourly: bool,
    /// Graduated pricing: (threshold, price) ascending; `None`: standard.
    pub(super) graduated: Option<Vec<(u64, f64)>>,
    /// Standard pricing: (quantity threshold, discount percent).
    pub(super) discounts: Vec<(u64, f64)>,
    pub(super) link: (&'static str, &'static str),
    pub(super) panel: bool,
    /// Whether a cart may set `interval`.
    pub(super) custom_interval: bool,
    /// AI chatbots: the `language` values an edit accepts.
    pub(super) languages: Option<&'static [&'static str]>,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Count {
    Fixed(u64),
    Range(u64, u64),
}

impl Tarif {
    pub(super) fn to_json(&self, lang: Lang, expand_panel: bool) -> Value {
        let i = usize::from(lang == Lang::Ru);
        let count = match self.count {
            Count::Fixed(n) => json!(n),
            Count::Range(min, max) => json!({"min": min, "max": max}),
        };
        let graduated = match &self.graduated {
            Some(tiers) => Value::Object(
                tiers
                    .iter()
                    .map(|(threshold, price)| (threshold.to_string(), json!(price)))
                    .collect(),
            ),
            None => Value::Null,
        };
        let discounts: Map<String, Value> = self
            .discounts
            .iter()
            .map(|(threshold, percent)| (threshold.to_string(), json!(percent)))
            .collect();
        let panel = if expand_panel {
            json!({"enabled": self.panel})
        } else {
            json!(self.panel)
        };
        let mut out = json!({
            "id": self.id,
            "title": self.title.get(i).copied().unwrap_or_default(),
            "text": [self.text.get(i).copied().unwrap_or_default()],
            "count": count,
            "price": self.display_price(),
            "type": self.kind,
            "hourly": self.hourly,
            "pricing_type": if self.graduated.is_some() { "graduated" } else { "standard" },
            "graduated_prices": graduated,
            "discounts": discounts,
            "link": {"prefix": self.link.0, "placeholder": self.link.1},
            "panel": panel,
        });
        if let (Some(languages), Some(map)) = (self.languages, out.as_object_mut()) {
            map.insert("languages".into(), json!(languages));
        }
        out
    }

    /// The default quantity of a cart that names none.
    pub(super) fn default_quantity(&self) -> u64 {
        match self.count {
            Count::Fixed(n) => n,
            Count::Range(min, _) => min,
        }
    }

    /// Standard: the price of the default quantity for one unit of time;
    /// graduated: the lowest tier.
    fn display_price(&self) -> f64 {
        match &self.graduated {
            Some(tiers) => tiers.first().map(|t| t.1).unwrap_or_default(),
            None => round(self.price(self.default_quantity(), 1)),
        }
    }

    /// The price of `quantity` for `duration` hours/days, as documented:
    /// standard = base_price / count × quantity × duration × volume
    /// discount; graduated = the tier's price, × hours for hourly tariffs.
    pub(super) fn price(&self, quantity: u64, duration: u64) -> f64 {
        match &self.graduated {
            Some(tiers) => {
                let tier = tiers
                    .iter()
                    .rev()
                    .find(|(threshold, _)| *threshold <= quantity)
                    .or(tiers.first())
                    .map(|t| t.1)
                    .unwrap_or_default();
                let times = if self.hourly { duration as f64 } else { 1.0 };
                round(tier * times)
            }
            None => {
                let base = self.default_quantity().max(1) as f64;
                let discount = self
                    .discounts
                    .iter()
                    .rev()
                    .find(|(threshold, _)| *threshold <= quantity)
                    .map(|d| d.1)
                    .unwrap_or_default();
                round(
                    self.base_price / base
                        * quantity as f64
                        * duration as f64
                        * (1.0 - discount / 100.0),
                )
            }
        }
    }
}

fn round(price: f64) -> f64 {
    (price * 100.0).round() / 100.0
}

/// Everything the sandbox account holds.
#[derive(Debug)]
pub(super) struct Account {
    pub(super) purchases: BTreeMap<u64, Purchase>,
    pub(super) tarifs: Vec<Tarif>,
    pub(super) balance: f64,
    pub(super) next_id: u64,
}

pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

pub(super) fn settings(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The default settings of a new order of `kind`.
pub(super) fn default_settings(
    kind: &str,
    quantity: u64,
    channel: &str,
    interval: Option<u64>,
) -> Map<String, Value> {
    let slug = channel
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    settings(match kind {
        "ai_chatbots" => {
            let minimum = 60u64.div_ceil(quantity.max(1)).max(1);
            json!({
                "language": "auto",
                "count": quantity,
                "interval": interval.unwrap_or(10).clamp(minimum, 60),
            })
        }
        "chatbots" => json!({"interval": interval.unwrap_or(30), "mode": 0, "phrases": []}),
        "twitch_followers" => json!({
            "channel": slug,
            "interval": interval.unwrap_or(60),
            "floating_interval": false,
        }),
        "twitch_viewers" => json!({
            "channel": slug,
            "threads": quantity,
            "stream_views": 1,
            "uniq_viewers": 1,
            "raid": false,
            "raid_time": 5,
            "connect_time": 0,
            "online_mode": "smooth_floating",
            "geo": "auto",
            "geo_percent": 100,
            "chatlist": 0,
        }),
        _ => json!({}),
    })
}

impl Account {
    pub(super) fn tarif(&self, id: u64) -> Option<&Tarif> {
        self.tarifs.iter().find(|t| t.id == id)
    }
}
