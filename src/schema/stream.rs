//! Inference straight from JSON text: a serde visitor walks the document into the inference nodes without
//! building a `serde_json::Value` (no allocation for strings without escapes, nothing kept but the stats).

use super::node::{Limits, Node};
use super::structure::{self, Hashes};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Adds the value being deserialized to `node`.
pub struct NodeSeed<'a> {
    pub node: &'a mut Node,
    pub lim: &'a Limits,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.node.add_null();
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.node.add_null();
        Ok(())
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.node.add_bool(b, self.lim);
        Ok(())
    }
    fn visit_i64<E>(self, i: i64) -> Result<(), E> {
        self.node.add_int(i.into(), self.lim);
        Ok(())
    }
    fn visit_u64<E>(self, u: u64) -> Result<(), E> {
        self.node.add_int(u.into(), self.lim);
        Ok(())
    }
    fn visit_f64<E>(self, f: f64) -> Result<(), E> {
        self.node.add_float(f, self.lim);
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.node.add_str(s, self.lim);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // The length is known only at the end: add the elements first, to a fresh node when this is the
        // first non-empty array (an always-empty array keeps no items node, as in `Node::add`).
        let mut items = self.node.items.take().unwrap_or_else(|| Box::new(Node::new()));
        let mut len = 0usize;
        if self.lim.structure && self.node.unique.possible() {
            // Also hashes scalar elements, to tell whether the array repeats one.
            let mut hashes = Hashes::default();
            while let Some(h) = seq.next_element_seed(ElementSeed { node: &mut items, lim: self.lim })? {
                hashes.push(h);
                len += 1;
            }
            self.node.unique.note(&hashes);
        } else {
            while seq.next_element_seed(NodeSeed { node: &mut items, lim: self.lim })?.is_some() {
                len += 1;
            }
        }
        if items.seen > 0 {
            self.node.items = Some(items);
        }
        // Counts the array (its elements were added above).
        let _ = self.node.begin_array(len);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.node.begin_object();
        let mut slot = 0;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match self.node.property(slot, &key.0) {
                Some(child) => map.next_value_seed(NodeSeed { node: child, lim: self.lim })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            slot += 1;
        }
        if self.lim.structure {
            self.node.end_object();
        }
        Ok(())
    }
}

/// An array element: added like any value, and hashed when it is a scalar (None for objects and arrays).
struct ElementSeed<'a> {
    node: &'a mut Node,
    lim: &'a Limits,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Option<u64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Option<u64>, E> {
        self.node.add_null();
        Ok(Some(structure::hash_null()))
    }
    fn visit_none<E>(self) -> Result<Option<u64>, E> {
        self.node.add_null();
        Ok(Some(structure::hash_null()))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Option<u64>, E> {
        self.node.add_bool(b, self.lim);
        Ok(Some(structure::hash_bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Option<u64>, E> {
        self.node.add_int(i.into(), self.lim);
        Ok(Some(structure::hash_int(i.into())))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Option<u64>, E> {
        self.node.add_int(u.into(), self.lim);
        Ok(Some(structure::hash_int(u.into())))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Option<u64>, E> {
        self.node.add_float(f, self.lim);
        Ok(Some(structure::hash_float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Option<u64>, E> {
        self.node.add_str(s, self.lim);
        Ok(Some(structure::hash_str(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<u64>, A::Error> {
        NodeSeed { node: self.node, lim: self.lim }.visit_seq(seq).map(|_| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<u64>, A::Error> {
        NodeSeed { node: self.node, lim: self.lim }.visit_map(map).map(|_| None)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}
