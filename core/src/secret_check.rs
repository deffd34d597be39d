//! Checking secrets (PINs, passwords, tags) without telling anyone how close they came:
//! Argon2id with parameters that are checked before use, and comparison without an early
//! exit. The staff PIN on tablets and HR passwords and cursor tags at the relay share it.

use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id of `secret` with `salt`, keyed with `pepper` if given; `None` if the parameters
/// are not sane (read from a store, they are checked, not trusted: a damaged record must
/// not mean a panic or a week-long hash).
pub fn argon2id(
    secret: &str,
    salt: &[u8],
    pepper: Option<&[u8; 32]>,
    memory_kib: u32,
    passes: u32,
) -> Option<[u8; 32]> {
    let sane = (8..=256 * 1024).contains(&memory_kib) && (1..=10).contains(&passes);
    if !sane {
        return None;
    }
    let params = Params::new(memory_kib, passes, 1, Some(32)).ok()?;
    let argon2 = match pepper {
        Some(pepper) => {
            Argon2::new_with_secret(pepper, Algorithm::Argon2id, Version::V0x13, params).ok()?
        }
        None => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
    };
    let mut out = [0u8; 32];
    argon2
        .hash_password_into(secret.as_bytes(), salt, &mut out)
        .ok()?;
    Some(out)
}

/// Whether `a` and `b` are equal, compared without an early exit so timing does not tell
/// how much matched. Lengths are not secret: different lengths are simply unequal.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_compare_equal_and_any_difference_or_length_does_not() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn a_pepper_changes_the_hash_and_insane_parameters_are_refused() {
        let plain = argon2id("482915", &[1; 16], None, 64, 1).expect("hash");
        let peppered = argon2id("482915", &[1; 16], Some(&[7; 32]), 64, 1).expect("hash");
        assert_ne!(plain, peppered);
        assert_eq!(argon2id("482915", &[1; 16], None, 64, 1), Some(plain));
        assert_eq!(argon2id("482915", &[1; 16], None, 1 << 30, 1), None);
        assert_eq!(argon2id("482915", &[1; 16], None, 64, 0), None);
    }
}
