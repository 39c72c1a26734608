//! Typed client for Converza Open API, generated at build time from
//! `specs/converza.yaml` by `chatbots-codegen`.

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How Converza Open API requests are authenticated: one header, `authorization: Bearer <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
