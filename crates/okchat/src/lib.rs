//! Typed client for OKChat external API, generated at build time from
//! `specs/okchat.yaml` by `chatbots-codegen`.

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How OKChat external API requests are authenticated: one header, `x-api-key: <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
