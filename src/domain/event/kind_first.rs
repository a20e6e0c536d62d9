//! Reading an [`Event`] by its `kind` first.
//!
//! serde reads an internally tagged enum by buffering the whole object
//! (every string copied into a tree) before it looks at the tag, then
//! reads the variant from the buffer: that was half the cost of reading a
//! journal. firebreak writes `kind` first, so the variant is known after
//! the first key and its fields are read straight from the input, by
//! serde's own derive of the same variants (`ByKind`, externally tagged).
//! An object whose `kind` comes later (written by something else, or a
//! `serde_json::Value`, whose keys are sorted) is buffered as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::{ByKind, Event};

const TAG: &str = "kind";

pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
    d.deserialize_map(EventVisitor)
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event: an object with a `kind`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let first = match map.next_key::<Key<'de>>()? {
            None => return Err(de::Error::missing_field(TAG)),
            Some(Key(k)) => k,
        };
        if first == TAG {
            let Key(kind) = map.next_value::<Key<'de>>()?;
            return ByKind::deserialize(Kinded { kind, rest: map });
        }
        // Not written by firebreak: the fields in any order.
        let mut all = serde_json::Map::new();
        all.insert(first.into_owned(), map.next_value()?);
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            all.insert(k, v);
        }
        let kind = match all.remove(TAG) {
            None => return Err(de::Error::missing_field(TAG)),
            Some(serde_json::Value::String(kind)) => kind,
            Some(_) => {
                return Err(de::Error::invalid_type(
                    Unexpected::Other("a non-string kind"),
                    &"the kind of event, a string",
                ))
            }
        };
        let rest = MapDeserializer::<_, serde_json::Error>::new(all.into_iter());
        ByKind::deserialize(Kinded {
            kind: Cow::Owned(kind),
            rest,
        })
        .map_err(de::Error::custom)
    }
}

/// A string, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The rest of an object whose kind is known, to serde as an externally
/// tagged enum: the kind names the variant, the rest are its fields.
struct Kinded<'de, M> {
    kind: Cow<'de, str>,
    rest: M,
}

impl<'de, M: MapAccess<'de>> Deserializer<'de> for Kinded<'de, M> {
    type Error = M::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, M::Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, M::Error> {
        visitor.visit_enum(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de, M: MapAccess<'de>> EnumAccess<'de> for Kinded<'de, M> {
    type Error = M::Error;
    type Variant = Fields<M>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Fields<M>), M::Error> {
        let variant = seed.deserialize(StrDeserializer::<M::Error>::new(&self.kind))?;
        Ok((variant, Fields(self.rest)))
    }
}

/// A variant's fields: the rest of the object.
struct Fields<M>(M);

impl<'de, M: MapAccess<'de>> VariantAccess<'de> for Fields<M> {
    type Error = M::Error;

