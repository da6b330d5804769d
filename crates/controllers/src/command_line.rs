//! The command lines of the components users install as Deployments whose behaviour the controllers play (the
//! cluster autoscaler, the Vertical Pod Autoscaler's parts): Go's `flag`/`pflag` forms, `--name=value`,
//! `-name=value`, `--name value`, and a boolean flag alone (`--balance-similar-node-groups`) meaning `true`.

/// The `(name, value)` pairs of a Go command line in order. Words that are not flags are skipped; a flag that is
/// not in `booleans` takes the next word as its value unless that word is a flag (then its value is empty).
pub fn go_flags(args: &[String], booleans: &[&str]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut index = 0;
    while index < args.len() {
        let arg = &args[index];
        index += 1;
        let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else { continue };
        if flag.is_empty() {
            continue;
        }
        match flag.split_once('=') {
            Some((name, value)) => pairs.push((name.to_owned(), value.to_owned())),
            None if booleans.contains(&flag) => pairs.push((flag.to_owned(), "true".to_owned())),
            None => match args.get(index) {
                Some(next) if !next.starts_with('-') => {
                    index += 1;
                    pairs.push((flag.to_owned(), next.clone()));
                }
                _ => pairs.push((flag.to_owned(), String::new())),
            },
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::go_flags;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn every_form_go_accepts() {
        let args = words(&["./cluster-autoscaler", "--a=1", "-b=2", "--c", "3", "--flag", "--d", "--", "-", "--e"]);
        let pairs = go_flags(&args, &["flag"]);
        let expect = [("a", "1"), ("b", "2"), ("c", "3"), ("flag", "true"), ("d", ""), ("e", "")];
        assert_eq!(pairs, expect.map(|(n, v)| (n.to_owned(), v.to_owned())));
    }
}
