//! `Field<T>`: a typed JSON member that remembers whether it was absent, `null`,
//! a value of the expected type, or something else (kept verbatim).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// One member of a JSON object, typed where the console needs it, lossless always.
///
/// Use with `#[serde(default, skip_serializing_if = "Field::is_absent")]` so an
/// absent key stays absent and `null` stays `null`. A value of an unexpected
/// type is kept as [`Field::Raw`] and written back unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field<T> {
    /// The key was not in the object.
    #[default]
    Absent,
    /// The key was present with `null`.
    Null,
    /// The key held a value of the expected type.
    Value(T),
    /// The key held a value of another type, kept as it was.
    Raw(Value),
}

impl<T> Field<T> {
    /// True when the key was not present (used by `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// The typed value, if there is one.
    pub fn get(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The typed value, mutably, if there is one.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Replace the member with a typed value.
    pub fn set(&mut self, value: T) {
        *self = Field::Value(value);
    }
}

impl Field<String> {
    /// The string, or `""` when absent, null or not a string.
    pub fn as_str(&self) -> &str {
        match self {
            Field::Value(s) => s.as_str(),
            _ => "",
        }
    }
}

impl<T: Serialize> Field<T> {
    /// The member as JSON (`None` when absent).
    pub fn to_json(&self) -> Option<Value> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Value::Null),
            Field::Value(v) => serde_json::to_value(v).ok(),
            Field::Raw(v) => Some(v.clone()),
        }
    }

    /// Short text for a table cell: strings as they are, other values as JSON.
    pub fn display(&self) -> String {
        match self.to_json() {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s,
            Some(v) => v.to_string(),
        }
    }
}

impl<T> From<Option<T>> for Field<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(v) => Field::Value(v),
            None => Field::Absent,
        }
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Absent | Field::Null => serializer.serialize_unit(),
            Field::Value(v) => v.serialize(serializer),
            Field::Raw(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(Field::Null);
        }
        match T::deserialize(&value) {
            Ok(typed) => Ok(Field::Value(typed)),
            Err(_) => Ok(Field::Raw(value)),
        }
    }
}
