//! What a tablet shows a recruiter or visitor for a core error, in Swedish and English.
//!
//! Field errors of a form carry their own texts ([`crate::validation::FieldError::message`]);
//! this covers the rest. Texts name what went wrong and what to do, never personal data, and
//! errors a visitor cannot act on get one calm text for staff.

use crate::device::{HandBack, SyncRefusal};
use crate::error::Error;
use crate::language::Localized;
use crate::protocol::ErrorCode;
use crate::staff::PinError;
use crate::sync::TransportError;

/// The text a shell shows for `error`.
pub fn user_message(error: &Error) -> Localized {
    match error {
        Error::Invalid(errors) => Localized::new(
            format!("{} fält behöver rättas.", errors.errors.len()),
            format!("{} field(s) need correcting.", errors.errors.len()),
        ),
        Error::Pin(pin) => pin_message(pin),
        Error::SessionExpired => Localized::new(
            "Formuläret tömdes eftersom ingen använde det på en stund. Börja om.",
            "The form was cleared because nobody used it for a while. Please start again.",
        ),
        Error::NoEvent => Localized::new(
            "Surfplattan har inget evenemang ännu. Personalen behöver synka den.",
            "This tablet has no event yet. Staff need to sync it.",
        ),
        Error::NoRelayKey | Error::NotEnrolled => Localized::new(
            "Surfplattan är inte registrerad. Personalen behöver registrera den med en kod från HR.",
            "This tablet is not enrolled. Staff need to enroll it with a code from HR.",
        ),
        Error::Wiped => Localized::new(
            "Surfplattan har raderats på HR:s begäran och måste registreras på nytt.",
            "This tablet was wiped at HR's request and must be enrolled again.",
        ),
        Error::Transport(TransportError::Unreachable(_)) => Localized::new(
            "Ingen kontakt med servern. Inget har gått förlorat; försök igen senare.",
            "The server could not be reached. Nothing was lost; try again later.",
        ),
        Error::Transport(TransportError::Refused { code, .. })
            if code == ErrorCode::StoreFull.as_str() =>
        {
            Localized::new(
                "Servern har fullt på sin disk och kunde inte ta emot något. Inget har gått \
                 förlorat: surfplattan behåller sina kopior och skickar dem igen senare. Säg till HR.",
                "The server's disk is full and it could not take anything. Nothing was lost: the \
                 tablet keeps its copies and sends them again later. Tell HR.",
            )
        }
        Error::Transport(TransportError::Refused { code, .. })
            if code == ErrorCode::Busy.as_str() =>
        {
            Localized::new(
                "Servern är upptagen just nu. Inget har gått förlorat; försök igen om en stund.",
                "The server is busy right now. Nothing was lost; try again in a moment.",
            )
        }
        Error::Transport(TransportError::Refused { .. }) | Error::RelayRefused { .. } => {
            Localized::new(
                "Servern tog inte emot begäran. Inget har gått förlorat; kontakta HR om det upprepas.",
                "The server refused the request. Nothing was lost; contact HR if it happens again.",
            )
        }
        Error::EnrollmentMismatch("relay key") => Localized::new(
            "Serverns nyckel stämmer inte med QR-koden. Registrera inte surfplattan; kontakta HR.",
            "The server's key does not match the QR code. Do not enroll this tablet; contact HR.",
        ),
        Error::EnrollmentMismatch("role") => Localized::new(
            "Koden gäller en annan sorts surfplatta (kiosk eller personal). Be HR om rätt kod.",
            "The code is for another kind of tablet (kiosk or staff). Ask HR for the right code.",
        ),
        Error::EnrollmentMismatch("event") => Localized::new(
            "Surfplattan är inställd för ett annat evenemang än koden. Registrera den utan \
             installerat evenemang: den hämtar kodens evenemang från servern.",
            "This tablet is set up for another event than the code's. Enroll it without an \
             installed event: it takes the code's event from the server.",
        ),
        Error::Enrollment(_) | Error::EnrollmentMismatch(_) => Localized::new(
            "Registreringen misslyckades. Kontrollera koden och be HR om en ny vid behov.",
            "Enrollment failed. Check the code, and ask HR for a new one if needed.",
        ),
        Error::InvalidRelayAddress => Localized::new(
            "Serverns adress går inte att använda. Den ska börja med https:// (eller http://) \
             och får inte innehålla mellanslag, ? eller #.",
            "The server address cannot be used. It must start with https:// (or http://) and \
             must not contain spaces, ? or #.",
        ),
        Error::LogFork { .. } => log_fork_message(),
        Error::LogMissing => Localized::new(
            "Reläets svar saknar loggens kontrollpunkt och användes inte. Försök igen; \
             kontakta IT om det upprepas.",
            "The relay's answer has no log checkpoint and was not used. Try again; tell IT \
             if it happens again.",
        ),
        Error::LogRestoreUnconfirmed { from, to } => {
            let (sv, en) = log_went(*from, *to);
            Localized::new(
                format!(
                    "Reläet har återställts från en säkerhetskopia ({sv}) och vittnet har inte \
                     bekräftat det. Inget användes; synkroniseringen försöker igen senare. \
                     Kontakta IT/säkerhet om det varar."
                ),
                format!(
                    "The relay was restored from a backup ({en}) and the witness has not \
                     confirmed it. Nothing was applied; the sync tries again later. Tell \
                     IT/security if it lasts."
                ),
            )
        }
        Error::BadWitnessKeys { reason } => {
            use crate::error::WitnessKeysRefused as Why;
            let (sv, en) = match reason {
                Why::None => (
                    "ingen nyckel angavs".to_owned(),
                    "no key was given".to_owned(),
                ),
                Why::TooMany { given, most } => (
                    format!("{given} nycklar angavs, högst {most} kan krävas"),
                    format!("{given} keys were given, at most {most} can be required"),
                ),
                Why::NotAWitnessKey { position } => (
                    format!("nyckel {position} är inte ett vittnes verifieringsnyckel"),
                    format!("key {position} is not a witness verifier key"),
                ),
            };
            Localized::new(
                format!("Vittnesnycklarna godtogs inte: {sv}."),
                format!("The witness keys were not accepted: {en}."),
            )
        }
        Error::LogChanged => Localized::new(
            "Loggens kontrollpunkt ändrades under synkroniseringen. Synkronisera igen.",
            "The log checkpoint changed during the sync. Sync again.",
        ),
        Error::Cancelled => Localized::new(
            "Synkningen avbröts. Det som redan skickats är kvar; resten skickas nästa gång.",
            "The sync was cancelled. What was sent is kept; the rest goes next time.",
        ),
        Error::SecretStore(_) | Error::DataKeyMissing | Error::WrongDataKey => Localized::new(
            "Surfplattans nyckelförråd svarar inte. Lås upp surfplattan och försök igen.",
            "The tablet's key store did not answer. Unlock the tablet and try again.",
        ),
        Error::NoWipeOrder => Localized::new(
            "Surfplattan har ingen order om radering; den fortsätter som vanligt.",
            "This tablet has no order to wipe itself; it carries on as usual.",
        ),
        Error::Annotation(_) | Error::UnknownRegistration { .. } | Error::NotStaff => {
            Localized::new(
                "Ändringen kunde inte sparas på den här anmälan.",
                "The change could not be saved on this registration.",
            )
        }
        _ => something_went_wrong(),
    }
}

