#!/usr/bin/env python3
"""Checks a Kiosk provenance bundle with the Python standard library and `cryptography` only.

    python3 verify_bundle.py bundle.json [--vkey VKEY] [--relay-key BASE64] [--witness VKEY ...]
                             [--max-cosignature-age AGE]
    python3 verify_bundle.py bundle.json --extract DIR
    python3 verify_bundle.py leaf --leaf FILE --index I --proof FILE --checkpoint FILE --vkey VKEY

The first form runs every check of docs/provenance.md ("What the script checks") and prints
one line per check, "OK ..." or "FAIL ...", exiting 1 if any failed. Pass the log's vkey and
the relay's signing key as you got them from the relay's operator (not from the bundle) to
check that the bundle is signed by the keys you trust; without them the script checks the
bundle against the keys it carries and says so.

--max-cosignature-age (7d, 12h, 30m, 90s; 0 for any age) also fails a witness's cosignature
older than that now: for checking a bundle just made (an archived bundle's cosignature is as old as the
bundle, so leave it out there).

--extract writes the files the openssl commands of docs/provenance.md read.

The `leaf` form checks one leaf against a checkpoint with an inclusion proof served by the
relay (GET /v1/log/inclusion?index=I&size=N, one base64 hash per line): how a removed
record's leaves are still proved after its content and nonce are gone.

Written against RFC 9162 (section 2.1.3.2, inclusion verification), C2SP signed-note,
tlog-checkpoint and tlog-cosignature.
"""

import base64
import hashlib
import json
import os
import sys
import time as clock

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "kiosk-provenance-bundle-v1"
LEAF_LEN = 106
CAPTURE_TAG = b"kiosk-capture-v1"
CHANGE_KINDS = {1: "capture", 2: "staff-edit", 3: "hr-edit", 7: "accepted-before-log"}
OTHER_KINDS = {
    4: "removed",
    5: "legal-hold-set",
    6: "legal-hold-lifted",
    8: "quarantine-accepted",
    9: "talent-pool-withdrawn",
    # A change of a copy kept apart for HR review: its subject may name a change this
    # record holds (accepted later) or none (a copy never accepted).
    10: "quarantined",
}
QUARANTINED = 10
MAX_PROOF = 64


def b64(text):
    return base64.b64decode(text, validate=True)


def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def ed25519_ok(key, signature, message):
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


# --- RFC 9162 -----------------------------------------------------------------------------


def leaf_hash(leaf):
    return sha256(b"\x00", leaf)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def root_from_inclusion_proof(index, size, leaf_digest, proof):
    """RFC 9162 section 2.1.3.2; None if the proof has the wrong shape."""
    if index >= size or len(proof) > MAX_PROOF:
        return None
    fn, sn, r = index, size - 1, leaf_digest
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# --- C2SP signed note, checkpoint, cosignature --------------------------------------------


def parse_vkey(vkey, signature_type):
    # A key name holds no "+"; the base64 may.
    name, key_id, encoded = vkey.strip().split("+", 2)
    raw = b64(encoded)
    if len(raw) != 33 or raw[0] != signature_type:
        raise ValueError("not an Ed25519 vkey of signature type %d" % signature_type)
    key = raw[1:]
    expected = sha256(name.encode(), b"\n", bytes([signature_type]), key)[:4]
    if bytes.fromhex(key_id) != expected:
        raise ValueError("the vkey's key id does not match its name and key")
    return name, expected, key


def split_note(note):
    """(text, [(name, signature bytes)]): the signed text ends at the last blank line."""
    end = note.rfind("\n\n")
    if end < 0 or not note.endswith("\n"):
        raise ValueError("not a signed note")
    text = note[: end + 1]
    lines = []
    for line in note[end + 2 :].splitlines():
        if not line.startswith("\u2014 "):
            raise ValueError("a signature line does not start with an em dash")
        name, _, encoded = line[2:].rpartition(" ")
        lines.append((name, b64(encoded)))
    return text, lines


