//! The registration list's own texts (filters chosen from lists, the total, the order,
//! page N of M, a recruiter with no event yet) and the record page's steps within the list,
//! in Swedish and English. The texts the list shares with other pages stay in
//! [`super::texts`].

use crate::hr::plural::Plural;
use kiosk_core::language::Language;

/// The list's texts in one language.
#[derive(Debug)]
pub(crate) struct ListTexts {
    pub all_events: &'static str,
    pub all_choices: &'static str,
    pub choices_of_all_events: &'static str,
    pub sort_label: &'static str,
    pub newest_first: &'static str,
    pub oldest_first: &'static str,
    pub caption_oldest: &'static str,
    /// "1 registrering", "38 registreringar": the number agrees with the noun.
    pub total: Plural,
    pub total_unknown: &'static str,
    pub page_of: &'static str,
    pub previous_page: &'static str,
    pub deeper_pages: &'static str,
    pub past_the_end: &'static str,
    pub bad_page: &'static str,
    pub bad_sort: &'static str,
    pub unassigned_heading: &'static str,
    pub unassigned_why: &'static str,
    pub ask_admins: &'static str,
    pub ask_an_admin: &'static str,
    pub record_nav: &'static str,
    pub previous_record: &'static str,
    pub next_record: &'static str,
    pub back_to_page: &'static str,
}

const SV: ListTexts = ListTexts {
    all_events: "Alla dina evenemang",
    all_choices: "Alla",
    choices_of_all_events: "Listorna har alternativen från alla dina evenemang. Välj ett evenemang för att se bara dess alternativ.",
    sort_label: "Ordning",
    newest_first: "Nyast först",
    oldest_first: "Äldst först",
    caption_oldest: "Registreringar, äldst först",
    total: Plural {
        one: "1 registrering",
        other: "{} registreringar",
    },
    total_unknown: "Sökningen gäller för många registreringar för att räkna dem. Begränsa med ett evenemang eller datum för att se antalet.",
    page_of: "Sida {} av {}",
    previous_page: "Föregående sida",
    deeper_pages: "Listan visar de första {} sidorna. Byt ordning eller begränsa filtret för att se resten.",
    past_the_end: "Listan har inte så många sidor.",
    bad_page: "Sidnumret ska vara ett heltal från 1 till {}.",
    bad_sort: "Välj nyast först eller äldst först.",
    unassigned_heading: "Du har inget evenemang ännu",
    unassigned_why: "Som rekryterare ser du registreringarna från de evenemang som du är tilldelad. Du är inte tilldelad något evenemang ännu, och därför finns det inga registreringar att visa.",
    ask_admins: "Be en administratör att tilldela dig ett evenemang: {}.",
    ask_an_admin: "Be en administratör att tilldela dig ett evenemang.",
    record_nav: "Registreringar i listan",
    previous_record: "Föregående registrering",
    next_record: "Nästa registrering",
    back_to_page: "Tillbaka till registreringarna, sida {}",
};

const EN: ListTexts = ListTexts {
    all_events: "All your events",
    all_choices: "Any",
    choices_of_all_events: "The lists hold the choices of all your events. Choose an event to see only its own.",
    sort_label: "Order",
    newest_first: "Newest first",
    oldest_first: "Oldest first",
    caption_oldest: "Registrations, oldest first",
    total: Plural {
        one: "1 registration",
        other: "{} registrations",
    },
    total_unknown: "The search covers too many registrations to count them. Narrow it with an event or dates to see the number.",
    page_of: "Page {} of {}",
    previous_page: "Previous page",
    deeper_pages: "The list shows the first {} pages. Change the order or narrow the filter to see the rest.",
    past_the_end: "The list does not have that many pages.",
    bad_page: "The page number must be a whole number from 1 to {}.",
    bad_sort: "Choose newest first or oldest first.",
    unassigned_heading: "You have no event yet",
    unassigned_why: "As a recruiter you see the registrations of the events you are assigned to. You are not assigned to any event yet, so there are no registrations to show.",
    ask_admins: "Ask an administrator to assign you an event: {}.",
    ask_an_admin: "Ask an administrator to assign you an event.",
    record_nav: "Registrations in the list",
    previous_record: "Previous registration",
    next_record: "Next registration",
    back_to_page: "Back to the registrations, page {}",
};

pub(crate) fn list_texts(lang: Language) -> &'static ListTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

impl ListTexts {
    /// "Sida 2 av 7".
    pub(crate) fn page_of(&self, page: u32, pages: u32) -> String {
        self.page_of
            .replacen("{}", &page.to_string(), 1)
            .replacen("{}", &pages.to_string(), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_agrees_in_number_in_both_languages() {
        let sv = list_texts(Language::Swedish);
        let en = list_texts(Language::English);
        assert_eq!(sv.total.of(1), "1 registrering");
        assert_eq!(sv.total.of(38), "38 registreringar");
        assert_eq!(sv.total.of(0), "0 registreringar");
        assert_eq!(en.total.of(1), "1 registration");
        assert_eq!(en.total.of(38), "38 registrations");
        assert_eq!(sv.page_of(2, 7), "Sida 2 av 7");
    }
}
