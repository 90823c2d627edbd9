//! Explicit `null` where the API means "none": optional lists and maps of the generated types read
//! it as empty (the generator wires this in; see `build.rs`).

use serde::{Deserialize, Deserializer};

/// Reads `null` as the type's default (an empty list or map), anything else as usual.
#[doc(hidden)]
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
