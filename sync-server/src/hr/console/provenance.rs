//! The record page's provenance section: what a provenance bundle is, whom it is for, and
//! its download ([`crate::hr::provenance_api`]), shown to archivists, who may make one.

use kiosk_core::language::Language;
use maud::{Markup, html};

use crate::hr::accounts::HrUser;
use crate::hr::policy::require_exporter;
use crate::hr::provenance_api::bundle_path;

/// The texts, in one language.
#[derive(Debug)]
struct ProvenanceTexts {
    heading: &'static str,
    what: &'static str,
    whom: &'static str,
    download: &'static str,
}

const SV: ProvenanceTexts = ProvenanceTexts {
    heading: "Underlag för äkthetskontroll",
    what: "En JSON-fil som visar att registreringen är exakt den som surfplattan tog emot och \
           signerade, vilka ändringar som har gjorts och när, och att reläets transparenslogg \
           innehåller varje ändring. Den går att kontrollera utan vår programvara, med OpenSSL \
           och Python, så som docs/provenance.md beskriver.",
    whom: "För arkivarier, för utlämnande av allmänna handlingar och för granskning, till \
           exempel av dataskyddsombudet. Filen innehåller alla personuppgifter i \
           registreringen: hantera den som registreringen själv. Hämtningen loggas.",
    download: "Ladda ner underlaget (JSON)",
};

const EN: ProvenanceTexts = ProvenanceTexts {
    heading: "Provenance bundle",
    what: "A JSON file showing that the registration is exactly what the tablet captured and \
           signed, which changes were made to it and when, and that the relay's transparency \
           log holds every change. It can be checked without our software, with OpenSSL and \
           Python, as docs/provenance.md describes.",
    whom: "For archivists, for the disclosure of public documents and for audits, for example \
           by the data protection officer. The file holds all the personal data of the \
           registration: handle it as the registration itself. The download is logged.",
    download: "Download the bundle (JSON)",
};

fn texts(lang: Language) -> &'static ProvenanceTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The section for record `id`, empty for a reader who may not make a bundle.
pub(super) fn section(lang: Language, id: &str, user: &HrUser) -> Markup {
    let t = texts(lang);
    html! {
        @if require_exporter(user).is_ok() {
            section.provenance aria-labelledby="provenance-heading" {
                h2 #provenance-heading { (t.heading) }
                p { (t.what) }
                p { (t.whom) }
                p { a href=(bundle_path(id)) download data-provenance-bundle { (t.download) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::accounts::Role;

    fn user(roles: &[Role]) -> HrUser {
        HrUser {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            roles: roles.to_vec(),
            restricted_clearance: false,
            must_change_password: false,
            disabled: false,
        }
    }

    #[test]
    fn archivists_get_the_download_with_what_it_is_and_whom_it_is_for_in_both_languages() {
        let id = "0190b7e2-0000-7000-8000-000000000001";
        for (lang, heading, whom) in [
            (
                Language::Swedish,
                "Underlag för äkthetskontroll",
                "dataskyddsombudet",
            ),
            (
                Language::English,
                "Provenance bundle",
                "data protection officer",
            ),
        ] {
            let html = section(lang, id, &user(&[Role::Archivist])).into_string();
            assert!(html.contains(heading), "{html}");
            assert!(html.contains(whom), "{html}");
            assert!(
                html.contains(&format!(
                    "href=\"/api/v1/registrations/{id}/provenance\" download"
                )),
                "{html}"
            );
            for roles in [&[Role::Recruiter][..], &[Role::Admin][..]] {
                assert_eq!(section(lang, id, &user(roles)).into_string(), "");
            }
        }
    }
}
