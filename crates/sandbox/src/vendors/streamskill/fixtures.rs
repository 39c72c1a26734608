//! The tariffs and orders every StreamSkill sandbox starts with (listed in
//! the module docs).

use serde_json::{Value, json};

use crate::accounts::Seat;

use super::model::{Account, Count, Purchase, Tarif, default_settings, settings};

/// The account's balance at startup, in USD.
pub(super) const BALANCE: f64 = 10_000.0;

/// The id the first created order gets.
pub(super) const FIRST_CREATED_ID: u64 = 20_001;

/// The id of the first order `--bots` seeds; the others count up from it.
pub(super) const FIRST_SEEDED_ID: u64 = 100_001;

/// The id of the `n`th seeded order (from 1).
pub(super) fn seeded_id(n: usize) -> String {
    (FIRST_SEEDED_ID - 1).saturating_add(n as u64).to_string()
}

/// The id of the second account's `n`th order (0: its demo bot).
pub(super) fn seeded_id_b(n: usize) -> String {
    FIRST_SEEDED_ID_B.saturating_add(n as u64).to_string()
}

/// The second account's demo bot; its other orders count up from it.
const FIRST_SEEDED_ID_B: u64 = 200_000;

/// The id the first order the second account creates gets (apart from the
/// default account's, as the vendor's ids are global).
const FIRST_CREATED_ID_B: u64 = 220_001;

/// The speech-recognition languages the AI-chatbot tariffs offer.
pub(super) const AI_LANGUAGES: [&str; 10] =
    ["auto", "en", "ru", "de", "es", "fr", "pt", "uk", "tr", "pl"];

