//! Every text the shell itself shows, in Swedish and English. The form's own texts (field
//! labels, choices, notices, field errors) come from the core through the ffi; these are
//! the shell's frame around them.

use kiosk_ffi::types::{Language, LocalizedText};

/// The language tag for `lang` and `hreflang`.
pub fn tag(language: Language) -> &'static str {
    match language {
        Language::Swedish => "sv",
        Language::English => "en",
    }
}

/// The language a tag names; anything else is Swedish, the default.
pub fn language_of(tag: &str) -> Language {
    match tag {
        "en" => Language::English,
        _ => Language::Swedish,
    }
}

/// The other of the two languages.
pub fn other(language: Language) -> Language {
    match language {
        Language::Swedish => Language::English,
        Language::English => Language::Swedish,
    }
}

/// A core text in `language`.
pub fn pick(text: &LocalizedText, language: Language) -> &str {
    match language {
        Language::Swedish => &text.sv,
        Language::English => &text.en,
    }
}

/// A pair of texts from the ffi (an error's `message_sv`/`message_en`) in `language`.
pub fn pick_pair<'a>(sv: &'a str, en: &'a str, language: Language) -> &'a str {
    match language {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// The shell's texts in one language.
#[derive(Debug)]
pub struct Texts {
    pub app_name: &'static str,
    pub skip_link: &'static str,
    pub language_name: &'static str,
    pub choose_language: &'static str,
    pub welcome_lead: &'static str,
    pub start: &'static str,
    pub start_over: &'static str,
    pub start_over_hint: &'static str,
    pub staff_control: &'static str,
    pub not_ready_title: &'static str,
    pub not_ready_body: &'static str,
    pub form_title: &'static str,
    pub form_lead: &'static str,
    pub required_marker: &'static str,
    pub optional_marker: &'static str,
    pub contact_legend: &'static str,
    pub contact_hint: &'static str,
    pub contact_hint_protected: &'static str,
    pub interests_hint: &'static str,
    pub locations_hint: &'static str,
    pub education_none: &'static str,
    pub free_text_hint: &'static str,
    pub privacy_heading: &'static str,
    pub privacy_retention: &'static str,
    pub privacy_confirm: &'static str,
    pub talent_pool_heading: &'static str,
    pub talent_pool_confirm: &'static str,
    pub send: &'static str,
    pub switch_language: &'static str,
    pub protected_question: &'static str,
    pub protected_link: &'static str,
    pub protected_title: &'static str,
    pub protected_explanation: &'static str,
    pub protected_leave: &'static str,
    pub error_summary_title: &'static str,
    pub error_prefix: &'static str,
    pub form_updated: &'static str,
    pub cleared_after_idle: &'static str,
    pub page_expired_title: &'static str,
    pub page_expired: &'static str,
    pub not_accepted_title: &'static str,
    pub bad_post: &'static str,
    pub too_large: &'static str,
    pub cross_origin: &'static str,
    pub wrong_host: &'static str,
    pub capture_failed: &'static str,
    pub thanks_title: &'static str,
    pub thanks_lead: &'static str,
    pub receipt_code_label: &'static str,
    pub receipt_code_hint: &'static str,
    pub next_heading: &'static str,
    pub next_body: &'static str,
    pub next_talent_pool: &'static str,
    pub ask_heading: &'static str,
    pub ask_body: &'static str,
    pub done: &'static str,
    pub thanks_auto_return: &'static str,
    pub idle_dialog_title: &'static str,
    pub not_found: &'static str,
}

/// The texts of `language`.
pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

static SV: Texts = Texts {
    app_name: "Intresseanmälan",
    skip_link: "Hoppa till innehållet",
    language_name: "Svenska",
    choose_language: "Välj språk",
    welcome_lead: "Här kan du anmäla ditt intresse för att arbeta hos oss. Det tar ett par minuter.",
    start: "Börja",
    start_over: "Börja om",
    start_over_hint: "Vill du börja om? Tryck på Börja om så töms formuläret.",
    staff_control: "Personal",
    not_ready_title: "Surfplattan är inte klar ännu",
    not_ready_body: "Be personalen i montern om hjälp.",
    form_title: "Din intresseanmälan",
    form_lead: "Fält markerade (obligatoriskt) måste fyllas i.",
    required_marker: "(obligatoriskt)",
    optional_marker: "(frivilligt)",
    contact_legend: "Hur vill du bli kontaktad?",
    contact_hint: "Fyll i e-post, telefon eller båda.",
    contact_hint_protected: "Fyll i ett sätt att nå dig: e-post eller telefon, inte båda.",
    interests_hint: "Välj minst ett och högst",
    locations_hint: "Välj de orter du kan tänka dig att arbeta på.",
    education_none: "Vill inte ange",
    free_text_hint: "Till exempel vad du arbetar med i dag. Högst 1 000 tecken.",
    privacy_heading: "Så behandlar vi dina uppgifter",
    privacy_retention: "Uppgifterna sparas i",
    privacy_confirm: "Jag har läst hur mina uppgifter behandlas",
    talent_pool_heading: "Talangbank (frivilligt)",
    talent_pool_confirm: "Ja, spara mina uppgifter i talangbanken",
    send: "Skicka anmälan",
    switch_language: "In English",
    protected_question: "Har du skyddade personuppgifter?",
    protected_link: "Använd det kortare formuläret för skyddade personuppgifter",
    protected_title: "Anmälan med skyddade personuppgifter",
    protected_explanation: "Om du har skyddade personuppgifter (till exempel sekretessmarkering eller skyddad folkbokföring) frågar vi bara efter det vi måste: ditt namn, ett sätt att nå dig och vad du är intresserad av. Din anmälan visas inte i listor och får inga automatiska utskick, och den sparas inte i talangbanken. Skriv inte din adress här.",
    protected_leave: "Tillbaka till det vanliga formuläret",
    error_summary_title: "Något behöver rättas",
    error_prefix: "Fel: ",
    form_updated: "Formuläret har uppdaterats sedan du började. Kontrollera dina svar och skicka igen.",
    cleared_after_idle: "Formuläret tömdes eftersom ingen använde det på en stund.",
    page_expired_title: "Sidan gäller inte längre",
    not_accepted_title: "Formuläret togs inte emot",
    page_expired: "Sidan gäller inte längre: den hörde till en tidigare besökare, eller så har kiosken startats om. Om du redan har skickat din anmälan är den sparad; fråga personalen om du är osäker.",
    bad_post: "Formuläret kom inte fram som det skulle. Inget sparades. Börja om, eller be personalen om hjälp.",
    too_large: "Det du skickade var för stort. Inget sparades.",
    cross_origin: "Förfrågan kom från en annan webbplats och togs inte emot.",
    wrong_host: "Kiosken svarar bara på sin egen adress.",
    capture_failed: "Anmälan kunde inte sparas. Inget har skickats. Be personalen om hjälp.",
    thanks_title: "Tack för din anmälan!",
    thanks_lead: "Din anmälan är sparad.",
    receipt_code_label: "Din kvittokod",
    receipt_code_hint: "Skriv ner eller fotografera koden. Den visar att vi har tagit emot just din anmälan.",
    next_heading: "Vad händer nu?",
    next_body: "Anmälan skickas till vår HR-avdelning. En rekryterare går igenom den och hör av sig om det finns ett uppdrag som passar dig.",
    next_talent_pool: "Du är med i talangbanken och kan bli kontaktad om andra tjänster. Du kan när som helst ta tillbaka ditt samtycke.",
    ask_heading: "Frågor om din anmälan",
    ask_body: "Kontakta myndighetens registratur och uppge din kvittokod. Du har rätt att få veta vilka uppgifter vi har om dig, att få fel rättade och att återkalla samtycket till talangbanken.",
    done: "Klar",
    thanks_auto_return: "Sidan går tillbaka till början när ingen har rört den på en minut.",
    idle_dialog_title: "Är du kvar?",
    not_found: "Sidan finns inte.",
};

static EN: Texts = Texts {
    app_name: "Expression of interest",
    skip_link: "Skip to content",
    language_name: "English",
    choose_language: "Choose language",
    welcome_lead: "Here you can register your interest in working with us. It takes a couple of minutes.",
    start: "Start",
    start_over: "Start over",
    start_over_hint: "Want to start over? Press Start over and the form is cleared.",
    staff_control: "Staff",
    not_ready_title: "This tablet is not ready yet",
    not_ready_body: "Please ask the staff at the stand for help.",
    form_title: "Your expression of interest",
    form_lead: "Fields marked (required) must be filled in.",
    required_marker: "(required)",
    optional_marker: "(optional)",
    contact_legend: "How would you like to be contacted?",
    contact_hint: "Give an email address, a phone number or both.",
    contact_hint_protected: "Give one way to reach you: email or phone, not both.",
    interests_hint: "Choose at least one and at most",
    locations_hint: "Choose the places where you could work.",
    education_none: "Prefer not to say",
    free_text_hint: "For example what you work with today. At most 1,000 characters.",
    privacy_heading: "How we handle your details",
    privacy_retention: "Your details are kept for",
    privacy_confirm: "I have read how my details are handled",
    talent_pool_heading: "Talent pool (optional)",
    talent_pool_confirm: "Yes, keep my details in the talent pool",
    send: "Send",
    switch_language: "På svenska",
    protected_question: "Do you have protected personal data?",
    protected_link: "Use the shorter form for protected personal data",
    protected_title: "Registering with protected personal data",
    protected_explanation: "If you have protected personal data (for example a confidentiality marking or protected registration), we ask only for what we must: your name, one way to reach you and what interests you. Your registration is not shown in lists, gets no automatic messages, and is not kept in the talent pool. Do not write your address here.",
    protected_leave: "Back to the ordinary form",
    error_summary_title: "Something needs correcting",
    error_prefix: "Error: ",
    form_updated: "The form was updated after you started. Check your answers and send again.",
    cleared_after_idle: "The form was cleared because nobody used it for a while.",
    page_expired_title: "This page is no longer valid",
    not_accepted_title: "The form was not accepted",
    page_expired: "This page belonged to an earlier visitor or the kiosk restarted, and it is no longer valid. If you already sent your registration, it is saved; ask the staff if you are unsure.",
    bad_post: "The form did not arrive as it should. Nothing was saved. Start over, or ask the staff for help.",
    too_large: "What you sent was too large. Nothing was saved.",
    cross_origin: "The request came from another website and was not accepted.",
    wrong_host: "The kiosk answers only on its own address.",
    capture_failed: "Your registration could not be saved. Nothing was sent. Please ask the staff for help.",
    thanks_title: "Thank you for registering!",
    thanks_lead: "Your registration is saved.",
    receipt_code_label: "Your receipt code",
    receipt_code_hint: "Write down or photograph the code. It shows that we received your registration.",
    next_heading: "What happens next?",
    next_body: "Your registration goes to our HR department. A recruiter reviews it and contacts you if there is a position that suits you.",
    next_talent_pool: "You are in the talent pool and may be contacted about other positions. You can withdraw your consent at any time.",
    ask_heading: "Questions about your registration",
    ask_body: "Contact the agency's registry office and give your receipt code. You have the right to know what we hold about you, to have errors corrected and to withdraw your talent-pool consent.",
    done: "Done",
    thanks_auto_return: "The page returns to the start when nobody has touched it for a minute.",
    idle_dialog_title: "Are you still there?",
    not_found: "There is no such page.",
};