def parse_checkpoint(text):
    lines = text.split("\n")
    origin, size, root = lines[0], int(lines[1]), b64(lines[2])
    if str(size) != lines[1] or len(root) != 32:
        raise ValueError("not a checkpoint body")
    return origin, size, root


def open_checkpoint(note, vkey):
    """(origin, size, root, text, signature lines) if the log key signed it, else raises."""
    name, key_id, key = parse_vkey(vkey, 0x01)
    text, lines = split_note(note)
    for line_name, blob in lines:
        if line_name == name and blob[:4] == key_id and len(blob) == 68:
            if ed25519_ok(key, blob[4:], text.encode()):
                origin, size, root = parse_checkpoint(text)
                if origin != name:
                    raise ValueError("the checkpoint's origin is not the key's name")
                return origin, size, root, text, lines
    raise ValueError("no valid signature by %s" % name)


def cosignature_time(text, lines, witness_vkey):
    """The time (POSIX seconds) of the witness's valid cosignature of `text`, or None."""
    name, key_id, key = parse_vkey(witness_vkey, 0x04)
    for line_name, blob in lines:
        if line_name == name and blob[:4] == key_id and len(blob) == 76:
            time = int.from_bytes(blob[4:12], "big")
            message = ("cosignature/v1\ntime %d\n" % time).encode() + text.encode()
            if ed25519_ok(key, blob[12:], message):
                return time
    return None


def cosignature_ok(text, lines, witness_vkey):
    return cosignature_time(text, lines, witness_vkey) is not None


AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# How far a cosignature's time may be ahead of this machine's clock (as verify-log).
CLOCK_SKEW = 600


def age_seconds(text):
    """`7d`, `12h`, `30m` or `90s` as seconds, `0` (any age) as 0; None if it is not one."""
    if text == "0":
        return 0
    number = text[:-1]
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if len(text) < 2 or text[-1] not in AGE_UNITS or not (number.isascii() and number.isdigit()):
        return None
    return int(number) * AGE_UNITS[text[-1]]


# --- CBOR (RFC 8949), the few items a signed envelope holds --------------------------------


def cbor_item(data, at, depth=0):
    """One CBOR item of definite length (unsigned integer, byte or text string, array, map
    with text keys) at `at`: (value, offset after it); raises ValueError otherwise."""
    if depth > 8:
        raise ValueError("CBOR nested too deep")
    if at >= len(data):
        raise ValueError("CBOR ends early")
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if info < 24:
        n = info
    elif info <= 27:
        width = 1 << (info - 24)
        if at + width > len(data):
            raise ValueError("CBOR ends early")
        n, at = int.from_bytes(data[at : at + width], "big"), at + width
    else:
        raise ValueError("CBOR of indefinite length or a reserved value")
    if major == 0:
        return n, at
    if major in (2, 3):
        if at + n > len(data):
            raise ValueError("CBOR string longer than its data")
        raw = bytes(data[at : at + n])
        return (raw if major == 2 else raw.decode("utf-8")), at + n
    if major in (4, 5) and n > len(data):
        raise ValueError("CBOR count longer than its data")
    if major == 4:
        items = []
        for _ in range(n):
            item, at = cbor_item(data, at, depth + 1)
            items.append(item)
        return items, at
    if major == 5:
        pairs = {}
        for _ in range(n):
            key, at = cbor_item(data, at, depth + 1)
            if not isinstance(key, str) or key in pairs:
                raise ValueError("CBOR map key not a text string, or repeated")
            pairs[key], at = cbor_item(data, at, depth + 1)
        return pairs, at
    raise ValueError("CBOR major type %d is not in a signed envelope" % major)


def cbor_decode(data):
    value, at = cbor_item(data, 0)
    if at != len(data):
        raise ValueError("bytes after the CBOR item")
    return value


# --- Kiosk leaves and Automerge change chunks ---------------------------------------------


