//! Declared relations every generated record keeps, e.g. `total = sum(items[].qty * items[].unit_price)`:
//! a field path on the left, on the right numbers, field paths (`a.b`, `items[].price`), `sum(..)` and
//! `count(..)` over an array's items, `+ - * /` and parentheses. The left side is computed after the rest of
//! the record and rounded to its schema (`multipleOf`, integer); a value outside its bounds makes the caller
//! draw the record again. Paths are checked against the schema when the relation is read.

use super::plan::{Kind, Node, NumberSpec};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Each,
}

type Path = Vec<Seg>;

#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Path(Path),
    Sum(Box<Expr>),
    Count(Box<Expr>),
    Bin(char, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
}

#[derive(Debug, Clone)]
pub struct Relation {
    source: String,
    target: Path,
    expr: Expr,
    spec: NumberSpec,
}

/// Reads the relations and checks their paths against the plan; the plan's objects on those paths then
/// require the fields named (so every record carries them). Errors name the relation and what is wrong.
pub fn parse_all(sources: &[String], node: &mut Node) -> Result<Vec<Relation>, String> {
    sources.iter().map(|s| parse(s, node).map_err(|e| format!("`{s}`: {e}"))).collect()
}

fn parse(source: &str, node: &mut Node) -> Result<Relation, String> {
    let (lhs, rhs) = source.split_once('=').ok_or("expected `field = expression`")?;
    let target = parse_path(lhs.trim())?;
    let mut p = Parser { s: rhs.trim().as_bytes(), i: 0 };
    let expr = p.expr()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(format!("unexpected `{}`", String::from_utf8_lossy(&p.s[p.i..])));
    }
    let mut paths = vec![];
    collect_paths(&expr, &mut paths);
    for path in &paths {
        resolve(node, path)?;
    }
    let spec = resolve(node, &target)?.ok_or(format!("`{}` is not a number field", lhs.trim()))?;
    // Array markers on the left are bound item by item; on the right outside sum()/count() they must be too.
    let bound = target.iter().filter(|s| **s == Seg::Each).count();
    check_bound(&expr, bound)?;
    Ok(Relation { source: source.to_string(), target, expr, spec })
}

fn check_bound(e: &Expr, bound: usize) -> Result<(), String> {
    match e {
        Expr::Path(p) if p.iter().filter(|s| **s == Seg::Each).count() > bound => {
            Err("an `[]` path outside sum() or count() that the left side does not iterate".into())
        }
        Expr::Sum(x) | Expr::Count(x) => check_bound(x, bound + 1),
        Expr::Bin(_, a, b) => check_bound(a, bound).and(check_bound(b, bound)),
        Expr::Neg(x) => check_bound(x, bound),
        _ => Ok(()),
    }
}

fn collect_paths(e: &Expr, out: &mut Vec<Path>) {
    match e {
        Expr::Path(p) => out.push(p.clone()),
        Expr::Sum(x) | Expr::Count(x) | Expr::Neg(x) => collect_paths(x, out),
        Expr::Bin(_, a, b) => {
            collect_paths(a, out);
            collect_paths(b, out);
        }
        Expr::Num(_) => {}
    }
}

fn parse_path(s: &str) -> Result<Path, String> {
    let mut out = vec![];
    for part in s.split('.') {
        let (name, each) = match part.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (part, false),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err(format!("`{s}` is not a field path (names joined by `.`, `[]` after an array)"));
        }
        out.push(Seg::Key(name.to_string()));
        if each {
            out.push(Seg::Each);
        }
    }
    Ok(out)
}

