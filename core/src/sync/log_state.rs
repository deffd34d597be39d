//! What the tablet keeps of the relay's transparency log, in its store's meta values (no
//! schema step): the pinned log key, the latest checkpoint it accepted, and, once it saw a
//! fork, the evidence; the witnesses it requires and the newest tree they cosigned; a
//! restore of the relay's log staff have not acknowledged. The checkpoint is replaced only by compare-and-swap against the one
//! the answer was checked against, as Go's checksum-database client does, so a checkpoint
//! checked against an older one never overwrites a newer one. A fork is kept for good: the
//! tablet stops syncing and is never safe to hand back (the security officer takes it).

use serde::{Deserialize, Serialize};

use super::log_check::{Checked, ForkFound, HeldLog, MAX_WITNESSES};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::protocol::LogInclusion;

/// The log's verifier key (vkey text), pinned once, never replaced.
pub(crate) const META_LOG_KEY: &str = "log_key";
/// The latest checkpoint accepted (signed note text).
const META_LOG_CHECKPOINT: &str = "log_checkpoint";
/// The relay epoch (16 bytes) of the answer the latest checkpoint came in.
const META_LOG_EPOCH: &str = "log_epoch";
/// The checkpoint held when the relay was last restored from a backup (signed note text):
/// the history the restore rolled back, kept for an audit.
const META_LOG_BEFORE_RESTORE: &str = "log_checkpoint_before_restore";
/// The evidence of a fork (CBOR of [`ForkEvidence`]).
const META_LOG_FORK: &str = "log_fork";
/// When the latest checkpoint was stored: tablet time, ms, 8 bytes big-endian.
const META_LOG_STORED_AT: &str = "log_checkpoint_stored_at";
/// The witnesses' verifier keys the tablet requires, one vkey a line; pinned at enrollment
/// or by [`Device::require_witnesses`], never dropped otherwise.
pub(crate) const META_WITNESS_KEYS: &str = "log_witness_keys";
/// Witnesses a later enrollment named, other than the pinned ones (one vkey a line): shown
/// to staff until [`Device::require_witnesses`] settles which are required.
pub(crate) const META_WITNESSES_OFFERED: &str = "log_witnesses_offered";
/// The newest checkpoint the required witnesses cosigned (note text with cosignatures).
const META_WITNESSED: &str = "log_witnessed_checkpoint";
/// A restore of the relay's log that staff have not acknowledged (CBOR of [`LogRestore`]).
const META_LOG_RESTORE: &str = "log_restore";
/// A restore the required witnesses have not confirmed, seen by the last sync (CBOR of
/// [`LogRestore`]): nothing of it was applied; cleared by the next answer that is.
const META_LOG_RESTORE_UNCONFIRMED: &str = "log_restore_unconfirmed";
/// How many captures the last sync left waiting for the witnesses (8 bytes big-endian).
const META_AWAITING_WITNESS: &str = "log_awaiting_witness";
/// The last sync counted a cosignature more than ten minutes ahead of the tablet clock
/// (one byte, 1; empty otherwise).
const META_CLOCK_BEHIND_WITNESS: &str = "log_clock_behind_witness";

