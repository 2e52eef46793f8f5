//! Reading a report leniently, straight into typed fields borrowed from the input: a
//! field of another JSON shape than the one expected is read as absent (its default), not
//! as an error, and what a reader does not name is skipped without being built. Only the
//! JSON syntax can fail. This is what `aggregate` reads 100,000 reports with; building a
//! `serde_json::Value` of each field first and converting it again cost most of its time.
//!
//! A type takes part by implementing [`Shape`] (the JSON shapes it accepts); a field
//! reads it with [`Lenient`] (or [`lenient`] in `#[serde(deserialize_with)]`). A struct
//! read from an object is declared with [`lenient_struct!`](crate::lenient_struct):
//! unknown keys are skipped, a key given twice keeps its last value, and anything but an
//! object (an array, a string, null) is the wrong shape. What a skipped value holds is
//! checked for syntax only (its strings are not checked to be UTF-8, its nesting depth is
//! not limited: serde_json skips without recursing).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A value read leniently: built from the JSON shapes it accepts, `None` from any other
/// (which is then consumed whole and skipped). Every method has that default.
pub trait Shape<'de>: Sized + Default {
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
    fn from_u64(_: u64) -> Option<Self> {
        None
    }
    fn from_i64(_: i64) -> Option<Self> {
        None
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
    /// `borrowed` is the same text, when it lives as long as the input (no escapes).
    fn from_str(_text: &str, _borrowed: Option<&'de str>) -> Option<Self> {
        None
    }
    fn from_null() -> Option<Self> {
        None
    }
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// `T` read leniently: `Lenient(None)` when the JSON value had another shape.
pub struct Lenient<T>(pub Option<T>);

impl<'de, T: Shape<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData)).map(Lenient)
    }
}

/// For `#[serde(deserialize_with = "lenient")]`: the value, or its default.
pub fn lenient<'de, D: Deserializer<'de>, T: Shape<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Lenient::<T>::deserialize(d)?.0.unwrap_or_default())
}

struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Shape<'de>> Visitor<'de> for ShapeVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(T::from_bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(T::from_i64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(T::from_u64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(T::from_f64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(T::from_str(v, Some(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(T::from_str(v, None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(T::from_null())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(T::from_null())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::from_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::from_seq(seq)
    }
}

/// An object key, borrowed unless it holds escapes.
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON string.
impl<'de> Shape<'de> for Cow<'de, str> {
    fn from_str(text: &str, borrowed: Option<&'de str>) -> Option<Self> {
        Some(borrowed.map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed))
    }
}

/// `true` or `false`.
impl Shape<'_> for bool {
    fn from_bool(v: bool) -> Option<Self> {
        Some(v)
    }
}

/// An integer that fits (a fraction, or one past the range, is the wrong shape).
impl Shape<'_> for i64 {
    fn from_u64(v: u64) -> Option<Self> {
        i64::try_from(v).ok()
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(v)
    }
}

/// Any number.
impl Shape<'_> for f64 {
    fn from_u64(v: u64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v)
    }
}

/// `null` is `None`, a value of `T`'s shape `Some`; any other shape is wrong (and so
/// `None` too, as a field's default).
impl<'de, T: Shape<'de>> Shape<'de> for Option<T> {
    fn from_bool(v: bool) -> Option<Self> {
        T::from_bool(v).map(Some)
    }
    fn from_u64(v: u64) -> Option<Self> {
        T::from_u64(v).map(Some)
    }
    fn from_i64(v: i64) -> Option<Self> {
        T::from_i64(v).map(Some)
    }
    fn from_f64(v: f64) -> Option<Self> {
        T::from_f64(v).map(Some)
    }
    fn from_str(text: &str, borrowed: Option<&'de str>) -> Option<Self> {
        T::from_str(text, borrowed).map(Some)
    }
    fn from_null() -> Option<Self> {
        Some(None)
    }
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        Ok(T::from_map(map)?.map(Some))
    }
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Option<Self>, A::Error> {
        Ok(T::from_seq(seq)?.map(Some))
    }
}

/// An array whose every element has `T`'s shape, or none at all: one element of another
/// shape makes the whole array the wrong shape (as a typed list of rows reads it). At most
/// `N` elements are kept; the rest are still read, to judge their shape.
#[derive(Debug)]
pub struct Rows<T, const N: usize>(pub Vec<T>);