/// The text for a failure staff cannot act on beyond telling HR.
pub fn something_went_wrong() -> Localized {
    Localized::new(
        "Något gick fel på surfplattan. Inget som redan sparats har gått förlorat; kontakta HR.",
        "Something went wrong on the tablet. Nothing already saved was lost; contact HR.",
    )
}

/// Why staff mode did not open, with the wait or the attempts left where they matter.
pub fn pin_message(error: &PinError) -> Localized {
    match error {
        PinError::InvalidFormat => Localized::new(
            "En PIN-kod har 6–12 siffror, inte alla lika och inte i följd som 123456.",
            "A PIN has 6–12 digits, not all alike and not a run like 123456.",
        ),
        PinError::NotSet => Localized::new(
            "Ingen PIN-kod är satt på surfplattan.",
            "No staff PIN is set on this tablet.",
        ),
        PinError::AlreadySet => Localized::new(
            "En PIN-kod är redan satt; byt den i personalläget.",
            "A staff PIN is already set; change it in staff mode.",
        ),
        PinError::Wrong {
            attempts_left,
            retry_after_secs,
        } => Localized::new(
            format!(
                "Fel PIN-kod. {attempts_left} försök kvar; nästa försök om {retry_after_secs} s."
            ),
            format!("Wrong PIN. {attempts_left} attempts left; next try in {retry_after_secs} s."),
        ),
        PinError::TooSoon { retry_after_secs } => Localized::new(
            format!("Vänta {retry_after_secs} s innan nästa försök."),
            format!("Wait {retry_after_secs} s before the next try."),
        ),
        PinError::LockedOut => Localized::new(
            "PIN-koden är spärrad efter för många fel. Be HR om en upplåsningskod.",
            "The PIN is locked after too many wrong tries. Ask HR for an unlock code.",
        ),
        PinError::BadUnlockCode => Localized::new(
            "Upplåsningskoden gäller inte den här surfplattan.",
            "The unlock code is not valid for this tablet.",
        ),
        PinError::UnlockCodeUsed => Localized::new(
            "Upplåsningskoden är redan använd. Be HR om en ny.",
            "This unlock code was already used. Ask HR for a new one.",
        ),
        PinError::NoUnlock => Localized::new(
            "Ingen upplåsning från HR har kommit. Synka, eller klistra in texten i QR-koden från HR.",
            "No unlock from HR has arrived. Sync, or paste the text of HR's QR code.",
        ),
        PinError::UnlockCodeExpired => Localized::new(
            "Upplåsningskoden är äldre än en vecka. Be HR om en ny.",
            "This unlock code is more than a week old. Ask HR for a new one.",
        ),
    }
}