/// What a tablet keeps when the relay showed it a history that contradicts the one it held:
/// both checkpoints verbatim (each signed by the log key), the proof that failed, and the
/// relay-signed answer that carried them, so anyone can check the claim without the tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkEvidence {
    /// Tablet time the fork was found, ms.
    pub detected_at: i64,
    /// Machine name of what failed (`smaller_tree`, `different_root`,
    /// `bad_consistency_proof`, `bad_inclusion_proof`, `bad_checkpoint_signature`,
    /// `other_log_key`, …).
    pub code: String,
    /// One English line saying what failed (no personal data: sizes, indexes, keys).
    pub detail: String,
    /// The log key the tablet pinned (or was offered, before it pinned one).
    pub log_key: Option<String>,
    /// The checkpoint the tablet held, verbatim.
    pub held_checkpoint: Option<String>,
    /// The checkpoint of the answer, verbatim.
    pub new_checkpoint: Option<String>,
    /// The answer's consistency proof from the held size.
    #[serde(with = "crate::cbor::hashes")]
    pub consistency: Vec<[u8; 32]>,
    /// The inclusion that failed, if one did, with the nonce the relay gave: the nonce of
    /// this tablet's own record, which it holds anyway, and which lets IT recompute what
    /// the leaf is about (another document, another change).
    pub inclusion: Option<LogInclusion>,
    /// The document id of the push that inclusion was for (this tablet's own record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_doc_id: Option<String>,
    /// The change hashes that push sent.
    #[serde(default, with = "crate::cbor::hashes")]
    pub push_changes: Vec<[u8; 32]>,
    /// The checkpoint the answer says the witnesses cosigned, verbatim with its
    /// cosignatures, if it carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosigned_checkpoint: Option<String>,
    /// The relay-signed answer (envelope bytes, tag `kiosk-receipt-v1`); left out when it
    /// carried a staff tablet's pulled registrations, which are personal data. It holds the
    /// nonces of the records this tablet pushed in it (its inclusions'), as the receipt the
    /// tablet keeps does: they link leaves only to records this tablet holds or held.
    #[serde(with = "crate::cbor::optional_bytes")]
    pub answer: Option<Vec<u8>>,
}

impl ForkEvidence {
    pub(crate) fn new(
        found: ForkFound,
        held: &HeldLog,
        (response, answer): (&crate::protocol::SyncResponse, &[u8]),
        pushes: &[super::log_check::Pushed<'_>],
        at: Timestamp,
    ) -> ForkEvidence {
        let push = found
            .inclusion
            .as_ref()
            .and_then(|inclusion| pushes.get(inclusion.push as usize));
        ForkEvidence {
            push_doc_id: push.map(|p| p.doc_id.to_owned()),
            push_changes: push.map(|p| p.hashes.to_vec()).unwrap_or_default(),
            detected_at: at.millis(),
            code: found.code.to_owned(),
            detail: found.detail,
            log_key: held.key.clone().or_else(|| response.log_key.clone()),
            held_checkpoint: held.checkpoint.clone(),
            new_checkpoint: response.log_checkpoint.clone(),
            consistency: response.log_consistency.clone(),
            inclusion: found.inclusion,
            cosigned_checkpoint: response.log_cosigned.clone(),
            answer: response.pulled.is_empty().then(|| answer.to_vec()),
        }
    }

    /// The evidence as plain text for the security officer: every signed part verbatim
    /// (notes as they were signed, the answer in base64), hashes in hex.
    pub fn to_text(&self) -> String {
        use base64ct::{Base64, Encoding};
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "kiosk transparency log fork evidence, version 1");
        let _ = writeln!(
            out,
            "detected-at: {} ({} ms, tablet clock)",
            Timestamp(self.detected_at).utc_minutes(),
            self.detected_at
        );
        let _ = writeln!(out, "reason: {}", self.code);
        let _ = writeln!(out, "detail: {}", self.detail);
        let _ = writeln!(out, "log-key: {}", self.log_key.as_deref().unwrap_or("-"));
        let mut section = |title: &str, body: &str| {
            let _ = writeln!(out, "\n-- {title} --");
            out.push_str(body);
            if !body.ends_with('\n') {
                out.push('\n');
            }
        };
        section(
            "checkpoint held by the tablet (signed note)",
            self.held_checkpoint.as_deref().unwrap_or("none\n"),
        );
        section(
            "checkpoint in the relay's answer (signed note)",
            self.new_checkpoint.as_deref().unwrap_or("none\n"),
        );
        if let Some(cosigned) = &self.cosigned_checkpoint {
            section(
                "checkpoint the answer says the witnesses cosigned (note with cosignatures)",
                cosigned,
            );
        }
        let proof: String = self
            .consistency
            .iter()
            .map(|h| format!("{}\n", hex::encode(h)))
            .collect();
        section(
            "consistency proof from the held size (hex, one hash a line)",
            if proof.is_empty() { "empty\n" } else { &proof },
        );
        if let Some(inclusion) = &self.inclusion {
            let mut body = format!(
                "push: {}\nindex: {}\nleaf: {}\n",
                inclusion.push,
                inclusion.index,
                hex::encode(&inclusion.leaf)
            );
            for hash in &inclusion.proof {
                body.push_str(&format!("proof: {}\n", hex::encode(hash)));
            }
            // This tablet's own record: what IT needs to recompute what the leaf is about.
            if let Some(nonce) = &inclusion.nonce {
                body.push_str(&format!("nonce: {}\n", hex::encode(nonce)));
            }
            if let Some(doc_id) = &self.push_doc_id {
                body.push_str(&format!("push-document: {doc_id}\n"));
            }
            for hash in &self.push_changes {
                body.push_str(&format!("push-change: {}\n", hex::encode(hash)));
            }
            section("inclusion that failed", &body);
        }
        let answer = match &self.answer {
            Some(bytes) => {
                let encoded = Base64::encode_string(bytes);
                let lines: Vec<&str> = encoded
                    .as_bytes()
                    .chunks(76)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                format!("{}\n", lines.join("\n"))
            }
            None => "not kept: it carried pulled registrations (personal data)\n".to_owned(),
        };
        section(
            "relay-signed answer (base64 of the CBOR envelope, tag kiosk-receipt-v1)",
            &answer,
        );
        out
    }
}

