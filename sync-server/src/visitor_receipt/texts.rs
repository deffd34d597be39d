//! What the visitor's page says, in Swedish and English: plain words for a visitor who
//! holds a receipt and nothing else. Swedish is the default.

use kiosk_core::language::Language;

/// Days after an event a visitor waits before asking HR about a registration still on its
/// way: a tablet sends what it holds whenever it reaches a network, usually the same day.
pub const WAIT_DAYS: u32 = 14;

pub(crate) struct Texts {
    pub lang: Language,
    pub other_lang: Language,
    pub other_lang_name: &'static str,
    pub page_title: &'static str,
    pub skip: &'static str,
    pub form_heading: &'static str,
    pub form_intro: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub show: &'static str,
    pub error_heading: &'static str,
    pub mistyped: &'static str,
    pub holder_warning: &'static str,
    pub received_heading: &'static str,
    /// "Mottagen {date} av myndigheten som allmän handling."
    pub received_on: (&'static str, &'static str),
    pub event: &'static str,
    pub talent_pool: &'static str,
    pub in_pool: &'static str,
    pub not_in_pool: &'static str,
    pub actions_heading: &'static str,
    pub withdraw: &'static str,
    pub withdraw_hint: &'static str,
    pub ask_access: &'static str,
    pub ask_access_hint: &'static str,
    pub ask_correction: &'static str,
    pub ask_correction_hint: &'static str,
    pub restricted_text: &'static str,
    pub on_its_way_heading: &'static str,
    pub on_its_way: &'static str,
    /// "Har den inte kommit fram {n} dagar efter evenemanget …"
    pub on_its_way_wait: (&'static str, &'static str),
    pub contact_hr: &'static str,
    pub another_code: &'static str,
    pub confirm_withdraw_heading: &'static str,
    pub confirm_withdraw: &'static str,
    pub confirm_withdraw_button: &'static str,
    pub confirm_access_heading: &'static str,
    pub confirm_access: &'static str,
    pub confirm_access_button: &'static str,
    pub confirm_correction_heading: &'static str,
    pub confirm_correction: &'static str,
    pub correction_label: &'static str,
    pub correction_hint: &'static str,
    pub correction_empty: &'static str,
    pub correction_too_long: &'static str,
    pub confirm_correction_button: &'static str,
    pub back: &'static str,
    pub done_heading: &'static str,
    pub withdrawn_done: &'static str,
    pub withdrawn_already: &'static str,
    /// Never opted in, or the record was removed meanwhile: nothing to withdraw.
    pub withdrawn_nothing: &'static str,
    pub access_done: &'static str,
    pub access_already: &'static str,
    pub correction_done: &'static str,
    pub correction_already: &'static str,
    pub limited_heading: &'static str,
    /// "Försök igen om {n minuter}."
    pub limited: (&'static str, &'static str),
    pub bad_form_heading: &'static str,
    pub bad_form: &'static str,
    pub start_over: &'static str,
}