/// Whether staff may hand the tablet back, and if not what to do: the one wording the CLI's
/// `status` and a shell's staff overview show.
pub fn hand_back_message(hand_back: &HandBack) -> Localized {
    match hand_back {
        HandBack::Safe => Localized::new(
            "Surfplattan kan lämnas tillbaka: reläet har kvitterat allt den tagit emot.",
            "Safe to hand back: the relay has a receipt for everything this tablet took.",
        ),
        HandBack::Unsent { unreceipted } => Localized::new(
            format!(
                "INTE klar: {unreceipted} osända anmälning(ar) saknar kvitto från reläet; \
                 synkronisera."
            ),
            format!(
                "NOT safe to hand back: {unreceipted} unsent registration(s) lack a receipt \
                 from the relay; sync."
            ),
        ),
        HandBack::UnsentEdits { records } => Localized::new(
            format!(
                "INTE klar: anteckningar, betyg eller status för {records} anmälning(ar) har \
                 inte nått reläet; synkronisera."
            ),
            format!(
                "NOT safe to hand back: notes, ratings or statuses of {records} \
                 registration(s) are not at the relay yet; sync."
            ),
        ),
        HandBack::RelayRefuses(refusal) => {
            let refused = refusal_message(refusal);
            Localized::new(
                format!("INTE klar: {}", refused.sv),
                format!("NOT safe to hand back: {}", refused.en),
            )
        }
        HandBack::RelayLacks { tablet, relay } => {
            let missing = tablet.saturating_sub(*relay);
            Localized::new(
                format!(
                    "VARNING: Reläet bekräftar {relay} av surfplattans {tablet} journalposter, \
                     och de övriga {missing} kan inte skickas igen: de raderades här efter att \
                     en säkerhetskopia höll dem, och reläet återställdes sedan från en äldre. \
                     INTE klar: kontakta HR."
                ),
                format!(
                    "WARNING: the relay confirms {relay} of this tablet's {tablet} journal \
                     entries, and the tablet can no longer send the other {missing}: it erased \
                     them after a relay backup held them, and the relay was then restored from \
                     an older backup. NOT safe to hand back: tell HR."
                ),
            )
        }
        HandBack::LogFork { .. } => {
            let fork = log_fork_message();
            Localized::new(
                format!("INTE klar: {}", fork.sv),
                format!("NOT safe to hand back: {}", fork.en),
            )
        }
        HandBack::LogRestored { from, to } => {
            let restore = log_restore_message(*from, *to);
            Localized::new(
                format!("INTE klar: {}", restore.sv),
                format!("NOT safe to hand back: {}", restore.en),
            )
        }
        HandBack::LogRestoreUnconfirmed { from, to } => {
            let text = user_message(&Error::LogRestoreUnconfirmed {
                from: *from,
                to: *to,
            });
            Localized::new(
                format!("INTE klar: {}", text.sv),
                format!("NOT safe to hand back: {}", text.en),
            )
        }
        HandBack::AwaitingWitness {
            captures,
            unreceipted,
        } => Localized::new(
            format!(
                "INTE klar: {unreceipted} anmälning(ar) saknar kvitto; {captures} av dem har \
                 reläet sparat men vittnet har ännu inte bekräftat reläets logg med dem. \
                 Synkronisera igen senare; kontakta IT om det varar."
            ),
            format!(
                "NOT safe to hand back: {unreceipted} registration(s) lack a receipt; the relay \
                 stored {captures} of them, but the witness has not yet confirmed the relay's \
                 log holding them. Sync again later; tell IT if it lasts."
            ),
        ),
        HandBack::Unconfirmed { .. } => Localized::new(
            "INTE klar: registrerad igen, och reläet har inte bekräftat surfplattans \
             anmälningar sedan dess; synkronisera.",
            "NOT safe to hand back: enrolled again, and the relay has not confirmed this \
             tablet's records since; sync.",
        ),
    }
}