/// The relay's log went back, in a new relay epoch, with no witness confirming it: the
/// relay was restored from an older backup (or shows this tablet another history). Kept
/// until staff acknowledge it ([`Device::acknowledge_log_restore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRestore {
    /// The size of the log the tablet held before.
    pub from: u64,
    /// The size of the restored log.
    pub to: u64,
    /// Tablet time the restore was seen, ms.
    pub at: i64,
}

impl Device {
    /// The log key and checkpoint the tablet holds.
    pub(crate) fn held_log(&self) -> Result<HeldLog> {
        let inner = self.lock()?;
        let text = |key: &str| -> Result<Option<String>> {
            match inner.store.meta(key)? {
                Some(bytes) if !bytes.is_empty() => String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| crate::store::StoreError::Undecodable { what: "log meta" }.into()),
                _ => Ok(None),
            }
        };
        let epoch = inner
            .store
            .meta(META_LOG_EPOCH)?
            .and_then(|bytes| <[u8; 16]>::try_from(bytes.as_slice()).ok());
        let stored_at = inner
            .store
            .meta(META_LOG_STORED_AT)?
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
            .map(i64::from_be_bytes);
        Ok(HeldLog {
            key: text(META_LOG_KEY)?,
            checkpoint: text(META_LOG_CHECKPOINT)?,
            epoch,
            stored_at,
            witnesses: text(META_WITNESS_KEYS)?
                .map(|keys| keys.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            witnessed: text(META_WITNESSED)?,
        })
    }

    /// The witnesses' verifier keys (vkey text) whose cosignatures this tablet requires
    /// before it counts a capture received; empty: none.
    pub fn witness_keys(&self) -> Result<Vec<String>> {
        Ok(self.held_log()?.witnesses)
    }

    /// The newest checkpoint the required witnesses cosigned (note text), if any.
    pub fn witnessed_checkpoint(&self) -> Result<Option<String>> {
        Ok(self.held_log()?.witnessed)
    }