const SV: Texts = Texts {
    lang: Language::Swedish,
    other_lang: Language::English,
    other_lang_name: "English",
    page_title: "Ditt kvitto",
    skip: "Till innehållet",
    form_heading: "Ditt kvitto på din intresseanmälan",
    form_intro: "Skriv kvittokoden du fick när du anmälde dig. Då ser du om vi har tagit emot \
        din anmälan.",
    code_label: "Kvittokod",
    code_hint: "27 tecken i grupper om fyra, till exempel 7ZQK-M4XR-TB9D-1H6C-ANPE-W3VS-G2F*. \
        Små bokstäver och bindestreck går bra.",
    show: "Visa",
    error_heading: "Det finns ett problem",
    mistyped: "Kontrollera koden. Den stämmer inte, troligen är ett tecken fel eller två tecken \
        har bytt plats.",
    holder_warning: "Den som har koden kan se den här sidan och göra det som står här. Visa \
        inte koden för någon annan.",
    received_heading: "Vi har tagit emot din anmälan",
    received_on: ("Mottagen ", " av myndigheten som allmän handling."),
    event: "Evenemang",
    talent_pool: "Talangbanken",
    in_pool: "Du finns i vår talangbank.",
    not_in_pool: "Du finns inte i vår talangbank.",
    actions_heading: "Vad vill du göra?",
    withdraw: "Ta tillbaka samtycket till talangbanken",
    withdraw_hint: "Vi kontaktar dig inte om andra jobb.",
    ask_access: "Begär ett registerutdrag",
    ask_access_hint: "Du får allt vi har om dig, via den kontaktuppgift du lämnade. Aldrig på \
        den här sidan.",
    ask_correction: "Be oss rätta ett fel",
    ask_correction_hint: "Beskriv vad som är fel, så går vi igenom det.",
    restricted_text: "Vill du veta mer eller ändra något, ring myndighetens växel och be att \
        få tala med en handläggare som får hantera skyddade personuppgifter. Lämna inte ut \
        din kvittokod.",
    on_its_way_heading: "Din anmälan är på väg",
    on_its_way: "Vi hittar ingen mottagen anmälan med den koden ännu. Surfplattan skickar din \
        anmälan när den får kontakt med nätet, oftast samma dag.",
    on_its_way_wait: (
        "Har den inte kommit fram ",
        " dagar efter evenemanget, kontakta oss.",
    ),
    contact_hr: "Ring myndighetens växel eller skriv till registraturen. Berätta vilket \
        evenemang och vilken dag du anmälde dig. Lämna inte ut din kvittokod.",
    another_code: "Skriv en annan kod",
    confirm_withdraw_heading: "Ta tillbaka samtycket till talangbanken",
    confirm_withdraw: "Vill du ta tillbaka ditt samtycke? Det gäller direkt. Vi kontaktar dig \
        inte om andra jobb. Din anmälan är en allmän handling och finns kvar tills den gallras.",
    confirm_withdraw_button: "Ja, ta tillbaka samtycket",
    confirm_access_heading: "Begär ett registerutdrag",
    confirm_access: "Vi skickar ett registerutdrag med allt vi har om dig till den e-post eller \
        det telefonnummer du lämnade. Det visas aldrig på den här sidan.",
    confirm_access_button: "Skicka begäran",
    confirm_correction_heading: "Be oss rätta ett fel",
    confirm_correction: "Beskriv vad som är fel och vad som är rätt. Skriv inte mer om dig \
        själv än det som behövs.",
    correction_label: "Vad är fel?",
    correction_hint: "Högst 2 000 tecken.",
    correction_empty: "Skriv vad som är fel.",
    correction_too_long: "Texten är för lång. Skriv högst 2 000 tecken.",
    confirm_correction_button: "Skicka begäran",
    back: "Tillbaka till kvittot",
    done_heading: "Klart",
    withdrawn_done: "Ditt samtycke till talangbanken är borttaget. Vi kontaktar dig inte om \
        andra jobb.",
    withdrawn_already: "Ditt samtycke till talangbanken var redan borttaget.",
    withdrawn_nothing: "Det finns inget samtycke till talangbanken att ta tillbaka. Vi \
        kontaktar dig inte om andra jobb.",
    access_done: "Din begäran om registerutdrag är skickad. Du får utdraget via den \
        kontaktuppgift du lämnade, inom en månad.",
    access_already: "Din begäran om registerutdrag är redan skickad. Du får utdraget via den \
        kontaktuppgift du lämnade, inom en månad.",
    correction_done: "Din begäran om rättelse är skickad. Vi hör av oss via den kontaktuppgift \
        du lämnade.",
    correction_already: "Din begäran om rättelse är redan skickad. Vi hör av oss via den \
        kontaktuppgift du lämnade när vi har gått igenom den.",
    limited_heading: "För många försök",
    limited: (
        "Det har kommit för många uppslag från det här nätet. Försök igen om ",
        ".",
    ),
    bad_form_heading: "Sidan kunde inte läsas",
    bad_form: "Det du skickade kunde inte läsas. Börja om och skriv koden igen.",
    start_over: "Börja om",
};