/// What staff must hear of a restore of the relay's log no witness confirmed: shown in
/// staff mode until acknowledged, and as the hand-back advice.
pub fn log_restore_message(from: u64, to: u64) -> Localized {
    let (sv, en) = log_went(from, to);
    Localized::new(
        format!(
            "Reläet har återställts från en säkerhetskopia: {sv}. Anmälningarna skickas om \
             automatiskt. Kontakta IT/säkerhet och kvittera sedan."
        ),
        format!(
            "The relay was restored from a backup: {en}. Records are re-sent automatically. \
             Tell IT/security, then acknowledge."
        ),
    )
}

/// What became of the relay's log in a restore, (Swedish, English): it went back, or (as
/// large or larger, another history) was replaced.
fn log_went(from: u64, to: u64) -> (String, String) {
    if to < from {
        (
            format!("dess logg gick tillbaka från {from} till {to} poster"),
            format!("its log went back from {from} to {to} entries"),
        )
    } else {
        (
            format!("det ersatte sin logg med {from} poster med en annan med {to}"),
            format!("it replaced its log of {from} entries by another of {to}"),
        )
    }
}

/// The warning of a tablet whose relay, enrolling it again, named other witnesses than the
/// ones it requires: shown in staff mode until they are settled.
pub fn witnesses_offered_message() -> Localized {
    Localized::new(
        "Reläet angav andra vittnen när surfplattan registrerades igen än de som surfplattan \
         kräver. Surfplattan kräver fortfarande de tidigare. Be IT avgöra vilka som gäller och \
         ange dem under vittnen.",
        "The relay named other witnesses, when the tablet was enrolled again, than the ones \
         this tablet requires. It still requires the earlier ones. Ask IT which apply, and set \
         them as the required witnesses.",
    )
}

/// The notice of a tablet whose clock is more than ten minutes behind its witness's (or a
/// witness whose clock is ahead: the tablet cannot tell which)
/// ([`crate::sync::SyncReport::clock_behind_witness`]): captures still count, but the clock
/// should be set right. Shown in staff mode while the last sync found it so.
pub fn clock_behind_witness_message() -> Localized {
    Localized::new(
        "Surfplattans klocka går mer än tio minuter efter vittnets. Anmälningarna räknas \
         ändå, men ställ klockan rätt (automatisk tid) eller be IT göra det. Går surfplattans \
         klocka rätt, är det vittnets klocka som går före: säg till IT.",
        "The tablet's clock is more than ten minutes behind the witness's. Registrations \
         still count, but set the clock right (automatic time) or ask IT to. If the tablet's \
         clock is right, the witness's clock is ahead: tell IT.",
    )
}

/// After a sync whose relay stored records but did not prove them in its log
/// ([`crate::sync::SyncReport::log_unproven`]): they stay on the tablet, sent again, until
/// the relay is updated.
pub fn log_unproven_message(records: u64) -> Localized {
    Localized::new(
        format!(
            "{records} anmälning(ar) eller ändring(ar) är sparade hos reläet men ännu inte \
             bevisade i reläets logg. De ligger kvar på surfplattan och skickas igen. Om det \
             inte går över behöver reläet uppdateras: kontakta IT."
        ),
        format!(
            "{records} registration(s) or edit(s) are stored at the relay but not yet proven \
             in the relay's log. They stay on this tablet and will be sent again. If this \
             lasts, the relay needs updating: contact IT."
        ),
    )
}

