//! MCP prompts: Markdown files in `prompts/`, compiled in. Each starts with a TOML front matter between
//! `+++` lines (name, title, description, [[arguments]]); the body uses `{{argument}}` placeholders.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The prompt files, compiled in.
const FILES: &[(&str, &str)] = &[
    ("test_topic_end_to_end.md", include_str!("../prompts/test_topic_end_to_end.md")),
    ("review_topic_schema.md", include_str!("../prompts/review_topic_schema.md")),
    ("test_cases_from_story.md", include_str!("../prompts/test_cases_from_story.md")),
    ("triage_incident.md", include_str!("../prompts/triage_incident.md")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptFile {
    pub name: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    #[serde(skip)]
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptArgument {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// Used when the argument is not given.
    pub default: Option<String>,
}

pub fn parse(file: &str, text: &str) -> Result<PromptFile> {
    let rest = text.strip_prefix("+++\n").ok_or_else(|| Error::internal(format!("{file}: no +++ front matter")))?;
    let (front, body) =
        rest.split_once("\n+++\n").ok_or_else(|| Error::internal(format!("{file}: front matter not closed")))?;
    let mut p: PromptFile = toml::from_str(front).map_err(|e| Error::internal(format!("{file}: {e}")))?;
    p.body = body.trim_start().to_string();
    Ok(p)
}

pub fn all() -> Vec<PromptFile> {
    // The files are compiled in and checked by a test, so a parse failure here is a build defect.
    FILES.iter().filter_map(|(f, t)| parse(f, t).ok()).collect()
}

/// Fills the placeholders; a missing required argument is named.
pub fn render(prompt: &PromptFile, args: &BTreeMap<String, String>) -> Result<String> {
    let mut body = prompt.body.clone();
    for a in &prompt.arguments {
        let value = match (args.get(&a.name), &a.default) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) if a.required => return Err(Error::bad_input(&a.name, format!("a value: {}", a.description))),
            (None, None) => String::new(),
        };
        body = body.replace(&format!("{{{{{}}}}}", a.name), &value);
    }
    if let Some(unknown) = args.keys().find(|k| !prompt.arguments.iter().any(|a| &a.name == *k)) {
        let names: Vec<&str> = prompt.arguments.iter().map(|a| a.name.as_str()).collect();
        return Err(Error::bad_input(unknown, format!("one of the prompt's arguments: {}", names.join(", "))));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_file_parses_and_uses_only_its_arguments() {
        assert_eq!(all().len(), FILES.len());
        for p in all() {
            let mut args = BTreeMap::new();
            for a in &p.arguments {
                args.insert(a.name.clone(), format!("<{}>", a.name));
            }
            let text = render(&p, &args).unwrap();
            assert!(!text.contains("{{"), "{}: unfilled placeholder", p.name);
            for a in &p.arguments {
                assert!(text.contains(&format!("<{}>", a.name)), "{}: argument {} unused", p.name, a.name);
            }
        }
    }

    #[test]
    fn missing_required_and_unknown_arguments_are_named() {
        let p = all().into_iter().find(|p| p.arguments.iter().any(|a| a.required)).unwrap();
        let err = render(&p, &BTreeMap::new()).unwrap_err().to_string();
        assert!(err.contains(&p.arguments.iter().find(|a| a.required).unwrap().name));
        let mut args: BTreeMap<String, String> = p.arguments.iter().map(|a| (a.name.clone(), "x".into())).collect();
        args.insert("bogus".into(), "1".into());
        assert!(render(&p, &args).unwrap_err().to_string().contains("bogus"));
    }
}
