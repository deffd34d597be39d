//! The managed Chromium policies shipped for a desk PC (`chromium/kiosk-policies.json`, see
//! CHROMIUM.md) are valid JSON, turn off everything that would remember, suggest or
//! translate what a visitor types, and keep the browser on the kiosk's own default address.

use kiosk_web::config::Config;

fn policies() -> serde_json::Map<String, serde_json::Value> {
    let text = include_str!("../chromium/kiosk-policies.json");
    match serde_json::from_str(text).expect("the policy file is JSON") {
        serde_json::Value::Object(map) => map,
        other => panic!("the policy file is an object, not {other}"),
    }
}

#[test]
fn autofill_passwords_translation_and_spellcheck_are_off() {
    let policies = policies();
    for name in [
        "AutofillAddressEnabled",
        "AutofillCreditCardEnabled",
        "PasswordManagerEnabled",
        "TranslateEnabled",
        "SpellcheckEnabled",
        "SpellCheckServiceEnabled",
        "SearchSuggestEnabled",
    ] {
        assert_eq!(
            policies.get(name),
            Some(&serde_json::Value::Bool(false)),
            "{name} must be false"
        );
    }
    assert_eq!(
        policies.get("SavingBrowserHistoryDisabled"),
        Some(&serde_json::Value::Bool(true))
    );
}

#[test]
fn the_browser_may_open_only_the_kiosks_default_address() {
    let policies = policies();
    let default = format!("http://{}", Config::new("unused".into()).listen);
    assert_eq!(policies["URLBlocklist"], serde_json::json!(["*"]));
    assert_eq!(policies["URLAllowlist"], serde_json::json!([default]));
    assert_eq!(
        policies["RestoreOnStartupURLs"],
        serde_json::json!([format!("{default}/")])
    );
}
