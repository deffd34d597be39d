//! What GDPR Art. 15 requires a *registerutdrag* to tell the person, besides the data
//! itself, in plain Swedish and English: the purposes, the legal basis, the categories of
//! data, the recipients, how long it is kept, where it came from, that no decision is
//! automated, the rights to rectification, erasure, restriction and objection, and the right
//! to complain to the supervisory authority (IMY). Each record's own retention rule is
//! stated with the record ([`super::subject_access`]).

use kiosk_core::language::Language;
use maud::{Markup, html};

/// One heading and its text.
struct Item {
    heading: &'static str,
    text: &'static str,
}

struct Texts {
    heading: &'static str,
    items: [Item; 9],
}

const SV: Texts = Texts {
    heading: "Om behandlingen av dina personuppgifter",
    items: [
        Item {
            heading: "Varför vi behandlar uppgifterna (ändamål)",
            text: "Vi använder uppgifterna för att kunna kontakta dig om de tjänster som du visade intresse för, och för att kunna redovisa hur din anmälan har hanterats. Om du valde att vara med i vår talangpool använder vi dem också för att kontakta dig om andra tjänster som kan passa dig.",
        },
        Item {
            heading: "Med vilken rätt (rättslig grund)",
            text: "Intresseanmälan behandlas för att utföra en uppgift av allmänt intresse som myndigheten har (artikel 6.1 e i dataskyddsförordningen). Talangpoolen bygger på ditt samtycke (artikel 6.1 a), som du kan ta tillbaka när du vill. Anmälan blev en allmän handling när myndigheten tog emot den.",
        },
        Item {
            heading: "Vilka uppgifter vi har",
            text: "Ditt namn och den e-postadress och det telefonnummer som du lämnade; de intresseområden, orter och den utbildningsnivå som du valde; vilket språk du använde; dina val om integritetsinformation och talangpool; när och på vilken surfplatta anmälan gjordes och när den kom in till oss; anteckningar, bedömningar och status som myndighetens rekryterare har lagt till; och en logg över vem som har tagit del av anmälan.",
        },
        Item {
            heading: "Varifrån uppgifterna kommer",
            text: "Du lämnade själv uppgifterna på en surfplatta på evenemanget. Anteckningar, bedömningar och status kommer från myndighetens rekryterare. Tider och loggar skapas av systemet.",
        },
        Item {
            heading: "Vem som får ta del av uppgifterna (mottagare)",
            text: "Bara behöriga medarbetare på myndigheten: rekryterare som arbetar med evenemanget (också på deras surfplattor) och arkivarier. Administratörer sköter konton och surfplattor men läser inte registreringarna. Vi lämnar inte uppgifterna till andra, utom när lag kräver det, till exempel när någon begär att få ta del av en allmän handling och en sekretessprövning visar att den kan lämnas ut.",
        },
        Item {
            heading: "Hur länge vi sparar uppgifterna",
            text: "Varje registrering sparas så länge som gallringsregeln för evenemanget säger, räknat från när myndigheten tog emot den. Sedan gallras den, det vill säga raderas. Vad som gäller för dina registreringar står vid var och en nedan. Om du tar tillbaka ditt samtycke till talangpoolen gäller det direkt.",
        },
        Item {
            heading: "Automatiska beslut",
            text: "Inga beslut om dig fattas automatiskt.",
        },
        Item {
            heading: "Dina rättigheter",
            text: "Du har rätt att få felaktiga uppgifter rättade (artikel 16), att begära att uppgifter raderas (artikel 17) eller att behandlingen begränsas (artikel 18), och att invända mot behandlingen (artikel 21). Eftersom anmälan är en allmän handling kan arkivreglerna ibland hindra att den raderas innan gallringstiden har gått ut; då får du veta varför. Kontakta myndighetens registrator eller dataskyddsombud och ange din kvittokod.",
        },
        Item {
            heading: "Om du vill klaga",
            text: "Om du anser att vi behandlar dina personuppgifter felaktigt kan du klaga hos Integritetsskyddsmyndigheten (IMY), Box 8114, 104 20 Stockholm, www.imy.se, imy@imy.se.",
        },
    ],
};

const EN: Texts = Texts {
    heading: "How your personal data is processed",
    items: [
        Item {
            heading: "Why we process the data (purposes)",
            text: "We use the data to contact you about the vacancies you showed interest in, and to be able to account for how your registration was handled. If you chose to join our talent pool, we also use it to contact you about other vacancies that may suit you.",
        },
        Item {
            heading: "On what grounds (legal basis)",
            text: "The expression of interest is processed to perform a task in the public interest that the agency has (Article 6(1)(e) of the General Data Protection Regulation). The talent pool rests on your consent (Article 6(1)(a)), which you can withdraw at any time. The registration became a public document (allmän handling) when the agency received it.",
        },
        Item {
            heading: "What data we hold",
            text: "Your name and the email address and phone number you gave; the interest areas, locations and education level you chose; the language you used; your choices about the privacy notice and the talent pool; when and on which tablet the registration was made and when it reached us; notes, ratings and status added by the agency's recruiters; and a log of who has seen the registration.",
        },
        Item {
            heading: "Where the data comes from",
            text: "You gave the data yourself on a tablet at the event. Notes, ratings and status come from the agency's recruiters. Times and logs are made by the system.",
        },
        Item {
            heading: "Who may see the data (recipients)",
            text: "Only authorised staff of the agency: recruiters who work with the event (also on their tablets) and archivists. Administrators manage accounts and tablets but do not read registrations. We do not give the data to anyone else, except where the law requires it, for example when someone asks to see a public document and a secrecy review shows that it can be released.",
        },
        Item {
            heading: "How long we keep the data",
            text: "Each registration is kept for as long as the event's retention rule says, counted from when the agency received it. It is then disposed of, that is, erased. What applies to your registrations is stated with each of them below. If you withdraw your consent to the talent pool, this takes effect at once.",
        },
        Item {
            heading: "Automated decisions",
            text: "No decisions about you are made automatically.",
        },
        Item {
            heading: "Your rights",
            text: "You have the right to have incorrect data corrected (Article 16), to ask for data to be erased (Article 17) or for its processing to be restricted (Article 18), and to object to the processing (Article 21). As the registration is a public document, archival rules can sometimes prevent its erasure before the retention period ends; you will then be told why. Contact the agency's registry office or data protection officer and give your receipt code.",
        },
        Item {
            heading: "If you want to complain",
            text: "If you think we process your personal data wrongly, you can complain to the Swedish Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY), Box 8114, 104 20 Stockholm, Sweden, www.imy.se, imy@imy.se.",
        },
    ],
};

/// The section in `lang`.
pub(crate) fn section(lang: Language) -> Markup {
    let t = match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    };
    html! {
        section.rights aria-labelledby="rights-heading" {
            h2 #rights-heading { (t.heading) }
            @for item in &t.items {
                h3 { (item.heading) }
                p { (item.text) }
            }
        }
    }
}