    /// Requires cosignatures of exactly these witnesses (C2SP tlog-cosignature vkeys, 1 to
    /// 16) from now on, in place of any pinned before: an explicit act, as dropping or
    /// replacing pinned witnesses is never done otherwise. The witnessed tree is forgotten,
    /// so only the new witnesses' cosignatures count. The same witnesses as pinned (in any
    /// order) change nothing, the witnessed tree kept (a form sent back unchanged must not
    /// let the next restore in unconfirmed); it only settles other witnesses an enrollment
    /// offered ([`Device::witnesses_offered`]), keeping the pinned ones.
    pub fn require_witnesses(&self, vkeys: &[String]) -> Result<()> {
        let keys = checked_witness_keys(vkeys)?;
        let mut inner = self.lock()?;
        let pinned: Vec<String> = inner
            .store
            .meta(META_WITNESS_KEYS)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default();
        if same_witnesses(&keys, &pinned) {
            let offered = inner
                .store
                .meta(META_WITNESSES_OFFERED)?
                .is_some_and(|bytes| !bytes.is_empty());
            if offered {
                inner.store.set_meta(META_WITNESSES_OFFERED, &[])?;
            }
            return Ok(());
        }
        // The count of captures waiting was against the old witnesses: the next sync counts
        // anew.
        inner.store.set_meta_all(&[
            (META_WITNESS_KEYS, keys.join("\n").as_bytes()),
            (META_WITNESSED, &[]),
            (META_AWAITING_WITNESS, &[]),
            (META_CLOCK_BEHIND_WITNESS, &[]),
            (META_WITNESSES_OFFERED, &[]),
        ])?;
        Ok(())
    }

    /// Witnesses a later enrollment named other than the pinned ones (vkey text), until
    /// [`Device::require_witnesses`] settles it; empty: none.
    pub fn witnesses_offered(&self) -> Result<Vec<String>> {
        let bytes = self.lock()?.store.meta(META_WITNESSES_OFFERED)?;
        Ok(bytes
            .and_then(|b| String::from_utf8(b).ok())
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default())
    }

    /// The restore of the relay's log staff have not acknowledged yet, if any.
    pub fn log_restore(&self) -> Result<Option<LogRestore>> {
        self.meta_cbor(META_LOG_RESTORE, "log restore")
    }

    /// Staff saw the restore of the relay's log seen at `shown_at` ([`LogRestore::at`]) and
    /// told IT/security: the tablet may be handed back again. Clears it only if it is still
    /// the one staff saw (compare-and-swap): a restore merged in meanwhile stays, for staff
    /// to see. Returns whether it was cleared.
    pub fn acknowledge_log_restore(&self, shown_at: i64) -> Result<bool> {
        let mut inner = self.lock()?;
        let Some(bytes) = inner
            .store
            .meta(META_LOG_RESTORE)?
            .filter(|b| !b.is_empty())
        else {
            return Ok(false);
        };
        let held: LogRestore = ciborium::from_reader(bytes.as_slice()).map_err(|_| {
            crate::store::StoreError::Undecodable {
                what: "log restore",
            }
        })?;
        if held.at != shown_at {
            return Ok(false);
        }
        Ok(inner.store.swap_meta(
            &[(META_LOG_RESTORE, Some(&bytes))],
            &[(META_LOG_RESTORE, &[])],
        )?)
    }

    /// Keeps the restore the last sync refused for want of the witnesses' confirmation.
    pub(crate) fn keep_unconfirmed_restore(&self, from: u64, to: u64, at: Timestamp) -> Result<()> {
        let bytes = crate::cbor::to_vec(&LogRestore {
            from,
            to,
            at: at.millis(),
        });
        self.lock()?
            .store
            .set_meta(META_LOG_RESTORE_UNCONFIRMED, &bytes)?;
        Ok(())
    }

    /// The restore of the relay's log the last sync refused because the required witnesses
    /// have not confirmed it, if no answer was taken since.
    pub fn unconfirmed_log_restore(&self) -> Result<Option<LogRestore>> {
        self.meta_cbor(META_LOG_RESTORE_UNCONFIRMED, "unconfirmed log restore")
    }

    /// Keeps how many captures the last sync left waiting for the witnesses.
    pub(crate) fn keep_awaiting_witness(&self, captures: u64) -> Result<()> {
        self.lock()?
            .store
            .set_meta(META_AWAITING_WITNESS, &captures.to_be_bytes())?;
        Ok(())
    }