impl<T, const N: usize> Default for Rows<T, N> {
    fn default() -> Self {
        Rows(Vec::new())
    }
}

impl<T, const N: usize> std::ops::Deref for Rows<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: Shape<'de>, const N: usize> Shape<'de> for Rows<T, N> {
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        let mut rows = Vec::new();
        let mut whole = true;
        while let Some(Lenient(row)) = seq.next_element::<Lenient<T>>()? {
            match row {
                Some(row) if whole && rows.len() < N => rows.push(row),
                Some(_) => {}
                None => {
                    whole = false;
                    rows = Vec::new();
                }
            }
        }
        Ok(whole.then_some(Rows(rows)))
    }
}

/// Declares a struct read from a JSON object by [`Shape`]: each field by its own name,
/// leniently; unknown keys skipped; a key given twice keeps its last value.
#[macro_export]
macro_rules! lenient_struct {
    ($(#[$meta:meta])* pub struct $name:ident<$a:lifetime> {
        $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name<$a> {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl<$a> $crate::report::lenient::Shape<$a> for $name<$a> {
            fn from_map<A: serde::de::MapAccess<$a>>(
                mut map: A,
            ) -> Result<Option<Self>, A::Error> {
                use $crate::report::lenient::{Key, Lenient};
                let mut out = Self::default();
                while let Some(Key(key)) = map.next_key::<Key<$a>>()? {
                    match &*key {
                        $(stringify!($field) => {
                            out.$field = map.next_value::<Lenient<$ty>>()?.0.unwrap_or_default()
                        })*
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Some(out))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::lenient_struct! {
        pub struct Probe<'a> {
            pub name: Option<Cow<'a, str>>,
            pub size: Option<i64>,
            pub age: Option<f64>,
            pub on: bool,
            pub text: Cow<'a, str>,
            pub inner: Option<Inner<'a>>,
            pub rows: Rows<Inner<'a>, 2>,
        }
    }

    crate::lenient_struct! {
        pub struct Inner<'a> {
            pub v: Option<Cow<'a, str>>,
        }
    }

    fn read(json: &str) -> Option<Probe<'_>> {
        serde_json::from_str::<Lenient<Probe>>(json)
            .expect("syntax")
            .0
    }

    #[test]
    fn fields_of_the_right_shape_are_read_borrowed() {
        let p = read(
            r#"{"name": "n", "size": 7, "age": 1.5, "on": true, "text": "a\"b",
                "inner": {"v": "x"}, "rows": [{"v": "1"}, {}, {"v": "3"}], "other": [1, {"a": null}]}"#,
        )
        .expect("an object");
        assert!(matches!(p.name, Some(Cow::Borrowed("n"))));
        assert_eq!((p.size, p.age, p.on), (Some(7), Some(1.5), true));
        assert!(
            matches!(&p.text, Cow::Owned(t) if t == "a\"b"),
            "escaped: a copy"
        );
        assert_eq!(p.inner.and_then(|i| i.v).as_deref(), Some("x"));
        assert_eq!(p.rows.len(), 2, "at most N rows kept");
    }

    #[test]
    fn a_field_of_another_shape_is_absent_and_the_rest_still_read() {
        let p = read(
            r#"{"name": 5, "size": 1.5, "age": "old", "on": "yes", "text": null,
                "inner": [1], "rows": [{"v": "1"}, null], "name": "last"}"#,
        )
        .expect("an object");
        assert_eq!(
            p.name.as_deref(),
            Some("last"),
            "the last of a key given twice"
        );
        assert_eq!((p.size, p.age, p.on, &*p.text), (None, None, false, ""));
        assert!(p.inner.is_none());
        assert!(p.rows.is_empty(), "one row of another shape: none");
        assert_eq!(read(r#"{"size": 9223372036854775808}"#).unwrap().size, None);
        assert_eq!(read(r#"{"size": -3}"#).unwrap().size, Some(-3));
        assert!(read("[1, 2]").is_none() && read("\"s\"").is_none() && read("null").is_none());
    }

    #[test]
    fn only_the_syntax_fails() {
        for bad in [
            r#"{"name": }"#,
            r#"{"other": [1,}"#,
            r#"{"inner": {"v": "x"]}"#,
            "{",
        ] {
            assert!(
                serde_json::from_str::<Lenient<Probe>>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
