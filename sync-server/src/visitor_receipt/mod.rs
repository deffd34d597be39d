//! The visitor's receipt at the relay: the receipt key and the tags made under it
//! ([`key`]), and the visitor's page `/kvitto` ([`routes`], [`pages`], [`service`]), where
//! whoever holds a receipt code sees whether the registration was received and can withdraw
//! the talent-pool consent, ask for a registerutdrag or ask for a correction, without an
//! account. Failed look-ups are rate-limited ([`limiter`]); every use is access-logged as
//! the visitor's.

pub mod key;
pub mod limiter;
pub(crate) mod pages;
pub(crate) mod routes;
pub mod service;
pub(crate) mod texts;