    /// Keeps whether the last sync found the tablet clock behind a required witness's.
    /// Written, like [`Device::keep_awaiting_witness`], only when a sync ends: one that
    /// stops (an error, a restore the witnesses have not confirmed) measured nothing to
    /// keep, so the notice stays as the last sync that ended left it.
    pub(crate) fn keep_clock_behind_witness(&self, behind: bool) -> Result<()> {
        let value: &[u8] = if behind { &[1] } else { &[] };
        self.lock()?
            .store
            .set_meta(META_CLOCK_BEHIND_WITNESS, value)?;
        Ok(())
    }

    /// Whether the last sync counted a required witness's cosignature dated more than ten
    /// minutes ahead of the tablet clock: the tablet clock is behind (or the witness's
    /// ahead). Staff are told to set the clock right
    /// ([`crate::user_messages::clock_behind_witness_message`]).
    pub fn clock_behind_witness(&self) -> Result<bool> {
        Ok(self
            .lock()?
            .store
            .meta(META_CLOCK_BEHIND_WITNESS)?
            .is_some_and(|bytes| bytes == [1]))
    }

    /// How many captures the last sync left waiting for the witnesses' cosignature.
    pub fn awaiting_witness(&self) -> Result<u64> {
        Ok(self
            .lock()?
            .store
            .meta(META_AWAITING_WITNESS)?
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// The pinned log verifier key (vkey text), if any.
    pub fn log_key(&self) -> Result<Option<String>> {
        Ok(self.held_log()?.key)
    }

    /// The latest log checkpoint this tablet accepted (signed note text), if any.
    pub fn log_checkpoint(&self) -> Result<Option<String>> {
        Ok(self.held_log()?.checkpoint)
    }

    /// The checkpoint this tablet held when the relay was last restored from a backup
    /// (signed note text): the history the restore rolled back.
    pub fn log_checkpoint_before_restore(&self) -> Result<Option<String>> {
        let bytes = self.lock()?.store.meta(META_LOG_BEFORE_RESTORE)?;
        Ok(bytes
            .filter(|b| !b.is_empty())
            .and_then(|b| String::from_utf8(b).ok()))
    }

    /// Stores a checked answer's checkpoint (and pins its key if none was), only if the
    /// store still holds what it was checked against. `false`: something else stored a
    /// checkpoint meanwhile, which stays.
    pub(crate) fn swap_log_checkpoint(
        &self,
        held: &HeldLog,
        checked: &Checked,
        now: Timestamp,
    ) -> Result<bool> {
        let stored_at = now.millis().to_be_bytes();
        let mut values: Vec<(&str, &[u8])> = vec![
            (META_LOG_CHECKPOINT, checked.checkpoint.as_bytes()),
            (META_LOG_EPOCH, &checked.epoch),
            (META_LOG_STORED_AT, &stored_at),
            // An answer taken: a restore refused before is no longer pending.
            (META_LOG_RESTORE_UNCONFIRMED, &[]),
        ];
        // Every restore is kept for staff, confirmed by the witnesses or not: edits counted
        // stored on a proof alone (never held back for the witness) may be among what it
        // lost, whether the log went back or was replaced by a larger other history. One
        // not yet acknowledged keeps the size the log first went back from: staff must hear
        // of the whole loss. The one merged is the one the swap below still finds.
        let pending = self
            .lock()?
            .store
            .meta(META_LOG_RESTORE)?
            .filter(|b| !b.is_empty());
        let restore_bytes = match &checked.restored {
            Some(restore) => {
                let first_from = match &pending {
                    Some(bytes) => ciborium::from_reader::<LogRestore, _>(bytes.as_slice())
                        .map_or(restore.from, |r| r.from),
                    None => restore.from,
                };
                Some(crate::cbor::to_vec(&LogRestore {
                    from: first_from,
                    to: restore.to,
                    at: now.millis(),
                }))
            }
            _ => None,
        };
        if checked.restored.is_some()
            && let Some(held) = &held.checkpoint
        {
            values.push((META_LOG_BEFORE_RESTORE, held.as_bytes()));
        }
        if let Some(bytes) = &restore_bytes {
            values.push((META_LOG_RESTORE, bytes));
        }
        if let Some(witnessed) = &checked.witnessed {
            values.push((META_WITNESSED, witnessed.as_bytes()));
        }
        if let Some(key) = &checked.pin_key {
            values.push((META_LOG_KEY, key.as_bytes()));
        }
        let witnesses = held.witnesses.join("\n");
        let swapped = self.lock()?.store.swap_meta(
            &[
                (META_LOG_KEY, held.key.as_deref().map(str::as_bytes)),
                (
                    META_LOG_CHECKPOINT,
                    held.checkpoint.as_deref().map(str::as_bytes),
                ),
                // The witnessed tree and the witnesses it was checked against, likewise.
                (META_WITNESSED, held.witnessed.as_deref().map(str::as_bytes)),
                (
                    META_WITNESS_KEYS,
                    Some(witnesses.as_bytes()).filter(|w| !w.is_empty()),
                ),
                // A fork kept meanwhile stops everything.
                (META_LOG_FORK, None),
                // The restore merged above, unchanged (not acknowledged meanwhile).
                (META_LOG_RESTORE, pending.as_deref()),
            ],
            &values,
        )?;
        Ok(swapped)
    }

    /// Keeps the evidence of a fork. The first fork found is kept; the tablet syncs no more
    /// after it, so there is no second.
    pub(crate) fn keep_log_fork(&self, evidence: &ForkEvidence) -> Result<()> {
        let bytes = crate::cbor::to_vec(evidence);
        self.lock()?
            .store
            .swap_meta(&[(META_LOG_FORK, None)], &[(META_LOG_FORK, &bytes)])?;
        Ok(())
    }

    /// The evidence of the fork this tablet found, if it found one: then it refuses every
    /// sync and is never safe to hand back.
    pub fn log_fork(&self) -> Result<Option<ForkEvidence>> {
        self.meta_cbor(META_LOG_FORK, "log fork evidence")
    }

    /// A meta value kept as CBOR (`None` when absent or emptied); `what` names it when it
    /// does not decode.
    fn meta_cbor<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        what: &'static str,
    ) -> Result<Option<T>> {
        let bytes = self.lock()?.store.meta(key)?;
        match bytes.filter(|b| !b.is_empty()) {
            None => Ok(None),
            Some(bytes) => ciborium::from_reader(bytes.as_slice())
                .map(Some)
                .map_err(|_| crate::store::StoreError::Undecodable { what }.into()),
        }
    }

    /// Refuses to sync once a fork was found.
    pub(crate) fn refuse_after_fork(&self) -> Result<()> {
        match self.log_fork()? {
            Some(evidence) => Err(Error::LogFork {
                code: evidence.code,
            }),
            None => Ok(()),
        }
    }
}

/// Whether two lists name the same witnesses, in any order.
pub(crate) fn same_witnesses(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Witness verifier keys to require: 1 to [`MAX_WITNESSES`], each a C2SP tlog-cosignature
/// vkey, without repeats (in the order given). Blank entries are passed over but keep
/// their place, so a refusal names a key by its position among all given (a form's line).
pub(crate) fn checked_witness_keys(vkeys: &[String]) -> Result<Vec<String>> {
    use crate::error::WitnessKeysRefused;
    let refused = |reason: WitnessKeysRefused| Error::BadWitnessKeys { reason };
    let given = vkeys.iter().filter(|k| !k.trim().is_empty()).count();
    if given == 0 {
        return Err(refused(WitnessKeysRefused::None));
    }
    if given > MAX_WITNESSES {
        return Err(refused(WitnessKeysRefused::TooMany {
            given,
            most: MAX_WITNESSES,
        }));
    }
    let mut keys: Vec<String> = Vec::with_capacity(given);
    for (position, vkey) in vkeys.iter().enumerate() {
        let vkey = vkey.trim();
        if vkey.is_empty() {
            continue;
        }
        crate::cosigned_checkpoint::parse_witness_vkey(vkey).map_err(|_| {
            refused(WitnessKeysRefused::NotAWitnessKey {
                position: position + 1,
            })
        })?;
        if !keys.iter().any(|k| k == vkey) {
            keys.push(vkey.to_owned());
        }
    }
    Ok(keys)
}
