//! The names HR gives tablets ("Kiosk 1, Göteborg"): the rule a name follows
//! ([`device_name`]), renaming an enrolled tablet ([`rename_device`], admins only, for the
//! JSON API and the console alike), and how every page and document names a tablet
//! ([`tablet_label`], [`DeviceLabels`]): by its name with the short fingerprint of its key
//! beside it, or by the fingerprint alone when HR gave it no name. A tablet is never named
//! to a person by its 64-character key.

use std::collections::HashMap;

use crate::blocking::blocking;
use crate::hr::caller::Caller;
use crate::hr::error::{HrError, HrResult, Missing, StorageContext};
use crate::state::AppState;
use crate::storage::RelayStore;

/// The longest name, in characters: room for "Kiosk 12, Svenska mässan, hall C, Göteborg".
pub(crate) const MAX_NAME_CHARS: usize = 60;

/// What [`device_name`] refuses, in English and Swedish (the console words it per field).
pub(crate) const NAME_RULE: &str = "at most 60 characters, no line breaks or control \
    characters / högst 60 tecken, inga radbrytningar eller styrtecken";

/// `raw` as a tablet's name: trimmed, runs of spaces made one; `None` when empty (no
/// name). Refused (422 `invalid_field`, field `name`) when longer than [`MAX_NAME_CHARS`]
/// or holding a control character.
pub(crate) fn device_name(raw: &str) -> HrResult<Option<String>> {
    if raw.chars().any(char::is_control) {
        return Err(invalid());
    }
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid());
    }
    Ok((!name.is_empty()).then_some(name))
}

fn invalid() -> HrError {
    HrError::InvalidField {
        field: "name",
        rule: NAME_RULE,
    }
}

/// The first 8 hex characters of a device key: enough to tell a fair's tablets apart, and
/// what an operator compares with the tablet's own settings screen.
pub(crate) fn fingerprint(device_key: &[u8; 32]) -> String {
    hex::encode(&device_key[..4])
}

/// How a person is shown a tablet: "Kiosk 1, Göteborg (1a2b3c4d)", or the fingerprint
/// alone for a tablet without a name.
pub(crate) fn tablet_label(name: Option<&str>, device_key: &[u8; 32]) -> String {
    match name {
        Some(name) => format!("{name} ({})", fingerprint(device_key)),
        None => fingerprint(device_key),
    }
}

/// Names tablets by their keys, each read from the store once per page or document.
pub(crate) struct DeviceLabels<'a> {
    store: &'a dyn RelayStore,
    names: HashMap<[u8; 32], Option<String>>,
}

impl<'a> DeviceLabels<'a> {
    pub(crate) fn new(store: &'a dyn RelayStore) -> DeviceLabels<'a> {
        DeviceLabels {
            store,
            names: HashMap::new(),
        }
    }

    /// The name HR gave the tablet, if any (and if the relay knows it). A store that cannot
    /// be read here only costs the name: the fingerprint still names the tablet.
    pub(crate) fn name(&mut self, device_key: &[u8; 32]) -> Option<&str> {
        let store = self.store;
        self.names
            .entry(*device_key)
            .or_insert_with(|| match store.device(device_key) {
                Ok(record) => record.and_then(|record| record.name),
                Err(error) => {
                    tracing::warn!(%error, "a tablet's name could not be read");
                    None
                }
            })
            .as_deref()
    }

    /// [`tablet_label`] of the tablet with `device_key`.
    pub(crate) fn label(&mut self, device_key: &[u8; 32]) -> String {
        let name = self.name(device_key).map(str::to_owned);
        tablet_label(name.as_deref(), device_key)
    }

    /// [`Self::label`] of a key given in hex; the text as it is if it is not a key.
    pub(crate) fn label_hex(&mut self, hex_key: &str) -> String {
        match hex::decode(hex_key)
            .ok()
            .and_then(|key| <[u8; 32]>::try_from(key).ok())
        {
            Some(key) => self.label(&key),
            None => hex_key.to_owned(),
        }
    }
}

/// The labels of the tablets `keys` ([`tablet_label`]), read off the async runtime. A tablet
/// whose name cannot be read is labelled by its fingerprint alone.
pub(crate) async fn tablet_labels(
    state: &AppState,
    keys: Vec<[u8; 32]>,
) -> HashMap<[u8; 32], String> {
    let store = state.store.clone();
    let fingerprints: HashMap<[u8; 32], String> =
        keys.iter().map(|key| (*key, fingerprint(key))).collect();
    blocking(move || {
        let mut labels = DeviceLabels::new(store.as_ref());
        keys.iter().map(|key| (*key, labels.label(key))).collect()
    })
    .await
    .unwrap_or(fingerprints)
}

/// Gives device `id` (hex key) the name `raw` (checked by [`device_name`]; empty takes
/// the name away); admins only. Returns the name as stored.
pub(crate) async fn rename_device(
    state: &AppState,
    caller: &Caller,
    id: &str,
    raw: &str,
) -> HrResult<Option<String>> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let key = hex::decode(id)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or(Missing::Device)?;
    let name = device_name(raw)?;
    let store = state.store.clone();
    let admin = caller.user.id;
    blocking(move || -> HrResult<Option<String>> {
        let renamed = store
            .rename_device(&key, name.as_deref())
            .context("naming a tablet")?;
        if !renamed {
            return Err(Missing::Device.into());
        }
        tracing::info!(admin, "tablet renamed");
        Ok(name)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_an_empty_one_is_no_name() {
        assert_eq!(
            device_name("  Kiosk 1,   Göteborg ").expect("taken"),
            Some("Kiosk 1, Göteborg".to_owned())
        );
        assert_eq!(device_name("   ").expect("taken"), None);
        let longest = "å".repeat(MAX_NAME_CHARS);
        assert_eq!(device_name(&longest).expect("taken"), Some(longest));
    }

    #[test]
    fn a_name_too_long_or_with_control_characters_is_refused_naming_the_field() {
        for bad in [
            "å".repeat(MAX_NAME_CHARS + 1),
            "Kiosk\n1".to_owned(),
            "Kiosk\u{7}".to_owned(),
        ] {
            match device_name(&bad) {
                Err(HrError::InvalidField { field, rule }) => {
                    assert_eq!(field, "name");
                    assert!(rule.contains("60") && rule.contains("tecken"), "{rule}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_tablet_is_named_by_its_name_and_fingerprint_never_its_whole_key() {
        let key = [0xab; 32];
        assert_eq!(tablet_label(None, &key), "abababab");
        assert_eq!(
            tablet_label(Some("Kiosk 1, Göteborg"), &key),
            "Kiosk 1, Göteborg (abababab)"
        );
    }
}
