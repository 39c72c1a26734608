//! Typed client for PureTalk AI API, generated at build time from
//! `specs/puretalk.yaml` by `chatbots-codegen`.

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How PureTalk AI API requests are authenticated: one header, `x-api-key: <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