/// The number schema a path names (None: not a number); the objects on the way make each key required.
/// Through `oneOf`/`anyOf`/`if` branches: every branch that has the path.
fn resolve(node: &mut Node, path: &[Seg]) -> Result<Option<NumberSpec>, String> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(match &node.kind {
            Kind::Number(n) => Some(n.clone()),
            _ => None,
        });
    };
    match (first, &mut node.kind) {
        (_, Kind::Choice(c)) => {
            let results: Vec<_> = c.branches.iter_mut().map(|b| resolve(b, path)).collect();
            let mut first_err = None;
            let mut found = None;
            for r in results {
                match r {
                    Ok(spec) => found = found.or(Some(spec)),
                    Err(e) => first_err = first_err.or(Some(e)),
                }
            }
            found.ok_or_else(|| first_err.unwrap_or_default())
        }
        (Seg::Key(k), Kind::Object(o)) => {
            if !o.required.contains(k) {
                o.required.push(k.clone());
            }
            let child = o.properties.iter_mut().find(|(name, _)| name == k).map(|(_, n)| n);
            resolve(child.ok_or(format!("no field `{k}` in the schema"))?, rest)
        }
        (Seg::Each, Kind::Array(a)) => resolve(&mut a.items, rest),
        (Seg::Key(k), _) => Err(format!("`{k}` is not inside an object of the schema")),
        (Seg::Each, _) => Err("`[]` after a field that is not an array".into()),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut left = self.term()?;
        while let Some(op @ (b'+' | b'-')) = self.peek() {
            self.i += 1;
            left = Expr::Bin(op as char, Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, String> {
        let mut left = self.factor()?;
        while let Some(op @ (b'*' | b'/')) = self.peek() {
            self.i += 1;
            left = Expr::Bin(op as char, Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some(b'-') => {
                self.i += 1;
                Ok(Expr::Neg(Box::new(self.factor()?)))
            }
            Some(b'(') => {
                self.i += 1;
                let e = self.expr()?;
                self.close()?;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
                    self.i += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
                text.parse().map(Expr::Num).map_err(|_| format!("`{text}` is not a number"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| c.is_ascii_alphanumeric() || b"_-.[]".contains(c)) {
                    self.i += 1;
                }
                let word = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
                if matches!(word.as_str(), "sum" | "count") && self.peek() == Some(b'(') {
                    self.i += 1;
                    let e = self.expr()?;
                    self.close()?;
                    return Ok(if word == "sum" { Expr::Sum(Box::new(e)) } else { Expr::Count(Box::new(e)) });
                }
                parse_path(&word).map(Expr::Path)
            }
            Some(c) => Err(format!("unexpected `{}`", c as char)),
            None => Err("the expression ends too early".into()),
        }
    }

    fn close(&mut self) -> Result<(), String> {
        if self.peek() != Some(b')') {
            return Err("a `(` without its `)`".into());
        }
        self.i += 1;
        Ok(())
    }
}

/// Index bindings of `[]` markers: (the path up to and including the marker, the item index).
type Bindings = Vec<(Path, usize)>;

fn lookup<'v>(root: &'v Value, path: &[Seg], b: &Bindings) -> Option<&'v Value> {
    let mut v = root;
    for (i, seg) in path.iter().enumerate() {
        v = match seg {
            Seg::Key(k) => v.get(k)?,
            Seg::Each => {
                let idx = b.iter().find(|(p, _)| p.as_slice() == &path[..=i])?.1;
                v.get(idx)?
            }
        };
    }
    Some(v)
}

/// The first `[]` in `e` that `b` does not bind: the array `sum()`/`count()` walks.
fn first_unbound(e: &Expr, b: &Bindings) -> Option<Path> {
    let mut paths = vec![];
    collect_paths(e, &mut paths);
    paths.iter().find_map(|p| {
        (0..p.len())
            .find(|&i| p[i] == Seg::Each && !b.iter().any(|(q, _)| q.as_slice() == &p[..=i]))
            .map(|i| p[..=i].to_vec())
    })
}

fn eval(e: &Expr, root: &Value, b: &mut Bindings) -> Option<f64> {
    Some(match e {
        Expr::Num(x) => *x,
        Expr::Path(p) => lookup(root, p, b)?.as_f64()?,
        Expr::Neg(x) => -eval(x, root, b)?,
        Expr::Bin(op, x, y) => {
            let (x, y) = (eval(x, root, b)?, eval(y, root, b)?);
            match op {
                '+' => x + y,
                '-' => x - y,
                '*' => x * y,
                _ if y == 0.0 => return None,
                _ => x / y,
            }
        }
        Expr::Sum(x) | Expr::Count(x) => {
            let Some(each) = first_unbound(x, b) else { return eval(x, root, b) };
            let n = lookup(root, &each[..each.len() - 1], b).and_then(Value::as_array).map_or(0, Vec::len);
            if matches!(e, Expr::Count(_)) {
                return Some(n as f64);
            }
            let mut total = 0.0;
            for i in 0..n {
                b.push((each.clone(), i));
                let v = eval(x, root, b);
                b.pop();
                total += v?;
            }
            total
        }
    })
}

/// Applies the relations in order; false when a computed value breaks its field's schema (draw again).
pub fn apply(relations: &[Relation], record: &mut Value) -> bool {
    relations.iter().all(|r| assign(r, record, 0, &mut vec![]))
}

fn assign(r: &Relation, record: &mut Value, from: usize, b: &mut Bindings) -> bool {
    // Bind each `[]` of the target in turn, item by item.
    if let Some(i) = (from..r.target.len()).find(|&i| r.target[i] == Seg::Each) {
        let n = lookup(record, &r.target[..i], b).and_then(Value::as_array).map_or(0, Vec::len);
        for idx in 0..n {
            b.push((r.target[..=i].to_vec(), idx));
            let ok = assign(r, record, i + 1, b);
            b.pop();
            if !ok {
                return false;
            }
        }
        return true;
    }
    let Some(raw) = eval(&r.expr, record, b) else { return false };
    let Some(value) = fit(&r.spec, raw) else { return false };
    let Some((Seg::Key(last), parent)) = r.target.split_last() else { return false };
    let mut v = &mut *record;
    for (i, seg) in parent.iter().enumerate() {
        v = match seg {
            Seg::Key(k) => match v.get_mut(k) {
                Some(x) => x,
                None => return true, // an absent optional parent: nothing to keep
            },
            Seg::Each => {
                let idx = b.iter().find(|(p, _)| p.as_slice() == &r.target[..=i]).map_or(0, |x| x.1);
                match v.get_mut(idx) {
                    Some(x) => x,
                    None => return true,
                }
            }
        };
    }
    match v.as_object_mut() {
        Some(m) => {
            m.insert(last.clone(), value);
            true
        }
        None => true,
    }
}

/// `raw` rounded to the field's schema, or None when it breaks the field's bounds or `multipleOf`.
fn fit(spec: &NumberSpec, raw: f64) -> Option<Value> {
    if !raw.is_finite() {
        return None;
    }
    let v = if let Some(m) = spec.multiple_of {
        let decimals = format!("{m}").split_once('.').map_or(0, |(_, d)| d.len() as i32);
        let scale = 10f64.powi(decimals);
        ((raw / m).round() * m * scale).round() / scale
    } else if spec.integer {
        raw.round()
    } else {
        (raw * 1e10).round() / 1e10
    };
    let (lo, hi) = spec.bounds();
    if lo.is_some_and(|l| v < l) || hi.is_some_and(|h| v > h) {
        return None;
    }
    if let Some(m) = spec.multiple_of {
        // What validators check: the quotient is a whole number.
        if (v / m).fract() != 0.0 {
            return None;
        }
    }
    Some(
        if spec.integer || (v.fract() == 0.0 && v.abs() < 9e15 && spec.multiple_of.is_some_and(|m| m.fract() == 0.0)) {
            Value::from(v as i64)
        } else {
            Value::from(v)
        },
    )
}

impl Relation {
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datagen::plan::compile;
    use serde_json::json;

    fn order() -> Node {
        compile(&json!({"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "qty": {"type": "integer"}, "unit_price": {"type": "number"}, "line_total": {"type": "number", "multipleOf": 0.01}}}},
            "total": {"type": "number", "minimum": 0, "multipleOf": 0.01}, "shipping": {"type": "number"}, "count": {"type": "integer"}}}))
        .unwrap()
    }

    #[test]
    fn sums_products_and_per_item_relations_hold() {
        let mut node = order();
        let rels = parse_all(
            &[
                "items[].line_total = items[].qty * items[].unit_price".into(),
                "total = sum(items[].line_total) + shipping".into(),
                "count = count(items[])".into(),
            ],
            &mut node,
        )
        .unwrap();
        let mut r = json!({"items": [{"qty": 2, "unit_price": 1.25}, {"qty": 3, "unit_price": 0.1}], "shipping": 4.5});
        assert!(apply(&rels, &mut r));
        assert_eq!(r["items"][0]["line_total"], json!(2.5));
        assert_eq!(r["items"][1]["line_total"], json!(0.3));
        assert_eq!(r["total"], json!(7.3));
        assert_eq!(r["count"], json!(2));
        // Relations make the fields they name required.
        let Kind::Object(o) = &node.kind else { panic!() };
        assert!(o.required.contains(&"total".to_string()) && o.required.contains(&"shipping".to_string()));
    }

    #[test]
    fn out_of_bounds_results_ask_for_another_record() {
        let mut node = order();
        let rels = parse_all(&["total = shipping - 10".into()], &mut node).unwrap();
        assert!(!apply(&rels, &mut json!({"shipping": 1})));
    }

    #[test]
    fn bad_relations_are_refused_with_the_reason() {
        for (rel, expected) in [
            ("total = sum(items[].price)", "no field `price`"),
            ("totl = shipping", "no field `totl`"),
            ("total = items[].qty", "outside sum()"),
            ("total shipping", "field = expression"),
            ("total = (shipping", "without its `)`"),
            ("items = shipping", "not a number field"),
        ] {
            let err = parse_all(&[rel.to_string()], &mut order()).unwrap_err();
            assert!(err.contains(expected), "{rel}: {err}");
        }
    }
}