def uleb(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def change_actor(chunk):
    """The actor id of an uncompressed Automerge change chunk (magic, checksum, type 1)."""
    if chunk[:4] != b"\x85\x6f\x4a\x83" or chunk[8] != 1:
        raise ValueError("not an uncompressed Automerge change chunk")
    _, at = uleb(chunk, 9)  # body length
    deps, at = uleb(chunk, at)
    at += 32 * deps
    length, at = uleb(chunk, at)
    return chunk[at : at + length]


def author_of(actor):
    return actor if len(actor) == 32 else sha256(b"kiosk-tlog-actor-v1", actor)


def capture_message(device_key, doc_id, hashes):
    doc = doc_id.encode()
    return b"".join(
        [CAPTURE_TAG, device_key, len(doc).to_bytes(4, "big"), doc, len(hashes).to_bytes(4, "big")]
        + hashes
    )


# --- the checks ---------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, why=""):
        if ok:
            print("OK   " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + why if why else ""))
        return ok


def check_bundle(bundle, vkey=None, relay_key=None, witnesses=(), max_age=None):
    r = Report()
    r.check(bundle.get("format") == FORMAT, "format is " + FORMAT)
    doc_id = bundle["registration_id"]
    log = bundle["log"]

    # The checkpoint: signed by the log key, root and size as the bundle states them.
    trusted_vkey = vkey or log["vkey"]
    if not vkey:
        print("NOTE the log key is the bundle's own (pass --vkey to check it is the one you trust)")
    try:
        origin, size, root, text, lines = open_checkpoint(log["checkpoint"], trusted_vkey)
        r.check(True, "checkpoint signed by the log key %s (size %d)" % (origin, size))
    except (ValueError, KeyError, IndexError) as error:
        r.check(False, "checkpoint signed by the log key", str(error))
        return r
    r.check(size == log["size"] and root == b64(log["root"]), "checkpoint's size and root are the bundle's")
    now = int(clock.time())
    for witness in witnesses:
        name = witness.split("+")[0]
        time = cosignature_time(text, lines, witness)
        r.check(time is not None, "cosigned by witness " + name)
        if time is not None:
            # A time in the future would pass any age check for ever.
            r.check(
                time <= now + CLOCK_SKEW,
                "witness %s's cosignature is not dated in the future" % name,
                "it is dated %d seconds after now, more than the %d seconds clocks may differ"
                % (time - now, CLOCK_SKEW),
            )
        if time is not None and max_age:
            age = now - time
            r.check(
                age <= max_age,
                "witness %s's cosignature is at most %d seconds old" % (name, max_age),
                "it is %d seconds old: the witness may have stopped watching the log" % age,
            )

    # Every leaf: in the tree the checkpoint signs, and of this record.
    nonce = b64(bundle["record"]["nonce"])
    commitment = sha256(b"kiosk-tlog-record-v1", nonce, doc_id.encode())
    r.check(commitment == b64(bundle["record"]["commitment"]), "record commitment = SHA-256(tag, nonce, id)")
    leaves = {}
    for entry in log["leaves"]:
        leaf, index = b64(entry["bytes"]), entry["index"]
        proof = [b64(h) for h in entry["inclusion_proof"]]
        computed = root_from_inclusion_proof(index, size, leaf_hash(leaf), proof)
        r.check(computed == root, "leaf %d is in the checkpoint's tree (RFC 9162 inclusion)" % index)
        r.check(
            len(leaf) == LEAF_LEN and leaf[0] == 1 and leaf[2:34] == commitment,
            "leaf %d is a version-1 leaf of this record" % index,
        )
        kind = leaf[1] if len(leaf) > 1 else None
        r.check(
            kind in CHANGE_KINDS or kind in OTHER_KINDS,
            "leaf %d is of a known kind (%s)" % (index, CHANGE_KINDS.get(kind) or OTHER_KINDS.get(kind)),
            "kind byte %r: a reader refuses another kind" % kind,
        )
        leaves[index] = leaf

    # Every change: its bytes hash to its hash, and exactly one leaf records it.
    by_hash = {}
    for change in bundle["changes"]:
        chunk, digest = b64(change["bytes"]), bytes.fromhex(change["hash"])
        r.check(sha256(chunk[8:]) == digest, "change %s: its bytes hash to it" % change["hash"][:12])
        try:
            actor = change_actor(chunk)
        except (ValueError, IndexError) as error:
            r.check(False, "change %s: actor read" % change["hash"][:12], str(error))
            continue
        r.check(actor.hex() == change["actor"], "change %s: actor as stated" % change["hash"][:12])
        subject = sha256(b"kiosk-tlog-change-v1", nonce, digest)
        matching = [
            i for i, leaf in leaves.items() if leaf[34:66] == subject and leaf[1] != QUARANTINED
        ]
        leaf = leaves.get(matching[0]) if len(matching) == 1 else None
        r.check(
            leaf is not None and leaf[1] in CHANGE_KINDS and leaf[66:98] == author_of(actor),
            "change %s: recorded by one change leaf naming its author" % change["hash"][:12],
        )
        by_hash[digest] = (actor, leaf)
    change_subjects = {sha256(b"kiosk-tlog-change-v1", nonce, h) for h in by_hash}
    for index, leaf in leaves.items():
        if leaf[1] in CHANGE_KINDS:
            r.check(leaf[34:66] in change_subjects, "leaf %d records a change in the bundle" % index)

    # The capture signature: over the documented message, by the capturing tablet.
    capture = bundle["capture"]
    device_key = b64(capture["device_key"])
    hashes = [bytes.fromhex(h) for h in capture["change_hashes"]]
    message = capture_message(device_key, doc_id, hashes)
    r.check(capture["message"] is not None and message == b64(capture["message"]), "capture message rebuilt from key, id and hashes")
    r.check(ed25519_ok(device_key, b64(capture["signature"]), message), "capture signature by the tablet's key")
    for digest in hashes:
        actor, leaf = by_hash.get(digest, (None, None))
        r.check(
            actor == device_key and leaf is not None and leaf[1] in (1, 7),
            "captured change %s: by the tablet, in a capture leaf" % digest.hex()[:12],
        )

    # The tablet's enrollment as the relay states it, with the certificate its enrollment
    # answer carried (or, for a tablet enrolled before those were kept, one re-issued).
    device = bundle["device"]
    r.check(b64(device["device_key"]) == device_key, "capturing tablet is the enrolled device")
    certificate = device.get("certificate")
    r.check(bool(certificate), "the bundle carries the tablet's certificate", device.get("missing", ""))
    if certificate:
        signer = b64(certificate["signer"])
        signed = b64(certificate["signed_message"])
        payload = b64(certificate["payload_cbor"])
        # The tag separates certificates from everything else the relay key signs.
        r.check(certificate.get("tag") == "kiosk-cert-v1", "certificate tag is kiosk-cert-v1")
        r.check(
            signed == certificate["tag"].encode() + payload,
            "certificate message = tag || payload",
        )
        r.check(ed25519_ok(signer, b64(certificate["signature"]), signed), "certificate signed by the relay")
        # The whole envelope (the bytes a kept certificate was sent as) must hold exactly the
        # signer, payload and signature checked above, not other ones.
        try:
            envelope = cbor_decode(b64(certificate["envelope_cbor"]))
            same = isinstance(envelope, dict) and envelope == {
                "signer": signer,
                "payload": payload,
                "signature": b64(certificate["signature"]),
            }
            why = "" if same else "it holds another signer, payload or signature"
        except (ValueError, TypeError, KeyError) as error:
            same, why = False, str(error)
        r.check(same, "certificate envelope_cbor holds the signer, payload and signature checked", why)
        # The signed payload itself must name the capturing tablet (a CBOR byte string of 32
        # bytes: 0x58 0x20 then the key), not only the bundle's unsigned JSON.
        r.check(b"\x58\x20" + device_key in payload, "the signed certificate names the capturing tablet")
        if relay_key:
            # Only the key the checker trusts: a key the bundle names proves nothing.
            trusted = {b64(relay_key)}
        else:
            print("NOTE the relay key is the bundle's own (pass --relay-key to check it is the one you trust)")
            trusted = {b64(bundle["relay"]["signing_key"])}
            if device.get("pinned_relay_key") is not None:
                trusted.add(b64(device["pinned_relay_key"]))
        r.check(signer in trusted, "certificate signer is the relay's signing key")
    return r


