//! Typed client for HotTask AI Agent chatbot API, generated at build time from
//! `specs/hottask.yaml` by `chatbots-codegen`.

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How HotTask AI Agent chatbot API requests are authenticated: one header, `authorization: <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