/// After a sync in which the relay refused edits this tablet sent again after a restore of
/// its log ([`crate::sync::SyncReport::resend_refused`]): they are not kept or sent again;
/// the relay stored them once, and may have lost them in the restore. Told once.
pub fn resend_refused_message(registrations: u64) -> Localized {
    Localized::new(
        format!(
            "Reläet återställdes från en säkerhetskopia. Ändringar i {registrations} \
             anmälning(ar) som reläet sparat tidigare skickades igen men togs inte emot, och \
             de skickas inte fler gånger. Kontrollera anmälningarna och gör om ändringarna om \
             de behövs."
        ),
        format!(
            "The relay was restored from a backup. Edits of {registrations} registration(s) it \
             had stored before were sent again but not accepted, and will not be sent again. \
             Check those registrations and make the edits again if they are needed."
        ),
    )
}

/// The loud warning of a tablet that saw the relay's log fork: shown in staff mode and as
/// the hand-back advice, the same words everywhere.
pub fn log_fork_message() -> Localized {
    Localized::new(
        "STOPP: Reläet visar en annan historik än tidigare. Lämna inte ut surfplattan och \
         synkronisera inte. Kontakta IT/säkerhet: surfplattan har sparat bevisen.",
        "STOP: the relay shows a different history than before. Do not hand the tablet \
         out and do not sync. Contact IT/security: the tablet has kept the evidence.",
    )
}