def extract(bundle, directory):
    """The files the openssl commands of docs/provenance.md read."""
    os.makedirs(directory, exist_ok=True)

    def write(name, data):
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data if isinstance(data, bytes) else data.encode())

    capture = bundle["capture"]
    write("capture-message.bin", b64(capture["message"]))
    write("capture.sig", b64(capture["signature"]))
    write("device.pem", capture["device_key_pem"])
    log = bundle["log"]
    text, lines = split_note(log["checkpoint"])
    write("checkpoint.txt", log["checkpoint"])
    write("checkpoint-body.txt", text)
    name = log["vkey"].split("+", 1)[0]
    write("checkpoint.sig", next(blob[4:] for n, blob in lines if n == name and len(blob) == 68))
    write("log.pem", log["public_key_pem"])
    write("relay.pem", bundle["relay"]["signing_key_pem"])
    for entry in log["leaves"]:
        write("leaf-%d.bin" % entry["index"], b64(entry["bytes"]))
        write("leaf-%d.proof" % entry["index"], "".join(h + "\n" for h in entry["inclusion_proof"]))
    for change in bundle["changes"]:
        write("change-%s.bin" % change["hash"], b64(change["bytes"]))
    certificate = bundle["device"].get("certificate")
    if certificate:
        write("certificate-message.bin", b64(certificate["signed_message"]))
        write("certificate.sig", b64(certificate["signature"]))
    print("wrote %s" % directory)


