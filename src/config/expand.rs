//! `${VAR}` and `${VAR:-default}` expansion in the TOML configuration text.

use crate::error::Error;

/// Expands `${VAR}` (an error names the variable when it is unset) and `${VAR:-default}`.
/// `$${` escapes a literal `${`. Comment lines (`#` first) are left as they are, so a commented-out
/// setting never needs its variable.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('#') {
            out.push_str(line);
        } else {
            out.push_str(&expand_line(line, &lookup)?);
        }
    }
    Ok(out)
}

fn expand_line(text: &str, lookup: &impl Fn(&str) -> Option<String>) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("${") {
        if pos > 0 && rest[..pos].ends_with('$') {
            out.push_str(&rest[..pos - 1]);
            out.push_str("${");
            rest = &rest[pos + 2..];
            continue;
        }
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let end = after.find('}').ok_or_else(|| Error::bad_input("config", "a closing `}` after `${`"))?;
        let expr = &after[..end];
        let (name, default) = match expr.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (expr, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::bad_input("config", format!("a variable name inside `${{{expr}}}`")));
        }
        match (lookup(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(Error::bad_input(
                    "config",
                    format!(
                        "environment variable {name} to be set (used as ${{{name}}}; or write ${{{name}:-default}})"
                    ),
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "USER_PW").then(|| "s3cret".to_string())
    }

    #[test]
    fn expands_set_variables_and_defaults() {
        assert_eq!(expand_env("p = \"${USER_PW}\"", env).unwrap(), "p = \"s3cret\"");
        assert_eq!(expand_env("u = \"${NOPE:-x}\"", env).unwrap(), "u = \"x\"");
        assert_eq!(expand_env("lit = \"$${USER_PW}\"", env).unwrap(), "lit = \"${USER_PW}\"");
    }

    #[test]
    fn unset_variable_is_named() {
        let err = expand_env("${MISSING_ONE}", env).unwrap_err().to_string();
        assert!(err.contains("MISSING_ONE"), "{err}");
        assert!(expand_env("${OPEN", env).is_err());
        assert_eq!(expand_env("# p = \"${MISSING_ONE}\"\nx = 1", env).unwrap(), "# p = \"${MISSING_ONE}\"\nx = 1");
    }
}
