//! IAM's wildcard patterns: `*` matches any run of characters (including none) and `?` exactly one, with no
//! other special characters, no escapes in the pattern text and no anchoring rules to choose. That is not a
//! regex dialect, so the matcher is written by hand: translating to a regex would need escaping of every other
//! character and brings a dependency for a loop of twenty lines.
//!
//! A [`Pattern`] is a sequence of tokens rather than text so that policy variables can put literal `*`, `?`
//! and `$` into it (`${*}`, `${?}`, `${$}`) and so that substituted values never act as wildcards.
//! ARNs are matched component by component ([`Pattern::matches_arn`]), as IAM compares them.

#[cfg(test)]
mod tests;

/// One token of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A character that must be present as is.
    Char(char),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// Whether letters must match in case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Sensitive,
    /// ASCII letters match either case, as in action names.
    Insensitive,
}

/// A wildcard pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub(crate) tokens: Vec<Token>,
}

impl Pattern {
    /// Reads `*` and `?` in `text` as wildcards and every other character as itself.
    pub(crate) fn wildcard(text: &str) -> Pattern {
        let tokens = text
            .chars()
            .map(|c| match c {
                '*' => Token::AnyRun,
                '?' => Token::AnyOne,
                c => Token::Char(c),
            })
            .collect();
        Pattern { tokens }
    }

    /// The text with wildcards written back as `*` and `?`, for operators that do not read wildcards.
    pub(crate) fn text(&self) -> String {
        self.tokens
            .iter()
            .map(|token| match token {
                Token::Char(c) => *c,
                Token::AnyRun => '*',
                Token::AnyOne => '?',
            })
            .collect()
    }

    /// True when the whole of `text` matches the pattern.
    pub(crate) fn matches(&self, text: &str, case: Case) -> bool {
        let text: Vec<char> = text.chars().collect();
        matches_tokens(&self.tokens, &text, case)
    }

    /// Matches an ARN as IAM does: the five components before the resource are matched one by one, so a
    /// wildcard there never crosses a colon; the resource component (everything after the fifth colon) is
    /// matched as a whole, so a wildcard there spans `/` and `:`. A pattern with fewer than six components
    /// (such as `*` or `arn:aws:s3:*`) is matched against the whole text.
    pub(crate) fn matches_arn(&self, text: &str) -> bool {
        let components = self.components();
        if components.len() < 6 {
            return self.matches(text, Case::Sensitive);
        }
        let values: Vec<Vec<char>> = text.splitn(6, ':').map(|part| part.chars().collect()).collect();
        values.len() == 6
            && components.iter().zip(&values).all(|(pattern, value)| matches_tokens(pattern, value, Case::Sensitive))
    }

    /// The pattern cut at its first five literal colons.
    fn components(&self) -> Vec<&[Token]> {
        let mut components = Vec::new();
        let mut start = 0;
        for (index, token) in self.tokens.iter().enumerate() {
            if components.len() == 5 {
                break;
            }
            if *token == Token::Char(':') {
                components.push(&self.tokens[start..index]);
                start = index + 1;
            }
        }
        components.push(&self.tokens[start..]);
        components
    }
}

/// The classic linear-space wildcard match: on a mismatch, go back to the last `*` and let it take one more
/// character. No recursion, so no pattern can exhaust the stack.
fn matches_tokens(pattern: &[Token], text: &[char], case: Case) -> bool {
    let same = |a: char, b: char| match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(&b),
    };
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Token::Char(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            Some(Token::AnyRun) => {
                last_star = Some((p, t));
                p += 1;
            }
            _ => match last_star {
                Some((star, taken)) => {
                    last_star = Some((star, taken + 1));
                    p = star + 1;
                    t = taken + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::AnyRun)
}