impl Account {
    /// The fixtures listed in the module documentation, and `bots` more
    /// `ai_chatbots` orders in progress (ids from [`FIRST_SEEDED_ID`]);
    /// another account than the default one holds only its own seeded
    /// orders, each with its name as `comment`.
    pub(super) fn seeded(bots: usize, seat: Seat) -> Account {
        let tarifs = vec![
            Tarif {
                id: 1,
                title: ["Twitch viewers", "Зрители Twitch"],
                text: [
                    "Viewers for your Twitch stream, billed per hour",
                    "Зрители на ваш стрим Twitch, почасовая оплата",
                ],
                count: Count::Range(10, 5000),
                base_price: 1.0,
                kind: "twitch_viewers",
                service: "twitch",
                hourly: true,
                graduated: None,
                discounts: vec![(500, 5.0), (1000, 10.0)],
                link: ("https://twitch.tv/", "channel"),
                panel: true,
                custom_interval: false,
                languages: None,
            },
            Tarif {
                id: 3,
                title: ["AI chatbots", "ИИ-чатботы"],
                text: [
                    "Chatbots that talk about what happens on stream",
                    "Чатботы, которые обсуждают происходящее на стриме",
                ],
                count: Count::Range(1, 100),
                base_price: 0.5,
                kind: "ai_chatbots",
                service: "twitch",
                hourly: false,
                graduated: None,
                discounts: vec![(50, 5.0)],
                link: ("https://twitch.tv/", "channel"),
                panel: false,
                custom_interval: true,
                languages: Some(&AI_LANGUAGES),
            },
            Tarif {
                id: 5,
                title: ["Chatbots", "Чатботы"],
                text: [
                    "Chatbots that post your phrases",
                    "Чатботы, которые пишут ваши фразы",
                ],
                count: Count::Range(1, 50),
                base_price: 0.2,
                kind: "chatbots",
                service: "twitch",
                hourly: true,
                graduated: None,
                discounts: vec![],
                link: ("https://twitch.tv/", "channel"),
                panel: false,
                custom_interval: true,
                languages: None,
            },
            Tarif {
                id: 6,
                title: ["Twitch followers", "Фолловеры Twitch"],
                text: [
                    "Followers delivered at the interval you choose",
                    "Фолловеры с выбранным интервалом",
                ],
                count: Count::Fixed(100),
                base_price: 2.0,
                kind: "twitch_followers",
                service: "twitch",
                hourly: false,
                graduated: None,
                discounts: vec![(1000, 15.0)],
                link: ("https://twitch.tv/", "channel"),
                panel: false,
                custom_interval: true,
                languages: None,
            },
            Tarif {
                id: 7,
                title: ["AI chatbots", "ИИ-чатботы"],
                text: [
                    "Chatbots that answer the stream",
                    "Чатботы, которые отвечают стримеру",
                ],
                count: Count::Range(1, 100),
                base_price: 0.0,
                kind: "ai_chatbots",
                service: "twitch",
                hourly: true,
                graduated: Some(vec![(1, 9.5), (50, 8.25)]),
                discounts: vec![(100, 5.0)],
                link: ("https://twitch.tv/", "channel"),
                panel: true,
                custom_interval: true,
                languages: Some(&AI_LANGUAGES),
            },
        ];
        let order = |id: u64,
                     order_type: &str,
                     status: &str,
                     tarif: u64,
                     quantity: u64,
                     channel: &str,
                     settings_value: Value| Purchase {
            id,
            price: 0.0,
            currency: "usd",
            created_at: 1_716_681_599 + id as i64,
            order_type: order_type.into(),
            channel: channel.into(),
            status: status.into(),
            service: "twitch".into(),
            api: true,
            tarif,
            quantity,
            duration: 24,
            comment: String::new(),
            settings: settings(settings_value),
            custom_x: false,
            channel_changes_left: 0,
        };
        let mut purchases = vec![
            Purchase {
                price: 12.5,
                created_at: 1_716_681_599,
                ..order(
                    42,
                    "ai_chatbots",
                    "active",
                    3,
                    50,
                    "https://twitch.tv/example",
                    json!({"language": "auto", "count": 10, "interval": 10}),
                )
            },
            Purchase {
                price: 198.0,
                ..order(
                    12345,
                    "ai_chatbots",
                    "working",
                    7,
                    100,
                    "https://twitch.tv/example",
                    json!({"language": "auto", "count": 50, "interval": 10}),
                )
            },
            Purchase {
                price: 57.0,
                ..order(
                    12346,
                    "ai_chatbots",
                    "completed",
                    7,
                    20,
                    "https://twitch.tv/finished",
                    json!({"language": "en", "count": 20, "interval": 5}),
                )
            },
            Purchase {
                price: 216.0,
                ..order(
                    12347,
                    "twitch_viewers",
                    "working",
                    1,
                    10,
                    "https://twitch.tv/example",
                    Value::Object(default_settings(
                        "twitch_viewers",
                        10,
                        "https://twitch.tv/example",
                        None,
                    )),
                )
            },
            Purchase {
                price: 96.0,
                ..order(
                    12348,
                    "chatbots",
                    "stopped",
                    5,
                    20,
                    "https://twitch.tv/example",
                    json!({"interval": 30, "mode": 0, "phrases": ["hi", "gg", "nice play"]}),
                )
            },
            Purchase {
                price: 2.0,
                duration: 1,
                channel_changes_left: 1,
                ..order(
                    12349,
                    "twitch_followers",
                    "awaiting",
                    6,
                    100,
                    "https://twitch.tv/example",
                    json!({"channel": "example", "interval": 60, "floating_interval": false}),
                )
            },
            Purchase {
                price: 5.0,
                duration: 1,
                ..order(
                    12350,
                    "ai_chatbots",
                    "created",
                    3,
                    10,
                    "https://twitch.tv/example",
                    json!({"language": "auto", "count": 10, "interval": 6}),
                )
            },
        ];
        if !seat.is_default() {
            purchases.clear();
        }
        purchases.extend(seat.seeded_bots(bots).into_iter().map(|(id, name)| {
            let id = id.parse().unwrap_or_default();
            Purchase {
                price: 198.0,
                comment: if seat.is_default() {
                    String::new()
                } else {
                    name
                },
                ..order(
                    id,
                    "ai_chatbots",
                    "working",
                    7,
                    100,
                    "https://twitch.tv/example",
                    json!({"language": "auto", "count": 10, "interval": 10}),
                )
            }
        }));
        purchases.sort_by_key(|p| p.id);
        Account {
            purchases: purchases.into_iter().map(|p| (p.id, p)).collect(),
            tarifs,
            balance: BALANCE,
            next_id: if seat.is_default() {
                FIRST_CREATED_ID
            } else {
                FIRST_CREATED_ID_B
            },
        }
    }
}
