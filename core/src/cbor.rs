//! CBOR helpers shared by every wire and storage format: byte strings as CBOR byte strings
//! (not arrays of integers), fixed-size keys and hashes checked for their length.

use serde::{Deserialize, Deserializer, Serializer};

/// Encodes `value` as CBOR.
pub fn to_vec<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).expect("writing to a Vec cannot fail");
    bytes
}

/// `Vec<u8>` as a CBOR byte string.
pub mod bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        ciborium::value::Value::deserialize(deserializer)?
            .into_bytes()
            .map_err(|_| serde::de::Error::custom("expected a byte string"))
    }
}

/// `[u8; N]` as a CBOR byte string of exactly N bytes.
pub mod array {
    use super::*;

    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        let bytes = super::bytes::deserialize(deserializer)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes")))
    }
}

/// `Option<[u8; N]>` as a CBOR byte string of exactly N bytes, for a field that is left out
/// when `None` (`default` and `skip_serializing_if = "Option::is_none"` beside it).
pub mod optional_array {
    use super::*;

    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &Option<[u8; N]>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_bytes(bytes),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<Option<[u8; N]>, D::Error> {
        match ciborium::value::Value::deserialize(deserializer)? {
            ciborium::value::Value::Null => Ok(None),
            value => {
                let bytes = value
                    .into_bytes()
                    .map_err(|_| serde::de::Error::custom("expected a byte string or null"))?;
                bytes
                    .try_into()
                    .map(Some)
                    .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes")))
            }
        }
    }
}

/// `Vec<[u8; 32]>` as an array of 32-byte byte strings.
pub mod hashes {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Hash(#[serde(with = "super::array")] [u8; 32]);

    pub fn serialize<S: Serializer>(hashes: &[[u8; 32]], serializer: S) -> Result<S::Ok, S::Error> {
        let wrapped: Vec<Hash> = hashes.iter().map(|h| Hash(*h)).collect();
        wrapped.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<[u8; 32]>, D::Error> {
        let wrapped: Vec<Hash> = Vec::deserialize(deserializer)?;
        Ok(wrapped.into_iter().map(|h| h.0).collect())
    }
}

/// `Option<Vec<u8>>` as a CBOR byte string or null.
pub mod optional_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_bytes(bytes),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match ciborium::value::Value::deserialize(deserializer)? {
            ciborium::value::Value::Null => Ok(None),
            value => value
                .into_bytes()
                .map(Some)
                .map_err(|_| serde::de::Error::custom("expected a byte string or null")),
        }
    }
}