/// Why the relay refuses this tablet's syncs and what staff do about it; the time is UTC.
pub fn refusal_message(refusal: &SyncRefusal) -> Localized {
    let (status, code, at) = (refusal.status, &refusal.code, refusal.at.utc_minutes());
    let (hint_sv, hint_en) = if refusal.code == "unknown_device" {
        (
            "reläet känner inte igen surfplattan (återställt från en äldre säkerhetskopia?): \
             registrera den igen med en ny kod och synkronisera; den skickar det den har",
            "the relay does not know this tablet (restored from a backup older than its \
             enrollment?): enroll it again with a new code, then sync; it sends what it holds",
        )
    } else {
        (
            "fråga HR varför, och registrera den igen om de ber om det",
            "ask HR why, and enroll it again if they say so",
        )
    };
    Localized::new(
        format!("reläet nekade surfplattans synkronisering ({status} {code}, {at}); {hint_sv}."),
        format!("the relay refused this tablet's sync ({status} {code}, {at}); {hint_en}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_to_a_larger_log_says_it_was_replaced_not_that_it_went_back() {
        let back = log_restore_message(250, 200);
        assert!(back.en.contains("went back from 250 to 200"), "{}", back.en);
        assert!(
            back.sv.contains("gick tillbaka från 250 till 200"),
            "{}",
            back.sv
        );
        for (from, to) in [(200, 250), (200, 200)] {
            let replaced = log_restore_message(from, to);
            assert!(!replaced.en.contains("went back"), "{}", replaced.en);
            assert!(
                replaced.en.contains(&format!(
                    "replaced its log of {from} entries by another of {to}"
                )),
                "{}",
                replaced.en
            );
            assert!(replaced.sv.contains("ersatte sin logg"), "{}", replaced.sv);
            let unconfirmed = user_message(&Error::LogRestoreUnconfirmed { from, to });
            assert!(
                unconfirmed.en.contains("replaced its log"),
                "{}",
                unconfirmed.en
            );
            assert!(
                !unconfirmed.sv.contains("gick tillbaka"),
                "{}",
                unconfirmed.sv
            );
        }
    }

    #[test]
    fn a_refusal_of_witness_keys_says_why_in_each_language() {
        use crate::error::WitnessKeysRefused as Why;
        for reason in [
            Why::None,
            Why::TooMany {
                given: 17,
                most: 16,
            },
            Why::NotAWitnessKey { position: 2 },
        ] {
            let text = user_message(&Error::BadWitnessKeys {
                reason: reason.clone(),
            });
            let english = ["no key", "keys were given", "key 2 is not"];
            let swedish = ["ingen nyckel", "nycklar angavs", "nyckel 2 är inte"];
            assert!(!english.iter().any(|w| text.sv.contains(w)), "{}", text.sv);
            assert!(swedish.iter().any(|w| text.sv.contains(w)), "{}", text.sv);
            assert!(english.iter().any(|w| text.en.contains(w)), "{}", text.en);
        }
    }

    #[test]
    fn a_full_relay_disk_and_a_busy_relay_get_their_own_texts_saying_nothing_was_lost() {
        let refused = |code: ErrorCode| {
            user_message(&Error::Transport(TransportError::Refused {
                status: 507,
                code: code.as_str().to_owned(),
            }))
        };
        let full = refused(ErrorCode::StoreFull);
        assert!(full.sv.contains("fullt") && full.sv.contains("behåller"));
        assert!(full.en.contains("disk is full") && full.en.contains("keeps its copies"));
        let busy = refused(ErrorCode::Busy);
        assert!(busy.sv.contains("upptagen") && busy.en.contains("busy"));
        let other = refused(ErrorCode::Malformed);
        assert_ne!(full, other);
        assert_ne!(busy, other);
    }

    #[test]
    fn every_pin_error_has_a_swedish_and_an_english_text() {
        let errors = [
            PinError::InvalidFormat,
            PinError::NotSet,
            PinError::AlreadySet,
            PinError::Wrong {
                attempts_left: 7,
                retry_after_secs: 5,
            },
            PinError::TooSoon {
                retry_after_secs: 15,
            },
            PinError::LockedOut,
            PinError::BadUnlockCode,
            PinError::UnlockCodeUsed,
            PinError::NoUnlock,
            PinError::UnlockCodeExpired,
        ];
        for error in errors {
            let text = pin_message(&error);
            assert!(!text.sv.is_empty() && !text.en.is_empty());
            assert_ne!(text.sv, text.en, "{error:?} has a Swedish text of its own");
        }
        let wrong = pin_message(&PinError::Wrong {
            attempts_left: 7,
            retry_after_secs: 5,
        });
        assert!(wrong.sv.contains("7 försök kvar") && wrong.en.contains("7 attempts left"));
    }

    #[test]
    fn every_hand_back_answer_has_its_own_text_and_only_safe_says_safe() {
        let refusal = SyncRefusal {
            status: 401,
            code: "unknown_device".into(),
            at: crate::ids::Timestamp(1_773_310_000_000),
        };
        let answers = [
            HandBack::Safe,
            HandBack::Unsent { unreceipted: 3 },
            HandBack::UnsentEdits { records: 2 },
            HandBack::RelayRefuses(refusal),
            HandBack::RelayLacks {
                tablet: 6,
                relay: 3,
            },
            HandBack::Unconfirmed { tablet: 4 },
            HandBack::LogFork {
                code: "different_root".into(),
            },
            HandBack::LogRestored { from: 40, to: 25 },
            HandBack::AwaitingWitness {
                captures: 2,
                unreceipted: 5,
            },
            HandBack::LogRestoreUnconfirmed { from: 40, to: 25 },
        ];
        let texts: Vec<Localized> = answers.iter().map(hand_back_message).collect();
        for (answer, text) in answers.iter().zip(&texts) {
            assert_ne!(text.sv, text.en, "{answer:?} has a Swedish text of its own");
            assert_eq!(
                text.sv.contains("kan lämnas tillbaka"),
                answer.is_safe(),
                "{answer:?}: {}",
                text.sv
            );
            assert_eq!(
                text.en.contains("NOT safe to hand back"),
                !answer.is_safe(),
                "{answer:?}: {}",
                text.en
            );
        }
        assert!(texts[1].en.contains("3 unsent") && texts[1].sv.contains("3 osända"));
        assert!(texts[3].en.contains("unknown_device") && texts[3].en.contains("enroll it again"));
        assert!(texts[4].en.contains("other 3") && texts[4].sv.contains("övriga 3"));
        assert!(texts[7].en.contains("from 40 to 25") && texts[7].sv.contains("från 40 till 25"));
        assert!(texts[8].en.contains("witness") && texts[8].sv.contains("vittnet"));
    }

    #[test]
    fn an_unreachable_relay_tells_staff_nothing_was_lost() {
        let text = user_message(&Error::Transport(TransportError::Unreachable(
            "connection refused".into(),
        )));
        assert!(text.sv.contains("Inget har gått förlorat"));
        assert!(
            !text.en.contains("connection refused"),
            "no internals shown"
        );
    }

    /// The tablet cannot tell its clock behind from the witness's ahead: staff are told
    /// both, and whom to tell for the second.
    #[test]
    fn the_clock_notice_names_a_witness_clock_ahead_too() {
        let text = clock_behind_witness_message();
        assert!(
            text.en.contains("witness's clock is ahead: tell IT"),
            "{}",
            text.en
        );
        assert!(
            text.sv
                .contains("vittnets klocka som går före: säg till IT"),
            "{}",
            text.sv
        );
    }
}
