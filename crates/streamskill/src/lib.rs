//! Typed client for StreamSkill API, generated at build time from
//! `specs/streamskill.yaml` by `chatbots-codegen`.

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How StreamSkill API requests are authenticated: one header, `authorization: Bearer <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