def check_leaf(args):
    options = dict(zip(args[::2], args[1::2]))
    with open(options["--leaf"], "rb") as f:
        leaf = f.read()
    with open(options["--proof"]) as f:
        proof = [b64(line) for line in f.read().split()]
    with open(options["--checkpoint"]) as f:
        note = f.read()
    r = Report()
    try:
        origin, size, root, _, _ = open_checkpoint(note, options["--vkey"])
        r.check(True, "checkpoint signed by the log key %s (size %d)" % (origin, size))
        index = int(options["--index"])
        computed = root_from_inclusion_proof(index, size, leaf_hash(leaf), proof)
        r.check(computed == root, "leaf %d is in the checkpoint's tree (RFC 9162 inclusion)" % index)
    except (ValueError, KeyError) as error:
        r.check(False, "checkpoint and leaf", str(error))
    return r


def main(argv):
    if argv[:1] == ["leaf"]:
        report = check_leaf(argv[1:])
    else:
        if not argv:
            print(__doc__)
            return 2
        with open(argv[0]) as f:
            bundle = json.load(f)
        options = argv[1:]
        if options[:1] == ["--extract"]:
            extract(bundle, options[1])
            return 0
        vkey = relay = max_age = None
        witnesses = []
        for flag, value in zip(options[::2], options[1::2]):
            if flag == "--vkey":
                vkey = value
            elif flag == "--relay-key":
                relay = value
            elif flag == "--witness":
                witnesses.append(value)
            elif flag == "--max-cosignature-age":
                max_age = age_seconds(value)
                if max_age is None:
                    print("--max-cosignature-age %r: write a whole number with s, m, h or d (7d)" % value)
                    return 2
            else:
                print("unknown option " + flag)
                return 2
        report = check_bundle(bundle, vkey, relay, witnesses, max_age)
    print("%s: %d check(s) failed" % ("FAILED" if report.failed else "VERIFIED", report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