    fn unit_variant(mut self) -> Result<(), M::Error> {
        while self.0.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, M::Error> {
        Err(de::Error::invalid_type(
            Unexpected::Map,
            &"a struct variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, M::Error> {
        Err(de::Error::invalid_type(
            Unexpected::Map,
            &"a struct variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, M::Error> {
        visitor.visit_map(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event of every kind, with its required fields only (the
    /// defaults fill the rest).
    const ONE_OF_EACH: &[&str] = &[
        r#"{"kind":"incident_declared","id":"i","title":"t","severity":"sev2"}"#,
        r#"{"kind":"team_joined","id":"i","title":"t","severity":"sev1","declared_by":"a","declared_at":"2024-05-01T14:00:00Z"}"#,
        r#"{"kind":"team_left","id":"i"}"#,
        r#"{"kind":"title_changed","title":"t"}"#,
        r#"{"kind":"severity_changed","from":"sev3","to":"sev1"}"#,
        r#"{"kind":"status_changed","from":"investigating","to":"monitoring"}"#,
        r#"{"kind":"impact_started","at":"2024-05-01T14:00:00Z"}"#,
        r#"{"kind":"impact_ended","at":"2024-05-01T14:00:00Z"}"#,
        r#"{"kind":"mitigation_marked","at":"2024-05-01T14:00:00Z"}"#,
        r#"{"kind":"note","text":"a \"quoted\" note\nwith a line","at":"2024-05-01T14:00:00Z"}"#,
        r#"{"kind":"alert_firing","fingerprint":"f","name":"n","severity":"critical","labels":{"a":"b"}}"#,
        r#"{"kind":"alert_resolved","fingerprint":"f","name":"n"}"#,
        r#"{"kind":"alert_batch","events":[{"kind":"alert_resolved","fingerprint":"f","name":"n"},{"name":"m","kind":"alert_resolved","fingerprint":"g"}]}"#,
        r#"{"kind":"alert_silenced","fingerprint":"f","name":"n"}"#,
        r#"{"kind":"action_started","action":"rollback","target":"checkout"}"#,
        r#"{"kind":"action_finished","action":"rollback","target":"checkout","ok":true}"#,
        r#"{"kind":"flag_changed","provider":"unleash","flag":"x","before":true,"after":false,"wanted":false,"ok":true}"#,
        r#"{"kind":"source_health","source":"am","healthy":false}"#,
        r#"{"kind":"hypothesis_started","id":1,"text":"t","box_secs":600}"#,
        r#"{"kind":"hypothesis_extended","id":1,"extra_secs":300,"reason":"r"}"#,
        r#"{"kind":"hypothesis_closed","id":1,"outcome":"refuted"}"#,
        r#"{"kind":"systematic_path","reason":"r"}"#,
        r#"{"kind":"role_changed","role":"scribe","to":"bob"}"#,
        r#"{"kind":"approval_requested","id":"a1","action":"rollback","target":"checkout"}"#,
        r#"{"kind":"approval_given","id":"a1"}"#,
        r#"{"kind":"approval_withdrawn","id":"a1"}"#,
        r#"{"kind":"exported","format":"markdown","path":"/tmp/x.md"}"#,
        r#"{"kind":"playbook_started","run_id":"r","playbook":"rollback"}"#,
        r#"{"kind":"step_started","run_id":"r","step":0,"title":"t","step_kind":"command"}"#,
        r#"{"kind":"step_finished","run_id":"r","step":0,"title":"t","step_kind":"command","ok":false,"exit_code":2}"#,
        r#"{"kind":"step_skipped","run_id":"r","step":1,"title":"t"}"#,
        r#"{"kind":"playbook_finished","run_id":"r","playbook":"rollback","ok":true}"#,
        r#"{"kind":"follow_up_added","type":"prevent","text":"t","due":"2024-05-10"}"#,
        r#"{"kind":"pinned","entry":"abc","pinned":true}"#,
        r#"{"kind":"status_update_recorded","id":"u1","conditions":"c","actions":"a","needs":"n"}"#,
        r#"{"kind":"status_update_sent","id":"u1","channel":"room","ok":true}"#,
        r#"{"kind":"evidence_recorded","action":"a","phase":"before","at":"2024-05-01T14:00:00Z","readings":[{"panel":"p","value":1.5}]}"#,
        r#"{"kind":"changes_reported","source":"unleash","since":"2024-05-01T08:00:00Z","changes":[{"what":"w","at":"2024-05-01T13:00:00Z"}]}"#,
    ];

    /// The same object with `kind` moved to the end (as another writer,
    /// or a sorted map, might put it).
    fn kind_last(line: &str) -> String {
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let mut fields: Vec<String> = obj
            .iter()
            .filter(|(k, _)| *k != "kind")
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
            .collect();
        fields.push(format!("\"kind\":{}", obj["kind"]));
        format!("{{{}}}", fields.join(","))
    }

    #[test]
    fn every_kind_reads_the_same_with_kind_first_or_last_and_round_trips() {
        for line in ONE_OF_EACH {
            let first: Event = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let last: Event = serde_json::from_str(&kind_last(line)).unwrap();
            assert_eq!(first, last, "{line}");
            let value: Event = serde_json::from_value(serde_json::from_str(line).unwrap()).unwrap();
            assert_eq!(first, value, "{line}");
            let written = serde_json::to_string(&first).unwrap();
            assert!(written.starts_with("{\"kind\":"), "{written}");
            assert_eq!(serde_json::from_str::<Event>(&written).unwrap(), first);
        }
    }

    #[test]
    fn the_samples_cover_every_kind() {
        let err = serde_json::from_str::<Event>(r#"{"kind":"no_such_kind"}"#)
            .unwrap_err()
            .to_string();
        let (_, expected) = err.split_once("expected one of ").unwrap();
        let expected = expected.split_once(" at line").map_or(expected, |(e, _)| e);
        let mut known: Vec<&str> = expected.split(", ").map(|k| k.trim_matches('`')).collect();
        let mut sampled: Vec<String> = ONE_OF_EACH
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string())
            .map(|k| k.trim_matches('"').to_string())
            .collect();
        known.sort_unstable();
        sampled.sort_unstable();
        assert_eq!(sampled, known);
    }

    #[test]
    fn bad_events_say_what_is_wrong_and_where() {
        let cases = [
            (r#"{"title":"t"}"#, "missing field `kind`"),
            (r#"{"kind":"title_changed"}"#, "missing field `title`"),
            (r#"{"title":"t","kind":7}"#, "kind of event, a string"),
            (
                r#"{"kind":"title_changed","title":7}"#,
                "invalid type: integer `7`",
            ),
            (r#"[1]"#, "an event: an object with a `kind`"),
        ];
        for (line, says) in cases {
            let err = serde_json::from_str::<Event>(line).unwrap_err().to_string();
            assert!(err.contains(says), "{line}: {err}");
        }
        // Read straight from the line, an error keeps its column.
        let err =
            serde_json::from_str::<Event>(r#"{"kind":"title_changed","title":7}"#).unwrap_err();
        assert_eq!(err.column(), 33);
    }
}