const EN: Texts = Texts {
    lang: Language::English,
    other_lang: Language::Swedish,
    other_lang_name: "Svenska",
    page_title: "Your receipt",
    skip: "Skip to content",
    form_heading: "The receipt for your registration",
    form_intro: "Type the receipt code you were given when you registered, to see whether we \
        have received your registration.",
    code_label: "Receipt code",
    code_hint: "27 characters in groups of four, for example 7ZQK-M4XR-TB9D-1H6C-ANPE-W3VS-G2F*. \
        Lower case and hyphens are fine.",
    show: "Show",
    error_heading: "There is a problem",
    mistyped: "Check the code. It does not add up: most likely one character is wrong or two \
        have swapped places.",
    holder_warning: "Whoever has the code can see this page and do what it offers. Do not show \
        the code to anyone else.",
    received_heading: "We have received your registration",
    received_on: ("Received on ", " by the agency, as a public document."),
    event: "Event",
    talent_pool: "Talent pool",
    in_pool: "You are in our talent pool.",
    not_in_pool: "You are not in our talent pool.",
    actions_heading: "What would you like to do?",
    withdraw: "Withdraw your consent to the talent pool",
    withdraw_hint: "We will not contact you about other roles.",
    ask_access: "Ask for a copy of your data (registerutdrag)",
    ask_access_hint: "You get everything we hold about you, through the contact details you \
        gave. Never on this page.",
    ask_correction: "Ask us to correct an error",
    ask_correction_hint: "Tell us what is wrong, and we will go through it.",
    restricted_text: "To learn more or change anything, call the agency's switchboard and ask \
        for an officer cleared to handle protected personal data. Do not give anyone your \
        receipt code.",
    on_its_way_heading: "Your registration is on its way",
    on_its_way: "We find no received registration with that code yet. The tablet sends your \
        registration when it connects to the network, usually the same day.",
    on_its_way_wait: (
        "If it has not arrived ",
        " days after the event, please contact us.",
    ),
    contact_hr: "Call the agency's switchboard or write to the registry office. Say which event \
        and which day you registered. Do not give anyone your receipt code.",
    another_code: "Type another code",
    confirm_withdraw_heading: "Withdraw your consent to the talent pool",
    confirm_withdraw: "Do you want to withdraw your consent? It takes effect at once. We will \
        not contact you about other roles. Your registration is a public document and is kept \
        until it is removed under our retention rules.",
    confirm_withdraw_button: "Yes, withdraw my consent",
    confirm_access_heading: "Ask for a copy of your data",
    confirm_access: "We will send a copy of everything we hold about you (a registerutdrag) to \
        the email address or phone number you gave. It is never shown on this page.",
    confirm_access_button: "Send the request",
    confirm_correction_heading: "Ask us to correct an error",
    confirm_correction: "Tell us what is wrong and what is right. Write no more about yourself \
        than is needed.",
    correction_label: "What is wrong?",
    correction_hint: "At most 2,000 characters.",
    correction_empty: "Tell us what is wrong.",
    correction_too_long: "The text is too long. Write at most 2,000 characters.",
    confirm_correction_button: "Send the request",
    back: "Back to the receipt",
    done_heading: "Done",
    withdrawn_done: "Your consent to the talent pool is withdrawn. We will not contact you about \
        other roles.",
    withdrawn_already: "Your consent to the talent pool was already withdrawn.",
    withdrawn_nothing: "There is no consent to the talent pool to withdraw. We will not \
        contact you about other roles.",
    access_done: "Your request for a copy of your data has been sent. You will get it through \
        the contact details you gave, within a month.",
    access_already: "Your request for a copy of your data has already been sent. You will get \
        it through the contact details you gave, within a month.",
    correction_done: "Your request for a correction has been sent. We will be in touch through \
        the contact details you gave.",
    correction_already: "Your request for a correction has already been sent. We will be in \
        touch through the contact details you gave once we have gone through it.",
    limited_heading: "Too many attempts",
    limited: (
        "There have been too many look-ups from this network. Try again in ",
        ".",
    ),
    bad_form_heading: "The page could not be read",
    bad_form: "What was sent could not be read. Start over and type the code again.",
    start_over: "Start over",
};

pub(crate) fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// How the access log, the console and the registerutdrag name the visitor's own entries.
pub(crate) fn visitor_accessor(lang: Language) -> &'static str {
    match lang {
        Language::Swedish => "Besökaren själv (med kvitto)",
        Language::English => "The visitor (with receipt)",
    }
}
