//! The tree against transparency-dev/merkle's published vectors: RFC 6962's eight test
//! leaves with every root, subtree and known proof (`testonly/constants.go`,
//! `cmd/proofgen/main.go`), and every probe of its `testdata/{inclusion,consistency}`
//! (copied to `core/testdata/tlog/transparency-dev/`).

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use serde_json::Value;

use super::*;
use crate::tlog::hash::EMPTY_ROOT;

fn hx(s: &str) -> Hash {
    let bytes = hex::decode(s).expect("hex");
    bytes.try_into().expect("32 bytes")
}

/// The eight RFC 6962 test leaves.
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The roots of the trees of sizes 1..=8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Every perfect subtree of the 8-leaf tree, by level.
const NODES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

fn rfc_tree() -> (MemoryTree, Vec<Vec<u8>>) {
    let leaves: Vec<Vec<u8>> = LEAVES
        .iter()
        .map(|l| hex::decode(l).expect("hex"))
        .collect();
    let tree = MemoryTree::from_entries(leaves.iter().map(Vec::as_slice));
    (tree, leaves)
}

#[test]
fn rfc6962_leaves_give_the_published_root_at_every_size_and_every_subtree() {
    let (tree, leaves) = rfc_tree();
    assert_eq!(tree.root_at(0), Ok(EMPTY_ROOT));
    let mut frontier = Frontier::new();
    for (size, want) in (1..=8u64).zip(ROOTS) {
        assert_eq!(tree.root_at(size), Ok(hx(want)), "root at size {size}");
        frontier.append(crate::tlog::hash::leaf_hash(&leaves[size as usize - 1]));
        assert_eq!(frontier.root(), hx(want), "frontier root at size {size}");
        // The compact tree of each size is its frontier (`CompactTrees()`).
        for (level, index, hash) in frontier.subtrees() {
            assert_eq!(hash, hx(NODES[usize::from(level)][index as usize]));
        }
    }
    for (level, row) in NODES.iter().enumerate() {
        for (index, want) in row.iter().enumerate() {
            assert_eq!(
                tree.perfect_subtree(level as u8, index as u64),
                Ok(hx(want))
            );
        }
    }
}

#[test]
fn rfc6962_leaves_give_the_published_inclusion_and_consistency_proofs() {
    let (tree, leaves) = rfc_tree();
    // (leaf index, tree size, proof) from proofgen's `inclusionProofs` (which counts from 1).
    let inclusion: [(u64, u64, &[&str]); 5] = [
        (0, 1, &[]),
        (0, 8, &[NODES[0][1], NODES[1][1], NODES[2][1]]),
        (5, 8, &[NODES[0][4], NODES[1][3], NODES[2][0]]),
        (2, 3, &[NODES[1][0]]),
        (1, 5, &[NODES[0][0], NODES[1][1], NODES[0][4]]),
    ];
    for (index, size, want) in inclusion {
        let want: Vec<Hash> = want.iter().map(|h| hx(h)).collect();
        assert_eq!(
            tree.inclusion_proof(index, size),
            Ok(want.clone()),
            "{index} in {size}"
        );
        let leaf = crate::tlog::hash::leaf_hash(&leaves[index as usize]);
        let root = hx(ROOTS[size as usize - 1]);
        assert_eq!(verify_inclusion(&leaf, index, size, &want, &root), Ok(()));
    }
    // (old size, new size, proof) from proofgen's `consistencyProofs`.
    let consistency: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (1, 8, &[NODES[0][1], NODES[1][1], NODES[2][1]]),
        (6, 8, &[NODES[1][2], NODES[1][3], NODES[2][0]]),
        (2, 5, &[NODES[1][1], NODES[0][4]]),
        (6, 7, &[NODES[1][2], NODES[0][6], NODES[2][0]]),
    ];
    for (old, new, want) in consistency {
        let want: Vec<Hash> = want.iter().map(|h| hx(h)).collect();
        assert_eq!(
            tree.consistency_proof(old, new),
            Ok(want.clone()),
            "{old} to {new}"
        );
        let (old_root, new_root) = (hx(ROOTS[old as usize - 1]), hx(ROOTS[new as usize - 1]));
        assert_eq!(
            verify_consistency(old, new, &old_root, &new_root, &want),
            Ok(())
        );
    }
}

// ---- the probe files ----

fn probe_files(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/tlog/transparency-dev")
        .join(kind);
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("testdata directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("probe")).expect("json")
}

/// A base64 field as a hash; `None` when it is not 32 bytes, which our typed API cannot
/// even be handed (the wire decoders refuse such a value first).
fn hash_field(probe: &Value, name: &str) -> Option<Hash> {
    let text = probe[name].as_str().expect("base64 field");
    Base64::decode_vec(text).ok()?.try_into().ok()
}

fn proof_field(probe: &Value) -> Option<Vec<Hash>> {
    match &probe["proof"] {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let bytes = Base64::decode_vec(item.as_str().expect("base64")).ok()?;
                bytes.try_into().ok()
            })
            .collect(),
        other => panic!("proof is {other}"),
    }
}

#[test]
fn every_transparency_dev_inclusion_probe_gets_the_expected_verdict() {
    let files = probe_files("inclusion");
    assert!(files.len() >= 80, "only {} inclusion probes", files.len());
    for path in files {
        let probe = load(&path);
        let want_err = probe["wantErr"].as_bool().expect("wantErr");
        let index = probe["leafIdx"].as_u64().expect("leafIdx");
        let size = probe["treeSize"].as_u64().expect("treeSize");
        let verdict = match (
            hash_field(&probe, "leafHash"),
            hash_field(&probe, "root"),
            proof_field(&probe),
        ) {
            (Some(leaf), Some(root), Some(proof)) => {
                verify_inclusion(&leaf, index, size, &proof, &root).is_ok()
            }
            _ => false,
        };
        assert_eq!(verdict, !want_err, "{}", path.display());
    }
}

#[test]
fn every_transparency_dev_consistency_probe_gets_the_expected_verdict() {
    // Go's verifier never looks at the roots when the sizes are equal and non-zero, so it
    // accepts 12-byte "roots"; ours takes only 32-byte hashes, which is the stricter answer.
    const NOT_HASHES: &str = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";
    let files = probe_files("consistency");
    assert!(files.len() >= 90, "only {} consistency probes", files.len());
    for path in files {
        let probe = load(&path);
        let mut want_err = probe["wantErr"].as_bool().expect("wantErr");
        if path.ends_with(NOT_HASHES) {
            assert!(!want_err);
            want_err = true;
        }
        let old = probe["size1"].as_u64().expect("size1");
        let new = probe["size2"].as_u64().expect("size2");
        let verdict = match (
            hash_field(&probe, "root1"),
            hash_field(&probe, "root2"),
            proof_field(&probe),
        ) {
            (Some(old_root), Some(new_root), Some(proof)) => {
                verify_consistency(old, new, &old_root, &new_root, &proof).is_ok()
            }
            _ => false,
        };
        assert_eq!(verdict, !want_err, "{}", path.display());
    }
}
